// Shared by the kfunc tests: load an object as `nicsim test-run` does (verify every program, take the
// verifier's stack depths) and run one packet.
import { join } from 'node:path';
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
