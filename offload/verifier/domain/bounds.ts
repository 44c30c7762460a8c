// The scalar domain's bookkeeping: marking registers known/unknown, deriving bounds from each other
// (reg_bounds_sync and its parts), zero/sign extension and truncation. Mirrors the kernel's
// semantics; all functions mutate the register in place.
import { F, Reg, T } from './reg.ts';
import {
  Tnum,
  TNUM_UNKNOWN,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumIntersect,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSubreg,
} from './tnum.ts';
import {
  bmax,
  bmin,
  lo32,
  los32,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  toS64,
  toU64,
  U32_MASK,
  U32_MAX,
  U64_MAX,
} from './u64.ts';

/** ___mark_reg_known: bounds and tnum of the constant `imm` (any BigInt, taken mod 2^64). */
export function setKnownBounds(r: Reg, imm: bigint): void {
  const u = toU64(imm);
  r.var = tnumConst(u);
  r.smin = r.smax = toS64(u);
  r.umin = r.umax = u;
  r.s32min = r.s32max = los32(u);
  r.u32min = r.u32max = lo32(u);
}

/** __mark_reg_known: also clears the offset, map/range union, ids. Keeps the type. */
export function markKnown(r: Reg, imm: bigint): void {
  r.off = 0;
  r.range = 0;
  r.map = -1;
  r.mapUid = 0;
  r.memSize = 0;
  r.subprogno = 0;
  r.btf = '';
  r.dynptrType = 0;
  r.dynptrFirst = false;
  r.id = 0;
  r.refObjId = 0;
  setKnownBounds(r, imm);
}

/** __mark_reg_known_zero (pointer with zero variable offset; type kept). */
export function markKnownZero(r: Reg): void {
  markKnown(r, 0n);
}

/** __mark_reg_const_zero: a scalar 0 (precise when the loader is unprivileged). */
export function markConstZero(r: Reg, unprivileged: boolean): void {
  markKnown(r, 0n);
  r.type = T.SCALAR;
  r.precise = unprivileged;
}

/** __mark_reg32_known */
export function markKnown32(r: Reg, imm: bigint): void {
  r.var = tnumConstSubreg(r.var, imm);
  r.s32min = r.s32max = los32(imm);
  r.u32min = r.u32max = lo32(imm);
}

export function markUnbounded(r: Reg): void {
  mark64Unbounded(r);
  mark32Unbounded(r);
}
export function mark64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}
export function mark32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0;
  r.u32max = U32_MAX;
}

/** __mark_reg_unknown: an unknown scalar (precise when unprivileged). */
export function markUnknown(r: Reg, unprivileged: boolean): void {
  r.type = T.SCALAR;
  r.off = 0;
  r.range = 0;
  r.map = -1;
  r.mapUid = 0;
  r.memSize = 0;
  r.subprogno = 0;
  r.btf = '';
  r.dynptrType = 0;
  r.dynptrFirst = false;
  r.id = 0;
  r.refObjId = 0;
  r.var = TNUM_UNKNOWN;
  r.frameno = 0;
  r.precise = unprivileged;
  markUnbounded(r);
}

/** __mark_reg_not_init */
export function markNotInit(r: Reg): void {
  markUnknown(r, false);
  r.type = T.NOT_INIT;
}

export function update32Bounds(r: Reg): void {
  const v = r.var;
  const val = lo32x(v.value);
  const mask = lo32x(v.mask);
  // min signed is max(sign bit) | min(other bits)
  const smin = (val | (mask & 0x8000_0000)) | 0;
  const smax = (val | (mask & 0x7fff_ffff)) | 0;
  if (smin > r.s32min) r.s32min = smin;
  if (smax < r.s32max) r.s32max = smax;
  if (val > r.u32min) r.u32min = val;
  const umax = (val | mask) >>> 0;
  if (umax < r.u32max) r.u32max = umax;
}

const SIGN64 = 0x8000_0000_0000_0000n;
export function update64Bounds(r: Reg): void {
  const v = r.var.value;
  const m = r.var.mask;
  if (v < SIGN64 && m < SIGN64) {
    // sign bit known 0: signed and unsigned views agree
    if (v > r.smin) r.smin = v;
    if (v > r.umin) r.umin = v;
    const hi = v | m;
    if (hi < r.smax) r.smax = hi;
    if (hi < r.umax) r.umax = hi;
  } else {
    r.smin = bmax(r.smin, toS64(v | (m & SIGN64)));
    r.smax = bmin(r.smax, toS64(v | (m & S64_MAX)));
    r.umin = bmax(r.umin, v);
    r.umax = bmin(r.umax, v | m);
  }
  // The u64 range and the tnum may have a single value in common (also when the tnum is a constant
  // outside the range, as after a branch on incompatible facts: the constant wins).
  const umin = r.umin;
  const umax = r.umax;
  const next = tnumStep(r.var, umin);
  const uminIn = (umin & ~m) === v;
  const tmax = v | m;
  if (uminIn && next > umax) setKnownBounds(r, umin);
  else if (!uminIn && next === tmax) setKnownBounds(r, tmax);
  else if (!uminIn && next <= umax && tnumStep(r.var, next) > umax) setKnownBounds(r, next);
}

export function updateBounds(r: Reg): void {
  update32Bounds(r);
  update64Bounds(r);
}

const SAFE = 1n << 53n;
const TWO32 = 4294967296;
/** Unsigned high 32 bits of a 64-bit two's complement value (u64 or s64 BigInt). */
function hi32(x: bigint): number {
  if (x < SAFE && x > -SAFE) return Math.floor(Number(x) / TWO32) >>> 0;
  return Number(BigInt.asUintN(64, x) >> 32n);
}
/** Low 32 bits (unsigned) of a 64-bit two's complement value. */
function lo32x(x: bigint): number {
  if (x < SAFE && x > -SAFE) return Number(x) >>> 0;
  return Number(x & U32_MASK);
}

/** __reg32_deduce_bounds */
function deduce32(r: Reg): void {
  const uminHi = hi32(r.umin);
  const umaxHi = hi32(r.umax);
  const uminLo = lo32x(r.umin);
  const umaxLo = lo32x(r.umax);
  const sminHi = hi32(r.smin);
  const smaxHi = hi32(r.smax);
  const sminLo = lo32x(r.smin);
  const smaxLo = lo32x(r.smax);
  if (uminHi === umaxHi) {
    if (uminLo > r.u32min) r.u32min = uminLo;
    if (umaxLo < r.u32max) r.u32max = umaxLo;
    if ((uminLo | 0) <= (umaxLo | 0)) {
      if ((uminLo | 0) > r.s32min) r.s32min = uminLo | 0;
      if ((umaxLo | 0) < r.s32max) r.s32max = umaxLo | 0;
    }
  }
  if (sminHi === smaxHi) {
    if (sminLo <= smaxLo) {
      if (sminLo > r.u32min) r.u32min = sminLo;
      if (smaxLo < r.u32max) r.u32max = smaxLo;
    }
    if ((sminLo | 0) <= (smaxLo | 0)) {
      if ((sminLo | 0) > r.s32min) r.s32min = sminLo | 0;
      if ((smaxLo | 0) < r.s32max) r.s32max = smaxLo | 0;
    }
  }
  if (((uminHi + 1) >>> 0) === umaxHi && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    if ((uminLo | 0) > r.s32min) r.s32min = uminLo | 0;
    if ((umaxLo | 0) < r.s32max) r.s32max = umaxLo | 0;
  }
  if (((sminHi + 1) >>> 0) === smaxHi && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    if ((sminLo | 0) > r.s32min) r.s32min = sminLo | 0;
    if ((smaxLo | 0) < r.s32max) r.s32max = smaxLo | 0;
  }
  if ((r.u32min | 0) <= (r.u32max | 0)) {
    if ((r.u32min | 0) > r.s32min) r.s32min = r.u32min | 0;
    if ((r.u32max | 0) < r.s32max) r.s32max = r.u32max | 0;
  }
  if (r.s32min >>> 0 <= r.s32max >>> 0) {
    if (r.s32min >>> 0 > r.u32min) r.u32min = r.s32min >>> 0;
    if (r.s32max >>> 0 < r.u32max) r.u32max = r.s32max >>> 0;
  } else if (r.u32max < r.s32min >>> 0) {
    // the s32 range wraps; the u32 range lies below its negative half
    r.s32min = r.u32min | 0;
    if (r.s32max >>> 0 < r.u32max) r.u32max = r.s32max >>> 0;
  } else if (r.s32max >>> 0 < r.u32min) {
    // ... or above its non-negative half
    r.s32max = r.u32max | 0;
    if (r.s32min >>> 0 > r.u32min) r.u32min = r.s32min >>> 0;
  }
}

const TWO64 = 1n << 64n;
const asS64 = (u: bigint): bigint => (u > S64_MAX ? u - TWO64 : u);
const asU64 = (s: bigint): bigint => (s < 0n ? s + TWO64 : s);

/** __reg64_deduce_bounds */
function deduce64(r: Reg): void {
  const sUmin = asS64(r.umin);
  const sUmax = asS64(r.umax);
  if (sUmin <= sUmax) {
    if (sUmin > r.smin) r.smin = sUmin;
    if (sUmax < r.smax) r.smax = sUmax;
  }
  const usmin = asU64(r.smin);
  const usmax = asU64(r.smax);
  if (usmin <= usmax) {
    if (usmin > r.umin) r.umin = usmin;
    if (usmax < r.umax) r.umax = usmax;
  } else if (r.umax < usmin) {
    r.smin = asS64(r.umin);
    if (usmax < r.umax) r.umax = usmax;
  } else if (usmax < r.umin) {
    r.smax = asS64(r.umax);
    if (usmin > r.umin) r.umin = usmin;
  }
}

/** __reg_deduce_mixed_bounds: replace the low 32 bits of the 64-bit bounds by the 32-bit ones. */
function deduceMixed(r: Reg): void {
  const uminLo = lo32x(r.umin);
  if (r.u32min > uminLo) r.umin += BigInt(r.u32min - uminLo);
  const umaxLo = lo32x(r.umax);
  if (r.u32max < umaxLo) r.umax -= BigInt(umaxLo - r.u32max);
  const sminLo = lo32x(r.smin);
  if (r.u32min > sminLo) r.smin += BigInt(r.u32min - sminLo);
  const smaxLo = lo32x(r.smax);
  if (r.u32max < smaxLo) r.smax -= BigInt(smaxLo - r.u32max);
  if (r.s32min >= 0 && r.smin >= S32_MIN_N && r.smax <= S32_MAX_N) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
    r.umin = r.smin;
    r.umax = r.smax;
    r.var = tnumIntersect(r.var, tnumRange(r.smin, r.smax));
  }
}
const S32_MIN_N = BigInt(S32_MIN);
const S32_MAX_N = BigInt(S32_MAX);

/** __reg_deduce_bounds; returns whether anything changed. */
export function deduceBounds(r: Reg): boolean {
  const { umin, umax, smin, smax, u32min, u32max, s32min, s32max, var: v } = r;
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
  return (
    r.umin !== umin ||
    r.umax !== umax ||
    r.smin !== smin ||
    r.smax !== smax ||
    r.u32min !== u32min ||
    r.u32max !== u32max ||
    r.s32min !== s32min ||
    r.s32max !== s32max ||
    r.var !== v
  );
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds. */
export function boundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(BigInt(r.u32min), BigInt(r.u32max)));
  const nv = tnumOr(tnumClearSubreg(var64), var32);
  if (nv.value !== r.var.value || nv.mask !== r.var.mask) r.var = nv;
}

const U32_N = 0xffff_ffffn;

// Scratch state of boundsSync32 (module variables: no closures on the hot path).
let qUmin = 0;
let qUmax = 0;
let qSmin = 0;
let qSmax = 0;
let qV = 0;
let qM = 0;
let qU32min = 0;
let qU32max = 0;
let qS32min = 0;
let qS32max = 0;

/** __update_reg_bounds on the scratch state (sign bit known 0). */
function upd32(): void {
  const a = (qV | (qM & 0x8000_0000)) | 0;
  const b = (qV | (qM & 0x7fff_ffff)) | 0;
  if (a > qS32min) qS32min = a;
  if (b < qS32max) qS32max = b;
  if (qV > qU32min) qU32min = qV;
  const c = (qV | qM) >>> 0;
  if (c < qU32max) qU32max = c;
  if (qV > qSmin) qSmin = qV;
  if (qV > qUmin) qUmin = qV;
  if (c < qSmax) qSmax = c;
  if (c < qUmax) qUmax = c;
  // __update_reg64_bounds: a single common value of the range and the tnum (a constant tnum
  // outside the range included)
  const next = step32(qUmin);
  const uminIn = ((qUmin & ~qM) >>> 0) === qV;
  if (uminIn && next > qUmax) known32(qUmin);
  else if (!uminIn && next === c) known32(c);
  else if (!uminIn && next <= qUmax && step32(next) > qUmax) known32(next);
}

/** tnum_step on the scratch tnum (values below 2^32). */
function step32(z: number): number {
  const tmax = (qV | qM) >>> 0;
  if (z >= tmax) return tmax;
  if (z < qV) return qV;
  const d = z - qV;
  const low = (d & ~qM) >>> 0;
  const k = low === 0 ? 0 : 32 - Math.clz32(low);
  const carry = k === 32 ? 0xffff_ffff : (1 << k) - 1;
  const lo = (d | carry | ~qM) >>> 0;
  const inc = (((lo + 1) >>> 0) & qM) >>> 0;
  return (qV | inc) >>> 0;
}

/** ___mark_reg_known on the scratch state. */
function known32(x: number): void {
  qV = x;
  qM = 0;
  qUmin = qUmax = qSmin = qSmax = x;
  qU32min = qU32max = x;
  qS32min = qS32max = x | 0;
}

/** __reg_deduce_bounds on the scratch state; returns whether anything changed. */
function deduceQ(): boolean {
  const o0 = qUmin, o1 = qUmax, o2 = qSmin, o3 = qSmax, o4 = qU32min, o5 = qU32max, o6 = qS32min, o7 = qS32max, o8 = qV, o9 = qM;
  // __reg32_deduce_bounds: the upper halves are all zero
  if (qUmin > qU32min) qU32min = qUmin;
  if (qUmax < qU32max) qU32max = qUmax;
  if ((qUmin | 0) <= (qUmax | 0)) {
    if ((qUmin | 0) > qS32min) qS32min = qUmin | 0;
    if ((qUmax | 0) < qS32max) qS32max = qUmax | 0;
  }
  if (qSmin <= qSmax) {
    if (qSmin > qU32min) qU32min = qSmin;
    if (qSmax < qU32max) qU32max = qSmax;
  }
  if ((qSmin | 0) <= (qSmax | 0)) {
    if ((qSmin | 0) > qS32min) qS32min = qSmin | 0;
    if ((qSmax | 0) < qS32max) qS32max = qSmax | 0;
  }
  if ((qU32min | 0) <= (qU32max | 0)) {
    if ((qU32min | 0) > qS32min) qS32min = qU32min | 0;
    if ((qU32max | 0) < qS32max) qS32max = qU32max | 0;
  }
  if (qS32min >>> 0 <= qS32max >>> 0) {
    if (qS32min >>> 0 > qU32min) qU32min = qS32min >>> 0;
    if (qS32max >>> 0 < qU32max) qU32max = qS32max >>> 0;
  } else if (qU32max < qS32min >>> 0) {
    qS32min = qU32min | 0;
    if (qS32max >>> 0 < qU32max) qU32max = qS32max >>> 0;
  } else if (qS32max >>> 0 < qU32min) {
    qS32max = qU32max | 0;
    if (qS32min >>> 0 > qU32min) qU32min = qS32min >>> 0;
  }
  // __reg64_deduce_bounds: both views non-negative
  if (qUmin <= qUmax) {
    if (qUmin > qSmin) qSmin = qUmin;
    if (qUmax < qSmax) qSmax = qUmax;
  }
  if (qSmin <= qSmax) {
    if (qSmin > qUmin) qUmin = qSmin;
    if (qSmax < qUmax) qUmax = qSmax;
  } else if (qUmax < qSmin) {
    qSmin = qUmin;
    if (qSmax < qUmax) qUmax = qSmax;
  } else if (qSmax < qUmin) {
    qSmax = qUmax;
    if (qSmin > qUmin) qUmin = qSmin;
  }
  // __reg_deduce_mixed_bounds: the low halves are the values themselves
  if (qU32min > qUmin) qUmin = qU32min;
  if (qU32max < qUmax) qUmax = qU32max;
  if (qU32min > qSmin) qSmin = qU32min;
  if (qU32max < qSmax) qSmax = qU32max;
  if (qS32min >= 0 && qSmax <= 0x7fff_ffff) {
    qSmin = qS32min;
    qSmax = qS32max;
    qUmin = qS32min;
    qUmax = qS32max;
    const rm = rangeMask32(qSmin, qSmax);
    const rv = (qSmin & ~rm) >>> 0;
    const nv = (qV | rv) >>> 0;
    qM = (qM & rm) >>> 0;
    qV = (nv & ~qM) >>> 0;
  }
  return o0 !== qUmin || o1 !== qUmax || o2 !== qSmin || o3 !== qSmax || o4 !== qU32min || o5 !== qU32max || o6 !== qS32min || o7 !== qS32max || o8 !== qV || o9 !== qM;
}

/** tnum_range(min, max).mask on 32-bit numbers (the value is min & ~mask). */
function rangeMask32(min: number, max: number): number {
  const chi = (min ^ max) >>> 0;
  const bits = chi === 0 ? 0 : 32 - Math.clz32(chi);
  return bits === 32 ? 0xffff_ffff : ((1 << bits) - 1) >>> 0;
}

/**
 * reg_bounds_sync for a register whose every 64-bit quantity lies in [0, 2^32) (and whose signed
 * 64-bit bounds are non-negative): the same computation as the general path, in 32-bit numbers.
 */
function boundsSync32(r: Reg): void {
  qUmin = Number(r.umin);
  qUmax = Number(r.umax);
  qSmin = Number(r.smin);
  qSmax = Number(r.smax);
  qV = Number(r.var.value);
  qM = Number(r.var.mask);
  qU32min = r.u32min;
  qU32max = r.u32max;
  qS32min = r.s32min;
  qS32max = r.s32max;
  upd32();
  if (deduceQ() && deduceQ()) deduceQ();
  // __reg_bound_offset: the 64-bit and 32-bit ranges both constrain the low half
  const am = rangeMask32(qUmin, qUmax);
  const av = (qUmin & ~am) >>> 0;
  const m64 = (qM & am) >>> 0;
  const v64 = ((qV | av) >>> 0) & ~m64;
  const bm = rangeMask32(qU32min, qU32max);
  const bv = (qU32min & ~bm) >>> 0;
  qM = (m64 & bm) >>> 0;
  qV = (((v64 | bv) >>> 0) & ~qM) >>> 0;
  upd32();
  if (qUmin !== Number(r.umin)) r.umin = BigInt(qUmin);
  if (qUmax !== Number(r.umax)) r.umax = BigInt(qUmax);
  if (qSmin !== Number(r.smin)) r.smin = BigInt(qSmin);
  if (qSmax !== Number(r.smax)) r.smax = BigInt(qSmax);
  r.u32min = qU32min;
  r.u32max = qU32max;
  r.s32min = qS32min;
  r.s32max = qS32max;
  if (qV !== Number(r.var.value) || qM !== Number(r.var.mask)) r.var = new Tnum(BigInt(qV), BigInt(qM));
}

/** reg_bounds_sync */
export function boundsSync(r: Reg): void {
  // Fast path: a constant stays a constant.
  if (r.var.mask === 0n && r.umin === r.umax && r.umin === r.var.value) {
    const u = r.var.value;
    r.smin = r.smax = toS64(u);
    r.s32min = r.s32max = los32(u);
    r.u32min = r.u32max = lo32(u);
    return;
  }
  if (r.umax <= U32_N && r.smin >= 0n && r.smax <= U32_N && r.var.value <= U32_N && r.var.mask <= U32_N) {
    boundsSync32(r);
    return;
  }
  updateBounds(r);
  // The kernel deduces three times; a pass that changes nothing leaves the next ones idle.
  if (deduceBounds(r) && deduceBounds(r)) deduceBounds(r);
  boundOffset(r);
  updateBounds(r);
}

/** reg_bounds_sanity_check: on violation the kernel logs a bug and resets the bounds. */
export function boundsSane(r: Reg): boolean {
  if (r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max) return false;
  if (r.var.mask === 0n) {
    const u = r.var.value;
    if (r.umin !== u || r.umax !== u || r.smin !== toS64(u) || r.smax !== toS64(u)) return false;
  }
  if ((r.var.mask & U32_MASK) === 0n) {
    const u = lo32(r.var.value);
    if (r.u32min !== u || r.u32max !== u || r.s32min !== (u | 0) || r.s32max !== (u | 0)) return false;
  }
  return true;
}

/** __reg_assign_32_into_64 */
export function assign32Into64(r: Reg): void {
  r.umin = BigInt(r.u32min);
  r.umax = BigInt(r.u32max);
  if (r.s32min >= 0 && r.s32max >= 0) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
  } else {
    r.smin = 0n;
    r.smax = BigInt(U32_MAX);
  }
}

/** zext_32_to_64: the upper half of a 32-bit result is zero. */
export function zext32to64(r: Reg): void {
  r.var = tnumSubreg(r.var);
  assign32Into64(r);
}

/** coerce_reg_to_size: zero-extending truncation to `size` (< 8) bytes. */
export function coerceRegToSize(r: Reg, size: number): void {
  r.var = tnumCast(r.var, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  boundsSync(r);
}

const sext = (x: bigint, bits: number): bigint => BigInt.asIntN(bits, x);

function setSext64Default(r: Reg, size: number): void {
  const bits = size * 8;
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits - 1)) - 1n;
  r.smin = lo;
  r.smax = hi;
  r.s32min = Number(lo);
  r.s32max = Number(hi);
  r.umin = 0n;
  r.u32min = 0;
  r.umax = U64_MAX;
  r.u32max = U32_MAX;
  r.var = TNUM_UNKNOWN;
}

/** coerce_reg_to_size_sx: sign-extending truncation to `size` (1, 2, 4) bytes. */
export function coerceRegToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (r.var.mask === 0n) {
    const c = toU64(sext(r.var.value, bits));
    r.var = tnumConst(c);
    r.smin = r.smax = toS64(c);
    r.umin = r.umax = c;
    r.s32min = r.s32max = los32(c);
    r.u32min = r.u32max = lo32(c);
    return;
  }
  const nb = BigInt(bits);
  const topMax = (toU64(r.smax) >> nb) << nb;
  const topMin = (toU64(r.smin) >> nb) << nb;
  if (topMax === topMin) {
    const a = sext(r.smax, bits);
    const b = sext(r.smin, bits);
    const smax = bmax(a, b);
    const smin = bmin(a, b);
    if ((smax >= 0n) === (smin >= 0n)) {
      r.smin = smin;
      r.smax = smax;
      r.s32min = Number(BigInt.asIntN(32, smin));
      r.s32max = Number(BigInt.asIntN(32, smax));
      r.umin = toU64(smin);
      r.umax = toU64(smax);
      r.u32min = lo32(smin);
      r.u32max = lo32(smax);
      r.var = tnumRange(toU64(smin), toU64(smax));
      return;
    }
  }
  if (size === 4) {
    // (s32): the low 32 bits and their bounds stay; the signed 64-bit range is the signed 32-bit
    // one, sign-extended (this kernel build, probed with raw programs)
    const { s32min, s32max, u32min, u32max } = r;
    setSext64Default(r, size);
    r.s32min = s32min;
    r.s32max = s32max;
    r.u32min = u32min;
    r.u32max = u32max;
    r.smin = BigInt(s32min);
    r.smax = BigInt(s32max);
    boundsSync(r);
    return;
  }
  // (s8), (s16): low 32 bits known below the sign bit of `size` bytes: sign extension keeps them
  // (this kernel build, probed with raw programs)
  if (r.u32max < 2 ** (bits - 1)) {
    const lo = BigInt(r.u32min);
    const hi = BigInt(r.u32max);
    r.smin = r.umin = lo;
    r.smax = r.umax = hi;
    r.s32min = r.u32min;
    r.s32max = r.u32max;
    r.var = tnumRange(lo, hi);
    return;
  }
  setSext64Default(r, size);
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` (1, 2) bytes into the 32-bit subregister. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (r.var.mask === 0n) {
    const c = BigInt(Number(sext(r.var.value, bits)) >>> 0);
    r.var = tnumConst(c);
    r.s32min = r.s32max = Number(c) | 0;
    r.u32min = r.u32max = Number(c);
    return;
  }
  const topMax = ((r.s32max >>> 0) >>> bits) << bits;
  const topMin = ((r.s32min >>> 0) >>> bits) << bits;
  if (topMax === topMin) {
    const a = Number(sext(BigInt(r.s32max), bits));
    const b = Number(sext(BigInt(r.s32min), bits));
    const smax = Math.max(a, b);
    const smin = Math.min(a, b);
    if ((smin >= 0) === (smax >= 0)) {
      r.s32min = smin;
      r.s32max = smax;
      r.u32min = smin >>> 0;
      r.u32max = smax >>> 0;
      r.var = tnumSubreg(tnumRange(BigInt(smin >>> 0), BigInt(smax >>> 0)));
      return;
    }
  }
  r.s32min = bits === 8 ? -128 : -32768;
  r.s32max = bits === 8 ? 127 : 32767;
  r.u32min = 0;
  r.u32max = U32_MAX;
  r.var = tnumSubreg(TNUM_UNKNOWN);
}

/** The register is a scalar that is a known constant (in the low 32 bits if subreg32). */
export function isRegConst(r: Reg, subreg32: boolean): boolean {
  return r.type === T.SCALAR && (subreg32 ? (r.var.mask & U32_MASK) === 0n : r.var.mask === 0n);
}
export function regConstValue(r: Reg, subreg32: boolean): bigint {
  return subreg32 ? r.var.value & U32_MASK : r.var.value;
}
/** register_is_null: scalar known to be 0. */
export function isNullReg(r: Reg): boolean {
  return r.type === T.SCALAR && r.var.mask === 0n && r.var.value === 0n;
}

/** range_within(old, cur): cur's bounds are inside old's. */
export function rangeWithin(o: Reg, c: Reg): boolean {
  return (
    o.umin <= c.umin &&
    o.umax >= c.umax &&
    o.smin <= c.smin &&
    o.smax >= c.smax &&
    o.u32min <= c.u32min &&
    o.u32max >= c.u32max &&
    o.s32min <= c.s32min &&
    o.s32max >= c.s32max
  );
}

export function maybeNullFlag(t: number): boolean {
  return (t & F.MAYBE_NULL) !== 0;
}

export type { Tnum };
