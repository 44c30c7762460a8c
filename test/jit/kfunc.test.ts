// Kfunc calls on the JIT (the kfunc import: firmware/kfuncs' table with the core as host): every case
// of test/fixtures/kfuncs/runs.json (recorded from the Linux 6.18 kernel by
// test/kernel/record-kfunc-runs.py) gives the kernel's retval and data_out with the program compiled
// (no fallback to the interpreter), as it does on the interpreter (test/kfunc/runs.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { root, runObject } from '../kfunc/helpers.ts';

interface Case {
  name: string;
  data_in: string;
  retval: number;
  data_out: string;
  conntrack?: object[];
}
const runs = JSON.parse(readFileSync(join(root, 'test/fixtures/kfuncs/runs.json'), 'utf8')) as { programs: { program: string; object: string; cases: Case[] }[] };

describe('kfunc runs on the JIT agree with the kernel', () => {
  for (const p of runs.programs) {
    it.each(p.cases.map((c) => [c.name, c] as const))(`${p.program}: %s`, (_n, c) => {
      const fallbacks: string[] = [];
      const r = runObject(p.object, {
        program: p.program,
        dataIn: Buffer.from(c.data_in, 'hex'),
        engine: 'jit',
        onJitFallback: (why) => fallbacks.push(why),
        ...(c.conntrack ? { conntrack: parseConntrack(JSON.stringify(c.conntrack), 'seed.json') } : {}),
      });
      expect(fallbacks).toEqual([]);
      expect(r.retval).toBe(c.retval);
      expect(r.data_out).toBe(c.data_out);
    });
  }
});
