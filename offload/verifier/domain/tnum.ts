// Tristate numbers (kernel/bpf/tnum.c): a 64-bit value where each bit is known 0, known 1 or
// unknown. `value` holds the known 1 bits, `mask` the unknown bits; value & mask == 0.
import { fls64, hex, U32_MASK, U64_MAX } from './u64.ts';

export class Tnum {
  constructor(
    readonly value: bigint,
    readonly mask: bigint,
  ) {}

  isConst(): boolean {
    return this.mask === 0n;
  }
  isUnknown(): boolean {
    return this.mask === U64_MAX;
  }
  equalsConst(v: bigint): boolean {
    return this.mask === 0n && this.value === v;
  }
  equals(o: Tnum): boolean {
    return this.value === o.value && this.mask === o.mask;
  }
  /** The kernel's tnum_strn format: `(0x0; 0xffffffff)`. */
  toString(): string {
    return `(${hex(this.value)}; ${hex(this.mask)})`;
  }
}

export const TNUM_UNKNOWN = new Tnum(0n, U64_MAX);
export const TNUM_ZERO = new Tnum(0n, 0n);

export function tnumConst(v: bigint): Tnum {
  return v === 0n ? TNUM_ZERO : new Tnum(v, 0n);
}

/** The smallest tnum containing every value in [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return new Tnum(min & ~delta, delta);
}

export function tnumLshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return new Tnum((a.value << s) & U64_MAX, (a.mask << s) & U64_MAX);
}
export function tnumRshift(a: Tnum, shift: number): Tnum {
  const s = BigInt(shift);
  return new Tnum(a.value >> s, a.mask >> s);
}
/** Arithmetic right shift of the low `bits` (32 or 64) bits. */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32) {
    const v = BigInt.asIntN(32, a.value) >> s;
    const m = BigInt.asIntN(32, a.mask) >> s;
    return new Tnum(v & U32_MASK, m & U32_MASK);
  }
  return new Tnum(BigInt.asUintN(64, BigInt.asIntN(64, a.value) >> s), BigInt.asUintN(64, BigInt.asIntN(64, a.mask) >> s));
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst((a.value + b.value) & U64_MAX);
  const sm = (a.mask + b.mask) & U64_MAX;
  const sv = (a.value + b.value) & U64_MAX;
  const sigma = (sm + sv) & U64_MAX;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return new Tnum(sv & ~mu & U64_MAX, mu);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst((a.value - b.value) & U64_MAX);
  const dv = (a.value - b.value) & U64_MAX;
  const alpha = (dv + a.mask) & U64_MAX;
  const beta = (dv - b.mask) & U64_MAX;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return new Tnum(dv & ~mu & U64_MAX, mu);
}

export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(TNUM_ZERO, a);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return new Tnum(v, alpha & beta & ~v & U64_MAX);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return new Tnum(v, mu & ~v & U64_MAX);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return new Tnum(v & ~mu & U64_MAX, mu);
}

/** The tnum holding every value either operand may hold. */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return new Tnum(v & ~mu & U64_MAX, mu);
}

export function tnumMul(a: Tnum, b: Tnum): Tnum {
  if (a.mask === 0n && b.mask === 0n) return tnumConst((a.value * b.value) & U64_MAX);
  let acc = TNUM_ZERO;
  while (a.value !== 0n || a.mask !== 0n) {
    if (a.value & 1n) acc = tnumAdd(acc, b);
    else if (a.mask & 1n) acc = tnumUnion(acc, tnumAdd(acc, b));
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return acc;
}

/** Values both tnums allow (assumes they overlap). */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return new Tnum(v & ~mu & U64_MAX, mu);
}

/** Whether some value is allowed by both. */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = ~(a.mask | b.mask) & U64_MAX;
  return (a.value & mu) === (b.value & mu);
}

/** Truncate to `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return new Tnum(a.value & m, a.mask & m);
}

export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** b is a subset of a (every value of b is a value of a). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask & U64_MAX) return false;
  return a.value === (b.value & ~a.mask & U64_MAX);
}

export function tnumSubreg(a: Tnum): Tnum {
  return new Tnum(a.value & U32_MASK, a.mask & U32_MASK);
}
export function tnumClearSubreg(a: Tnum): Tnum {
  return new Tnum(a.value & ~U32_MASK & U64_MAX, a.mask & ~U32_MASK & U64_MAX);
}
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}
export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(value & U32_MASK));
}
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32_MASK) === 0n;
}

function swapBytes(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}
/** Byte swap of the low `bits` bits (16, 32, 64); the upper bits become known 0. */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  const n = bits / 8;
  return new Tnum(swapBytes(a.value, n), swapBytes(a.mask, n));
}

/**
 * tnum_step: the smallest member of `t` greater than `z` (t's largest member when there is none, its
 * smallest when z is below it).
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const d = z - t.value;
  const carry = (1n << BigInt(fls64(d & ~t.mask & U64_MAX))) - 1n;
  const filled = (d | carry | ~t.mask) & U64_MAX;
  const inc = ((filled + 1n) & U64_MAX) & t.mask;
  return t.value | inc;
}
