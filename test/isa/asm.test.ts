// Assembler details beyond the per-opcode round trips: labels, the bpf_conformance conventions,
// syntax detection, located errors. Encodings are cross-checked with llvm-mc-19 where stated.
import { describe, expect, it } from 'vitest';
import { assemble, assembleBytes, decodeProgram, disasm } from '../../offload/isa/index.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('llvm syntax', () => {
  it('resolves labels forwards and backwards', () => {
    const slots = assemble(`
      r1 = 0
    top:
      r1 += 1
      if r1 < 10 goto top
      goto done
      r0 = 1 ll
    done:
      r0 = r1
      exit`);
    expect(slots.map((s) => (s ? disasm(s) : null))).toEqual([
      'r1 = 0x0', 'r1 += 0x1', 'if r1 < 0xa goto -0x2', 'goto +0x2', 'r0 = 0x1 ll', null, 'r0 = r1', 'exit',
    ]);
  });
  it('accepts llvm-objdump output lines (pc, bytes, text, label)', () => {
    const text = `       0:\tb7 00 00 00 02 00 00 00\tr0 = 0x2
       1:\t05 00 01 00 00 00 00 00\tgoto +0x1 <prog+0x18>
       2:\tb7 00 00 00 01 00 00 00\tr0 = 0x1
       3:\t95 00 00 00 00 00 00 00\texit`;
    // llvm-mc-19 encodes the same program as these bytes
    expect(hex(assembleBytes(text))).toBe('b700000002000000' + '0500010000000000' + 'b700000001000000' + '9500000000000000');
  });
  it('reports the line of a syntax error and undefined labels', () => {
    expect(() => assemble('r0 = 1\nr0 +== 2\nexit', { file: 'x.s' })).toThrow(/x\.s:2: /);
    expect(() => assemble('goto nowhere\nexit', { file: 'y.s' })).toThrow(/y\.s:1: undefined label 'nowhere'/);
    expect(() => assemble('r11 = 1', { file: 'z.s' })).toThrow(/register r11 does not exist/);
    expect(() => assemble('w1 += r2')).toThrow(/must both be w registers/);
  });
  it('refuses jumps outside the program', () => {
    expect(() => assemble('goto +5\nexit')).toThrow(/jump out of range from insn 0 to 6/);
  });
});

describe('ubpf / bpf_conformance syntax', () => {
  it('labels the first exit "exit" as the bpf_conformance assembler does', () => {
    const s = assemble('mov %r0, 0\njne %r0, 0, exit\nmov %r0, 1\nexit\n');
    expect(s[1]).toMatchObject({ kind: 'jcond', off: 1 });
  });
  it('takes registers written with or without %', () => {
    expect(hex(assembleBytes('mov r0, r1\nexit'))).toBe(hex(assembleBytes('mov %r0, %r1\nexit')));
    expect(hex(assembleBytes('ldxw r0, [r1+4]\nexit'))).toBe(hex(assembleBytes('ldxw %r0, [%r1+4]\nexit')));
  });
  it('assembles the -- asm section of a .data file and reports lines in the file', () => {
    const data = '# comment\n-- asm\nmov32 %r0, 1\nbogus %r0\nexit\n-- result\n0x1\n';
    expect(() => assemble(data, { file: 't.data' })).toThrow(/t\.data:4: unknown mnemonic 'bogus'/);
  });
  it('spells atomics, calls and cpu v4 instructions as the suite does', () => {
    const slots = decodeProgram(assembleBytes(`
      lock fetch add [%r10-8], %r1
      lock cmpxchg32 [%r10-4], %r2
      movsx1632 %r3, %r4
      ldxsh %r5, [%r10-2]
      ja32 +0
      call local +0
      exit
      exit`, { syntax: 'ubpf' }));
    expect(slots.map((s) => (s ? disasm(s) : null))).toEqual([
      'r1 = atomic_fetch_add((u64 *)(r10 - 0x8), r1)',
      'w0 = cmpxchg32_32(r10 - 0x4, w0, w2)',
      'w3 = (s16)w4',
      'r5 = *(s16 *)(r10 - 0x2)',
      'gotol +0x0',
      'call pc+0x0',
      'exit',
      'exit',
    ]);
  });
});
