// Truncated and randomly corrupted objects: the loader must answer with an InputError (exit 3) that
// carries a code, the file name and a location, or load successfully; any other exception (RangeError,
// TypeError, stack overflow) fails the test with the seed that produced it.

import { describe, expect, it } from 'vitest';
import { isNicsimError } from '../../offload/errors.ts';
import { loadObject } from '../../offload/elf/index.ts';
import { OBJECTS, objectBytes, readobj } from './helpers.ts';

type Outcome = { ok: true } | { ok: false; code: string };

function attempt(bytes: Uint8Array, file: string): Outcome {
  try {
    loadObject(bytes, file, { allowUnsupported: true });
    return { ok: true };
  } catch (e) {
    if (!isNicsimError(e)) throw e;
    expect(e.exit).toBe(3);
    expect(e.code).toMatch(/^(elf|btf)\.[a-z_]+$/);
    const l = e.loc;
    expect(l.file).toBeTruthy();
    expect(l.offset !== undefined || l.pc !== undefined || l.line !== undefined).toBe(true);
    return { ok: false, code: e.code };
  }
}

/** Every offset where a structure starts or ends: header fields, section headers, section data. */
function boundaries(name: string): number[] {
  const r = readobj(name);
  const size = objectBytes(name).length;
  const set = new Set<number>();
  for (let i = 0; i <= 64; i += 4) set.add(i);
  for (const i of [1, 2, 3, 5, 6, 7, 17, 19, 41, 59, 61, 63]) set.add(i);
  const shoff = r.ElfHeader.SectionHeaderOffset;
  for (const { Section: s } of r.Sections) {
    set.add(shoff + 64 * s.Index);
    set.add(shoff + 64 * s.Index + 32);
    if (s.Type.Value !== 8) {
      set.add(s.Offset);
      set.add(s.Offset + 1);
      set.add(s.Offset + Math.floor(s.Size / 2));
      set.add(s.Offset + s.Size);
      set.add(s.Offset + s.Size - 1);
    }
  }
  return [...set].filter((o) => o >= 0 && o < size).sort((a, b) => a - b);
}

describe.each(OBJECTS)('%s.o truncated at every boundary', (name) => {
  it('gives an InputError at every cut', () => {
    const full = objectBytes(name);
    const cuts = boundaries(name);
    expect(cuts.length).toBeGreaterThan(50);
    for (const cut of cuts) {
      const out = attempt(full.slice(0, cut), `${name}.o`);
      expect(out.ok, `cut at ${cut}`).toBe(false);
    }
  });
});

/** xorshift32: a small deterministic PRNG so failures name a reproducible seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** Regions worth corrupting: the ELF header, the section header table and every loader-relevant section. */
function hotRegions(name: string): [number, number][] {
  const r = readobj(name);
  const out: [number, number][] = [[0, 64], [r.ElfHeader.SectionHeaderOffset, 64 * r.Sections.length]];
  for (const { Section: s } of r.Sections) {
    const n = s.Name.Name;
    if (s.Type.Value === 8 || s.Size === 0 || n.startsWith('.debug') || n.startsWith('.rel.debug')) continue;
    out.push([s.Offset, s.Size]);
  }
  return out;
}

describe('random corruption', () => {
  const ITERATIONS = 3000;
  it(`${ITERATIONS} mutated objects load or fail with a located InputError`, () => {
    const originals = OBJECTS.map((n) => ({ name: n, bytes: objectBytes(n), hot: hotRegions(n) }));
    const codes = new Map<string, number>();
    let loaded = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const seed = 0x9e3779b9 ^ (i * 2654435761);
      const rand = rng(seed);
      const o = originals[i % originals.length]!;
      const b = o.bytes.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) {
        let at: number;
        if (rand() < 0.85) {
          const [start, len] = o.hot[Math.floor(rand() * o.hot.length)]!;
          at = start + Math.floor(rand() * len);
        } else at = Math.floor(rand() * b.length);
        const mode = rand();
        b[at] = mode < 0.4 ? b[at]! ^ (1 << Math.floor(rand() * 8)) : mode < 0.7 ? Math.floor(rand() * 256) : mode < 0.85 ? 0xff : 0;
      }
      let out: Outcome;
      try {
        out = attempt(b, `${o.name}.o`);
      } catch (e) {
        throw new Error(`iteration ${i} (seed ${seed >>> 0}, ${o.name}.o): ${(e as Error).stack}`);
      }
      if (out.ok) loaded++;
      else codes.set(out.code, (codes.get(out.code) ?? 0) + 1);
    }
    // The mutations must exercise both outcomes and a spread of error paths.
    expect(loaded).toBeGreaterThan(100);
    expect(codes.size).toBeGreaterThan(10);
  });
});
