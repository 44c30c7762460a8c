// Smoke run of the differential campaign (test/campaigns/jit-diff.ts runs the long one): random
// verifier-accepted programs on random packets, JIT and interpreter identical; and every difference
// a campaign ever found (test/jit/regressions.json) stays fixed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { campaign, compareEngines, objectOf, verified } from './diff.ts';
import { readFuzzFixture } from '../verifier/fuzz-fixture.ts';

const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));

describe('jit vs interpreter on random programs', () => {
  it('60 random programs (half generated, half the kernel-accepted fuzz programs) x 4 random packets: no difference', () => {
    const r = campaign(20261204, 60, fx);
    expect(r.programs).toBeGreaterThan(45);
    expect(r.differences).toEqual([]);
    expect(r.unsupported).toBe(0);
  });

  const regressions = JSON.parse(readFileSync(new URL('./regressions.json', import.meta.url), 'utf8')) as { name: string; program: string; packets: string[]; fixtureMaps: boolean }[];
  it.each(regressions.map((r) => [r.name, r] as const))('regression %s', (_n, r) => {
    const spec = objectOf(Uint8Array.from(Buffer.from(r.program, 'hex')), r.fixtureMaps ? fx : undefined);
    const v = verified(spec);
    expect(v).not.toBeNull();
    const res = compareEngines(spec, v!.depth, r.packets.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))), v!.proofs);
    expect(res.diff).toBeNull();
  });
});
