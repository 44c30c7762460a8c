// Instruction text as the Linux verifier prints it in its log (kernel/bpf/disasm.c print_bpf_insn):
// `(07) r2 += -4`, `(61) r7 = *(u32 *)(r6 +16)`, `(d5) if r8 s<= 0x195c goto pc+1`, `(85) call
// bpf_map_lookup_elem#1`, `(db) r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)`. Checked against the
// kernel's own text for 550 encodings (test/fixtures/verifier/insn-text.json). The error report and
// `nicsim disasm` keep llvm-objdump's syntax; this is for the verbose log only.
import { funcIdName } from '../../../firmware/helpers/protos.ts';
import type { RawInsn } from '../../isa/index.ts';

const ALU_OP = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', '', ''];
const JMP_OP = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', '', ''];
const SIZE = ['u32', 'u16', 'u8', 'u64'];
const SSIZE = ['s32', 's16', 's8', 's64'];

export interface KernelTextOptions {
  /**
   * Value the kernel prints for a resolved map load: src 1 (map fd) / 5 (map index) = map pointer,
   * 2 / 6 = map value + off. nicsim's loader writes the index forms; libbpf sends fds, and the log
   * reads as the kernel's for an object libbpf loaded.
   */
  mapAddr?: (raw: RawInsn, next: RawInsn) => bigint;
  /** CAP_PERFMON: without it map addresses print as 0. */
  allowPtrLeaks?: boolean;
  /** Name of the kfunc called at pc (the kernel asks BTF). */
  kfuncName?: (pc: number) => string | undefined;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);
const mem = (reg: number, off: number) => `(r${reg} ${signed(off)})`;

/** The text after `(code) `... including the `(code)` prefix, for the instruction at pc. */
export function kernelInsnText(raws: readonly RawInsn[], pc: number, opts: KernelTextOptions = {}): string {
  const i = raws[pc]!;
  const code = `(${i.code.toString(16).padStart(2, '0')})`;
  const cls = i.code & 7;
  const op = i.code >> 4;
  const x = (i.code & 8) !== 0;
  const sz = (i.code >> 3) & 3;
  const mode = i.code & 0xe0;
  switch (cls) {
    case 4:
    case 7: {
      const w = cls === 7 ? 'r' : 'w';
      if (op === 0xd) {
        if (cls === 7) return `${code} r${i.dst} = bswap${i.imm} r${i.dst}`;
        return `${code} r${i.dst} = ${x ? 'be' : 'le'}${i.imm} r${i.dst}`;
      }
      if (op === 8) return `${code} ${w}${i.dst} = -${w}${i.dst}`;
      const name = (op === 3 || op === 9) && i.off === 1 ? (op === 3 ? 's/=' : 's%=') : ALU_OP[op]!;
      if (x) {
        if (op === 0xb && cls === 7 && i.off === 1)
          return `${code} r${i.dst} = addr_space_cast(r${i.src}, ${(i.imm >>> 16) & 0xffff}, ${i.imm & 0xffff})`;
        if (op === 0xb && (i.off === 8 || i.off === 16 || i.off === 32)) return `${code} ${w}${i.dst} = (s${i.off})${w}${i.src}`;
        return `${code} ${w}${i.dst} ${name} ${w}${i.src}`;
      }
      return `${code} ${w}${i.dst} ${name} ${i.imm}`;
    }
    case 3: {
      // STX
      const s = SIZE[sz]!;
      if (mode === 0x60) return `${code} *(${s} *)(r${i.dst} ${signed(i.off)}) = r${i.src}`;
      if (mode === 0xc0) {
        const b = sz === 3 ? '64' : '';
        const ref = `(${s} *)${mem(i.dst, i.off)}`;
        const aop = i.imm & ~1;
        const fetch = (i.imm & 1) !== 0;
        if ((aop === 0x00 || aop === 0x40 || aop === 0x50 || aop === 0xa0) && !fetch) return `${code} lock *${ref} ${ALU_OP[aop >> 4]} r${i.src}`;
        if (aop === 0x00 || aop === 0x40 || aop === 0x50 || aop === 0xa0) {
          const n = { 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' }[aop]!;
          return `${code} r${i.src} = atomic${b}_fetch_${n}(${ref}, r${i.src})`;
        }
        if (i.imm === 0xe1) return `${code} r${i.src} = atomic${b}_xchg(${ref}, r${i.src})`;
        if (i.imm === 0xf1) return `${code} r0 = atomic${b}_cmpxchg(${ref}, r0, r${i.src})`;
        if (i.imm === 0x100) return `${code} r${i.dst} = load_acquire((${s} *)${mem(i.src, i.off)})`;
        if (i.imm === 0x110) return `${code} store_release(${ref}, r${i.src})`;
      }
      return `BUG_${i.code.toString(16).padStart(2, '0')}`;
    }
    case 2:
      if (mode === 0x60) return `${code} *(${SIZE[sz]} *)(r${i.dst} ${signed(i.off)}) = ${i.imm}`;
      return `BUG_st_${i.code.toString(16).padStart(2, '0')}`;
    case 1:
      if (mode === 0x60 || mode === 0x80) return `${code} r${i.dst} = *(${(mode === 0x80 ? SSIZE : SIZE)[sz]} *)(r${i.src} ${signed(i.off)})`;
      return `BUG_ldx_${i.code.toString(16).padStart(2, '0')}`;
    case 0: {
      if (mode === 0x20) return `${code} r0 = *(${SIZE[sz]} *)skb[${i.imm}]`;
      if (mode === 0x40) return `${code} r0 = *(${SIZE[sz]} *)skb[r${i.src} + ${i.imm}]`;
      if (i.code === 0x18) {
        const next = raws[pc + 1] ?? { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
        let v = (BigInt(next.imm >>> 0) << 32n) | BigInt(i.imm >>> 0);
        if (i.src === 1 || i.src === 2 || i.src === 5 || i.src === 6) v = opts.allowPtrLeaks === false ? 0n : (opts.mapAddr?.(i, next) ?? v);
        return `${code} r${i.dst} = 0x${v.toString(16)}`;
      }
      return `BUG_ld_${i.code.toString(16).padStart(2, '0')}`;
    }
    case 5:
    case 6: {
      const w = cls === 5 ? 'r' : 'w';
      if (i.code === 0x85) {
        if (i.src === 1) return `${code} call pc${signed(i.imm)}`;
        if (i.src === 2) return `${code} call ${opts.kfuncName?.(pc) ?? 'kernel-function'}#${i.imm}`;
        return `${code} call ${funcIdName(i.imm)}#${i.imm}`;
      }
      if (i.code === 0x95) return `${code} exit`;
      if (i.code === 0x05) return `${code} goto pc${signed(i.off)}`;
      if (i.code === 0x06) return `${code} gotol pc${signed(i.imm)}`;
      if (i.code === 0xe5) return `${code} may_goto pc${signed(i.off)}`;
      const rhs = x ? `${w}${i.src}` : hex(i.imm);
      return `${code} if ${w}${i.dst} ${JMP_OP[op]} ${rhs} goto pc${signed(i.off)}`;
    }
  }
  return `BUG_${i.code.toString(16).padStart(2, '0')}`;
}
