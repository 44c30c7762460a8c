// The runner's `--elf` mode: the one program of the ELF object it wrote to the plugin's stdin. Its own
// module, which the plugin imports only in that mode, so that the raw-bytes modes (one plugin start
// per test) do not load the ELF loader.
import { loadObject } from '../../offload/elf/index.ts';
import { NicsimError } from '../../offload/errors.ts';

/** The instruction bytes of the one program in an ELF object the runner wrote (`--elf`). */
export function programFromElf(bytes: Uint8Array): Uint8Array {
  const spec = loadObject(bytes, 'stdin');
  const prog = spec.programs[0];
  if (!prog) throw new NicsimError('conformance.no_program', 'the ELF object holds no program', {}, 3);
  return prog.insns;
}
