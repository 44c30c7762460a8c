// BPF_MAP_CREATE checks: for every recorded creation (each map type with each flag bit, bad sizes,
// size limits found by bisection in the kernel), nicsim accepts exactly what the kernel accepts,
// fails with the kernel's errno otherwise, and reports the kernel's max_entries and map_flags.

import { describe, expect, it } from 'vitest';
import { Limits, createMap, isMapError, mapBytes, validateSpec } from '../../firmware/maps/index.ts';
import type { MapGeometry } from '../../firmware/maps/index.ts';
import { TEST_ENV, loadFixture, specOf } from './replay.ts';

const fx = loadFixture('create');

describe(`kernel ${fx.kernel} map creation`, () => {
  it('uses the limits measured on the recording kernel', () => {
    expect(Limits.KMALLOC_MAX_SIZE - Limits.HTAB_ELEM_SIZE).toBe(fx.constants.hashKeyPlusValueLimit);
    expect(Limits.KMALLOC_MAX_SIZE - Limits.LPM_DATA_SIZE_MAX - Limits.LPM_NODE_SIZE).toBe(fx.constants.lpmValueLimit);
    expect(Limits.INT_MAX).toBe(fx.constants.arrayValueLimit);
    expect(Limits.NR_CPUS).toBe(fx.constants.cpumapMaxEntries);
  });

  for (const c of fx.cases) {
    it(`${c.name}: ${c.create === 0 ? 'created' : `errno ${-c.create}`}`, () => {
      let g: MapGeometry | undefined;
      let errno = 0;
      try {
        g = validateSpec(specOf(c), fx.possibleCpus);
      } catch (e) {
        if (!isMapError(e)) throw e;
        errno = e.errno;
        expect(e.message.length).toBeGreaterThan(10);
      }
      expect(errno === 0 ? 0 : -errno).toBe(c.create);
      if (!g) return;
      expect({ maxEntries: g.maxEntries, flags: g.flags }).toEqual(c.info);
      // build the small ones for real
      if (mapBytes(g) > 64 << 20) return;
      const m = createMap(specOf(c), { cpus: fx.possibleCpus, env: TEST_ENV });
      expect(m.maxEntries).toBe(c.info!.maxEntries);
      expect(m.byteLength).toBe(mapBytes(g));
    });
  }
});
