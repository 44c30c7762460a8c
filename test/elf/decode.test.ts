// Integration with the ISA: every program of every fixture decodes with offload/isa's decodeProgram,
// and the loader's rewrites are visible in the IR the way interpreter and verifier will see them.

import { describe, expect, it } from 'vitest';
import { decodeProgram, jumpTarget } from '../../offload/isa/index.ts';
import type { LddwInsn } from '../../offload/isa/index.ts';
import { loadObject } from '../../offload/elf/index.ts';
import { OBJECTS, objectBytes } from './helpers.ts';

describe.each(OBJECTS)('%s.o programs decode', (name) => {
  const spec = loadObject(objectBytes(name), `${name}.o`, { allowUnsupported: true });

  it.each(spec.programs.map((p) => [p.name, p] as const))('%s', (_, p) => {
    const slots = decodeProgram(p.insns, { loc: { file: `${name}.o`, section: p.section } });
    expect(slots.length).toBe(p.insns.length / 8);
    for (const r of p.mapRefs) {
      const s = slots[r.pc] as LddwInsn;
      expect(s.kind).toBe('lddw');
      expect(s.pseudo).toBe(r.kind === 'map' ? 5 : 6);
      expect(s.imm).toBe(r.map);
      expect(s.imm2).toBe(r.kind === 'map' ? 0 : r.offset);
      expect(r.map).toBeLessThan(spec.maps.length);
    }
    const starts = new Set(p.funcs.map((f) => f.pc));
    slots.forEach((s, pc) => {
      if (!s) return;
      if (s.kind === 'call' && s.callee === 'local') expect(starts.has(jumpTarget(s, pc)), `call at ${pc}`).toBe(true);
      if (s.kind === 'lddw' && s.pseudo === 4) expect(starts.has(pc + s.imm + 1), `callback at ${pc}`).toBe(true);
      if (s.kind === 'lddw') expect([0, 4, 5, 6]).toContain(s.pseudo);
    });
    // Functions tile the program.
    const total = p.funcs.reduce((n, f) => n + f.length, 0);
    expect(total).toBe(slots.length);
  });
});
