// bpf_csum_diff as Linux 6.18 computes it (net/core/filter.c): one's complement partial sums of the
// `to` and `from` words (u32 read little-endian, as x86's csum_partial does), combined as
//   to and from: csum_sub(partial(to, seed), partial(from, 0))
//   to only:     partial(to, seed)
//   from only:   ~partial(from, ~seed)
//   neither:     seed
// and folded to 16 bits with csum_from32to16. Checked against test/fixtures/helpers/csum_diff.json.

/** 32-bit one's complement addition with end-around carry (csum_add). */
function add32(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s > 0xffffffff ? (s - 0xffffffff) >>> 0 : s >>> 0;
}

function partial(b: Uint8Array, off: number, size: number, seed: number): number {
  let sum = seed >>> 0;
  for (let i = 0; i < size; i += 4) {
    const w = (b[off + i]! | (b[off + i + 1]! << 8) | (b[off + i + 2]! << 16) | (b[off + i + 3]! << 24)) >>> 0;
    sum = add32(sum, w);
  }
  return sum;
}

function from32to16(sum: number): number {
  const s = ((sum >>> 0) + (((sum >>> 16) | (sum << 16)) >>> 0)) >>> 0;
  return s >>> 16;
}

export function csumDiff(from: Uint8Array | null, fromOff: number, fromSize: number, to: Uint8Array | null, toOff: number, toSize: number, seed: number): number {
  if (fromSize && toSize) return from32to16(add32(partial(to!, toOff, toSize, seed), ~partial(from!, fromOff, fromSize, 0) >>> 0));
  if (toSize) return from32to16(partial(to!, toOff, toSize, seed));
  if (fromSize) return from32to16(~partial(from!, fromOff, fromSize, ~seed >>> 0) >>> 0);
  return from32to16(seed);
}
