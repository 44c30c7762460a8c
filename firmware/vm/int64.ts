// 64-bit integer arithmetic on pairs of 32-bit halves (lo, hi), without BigInt on the common paths.
// Results that need two words are returned through a small scratch object owned by the caller, so
// nothing is allocated per instruction.

export interface Pair {
  lo: number;
  hi: number;
}

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit numbers. */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0 + (t >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}

/** out = (ahi:alo) * (bhi:blo) mod 2^64. */
export function mul64(out: Pair, alo: number, ahi: number, blo: number, bhi: number): void {
  const hi = (mulhiU32(alo >>> 0, blo >>> 0) + Math.imul(ahi, blo) + Math.imul(alo, bhi)) | 0;
  out.lo = Math.imul(alo, blo);
  out.hi = hi;
}

const toBig = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
function fromBig(out: Pair, v: bigint): void {
  out.lo = Number(BigInt.asIntN(32, v));
  out.hi = Number(BigInt.asIntN(32, v >> 32n));
}

/** Unsigned 64-bit division / modulo (divisor non-zero). */
export function udivmod64(out: Pair, alo: number, ahi: number, blo: number, bhi: number, mod: boolean): void {
  if (ahi === 0 && bhi === 0) {
    const a = alo >>> 0;
    const b = blo >>> 0;
    out.lo = (mod ? a % b : Math.floor(a / b)) | 0;
    out.hi = 0;
    return;
  }
  // Rare: operands beyond 32 bits.
  const a = toBig(alo, ahi);
  const b = toBig(blo, bhi);
  fromBig(out, mod ? a % b : a / b);
}

/** Signed 64-bit division / modulo with C truncation (divisor non-zero; INT64_MIN / -1 wraps). */
export function sdivmod64(out: Pair, alo: number, ahi: number, blo: number, bhi: number, mod: boolean): void {
  // Both operands within int32: exact in doubles (INT32_MIN / -1 = 2^31 is a positive 64-bit result).
  if (ahi === alo >> 31 && bhi === blo >> 31) {
    const q = mod ? alo % blo : Math.trunc(alo / blo);
    out.lo = q | 0;
    out.hi = q < 0 ? -1 : 0;
    return;
  }
  const a = BigInt.asIntN(64, toBig(alo, ahi));
  const b = BigInt.asIntN(64, toBig(blo, bhi));
  if (b === -1n) {
    fromBig(out, mod ? 0n : -a);
    return;
  }
  fromBig(out, mod ? a % b : a / b);
}

/** Unsigned comparison a < b for 64-bit pairs: -1, 0, 1. */
export function ucmp64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return ahi >>> 0 < bhi >>> 0 ? -1 : 1;
  if (alo !== blo) return alo >>> 0 < blo >>> 0 ? -1 : 1;
  return 0;
}

/** Signed comparison for 64-bit pairs: -1, 0, 1. */
export function scmp64(alo: number, ahi: number, blo: number, bhi: number): number {
  if (ahi !== bhi) return ahi < bhi ? -1 : 1;
  if (alo !== blo) return alo >>> 0 < blo >>> 0 ? -1 : 1;
  return 0;
}

export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}
