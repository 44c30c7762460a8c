// Lossless round trips through the opcode table: bytes -> IR -> bytes, IR -> llvm text -> IR, and
// IR -> ubpf text -> IR, for many random legal instances of every row.
import { describe, expect, it } from 'vitest';
import {
  assemble,
  decodeProgram,
  disasm,
  disasmUbpf,
  encodeInsn,
  encodeProgram,
  type Insn,
  OPCODES,
  type OpRow,
} from '../../offload/isa/index.ts';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s ^= s >>> 13;
    return s >>> 0;
  };
}

const EDGE32 = [0, 1, -1, 0x7fffffff, -0x80000000, 63, 64, 32];
const EDGE16 = [0, 1, -1, 0x7fff, -0x8000];

/** A random legal instance of a row. */
function sample(row: OpRow, next: () => number, i: number): Insn {
  const i32 = () => (i < EDGE32.length ? EDGE32[i]! : next() | 0);
  const i16 = () => (i < EDGE16.length ? EDGE16[i]! : ((next() & 0xffff) << 16) >> 16);
  const wreg = () => next() % 10;
  const rreg = () => next() % 11;
  const t = row.template;
  switch (t.kind) {
    case 'alu':
      return { ...t, dst: wreg(), sreg: t.src === 'reg' ? rreg() : 0, imm: t.src === 'imm' && t.op !== 'neg' ? i32() : 0 };
    case 'end':
      return { ...t, dst: wreg() };
    case 'ja':
      return { kind: 'ja', off: i16() };
    case 'gotol':
      return { kind: 'gotol', imm: i32() };
    case 'may_goto':
      return { kind: 'may_goto', off: i16() };
    case 'jcond':
      return { ...t, dst: rreg(), sreg: t.src === 'reg' ? rreg() : 0, imm: t.src === 'imm' ? i32() : 0, off: i16() };
    case 'call':
      return { ...t, imm: i32(), off: t.callee === 'kfunc' ? i16() : 0 };
    case 'callx':
      return { ...t, dst: rreg() };
    case 'exit':
      return i % 2 ? { kind: 'exit', off: i16() || 1 } : { kind: 'exit' };
    case 'lddw': {
      const pseudo = (next() % 7) as 0 | 1 | 2 | 3 | 4 | 5 | 6;
      return { kind: 'lddw', dst: wreg(), pseudo, imm: i32(), imm2: pseudo === 1 || pseudo === 5 ? 0 : next() | 0 };
    }
    case 'ldpkt':
      return { ...t, sreg: t.mode === 'ind' ? rreg() : 0, imm: i32() };
    case 'ldx':
      return { ...t, dst: wreg(), sreg: rreg(), off: i16() };
    case 'st':
      return { ...t, dst: rreg(), off: i16(), imm: i32() };
    case 'stx':
      return { ...t, dst: rreg(), sreg: rreg(), off: i16() };
    case 'atomic':
      return { ...t, dst: rreg(), sreg: row.rules.src === 'write' ? wreg() : rreg(), off: i16() };
    case 'load_acquire':
      return { ...t, dst: wreg(), sreg: rreg(), off: i16() };
    case 'store_release':
      return { ...t, dst: rreg(), sreg: rreg(), off: i16() };
  }
}

const N = 40;

describe('opcode table', () => {
  it('has one row per encoding, with unique ids', () => {
    const ids = OPCODES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const sel = OPCODES.map((r) => `${r.code}/${r.off ?? '-'}/${r.imm ?? '-'}/${r.src ?? '-'}`);
    expect(new Set(sel).size).toBe(sel.length);
    // RFC 9669 + cpu v4: 63 ALU, 9 byte swaps, 2 unconditional jumps, 44 conditional, 3 calls, exit,
    // lddw, 6 legacy loads, 7 loads, 4 stores, 4 register stores, 20 atomics; plus the Linux
    // extensions may_goto and load-acquire / store-release in 4 sizes; callx (bpf_conformance's group).
    expect(OPCODES.length).toBe(32 + 31 + 9 + 2 + 44 + 3 + 1 + 1 + 6 + 7 + 4 + 4 + 20 + 1 + 8 + 1);
  });
});

describe.each(OPCODES.map((r) => [r.id, r] as const))('%s', (_id, row) => {
  const next = rng(row.code * 977 + (row.imm ?? 0) * 13 + (row.off ?? 0) + (row.src ?? 0) * 7);
  const insns = Array.from({ length: N }, (_, i) => sample(row, next, i));

  it('bytes -> IR -> bytes is lossless', () => {
    for (const insn of insns) {
      const bytes = encodeInsn(insn);
      const back = decodeProgram(bytes, { checkTargets: false, callx: true });
      expect(back[0]).toEqual(insn);
      expect(encodeProgram(back)).toEqual(bytes);
    }
  });

  it('disassembles and assembles back (llvm syntax)', () => {
    for (const insn of insns) {
      const text = disasm(insn);
      const slots = assemble(text, { syntax: 'llvm', checkTargets: false });
      // `exit`'s ignored offset field is not part of its text.
      const expected = insn.kind === 'exit' ? { kind: 'exit' } : insn;
      expect(slots[0], text).toEqual(expected);
    }
  });

  it('prints and assembles back in ubpf syntax', () => {
    for (const insn of insns) {
      if (insn.kind === 'lddw' && insn.pseudo !== 0) continue; // ubpf has no pseudo loads
      if (insn.kind === 'call' && insn.off !== 0) continue; // nor kfunc BTF module indexes
      const text = disasmUbpf(insn);
      const slots = assemble(text, { syntax: 'ubpf', checkTargets: false });
      const expected = insn.kind === 'exit' ? { kind: 'exit' } : insn;
      expect(slots[0], text).toEqual(expected);
    }
  });
});
