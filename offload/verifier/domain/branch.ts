// Conditional jumps on the abstract domain: deciding a branch from the operands' ranges
// (is_branch_taken) and refining both operands on each side of the branch (regs_refine_cond_op).
import type { JmpCond } from '../../isa/index.ts';
import { isRegConst, markUnbounded, regConstValue } from './bounds.ts';
import { AT_PKT_END, BEYOND_PKT_END, isPktPointerAny, Reg, regNotNull, T } from './reg.ts';
import { tnumAnd, tnumConst, tnumIntersect, tnumOr, tnumOverlap, tnumSubreg, tnumWithSubreg } from './tnum.ts';
import { bmax, bmin, lo32, los32, U32_MASK, U64_MAX } from './u64.ts';

/** A condition, or the negation of JSET (the kernel's BPF_JSET | BPF_X). */
export type Cond = JmpCond | 'jnset';

/** "a op b" as "b op' a". */
export function flipCond(op: Cond): Cond {
  switch (op) {
    case 'jge':
      return 'jle';
    case 'jgt':
      return 'jlt';
    case 'jle':
      return 'jge';
    case 'jlt':
      return 'jgt';
    case 'jsge':
      return 'jsle';
    case 'jsgt':
      return 'jslt';
    case 'jsle':
      return 'jsge';
    case 'jslt':
      return 'jsgt';
    default:
      return op;
  }
}

/** The condition of the fall-through (false) branch. */
export function revCond(op: Cond): Cond {
  switch (op) {
    case 'jeq':
      return 'jne';
    case 'jne':
      return 'jeq';
    case 'jset':
      return 'jnset';
    case 'jnset':
      return 'jset';
    case 'jge':
      return 'jlt';
    case 'jgt':
      return 'jle';
    case 'jle':
      return 'jgt';
    case 'jlt':
      return 'jge';
    case 'jsge':
      return 'jslt';
    case 'jsgt':
      return 'jsle';
    case 'jsle':
      return 'jsgt';
    case 'jslt':
      return 'jsge';
  }
}

/** 1 taken, 0 not taken, -1 unknown: "if (r1 op r2) goto". */
export function isScalarBranchTaken(r1: Reg, r2: Reg, op: Cond, is32: boolean): number {
  const t1 = is32 ? tnumSubreg(r1.var) : r1.var;
  const t2 = is32 ? tnumSubreg(r2.var) : r2.var;
  const umin1 = is32 ? BigInt(r1.u32min) : r1.umin;
  const umax1 = is32 ? BigInt(r1.u32max) : r1.umax;
  const smin1 = is32 ? BigInt(r1.s32min) : r1.smin;
  const smax1 = is32 ? BigInt(r1.s32max) : r1.smax;
  const umin2 = is32 ? BigInt(r2.u32min) : r2.umin;
  const umax2 = is32 ? BigInt(r2.u32max) : r2.umax;
  const smin2 = is32 ? BigInt(r2.s32min) : r2.smin;
  const smax2 = is32 ? BigInt(r2.s32max) : r2.smax;

  switch (op) {
    case 'jeq':
      if (t1.mask === 0n && t2.mask === 0n) return t1.value === t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 0;
      if (umin1 > umax2 || umax1 < umin2) return 0;
      if (smin1 > smax2 || smax1 < smin2) return 0;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 0;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 0;
      }
      break;
    case 'jne':
      if (t1.mask === 0n && t2.mask === 0n) return t1.value !== t2.value ? 1 : 0;
      if (!tnumOverlap(t1, t2)) return 1;
      if (umin1 > umax2 || umax1 < umin2) return 1;
      if (smin1 > smax2 || smax1 < smin2) return 1;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 1;
      }
      break;
    case 'jset': {
      let a = t1;
      let b = t2;
      let rb = r2;
      if (!isRegConst(rb, is32)) {
        rb = r1;
        a = t2;
        b = t1;
      }
      if (!isRegConst(rb, is32)) return -1;
      if (~a.mask & a.value & b.value) return 1;
      if (!((a.mask | a.value) & b.value)) return 0;
      break;
    }
    case 'jgt':
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      break;
    case 'jsgt':
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      break;
    case 'jlt':
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      break;
    case 'jslt':
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      break;
    case 'jge':
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      break;
    case 'jsge':
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      break;
    case 'jle':
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      break;
    case 'jsle':
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      break;
  }
  return -1;
}

function isPktPtrBranchTaken(dst: Reg, src: Reg, op: Cond): number {
  let pkt: Reg;
  if (src.type === T.PKT_END) pkt = dst;
  else if (dst.type === T.PKT_END) {
    pkt = src;
    op = flipCond(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case 'jle':
    case 'jgt':
      if (pkt.range === BEYOND_PKT_END) return op === 'jgt' ? 1 : 0;
      break;
    case 'jlt':
    case 'jge':
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === 'jge' ? 1 : 0;
      break;
    default:
      break;
  }
  return -1;
}

/** is_branch_taken for any operand types. */
export function isBranchTaken(r1: Reg, r2: Reg, op: Cond, is32: boolean): number {
  if (isPktPointerAny(r1.type) && isPktPointerAny(r2.type) && !is32) return isPktPtrBranchTaken(r1, r2, op);
  if (r1.type !== T.SCALAR || r2.type !== T.SCALAR) {
    let a = r1;
    let b = r2;
    if (!isRegConst(b, is32)) {
      op = flipCond(op);
      a = r2;
      b = r1;
    }
    if (!isRegConst(b, is32)) return -1;
    if (!regNotNull(a)) return -1;
    if (regConstValue(b, is32) !== 0n) return -1;
    if (op === 'jeq') return 0;
    if (op === 'jne') return 1;
    return -1;
  }
  return isScalarBranchTaken(r1, r2, op, is32);
}

const isPow2 = (v: bigint): boolean => v !== 0n && (v & (v - 1n)) === 0n;

/** Refine r1 and r2 assuming "r1 op r2" holds (both scalars, distinct registers). */
export function refineCond(r1: Reg, r2: Reg, op: Cond, is32: boolean): void {
  switch (op) {
    case 'jge':
    case 'jgt':
    case 'jsge':
    case 'jsgt': {
      op = flipCond(op);
      const t = r1;
      r1 = r2;
      r2 = t;
      break;
    }
    default:
      break;
  }
  switch (op) {
    case 'jeq':
      if (is32) {
        r1.u32min = Math.max(r1.u32min, r2.u32min);
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r1.s32min = Math.max(r1.s32min, r2.s32min);
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      } else {
        r1.umin = bmax(r1.umin, r2.umin);
        r1.umax = bmin(r1.umax, r2.umax);
        r1.smin = bmax(r1.smin, r2.smin);
        r1.smax = bmin(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      }
      break;
    case 'jne': {
      if (!isRegConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (is32) {
        const u = lo32(val);
        const s = los32(val);
        if (r1.u32min === u) r1.u32min++;
        if (r1.u32max === u) r1.u32max--;
        if (r1.s32min === s) r1.s32min++;
        if (r1.s32max === s) r1.s32max--;
      } else {
        const s = BigInt.asIntN(64, val);
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s) r1.smin++;
        if (r1.smax === s) r1.smax--;
      }
      break;
    }
    case 'jset': {
      if (!isRegConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      if (!isPow2(val)) break;
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(val)));
      else r1.var = tnumOr(r1.var, tnumConst(val));
      break;
    }
    case 'jnset': {
      if (!isRegConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!isRegConst(r2, is32)) break;
      const val = regConstValue(r2, is32);
      markUnbounded(r1);
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), tnumConst(~val & U32_MASK)));
      else r1.var = tnumAnd(r1.var, tnumConst(~val & U64_MAX));
      break;
    }
    case 'jle':
      if (is32) {
        r1.u32max = Math.min(r1.u32max, r2.u32max);
        r2.u32min = Math.max(r1.u32min, r2.u32min);
      } else {
        r1.umax = bmin(r1.umax, r2.umax);
        r2.umin = bmax(r1.umin, r2.umin);
      }
      break;
    case 'jlt':
      if (is32) {
        r1.u32max = Math.min(r1.u32max, (r2.u32max - 1) >>> 0);
        r2.u32min = Math.max((r1.u32min + 1) >>> 0, r2.u32min);
      } else {
        r1.umax = bmin(r1.umax, (r2.umax - 1n) & U64_MAX);
        r2.umin = bmax((r1.umin + 1n) & U64_MAX, r2.umin);
      }
      break;
    case 'jsle':
      if (is32) {
        r1.s32max = Math.min(r1.s32max, r2.s32max);
        r2.s32min = Math.max(r1.s32min, r2.s32min);
      } else {
        r1.smax = bmin(r1.smax, r2.smax);
        r2.smin = bmax(r1.smin, r2.smin);
      }
      break;
    case 'jslt':
      if (is32) {
        r1.s32max = Math.min(r1.s32max, (r2.s32max - 1) | 0);
        r2.s32min = Math.max((r1.s32min + 1) | 0, r2.s32min);
      } else {
        r1.smax = bmin(r1.smax, BigInt.asIntN(64, r2.smax - 1n));
        r2.smin = bmax(BigInt.asIntN(64, r1.smin + 1n), r2.smin);
      }
      break;
    default:
      break;
  }
}
