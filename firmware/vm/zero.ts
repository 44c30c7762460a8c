// Zeroing a range of shared memory. TypedArray.fill on a SharedArrayBuffer stores byte by byte (about
// 5x slower than on an ArrayBuffer); stores of 0.0 through a Float64Array view write 8 zero bytes each.
// The stack, the packet frame and the fragment pages are 8-aligned in the arena, so their f64 views
// line up with their byte views.

/** An f64 view of the same bytes as `u8` (its byteOffset must be 8-aligned; a trailing partial word is not covered). */
export function f64View(u8: Uint8Array): Float64Array {
  if (u8.byteOffset % 8 !== 0) throw new Error('f64View: the byte view is not 8-aligned');
  return new Float64Array(u8.buffer, u8.byteOffset, u8.byteLength >> 3);
}

/** Zeroes bytes [from, to) of `u8`; `f64` is f64View(u8). */
export function zeroRange(u8: Uint8Array, f64: Float64Array, from: number, to: number): void {
  let i = from;
  while (i < to && (i & 7) !== 0) u8[i++] = 0;
  const end8 = to & ~7;
  for (let k = i >> 3, e = end8 >> 3; k < e; k++) f64[k] = 0;
  for (i = i > end8 ? i : end8; i < to; i++) u8[i] = 0;
}
