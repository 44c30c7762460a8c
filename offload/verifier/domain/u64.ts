// 64-bit and 32-bit integer helpers for the abstract domains. u64 values are BigInt in [0, 2^64),
// s64 values BigInt in [-2^63, 2^63); u32 values are numbers in [0, 2^32), s32 numbers in
// [-2^31, 2^31). Overflow checks follow the kernel's check_{add,sub,mul}_overflow: the wrapped
// result is returned together with an overflow flag.

export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const S64_MAX = 0x7fff_ffff_ffff_ffffn;
export const S64_MIN = -0x8000_0000_0000_0000n;
export const U32_MAX = 0xffff_ffff;
export const S32_MAX = 0x7fff_ffff;
export const S32_MIN = -0x8000_0000;
export const U32_MASK = 0xffff_ffffn;
export const HI_MASK = 0xffff_ffff_0000_0000n;

/** (u64) of a signed or unsigned BigInt. */
export function toU64(x: bigint): bigint {
  return x >= 0n && x <= 0xffff_ffff_ffff_ffffn ? x : BigInt.asUintN(64, x);
}
/** (s64) of a signed or unsigned BigInt. */
export function toS64(x: bigint): bigint {
  return x >= -0x8000_0000_0000_0000n && x <= 0x7fff_ffff_ffff_ffffn ? x : BigInt.asIntN(64, x);
}
/** (u32) of a BigInt, as a number. */
export function lo32(x: bigint): number {
  return x >= -0x20_0000_0000_0000n && x < 0x20_0000_0000_0000n ? Number(x) >>> 0 : Number(x & U32_MASK);
}
/** (s32) of a BigInt, as a number. */
export function los32(x: bigint): number {
  return lo32(x) | 0;
}
/** (u32) of a number. */
export const u32 = (x: number): number => x >>> 0;
/** (s32) of a number. */
export const s32 = (x: number): number => x | 0;

export function bmax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
export function bmin(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

// Results of the checked operations: the wrapped value and whether it overflowed. A single reused
// object would be faster but is not re-entrant; callers read both fields immediately.
export interface Checked<T> {
  v: T;
  o: boolean;
}

export function addU64(a: bigint, b: bigint): Checked<bigint> {
  const r = a + b;
  return r > U64_MAX ? { v: r - (U64_MAX + 1n), o: true } : { v: r, o: false };
}
export function subU64(a: bigint, b: bigint): Checked<bigint> {
  const r = a - b;
  return r < 0n ? { v: r + U64_MAX + 1n, o: true } : { v: r, o: false };
}
export function mulU64(a: bigint, b: bigint): Checked<bigint> {
  const r = a * b;
  return r > U64_MAX ? { v: r & U64_MAX, o: true } : { v: r, o: false };
}
export function addS64(a: bigint, b: bigint): Checked<bigint> {
  const r = a + b;
  return r > S64_MAX || r < S64_MIN ? { v: toS64(r), o: true } : { v: r, o: false };
}
export function subS64(a: bigint, b: bigint): Checked<bigint> {
  const r = a - b;
  return r > S64_MAX || r < S64_MIN ? { v: toS64(r), o: true } : { v: r, o: false };
}
export function mulS64(a: bigint, b: bigint): Checked<bigint> {
  const r = a * b;
  return r > S64_MAX || r < S64_MIN ? { v: toS64(r), o: true } : { v: r, o: false };
}
export function addU32(a: number, b: number): Checked<number> {
  const r = a + b;
  return r > U32_MAX ? { v: r - 0x1_0000_0000, o: true } : { v: r, o: false };
}
export function subU32(a: number, b: number): Checked<number> {
  const r = a - b;
  return r < 0 ? { v: r + 0x1_0000_0000, o: true } : { v: r, o: false };
}
export function mulU32(a: number, b: number): Checked<number> {
  const r = a * b;
  if (r <= U32_MAX) return { v: r, o: false };
  return { v: Number((BigInt(a) * BigInt(b)) & U32_MASK), o: true };
}
export function addS32(a: number, b: number): Checked<number> {
  const r = a + b;
  return r > S32_MAX || r < S32_MIN ? { v: r | 0, o: true } : { v: r, o: false };
}
export function subS32(a: number, b: number): Checked<number> {
  const r = a - b;
  return r > S32_MAX || r < S32_MIN ? { v: r | 0, o: true } : { v: r, o: false };
}
export function mulS32(a: number, b: number): Checked<number> {
  const r = a * b;
  if (r <= S32_MAX && r >= S32_MIN) return { v: r, o: false };
  return { v: Number(BigInt.asIntN(32, BigInt(a) * BigInt(b))), o: true };
}

/** Number of significant bits of a u64 (kernel fls64). */
export function fls64(x: bigint): number {
  if (x < 0x1_0000_0000n) return x === 0n ? 0 : 32 - Math.clz32(Number(x));
  if (x < 0x20_0000_0000_0000n) return 64 - Math.clz32(Math.floor(Number(x) / 4294967296));
  return 64 - Math.clz32(Number(x >> 32n));
}

/** Hex as the kernel's %#llx prints it: 0x0 for zero. */
export function hex(x: bigint | number): string {
  return `0x${x.toString(16)}`;
}
