// Sign-extending moves (and a branch on contradicting facts) against the kernel
// (test/kernel/record-movsx.py -> test/fixtures/verifier/movsx.json):
// for each raw program, the register state nicsim's level-2 log prints after `r1 = (s8|s16|s32)r6`
// (or `w1 = (s8)w7`) equals the kernel's: known low bits under unknown high bits, low ranges inside and
// across the sign bit of the narrow type, (s32) of a 32-bit range that spans the sign bit; and r6 == r7
// where the tnums intersect in a constant outside the refined range (the constant wins).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { root } from '../cli/run.ts';
import { fuzzObject, rawXdpProgram } from './fuzz-fixture.ts';

const fx = JSON.parse(readFileSync(join(root, 'test/fixtures/verifier/movsx.json'), 'utf8')) as {
  kernel: string;
  cases: { name: string; hex: string; pc: number; state: string }[];
};
const spec = fuzzObject({ kernel: fx.kernel, seed: 0, maps: [], programs: [] });

describe(`sign-extending moves vs the kernel (${fx.kernel})`, () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const r = verifyProgram(spec, rawXdpProgram(Buffer.from(c.hex, 'hex')), { logLevel: 2, withoutBtf: true, facts: false });
      expect(r.accepted).toBe(true);
      const line = r.log.split('\n').find((l) => l.startsWith(`${c.pc}: (`));
      expect(line?.split('; ').slice(1).join('; ')).toBe(c.state);
    });
  }
});
