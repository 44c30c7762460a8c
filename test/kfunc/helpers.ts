// Shared by the kfunc tests: load an object as `nicsim test-run` does (verify every program, take the
// verifier's stack depths) and run one packet.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { loadForRun } from '../../nic/runtime/load.ts';
import { testRun, type TestRunOptions, type TestRunResult } from '../../nic/runtime/test-run.ts';

export const root = join(import.meta.dirname, '..', '..');

export function runObject(object: string, opts: TestRunOptions): TestRunResult {
  const spec = loadObjectFile(join(root, object));
  const stackDepths = new Map<string, number>();
  const calleeDepths = new Map<string, Map<number, number>>();
  for (const p of spec.programs) {
    const v = verifyProgram(spec, p);
    if (!v.accepted) throw new Error(`${object}: ${p.name} rejected: ${v.error?.message}`);
    stackDepths.set(p.name, v.facts?.subprogs[0]?.stackDepth ?? 512);
    calleeDepths.set(p.name, new Map((v.facts?.subprogs ?? []).slice(1).map((s) => [s.start, s.stackDepth])));
  }
  return testRun(loadForRun(spec, { cpus: 2, stackDepths, calleeDepths }), opts);
}

/** One case of test/fixtures/kfuncs/runs.json (recorded by test/kernel/record-kfunc-runs.py). */
export interface KernelCase {
  name: string;
  data_in: string;
  retval: number;
  data_out: string;
  conntrack?: object[];
}

/** The kernel's kfunc runs: per program, its object, the kernel's processed-instruction count and the cases. */
export function kernelRuns(): { program: string; object: string; verified_insns: number; cases: KernelCase[] }[] {
  return (JSON.parse(readFileSync(join(root, 'test/fixtures/kfuncs/runs.json'), 'utf8')) as { programs: ReturnType<typeof kernelRuns> }).programs;
}

/** test-run options for a recorded case: its packet, and the conntrack entry it was recorded after. */
export function caseOptions(c: KernelCase): Pick<TestRunOptions, 'dataIn' | 'conntrack'> {
  return {
    dataIn: Buffer.from(c.data_in, 'hex'),
    ...(c.conntrack ? { conntrack: parseConntrack(JSON.stringify(c.conntrack), 'seed.json') } : {}),
  };
}
