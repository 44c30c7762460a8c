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
  tnumSubreg,
} from './tnum.ts';
import {
  bmax,
  bmin,
  HI_MASK,
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
  const v = tnumSubreg(r.var);
  const val = Number(v.value);
  const mask = Number(v.mask);
  // min signed is max(sign bit) | min(other bits)
  r.s32min = Math.max(r.s32min, (val | (mask & 0x8000_0000)) | 0);
  r.s32max = Math.min(r.s32max, (val | (mask & 0x7fff_ffff)) | 0);
  r.u32min = Math.max(r.u32min, val);
  r.u32max = Math.min(r.u32max, (val | mask) >>> 0);
}

const SIGN64 = 0x8000_0000_0000_0000n;
export function update64Bounds(r: Reg): void {
  const v = r.var.value;
  const m = r.var.mask;
  r.smin = bmax(r.smin, toS64(v | (m & SIGN64)));
  r.smax = bmin(r.smax, toS64(v | (m & S64_MAX)));
  r.umin = bmax(r.umin, v);
  r.umax = bmin(r.umax, v | m);
}

export function updateBounds(r: Reg): void {
  update32Bounds(r);
  update64Bounds(r);
}

function deduce32(r: Reg): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = Math.max(r.u32min, lo32(r.umin));
    r.u32max = Math.min(r.u32max, lo32(r.umax));
    if (los32(r.umin) <= los32(r.umax)) {
      r.s32min = Math.max(r.s32min, los32(r.umin));
      r.s32max = Math.min(r.s32max, los32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (lo32(r.smin) <= lo32(r.smax)) {
      r.u32min = Math.max(r.u32min, lo32(r.smin));
      r.u32max = Math.min(r.u32max, lo32(r.smax));
    }
    if (los32(r.smin) <= los32(r.smax)) {
      r.s32min = Math.max(r.s32min, los32(r.smin));
      r.s32max = Math.min(r.s32max, los32(r.smax));
    }
  }
  if (((lo32(r.umin >> 32n) + 1) >>> 0) === lo32(r.umax >> 32n) && los32(r.umin) < 0 && los32(r.umax) >= 0) {
    r.s32min = Math.max(r.s32min, los32(r.umin));
    r.s32max = Math.min(r.s32max, los32(r.umax));
  }
  if (((lo32(toU64(r.smin) >> 32n) + 1) >>> 0) === lo32(toU64(r.smax) >> 32n) && los32(r.smin) < 0 && los32(r.smax) >= 0) {
    r.s32min = Math.max(r.s32min, los32(r.smin));
    r.s32max = Math.min(r.s32max, los32(r.smax));
  }
  if ((r.u32min | 0) <= (r.u32max | 0)) {
    r.s32min = Math.max(r.s32min, r.u32min | 0);
    r.s32max = Math.min(r.s32max, r.u32max | 0);
  }
  if (r.s32min >>> 0 <= r.s32max >>> 0) {
    r.u32min = Math.max(r.s32min >>> 0, r.u32min);
    r.u32max = Math.min(r.s32max >>> 0, r.u32max);
  }
}

function deduce64(r: Reg): void {
  if (toS64(r.umin) <= toS64(r.umax)) {
    r.smin = bmax(r.smin, toS64(r.umin));
    r.smax = bmin(r.smax, toS64(r.umax));
  }
  const usmin = toU64(r.smin);
  const usmax = toU64(r.smax);
  if (usmin <= usmax) {
    r.umin = bmax(usmin, r.umin);
    r.umax = bmin(usmax, r.umax);
  } else if (r.umax < usmin) {
    r.smin = toS64(r.umin);
    r.umax = bmin(r.umax, usmax);
  } else if (usmax < r.umin) {
    r.smax = toS64(r.umax);
    r.umin = bmax(r.umin, usmin);
  }
}

function deduceMixed(r: Reg): void {
  const newUmin = (r.umin & HI_MASK) | BigInt(r.u32min);
  const newUmax = (r.umax & HI_MASK) | BigInt(r.u32max);
  r.umin = bmax(r.umin, newUmin);
  r.umax = bmin(r.umax, newUmax);
  const newSmin = toS64((toU64(r.smin) & HI_MASK) | BigInt(r.u32min));
  const newSmax = toS64((toU64(r.smax) & HI_MASK) | BigInt(r.u32max));
  r.smin = bmax(r.smin, newSmin);
  r.smax = bmin(r.smax, newSmax);
  if (r.s32min >= 0 && r.smin >= BigInt(S32_MIN) && r.smax <= BigInt(S32_MAX)) {
    r.smin = BigInt(r.s32min);
    r.smax = BigInt(r.s32max);
    r.umin = BigInt(r.s32min);
    r.umax = BigInt(r.s32max);
    r.var = tnumIntersect(r.var, tnumRange(r.smin, r.smax));
  }
}

export function deduceBounds(r: Reg): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds. */
export function boundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(BigInt(r.u32min), BigInt(r.u32max)));
  r.var = tnumOr(tnumClearSubreg(var64), var32);
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
  updateBounds(r);
  deduceBounds(r);
  deduceBounds(r);
  deduceBounds(r);
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
