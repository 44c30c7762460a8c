// IR -> text in the syntax llvm-objdump-19 prints for BPF (the default, generic-cpu decoder), e.g.
// `r0 = *(u32 *)(r1 + 0x4)`, `if r1 > r2 goto +0x1a <label>`, `w0 = 0x2`, `r0 = 0x0 ll`.
// The generic decoder of llvm-objdump-19 knows only the add form of 32-bit atomics; with
// `llvmQuirks` the other 32-bit atomics print `<unknown>` exactly as it does, otherwise they print
// in the form llvm-objdump --mcpu=v4 uses.
import { type Insn, assertNever, lddwValue } from './ir.ts';
import { ALU_CODE, JMP_CODE, rowOf } from './opcodes.ts';

export interface DisasmOptions {
  /** Reproduce llvm-objdump-19 -d (generic cpu) byte for byte, including its `<unknown>` lines. */
  llvmQuirks?: boolean;
  /** Text for a jump/call target pc, printed as ` <text>` after the offset (as llvm-objdump does). */
  label?: (targetPc: number) => string | undefined;
  /** pc of the instruction (needed for labels). */
  pc?: number;
}

/** Signed hexadecimal as llvm prints immediates: 0x5, -0x5. */
export function shex(n: number | bigint): string {
  if (typeof n === 'bigint') return n < 0n ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function mem(ptr: number, off: number): string {
  return `r${ptr} ${off < 0 ? '-' : '+'} 0x${Math.abs(off).toString(16)}`;
}

const SZ = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;
const SSZ = { 1: 's8', 2: 's16', 4: 's32', 8: 's64' } as const;

function target(off: number, opts: DisasmOptions): string {
  const rel = off < 0 ? `-0x${(-off).toString(16)}` : `+0x${off.toString(16)}`;
  if (opts.pc === undefined || !opts.label) return rel;
  const l = opts.label(opts.pc + off + 1);
  return l === undefined ? rel : `${rel} <${l}>`;
}

export function disasm(insn: Insn, opts: DisasmOptions = {}): string {
  switch (insn.kind) {
    case 'alu': {
      const p = insn.width === 64 ? 'r' : 'w';
      const d = `${p}${insn.dst}`;
      const s = insn.src === 'reg' ? `${p}${insn.sreg}` : shex(insn.imm);
      switch (insn.op) {
        case 'neg':
          return `${d} = -${d}`;
        case 'movsx8':
          return `${d} = (s8)${s}`;
        case 'movsx16':
          return `${d} = (s16)${s}`;
        case 'movsx32':
          return `${d} = (s32)${s}`;
        default:
          return `${d} ${ALU_CODE[insn.op].sym} ${s}`;
      }
    }
    case 'end':
      return `r${insn.dst} = ${insn.op}${insn.bits} r${insn.dst}`;
    case 'ja':
      return `goto ${target(insn.off, opts)}`;
    case 'gotol':
      return `gotol ${target(insn.imm, opts)}`;
    case 'jcond': {
      const p = insn.width === 64 ? 'r' : 'w';
      const s = insn.src === 'reg' ? `${p}${insn.sreg}` : shex(insn.imm);
      return `if ${p}${insn.dst} ${JMP_CODE[insn.op].sym} ${s} goto ${target(insn.off, opts)}`;
    }
    case 'call':
      // llvm prints every call as `call imm`; our own text keeps the kind so that it assembles back.
      if (opts.llvmQuirks || insn.callee === 'helper') return `call ${shex(insn.imm)}`;
      if (insn.callee === 'local') return `call pc${insn.imm < 0 ? '-' : '+'}0x${Math.abs(insn.imm).toString(16)}`;
      return `call kfunc ${shex(insn.imm)}${insn.off ? `, ${shex(insn.off)}` : ''}`;
    case 'callx':
      return `callx r${insn.dst}`;
    case 'exit':
      return 'exit';
    case 'may_goto':
      return `may_goto ${target(insn.off, opts)}`;
    case 'lddw':
      if (insn.pseudo !== 0) {
        const base = `ld_pseudo\tr${insn.dst}, ${shex(insn.pseudo)}, 0x${(insn.imm >>> 0).toString(16)}`;
        return opts.llvmQuirks || insn.imm2 === 0 ? base : `${base}, 0x${(insn.imm2 >>> 0).toString(16)}`;
      }
      return `r${insn.dst} = ${shex(BigInt.asIntN(64, lddwValue(insn)))} ll`;
    case 'ldpkt': {
      if (insn.mode === 'abs') return `r0 = *(${SZ[insn.size]} *)skb[${shex(insn.imm)}]`;
      // llvm-objdump omits LD_IND's immediate offset; our own text keeps it so that it assembles back.
      const ix = opts.llvmQuirks || insn.imm === 0 ? `r${insn.sreg}` : `${mem(insn.sreg, insn.imm)}`;
      return `r0 = *(${SZ[insn.size]} *)skb[${ix}]`;
    }
    case 'ldx':
      return `r${insn.dst} = *(${(insn.sx ? SSZ : SZ)[insn.size]} *)(${mem(insn.sreg, insn.off)})`;
    case 'st':
      return `*(${SZ[insn.size]} *)(${mem(insn.dst, insn.off)}) = ${shex(insn.imm)}`;
    case 'stx':
      return `*(${SZ[insn.size]} *)(${mem(insn.dst, insn.off)}) = r${insn.sreg}`;
    case 'atomic': {
      const a = `(${mem(insn.dst, insn.off)})`;
      if (insn.size === 4 && opts.llvmQuirks) {
        // llvm-objdump-19's generic decoder: only XADDW, which ignores the fetch bit.
        return insn.op === 'add' || insn.op === 'fetch_add' ? `lock *(u32 *)${a} += r${insn.sreg}` : '<unknown>';
      }
      const p = insn.size === 8 ? 'r' : 'w';
      const ty = insn.size === 8 ? 'u64' : 'u32';
      const s = `${p}${insn.sreg}`;
      const addr = mem(insn.dst, insn.off);
      const op = insn.op;
      switch (op) {
        case 'add':
          return `lock *(${ty} *)${a} += ${s}`;
        case 'or':
          return `lock *(${ty} *)${a} |= ${s}`;
        case 'and':
          return `lock *(${ty} *)${a} &= ${s}`;
        case 'xor':
          return `lock *(${ty} *)${a} ^= ${s}`;
        case 'fetch_add':
        case 'fetch_or':
        case 'fetch_and':
        case 'fetch_xor':
          return `${s} = atomic_${op}((${ty} *)${a}, ${s})`;
        case 'xchg':
          return insn.size === 8 ? `${s} = xchg_64(${addr}, ${s})` : `${s} = xchg32_32(${addr}, ${s})`;
        case 'cmpxchg':
          return insn.size === 8 ? `r0 = cmpxchg_64(${addr}, r0, ${s})` : `w0 = cmpxchg32_32(${addr}, w0, ${s})`;
        default:
          return assertNever(op, 'atomic op');
      }
    }
    case 'load_acquire':
    case 'store_release': {
      const a = `(${SZ[insn.size]} *)(${mem(insn.kind === 'load_acquire' ? insn.sreg : insn.dst, insn.off)})`;
      // llvm-objdump-19's generic decoder matches only the low byte of imm: the 32/64-bit load-acquire
      // prints as an atomic add; everything else is unknown to it.
      if (opts.llvmQuirks)
        return insn.kind === 'load_acquire' && insn.size >= 4 ? `lock *(${SZ[insn.size]} *)(${mem(insn.dst, insn.off)}) += r${insn.sreg}` : '<unknown>';
      const p = insn.size === 8 ? 'r' : 'w';
      return insn.kind === 'load_acquire' ? `${p}${insn.dst} = load_acquire(${a})` : `store_release(${a}, ${p}${insn.sreg})`;
    }
    default:
      return assertNever(insn, 'instruction');
  }
}

/** The same instruction in the ubpf / bpf_conformance assembler syntax. */
export function disasmUbpf(insn: Insn): string {
  const r = (n: number) => `%r${n}`;
  const m = (reg: number, off: number) => `[%r${reg}${off < 0 ? '-' : '+'}${Math.abs(off)}]`;
  const o = (n: number) => (n < 0 ? `${n}` : `+${n}`);
  const mn = rowOf(insn).ubpf;
  switch (insn.kind) {
    case 'alu':
      if (insn.op === 'neg') return `${mn} ${r(insn.dst)}`;
      return `${mn} ${r(insn.dst)}, ${insn.src === 'reg' ? r(insn.sreg) : insn.imm}`;
    case 'end':
      return `${mn} ${r(insn.dst)}`;
    case 'ja':
      return `ja ${o(insn.off)}`;
    case 'gotol':
      return `ja32 ${o(insn.imm)}`;
    case 'jcond':
      return `${mn} ${r(insn.dst)}, ${insn.src === 'reg' ? r(insn.sreg) : insn.imm}, ${o(insn.off)}`;
    case 'call':
      return insn.callee === 'helper' ? `call ${insn.imm}` : insn.callee === 'local' ? `call local ${o(insn.imm)}` : `call runtime ${insn.imm}`;
    case 'callx':
      return `call ${r(insn.dst)}`;
    case 'exit':
      return 'exit';
    case 'may_goto':
      return `may_goto ${o(insn.off)}`;
    case 'lddw':
      return `lddw ${r(insn.dst)}, 0x${lddwValue(insn).toString(16)}`;
    case 'ldpkt':
      return insn.mode === 'abs' ? `${mn} ${insn.imm}` : `${mn} ${r(insn.sreg)}, ${insn.imm}`;
    case 'ldx':
      return `${mn} ${r(insn.dst)}, ${m(insn.sreg, insn.off)}`;
    case 'st':
      return `${mn} ${m(insn.dst, insn.off)}, ${insn.imm}`;
    case 'stx':
      return `${mn} ${m(insn.dst, insn.off)}, ${r(insn.sreg)}`;
    case 'atomic':
      return `${mn} ${m(insn.dst, insn.off)}, ${r(insn.sreg)}`;
    case 'load_acquire':
      return `${mn} ${r(insn.dst)}, ${m(insn.sreg, insn.off)}`;
    case 'store_release':
      return `${mn} ${m(insn.dst, insn.off)}, ${r(insn.sreg)}`;
    default:
      return assertNever(insn, 'instruction');
  }
}
