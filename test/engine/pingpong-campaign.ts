// Campaign (outside npm test, ~30 s of CPU): every completed kernel run of the examples and of the
// verifier corpus, run whole and then ping-ponged between a NIC core (PUNT at every even pc of every
// program) and the host path (PUNT back at every odd pc), so the execution state crosses between two
// arena slots at nearly every instruction. Each must give the whole run's r0, data_out, trace, map
// bytes and instruction count; the whole run itself is what test/examples/golden.test.ts checks
// against the kernel. Programs whose bpf_loop callbacks would be punted are reported (a punt inside a
// helper callback faults with fault.punt by design) and skipped.
//   npx tsx test/engine/pingpong-campaign.ts
import { decodeProgram } from '../../offload/isa/index.ts';
import { findProgram } from '../../offload/elf/index.ts';
import type { TestRunStats } from '../../nic/runtime/test-run.ts';
import { corpusCases, goldenCases, runCaseBytes, specOf } from './golden.ts';

const stats = (): TestRunStats => ({ nicExecuted: 0, hostExecuted: 0, punted: 0, returned: 0 });
let compared = 0;
let diffs = 0;
let callbacks = 0;
for (const c of [...goldenCases(), ...corpusCases()]) {
  const spec = specOf(c.object);
  const programs = spec.programs.filter((p) => !p.unsupported.length).map((p) => p.name);
  const pcsOf = (name: string) => decodeProgram(findProgram(spec, name)!.insns).flatMap((s, pc) => (s ? [pc] : []));
  const parity = (odd: number) => new Map(programs.map((p) => [p, pcsOf(p).filter((pc) => pc % 2 === odd)]));
  const whole = stats();
  const ref = runCaseBytes(c, undefined, whole);
  const refMaps = Buffer.from(ref.maps);
  const s = stats();
  let got: ReturnType<typeof runCaseBytes>;
  try {
    got = runCaseBytes(c, parity(0), s, parity(1));
  } catch (e) {
    if ((e as { faultCode?: string }).faultCode === 'fault.punt') {
      callbacks++;
      console.log(`skipped ${c.object} ${c.name}: ${(e as Error).message}`);
      continue;
    }
    throw e;
  }
  compared++;
  const same =
    got.result.retval === ref.result.retval &&
    got.result.data_out === ref.result.data_out &&
    JSON.stringify(got.result.trace ?? []) === JSON.stringify(ref.result.trace ?? []) &&
    got.maps.equals(refMaps) &&
    s.nicExecuted + s.hostExecuted === whole.nicExecuted;
  if (!same) {
    diffs++;
    console.log(`DIFFERENT ${c.object} ${c.name}: retval ${got.result.retval} vs ${ref.result.retval}, instructions ${s.nicExecuted}+${s.hostExecuted} vs ${whole.nicExecuted}`);
  }
}
console.log(`${compared} runs ping-ponged, ${diffs} differences, ${callbacks} skipped (punt inside a helper callback)`);
process.exitCode = diffs ? 1 : 0;
