// Kfunc calls on the JIT (the kfunc import: firmware/kfuncs' table with the core as host): every case
// of test/fixtures/kfuncs/runs.json (recorded from the Linux 6.18 kernel by
// test/kernel/record-kfunc-runs.py) gives the kernel's retval and data_out with the program compiled
// (no fallback to the interpreter), as it does on the interpreter (test/kfunc/runs.test.ts).
import { describe, expect, it } from 'vitest';
import { caseOptions, kernelRuns, runObject } from '../kfunc/helpers.ts';

describe('kfunc runs on the JIT agree with the kernel', () => {
  for (const p of kernelRuns()) {
    it.each(p.cases.map((c) => [c.name, c] as const))(`${p.program}: %s`, (_n, c) => {
      const fallbacks: string[] = [];
      const r = runObject(p.object, {
        program: p.program,
        ...caseOptions(c),
        engine: 'jit',
        onJitFallback: (why) => fallbacks.push(why),
      });
      expect(fallbacks).toEqual([]);
      expect(r.retval).toBe(c.retval);
      expect(r.data_out).toBe(c.data_out);
    });
  }
});
