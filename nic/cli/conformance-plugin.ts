// nicsim conformance-plugin: the plugin protocol of the public bpf_conformance runner
// (github Alan-Jowett/bpf_conformance). The runner starts the plugin once per test with the test's
// memory as the first argument (hex bytes, each followed by two spaces; absent when the test has no
// memory) and the plugin options after it; it writes the program as one line of hex on stdin and
// reads r0 in hex from stdout. Failures (invalid program, fault) are a message and a non-zero exit.
import { Exit, InputError, isNicsimError, UsageError } from '../../offload/errors.ts';
import { runConformance } from '../conformance/run.ts';
import type { Command } from './command.ts';
import { intOption, U32_MAX } from './numbers.ts';

/** Hex bytes of the memory argument (a usage error) or of the program on stdin (bad input). */
function hexBytes(s: string, bad: () => Error): Uint8Array {
  const t = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) throw bad();
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

export const conformancePluginCommand: Command = {
  usage: ['conformance-plugin [MEMHEX] [--elf] [--budget N]   < program-hex', 'conformance-plugin --serve PORT'],
  description: `Implements the bpf_conformance plugin protocol: MEMHEX is the test memory (r1 points to it,
r2 holds its length), the program comes as one hex line on stdin, r0 is printed in hex on stdout.
Invalid programs and runtime faults print a message on stderr and exit non-zero.
With --elf (the runner's --elf mode) stdin holds an ELF object instead of instruction bytes. A program
that starts with the runner's --xdp_prolog runs as an XDP program with the memory as its packet.
callx (the runner's callx group) calls the helper whose id is in its register; no safety verifier runs.
Use test/kernel/conformance-plugin.sh as the runner's --plugin_path.
--serve PORT answers the same protocol for many tests from one process, on 127.0.0.1:PORT (0: a free
port; the port is printed), until killed: the runner's --plugin_path is then
test/kernel/conformance-plugin-client.sh with NICSIM_PLUGIN_PORT=PORT in its environment, and a test
costs a bash start instead of a Node start.`,
  options: {
    elf: { type: 'boolean', help: 'stdin is an ELF object (hex) with one program' },
    budget: { type: 'string', arg: 'N', help: `instruction budget per run (default 64M, at most ${U32_MAX})` },
    serve: { type: 'string', arg: 'PORT', help: 'answer plugin requests from test/kernel/conformance-plugin-client.sh on 127.0.0.1:PORT until killed' },
  },
  positionals: { min: 0, max: Infinity },
  lenientArgs: true,
  async run(ctx) {
    let memHex = '';
    let budget: number | undefined;
    let elf = false;
    const args = ctx.positionals;
    if (args[0] === '--serve' || args[0]?.startsWith('--serve=')) {
      const port = args[0] === '--serve' ? args[1] : args[0].slice('--serve='.length);
      if (port === undefined) throw new UsageError('--serve needs a port');
      if (args.length > (args[0] === '--serve' ? 2 : 1)) throw new UsageError('--serve takes no other arguments');
      return (await import('./plugin-server.ts')).servePlugin(ctx, intOption('serve', port, { min: 0, max: 65535 })!);
    }
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--budget') {
        const n = args[++i];
        if (n === undefined) throw new UsageError('--budget needs a number');
        budget = intOption('budget', n, { min: 1, max: U32_MAX })!;
      } else if (a.startsWith('--budget=')) {
        budget = intOption('budget', a.slice('--budget='.length), { min: 1, max: U32_MAX })!;
      } else if (a === '--elf') {
        elf = true;
      } else if (a.startsWith('--')) {
        throw new UsageError(`unknown option '${a}'`);
      } else {
        memHex += a;
      }
    }
    const mem = hexBytes(memHex, () => new UsageError('the memory argument is not hex bytes'));
    const line = (await ctx.io.stdin()).split('\n').find((l) => l.trim() !== '') ?? '';
    const input = hexBytes(line, () => new InputError('plugin.hex', elf ? 'the ELF object on stdin is not hex bytes' : 'the program is not hex bytes', { file: '<stdin>' }));
    try {
      const code = elf ? (await import('../conformance/elf.ts')).programFromElf(input) : input;
      const { r0 } = runConformance(code, mem, budget);
      ctx.out(r0.toString(16));
      return Exit.ok;
    } catch (e) {
      if (isNicsimError(e)) {
        ctx.err(e.message);
        return e.exit === Exit.ok ? Exit.negative : e.exit;
      }
      throw e;
    }
  },
};
