// Control-flow facts computed from raw encodings, exactly as the kernel computes them before it
// trusts any instruction (jump offsets of JMP32|JA live in imm; every other jump in off).
import type { RawInsn } from '../../isa/index.ts';

export const isJmpClass = (code: number): boolean => (code & 7) === 0x05 || (code & 7) === 0x06;
export const isLdImm64 = (code: number): boolean => code === 0x18;
export const isPseudoCall = (r: RawInsn): boolean => r.code === 0x85 && r.src === 1;
export const isHelperCall = (r: RawInsn): boolean => r.code === 0x85 && r.src === 0;
export const isKfuncCall = (r: RawInsn): boolean => r.code === 0x85 && r.src === 2;
export const isPseudoFunc = (r: RawInsn): boolean => r.code === 0x18 && r.src === 4;
export const isExit = (code: number): boolean => code === 0x95;

/** bpf_jmp_offset */
export function jmpOffset(r: RawInsn): number {
  return r.code === 0x06 ? r.imm : r.off;
}

/** Kind of control transfer of a slot. */
export type Flow = 'next' | 'exit' | 'ja' | 'cond' | 'call' | 'lddw';

export function flowOf(r: RawInsn): Flow {
  if (isLdImm64(r.code)) return 'lddw';
  if (!isJmpClass(r.code)) return 'next';
  switch (r.code & 0xf0) {
    case 0x90:
      return 'exit';
    case 0x80:
      return 'call';
    case 0x00:
      return 'ja';
    default:
      return 'cond';
  }
}

/** Intraprocedural successors of slot i (bpf_insn_successors): calls fall through. */
export function successors(r: RawInsn, i: number): number[] {
  switch (flowOf(r)) {
    case 'exit':
      return [];
    case 'ja':
      return [i + jmpOffset(r) + 1];
    case 'cond':
      return [i + 1, i + r.off + 1];
    case 'lddw':
      return [i + 2];
    default:
      return [i + 1];
  }
}
