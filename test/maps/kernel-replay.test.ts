// Every operation sequence the kernel ran (test/fixtures/maps/<group>.json) gives the same results on
// nicsim maps: return codes, values, per-CPU values, get_next_key results and key walks (walks of maps
// whose order depends on a random hash seed or on LRU internals are compared as sets).

import { describe, expect, it } from 'vitest';
import { loadFixture, replayCase } from './replay.ts';

for (const group of ['hash', 'percpu', 'lru', 'array', 'lpm', 'devmap', 'progarray', 'mapinmap']) {
  const fx = loadFixture(group);
  describe(`kernel ${fx.kernel} map sequences: ${group}`, () => {
    for (const c of fx.cases) {
      it(c.name, () => {
        const r = replayCase(c, fx.possibleCpus, fx);
        expect(r.created ? 0 : -r.createErrno!).toBe(c.create);
        if (c.info) expect(r.info).toEqual(c.info);
        expect(r.mismatches.slice(0, 3)).toEqual([]);
      });
    }
  });
}
