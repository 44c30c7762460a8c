// Inline lookups on LRU maps mark the element referenced exactly as the helper does (lru.ts setRef),
// so eviction picks the same victims: a program looking up and inserting keys taken from the packet
// into small LRU maps (common and per-CPU lists) leaves the same maps on both engines, packet after packet.
import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { encodeProgram, type Insn, type Slot } from '../../offload/isa/index.ts';
import type { MapTypeName } from '../../nic/profile/index.ts';
import { mapSpec } from '../capability/helpers.ts';
import { rawXdpProgram } from '../verifier/fuzz-fixture.ts';
import { compareEngines, Rng, verifiedDepth } from './diff.ts';

/** For each of the first 12 packet bytes: key = byte & 15; lookup; insert (value = byte) when missing. */
function program(): Slot[] {
  const p: Insn[] = [
    { kind: 'ldx', size: 4, sx: false, dst: 6, sreg: 1, off: 0 },
    { kind: 'ldx', size: 4, sx: false, dst: 7, sreg: 1, off: 4 },
    { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 8, sreg: 6, imm: 0 },
    { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 8, sreg: 0, imm: 12 },
    { kind: 'jcond', op: 'jgt', width: 64, src: 'reg', dst: 8, sreg: 7, imm: 0, off: 12 * 15 },
  ];
  for (let i = 0; i < 12; i++) {
    p.push(
      { kind: 'ldx', size: 1, sx: false, dst: 9, sreg: 6, off: i },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 9, imm: 0 },
      { kind: 'alu', op: 'and', width: 64, src: 'imm', dst: 2, sreg: 0, imm: 15 },
      { kind: 'stx', size: 4, dst: 10, sreg: 2, off: -4 },
      { kind: 'stx', size: 8, dst: 10, sreg: 9, off: -16 },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 2, sreg: 0, imm: -4 },
      { kind: 'call', callee: 'helper', imm: 1, off: 0 }, // r1 = the map: an lddw is inserted before each call
      { kind: 'jcond', op: 'jne', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 0, off: 6 },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 2, sreg: 0, imm: -4 },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 3, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 3, sreg: 0, imm: -16 },
      { kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 4, sreg: 0, imm: 0 },
      { kind: 'call', callee: 'helper', imm: 2, off: 0 },
    );
  }
  p.push({ kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 2 }, { kind: 'exit' });
  // r1 = the map (lddw, two slots) before each call: expand.
  const slots: Slot[] = [];
  for (const insn of p) {
    if (insn.kind === 'call') slots.push({ kind: 'lddw', dst: 1, pseudo: 5, imm: 0, imm2: 0 }, null);
    slots.push(insn);
  }
  // Jumps were written in instructions; recompute them on slots: the bounds check goes to the final mov,
  // each jne skips its update block (7 instructions, 8 slots with the lddw).
  const out: Slot[] = slots.map((s, pc) => {
    if (s?.kind !== 'jcond') return s;
    if (s.dst === 8) return { ...s, off: slots.length - 2 - pc - 1 };
    return { ...s, off: 8 };
  });
  return out;
}

function objectWith(type: MapTypeName, flags = 0): ObjectSpec {
  const prog = rawXdpProgram(encodeProgram(program()), 'prog');
  return { name: 'lru', license: 'GPL', maps: [mapSpec({ name: 'm', type, key: 4, value: 8, entries: 4, flags })], programs: [prog], btf: undefined } as unknown as ObjectSpec;
}

describe('inline LRU lookups', () => {
  it.each([['lru_hash', 0], ['lru_hash', 2], ['lru_percpu_hash', 0]] as const)('%s (flags %i): same maps and results as the interpreter', (type, flags) => {
    const spec = objectWith(type, flags);
    const depth = verifiedDepth(spec);
    expect(depth).not.toBeNull();
    const rng = new Rng(99);
    const packets = Array.from({ length: 12 }, () => Uint8Array.from({ length: 64 }, () => rng.u32() & 0xff));
    expect(compareEngines(spec, depth!, packets).diff).toBeNull();
  });
});
