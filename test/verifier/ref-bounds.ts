// Reference implementation of reg_bounds_sync: a plain BigInt transcription of the kernel's
// functions (the verifier's optimised version in offload/verifier/domain/bounds.ts must agree with it
// on every register; see bounds.test.ts).
import type { Reg } from '../../offload/verifier/domain/reg.ts';
import { Tnum, TNUM_UNKNOWN, tnumClearSubreg, tnumOr, tnumSubreg } from '../../offload/verifier/domain/tnum.ts';
import { bmax, bmin, HI_MASK, lo32, los32, S32_MAX, S32_MIN, S64_MAX, toS64, toU64, U64_MAX } from '../../offload/verifier/domain/u64.ts';

function refFls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}
function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = refFls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return new Tnum(min & ~delta, delta);
}
function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return new Tnum(v & ~mu & U64_MAX, mu);
}

function update32Bounds(r: Reg): void {
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
function refStep(t: Tnum, z: bigint): bigint {
  // smallest member of t above z, by the kernel's tnum_step formula
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const d = z - t.value;
  const carry = (1n << BigInt(refFls64(d & ~t.mask & U64_MAX))) - 1n;
  const filled = (d | carry | ~t.mask) & U64_MAX;
  return t.value | (((filled + 1n) & U64_MAX) & t.mask);
}
function known(r: Reg, v: bigint): void {
  r.var = new Tnum(v, 0n);
  r.umin = r.umax = v;
  r.smin = r.smax = toS64(v);
  r.u32min = r.u32max = lo32(v);
  r.s32min = r.s32max = los32(v);
}
function update64Bounds(r: Reg): void {
  const v = r.var.value;
  const m = r.var.mask;
  r.smin = bmax(r.smin, toS64(v | (m & SIGN64)));
  r.smax = bmin(r.smax, toS64(v | (m & S64_MAX)));
  r.umin = bmax(r.umin, v);
  r.umax = bmin(r.umax, v | m);
  const next = refStep(r.var, r.umin);
  const uminIn = (r.umin & ~m) === v;
  const tmax = v | m;
  if (uminIn && next > r.umax) known(r, r.umin);
  else if (!uminIn && next === tmax) known(r, tmax);
  else if (!uminIn && next <= r.umax && refStep(r.var, next) > r.umax) known(r, next);
}

function updateBounds(r: Reg): void {
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
  } else if (r.u32max < r.s32min >>> 0) {
    r.s32min = r.u32min | 0;
    r.u32max = Math.min(r.u32max, r.s32max >>> 0);
  } else if (r.s32max >>> 0 < r.u32min) {
    r.s32max = r.u32max | 0;
    r.u32min = Math.max(r.u32min, r.s32min >>> 0);
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

function deduceBounds(r: Reg): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds. */
function boundOffset(r: Reg): void {
  const var64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(BigInt(r.u32min), BigInt(r.u32max)));
  r.var = tnumOr(tnumClearSubreg(var64), var32);
}

/** reg_bounds_sync */
export function refBoundsSync(r: Reg): void {
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

