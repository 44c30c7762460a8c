// Scalar arithmetic on the abstract domain (adjust_scalar_min_max_vals and the scalar*_min_max_*
// helpers): each operation updates the tnum and the 32- and 64-bit bounds of dst; 32-bit operations
// are zero-extended into 64 bits; the result is re-synchronised with reg_bounds_sync.
import type { AluOp } from '../../isa/index.ts';
import {
  boundsSync,
  coerceRegToSize,
  mark32Unbounded,
  mark64Unbounded,
  markUnbounded,
  markUnknown,
  setKnownBounds,
  update32Bounds,
  updateBounds,
  zext32to64,
} from './bounds.ts';
import type { Reg } from './reg.ts';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from './tnum.ts';
import {
  addS32,
  addS64,
  addU32,
  addU64,
  bmax,
  bmin,
  mulS32,
  mulS64,
  mulU32,
  mulU64,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  subS32,
  subS64,
  subU32,
  subU64,
  toS64,
  U32_MAX,
  U32_MASK,
  U64_MAX,
} from './u64.ts';

function add32(d: Reg, s: Reg): void {
  const a = addS32(d.s32min, s.s32min);
  const b = addS32(d.s32max, s.s32max);
  if (a.o || b.o) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = a.v;
    d.s32max = b.v;
  }
  const lo = addU32(d.u32min, s.u32min);
  const hi = addU32(d.u32max, s.u32max);
  d.u32min = lo.v;
  d.u32max = hi.v;
  if (!lo.o && hi.o) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  }
}

function add64(d: Reg, s: Reg): void {
  const a = addS64(d.smin, s.smin);
  const b = addS64(d.smax, s.smax);
  if (a.o || b.o) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = a.v;
    d.smax = b.v;
  }
  const lo = addU64(d.umin, s.umin);
  const hi = addU64(d.umax, s.umax);
  d.umin = lo.v;
  d.umax = hi.v;
  if (!lo.o && hi.o) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function sub32(d: Reg, s: Reg): void {
  const a = subS32(d.s32min, s.s32max);
  const b = subS32(d.s32max, s.s32min);
  if (a.o || b.o) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = a.v;
    d.s32max = b.v;
  }
  const lo = subU32(d.u32min, s.u32max);
  const hi = subU32(d.u32max, s.u32min);
  d.u32min = lo.v;
  d.u32max = hi.v;
  if (lo.o && !hi.o) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  }
}

function sub64(d: Reg, s: Reg): void {
  const a = subS64(d.smin, s.smax);
  const b = subS64(d.smax, s.smin);
  if (a.o || b.o) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = a.v;
    d.smax = b.v;
  }
  const lo = subU64(d.umin, s.umax);
  const hi = subU64(d.umax, s.umin);
  d.umin = lo.v;
  d.umax = hi.v;
  if (lo.o && !hi.o) {
    d.umin = 0n;
    d.umax = U64_MAX;
  }
}

function mul32(d: Reg, s: Reg): void {
  const hi = mulU32(d.u32max, s.u32max);
  const lo = mulU32(d.u32min, s.u32min);
  if (hi.o || lo.o) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  } else {
    d.u32min = lo.v;
    d.u32max = hi.v;
  }
  const p = [mulS32(d.s32min, s.s32min), mulS32(d.s32min, s.s32max), mulS32(d.s32max, s.s32min), mulS32(d.s32max, s.s32max)];
  if (p.some((x) => x.o)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = Math.min(...p.map((x) => x.v));
    d.s32max = Math.max(...p.map((x) => x.v));
  }
}

function mul64(d: Reg, s: Reg): void {
  const hi = mulU64(d.umax, s.umax);
  const lo = mulU64(d.umin, s.umin);
  if (hi.o || lo.o) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = lo.v;
    d.umax = hi.v;
  }
  const p = [mulS64(d.smin, s.smin), mulS64(d.smin, s.smax), mulS64(d.smax, s.smin), mulS64(d.smax, s.smax)];
  if (p.some((x) => x.o)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = p.map((x) => x.v).reduce(bmin);
    d.smax = p.map((x) => x.v).reduce(bmax);
  }
}

function signed32FromUnsigned(d: Reg): void {
  if ((d.u32min | 0) <= (d.u32max | 0)) {
    d.s32min = d.u32min | 0;
    d.s32max = d.u32max | 0;
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}
function signed64FromUnsigned(d: Reg): void {
  if (toS64(d.umin) <= toS64(d.umax)) {
    d.smin = toS64(d.umin);
    d.smax = toS64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

function and32(d: Reg, s: Reg): void {
  const v32 = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && v32.mask === 0n) {
    setKnown32(d, v32.value);
    return;
  }
  d.u32min = Number(v32.value);
  d.u32max = Math.min(d.u32max, s.u32max);
  signed32FromUnsigned(d);
}
function and64(d: Reg, s: Reg): void {
  if (s.var.mask === 0n && d.var.mask === 0n) {
    setKnownBounds(d, d.var.value);
    d.off = 0; // __mark_reg_known clears the fields before var_off
    return;
  }
  d.umin = d.var.value;
  d.umax = bmin(d.umax, s.umax);
  signed64FromUnsigned(d);
  updateBounds(d);
}
function or32(d: Reg, s: Reg): void {
  const v32 = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && v32.mask === 0n) {
    setKnown32(d, v32.value);
    return;
  }
  d.u32min = Math.max(d.u32min, s.u32min);
  d.u32max = Number(v32.value | v32.mask);
  signed32FromUnsigned(d);
}
function or64(d: Reg, s: Reg): void {
  if (s.var.mask === 0n && d.var.mask === 0n) {
    setKnownBounds(d, d.var.value);
    d.off = 0; // __mark_reg_known clears the fields before var_off
    return;
  }
  d.umin = bmax(d.umin, s.umin);
  d.umax = d.var.value | d.var.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}
function xor32(d: Reg, s: Reg): void {
  const v32 = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && v32.mask === 0n) {
    setKnown32(d, v32.value);
    return;
  }
  d.u32min = Number(v32.value);
  d.u32max = Number(v32.value | v32.mask);
  signed32FromUnsigned(d);
}
function xor64(d: Reg, s: Reg): void {
  if (s.var.mask === 0n && d.var.mask === 0n) {
    setKnownBounds(d, d.var.value);
    d.off = 0; // __mark_reg_known clears the fields before var_off
    return;
  }
  d.umin = d.var.value;
  d.umax = d.var.value | d.var.mask;
  signed64FromUnsigned(d);
  updateBounds(d);
}

/** __mark_reg32_known without touching the tnum (already updated by the caller). */
function setKnown32(d: Reg, v: bigint): void {
  const n = Number(v & U32_MASK);
  d.u32min = d.u32max = n;
  d.s32min = d.s32max = n | 0;
}

function lsh32Bounds(d: Reg, umin: number, umax: number): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31 || d.u32max > 2 ** (31 - umax)) {
    d.u32min = 0;
    d.u32max = U32_MAX;
  } else {
    d.u32min = (d.u32min * 2 ** umin) >>> 0;
    d.u32max = (d.u32max * 2 ** umax) >>> 0;
  }
}
function lsh64Bounds(d: Reg, umin: number, umax: number): void {
  if (umin === 32 && umax === 32) {
    d.smax = BigInt(d.s32max) << 32n;
    d.smin = BigInt(d.s32min) << 32n;
  } else {
    d.smax = S64_MAX;
    d.smin = S64_MIN;
  }
  if (d.umax > 1n << BigInt(63 - umax)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = (d.umin << BigInt(umin)) & U64_MAX;
    d.umax = (d.umax << BigInt(umax)) & U64_MAX;
  }
}

/** Whether the kernel computes dst's range for this operation (else dst becomes unknown). */
function safeToCompute(op: AluOp, src: Reg, alu32: boolean): boolean {
  switch (op) {
    case 'add':
    case 'sub':
    case 'and':
    case 'xor':
    case 'or':
    case 'mul':
    case 'neg':
      return true;
    case 'lsh':
    case 'rsh':
    case 'arsh': {
      const c = alu32
        ? tnumSubregIsConst(src.var) && src.s32min === src.s32max && src.u32min === src.u32max
        : src.var.mask === 0n && src.smin === src.smax && src.umin === src.umax;
      return c && src.umax < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

/**
 * adjust_scalar_min_max_vals for scalar dst and src (src is a snapshot; for neg src is ignored).
 * `unprivileged` decides the precision mark of an unknown result.
 */
export function scalarAlu(d: Reg, s: Reg, op: AluOp, alu32: boolean, unprivileged: boolean): void {
  if (!safeToCompute(op, s, alu32)) {
    markUnknown(d, unprivileged);
    return;
  }
  switch (op) {
    case 'add':
      add32(d, s);
      add64(d, s);
      d.var = tnumAdd(d.var, s.var);
      break;
    case 'sub':
      sub32(d, s);
      sub64(d, s);
      d.var = tnumSub(d.var, s.var);
      break;
    case 'neg': {
      const old = d.clone();
      setKnownBounds(d, 0n);
      d.off = 0;
      sub32(d, old);
      sub64(d, old);
      d.var = tnumNeg(old.var);
      break;
    }
    case 'mul':
      d.var = tnumMul(d.var, s.var);
      mul32(d, s);
      mul64(d, s);
      break;
    case 'and':
      d.var = tnumAnd(d.var, s.var);
      and32(d, s);
      and64(d, s);
      break;
    case 'or':
      d.var = tnumOr(d.var, s.var);
      or32(d, s);
      or64(d, s);
      break;
    case 'xor':
      d.var = tnumXor(d.var, s.var);
      xor32(d, s);
      xor64(d, s);
      break;
    case 'lsh':
      if (alu32) {
        const sub = tnumSubreg(d.var);
        lsh32Bounds(d, s.u32min, s.u32max);
        d.var = tnumSubreg(tnumLshift(sub, s.u32min));
        mark64Unbounded(d);
        update32Bounds(d);
      } else {
        const umin = Number(s.umin);
        const umax = Number(s.umax);
        lsh64Bounds(d, umin, umax);
        lsh32Bounds(d, umin, umax);
        d.var = tnumLshift(d.var, umin);
        updateBounds(d);
      }
      break;
    case 'rsh':
      if (alu32) {
        const sub = tnumSubreg(d.var);
        d.s32min = S32_MIN;
        d.s32max = S32_MAX;
        d.var = tnumRshift(sub, s.u32min);
        d.u32min = Math.floor(d.u32min / 2 ** s.u32max);
        d.u32max = Math.floor(d.u32max / 2 ** s.u32min);
        mark64Unbounded(d);
        update32Bounds(d);
      } else {
        const umin = Number(s.umin);
        const umax = Number(s.umax);
        d.smin = S64_MIN;
        d.smax = S64_MAX;
        d.var = tnumRshift(d.var, umin);
        d.umin >>= BigInt(umax);
        d.umax >>= BigInt(umin);
        mark32Unbounded(d);
        updateBounds(d);
      }
      break;
    case 'arsh':
      if (alu32) {
        const sh = s.u32min;
        d.s32min = d.s32min >> sh;
        d.s32max = d.s32max >> sh;
        d.var = tnumArshift(tnumSubreg(d.var), sh, 32);
        d.u32min = 0;
        d.u32max = U32_MAX;
        mark64Unbounded(d);
        update32Bounds(d);
      } else {
        const sh = BigInt(s.umin);
        d.smin >>= sh;
        d.smax >>= sh;
        d.var = tnumArshift(d.var, Number(sh), 64);
        d.umin = 0n;
        d.umax = U64_MAX;
        mark32Unbounded(d);
        updateBounds(d);
      }
      break;
    default:
      break;
  }
  if (alu32) zext32to64(d);
  boundsSync(d);
}


/**
 * scalar_byte_swap (BPF_END on a scalar): the swap permutes the tnum's bytes and forgets the
 * ranges (re-derived from the tnum); 16/32-bit forms truncate. `swap` is false for the no-op
 * conversions of a little-endian host (le16/le32/le64).
 */
export function scalarByteSwap(d: Reg, bits: 16 | 32 | 64, swap: boolean): void {
  if (swap || bits !== 64) {
    d.id = 0;
    d.off = 0;
  }
  if (swap) {
    d.var = tnumBswap(d.var, bits);
    markUnbounded(d);
  }
  if (bits !== 64) coerceRegToSize(d, bits / 8);
  boundsSync(d);
}
