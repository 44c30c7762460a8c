// Inline lookups on LPM tries (firmware/jit/module.ts, LpmTrie.find of firmware/maps/lpm.ts): a
// program that, for each of the first 12 packet bytes, looks up a key of that byte's prefix length
// (0..31) over 4 packet bytes, reads the value it finds and inserts the key when missing, into a small
// trie (ENOSPC once full). Prefixes of every length meet intermediate nodes, full and partial matches;
// the maps and r0 (an xor of the values read) must be the interpreter's, packet after packet.
import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { encodeProgram, type Insn, type Slot } from '../../offload/isa/index.ts';
import { mapSpec } from '../capability/helpers.ts';
import { rawXdpProgram } from '../verifier/fuzz-fixture.ts';
import { compareEngines, Rng, verifiedDepth } from './diff.ts';

type Item = Insn | { label: string } | { jump: Extract<Insn, { kind: 'jcond' }>; to: string };

function program(): Slot[] {
  const items: Item[] = [
    { kind: 'ldx', size: 4, sx: false, dst: 6, sreg: 1, off: 0 },
    { kind: 'ldx', size: 4, sx: false, dst: 7, sreg: 1, off: 4 },
    { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 8, sreg: 6, imm: 0 },
    { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 8, sreg: 0, imm: 16 },
    { jump: { kind: 'jcond', op: 'jgt', width: 64, src: 'reg', dst: 8, sreg: 7, imm: 0, off: 0 }, to: 'out' },
    { kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 7, sreg: 0, imm: 0 },
  ];
  const map: Insn = { kind: 'lddw', dst: 1, pseudo: 5, imm: 0, imm2: 0 };
  for (let i = 0; i < 12; i++) {
    items.push(
      { kind: 'ldx', size: 1, sx: false, dst: 9, sreg: 6, off: i },
      { kind: 'ldx', size: 4, sx: false, dst: 3, sreg: 6, off: i },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 9, imm: 0 },
      { kind: 'alu', op: 'mod', width: 64, src: 'imm', dst: 2, sreg: 0, imm: 33 },
      { kind: 'stx', size: 4, dst: 10, sreg: 2, off: -8 },
      { kind: 'stx', size: 4, dst: 10, sreg: 3, off: -4 },
      { kind: 'stx', size: 8, dst: 10, sreg: 9, off: -16 },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 2, sreg: 0, imm: -8 },
      map,
      { kind: 'call', callee: 'helper', imm: 1, off: 0 },
      { jump: { kind: 'jcond', op: 'jeq', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 0, off: 0 }, to: `miss${i}` },
      { kind: 'ldx', size: 8, sx: false, dst: 5, sreg: 0, off: 0 },
      { kind: 'alu', op: 'xor', width: 64, src: 'reg', dst: 7, sreg: 5, imm: 0 },
      { kind: 'alu', op: 'lsh', width: 64, src: 'imm', dst: 7, sreg: 0, imm: 3 },
      { jump: { kind: 'jcond', op: 'jeq', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 0, off: 0 }, to: `next${i}` }, // never (r0 != 0): a forward edge
      { label: `miss${i}` },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 2, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 2, sreg: 0, imm: -8 },
      { kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 3, sreg: 10, imm: 0 },
      { kind: 'alu', op: 'add', width: 64, src: 'imm', dst: 3, sreg: 0, imm: -16 },
      { kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 4, sreg: 0, imm: 0 },
      map,
      { kind: 'call', callee: 'helper', imm: 2, off: 0 },
      { label: `next${i}` },
    );
  }
  items.push({ kind: 'alu', op: 'mov', width: 64, src: 'reg', dst: 0, sreg: 7, imm: 0 }, { kind: 'exit' }, { label: 'out' }, { kind: 'alu', op: 'mov', width: 64, src: 'imm', dst: 0, sreg: 0, imm: 1 }, { kind: 'exit' });
  // Lay out slots (lddw takes two), then resolve the labels.
  const at = new Map<string, number>();
  const slots: Slot[] = [];
  const fix: { pc: number; to: string }[] = [];
  for (const it of items) {
    if ('label' in it) at.set(it.label, slots.length);
    else if ('jump' in it) {
      fix.push({ pc: slots.length, to: it.to });
      slots.push(it.jump);
    } else {
      slots.push(it);
      if (it.kind === 'lddw') slots.push(null);
    }
  }
  for (const f of fix) slots[f.pc] = { ...(slots[f.pc] as Extract<Insn, { kind: 'jcond' }>), off: at.get(f.to)! - f.pc - 1 };
  return slots;
}

function objectWith(entries: number): ObjectSpec {
  const prog = rawXdpProgram(encodeProgram(program()), 'prog');
  // BPF_F_NO_PREALLOC (1), as an lpm_trie must be created
  return { name: 'lpm', license: 'GPL', maps: [mapSpec({ name: 'm', type: 'lpm_trie', key: 8, value: 8, entries, flags: 1 })], programs: [prog], btf: undefined } as unknown as ObjectSpec;
}

describe('inline LPM trie lookups', () => {
  it.each([[6], [64]])('a %i-entry trie: same maps and results as the interpreter', (entries) => {
    const spec = objectWith(entries);
    const depth = verifiedDepth(spec);
    expect(depth).not.toBeNull();
    const rng = new Rng(7 + entries);
    // Bytes from a few values, so that keys share prefixes and lookups hit.
    const packets = Array.from({ length: 24 }, () => Uint8Array.from({ length: 64 }, () => rng.pick([0x00, 0x0a, 0x0b, 0x8a, 0xc0, 0xff, rng.u32() & 0xff])));
    expect(compareEngines(spec, depth!, packets).diff).toBeNull();
  });
});
