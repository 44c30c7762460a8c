// The kernel's jhash (Bob Jenkins' lookup3 as in include/linux/jhash.h): hash maps pick their bucket
// with it, so with BPF_F_ZERO_SEED (hashrnd = 0) nicsim's get_next_key order equals the kernel's.
// jhash2 over u32 words (used by the kernel when key_size % 4 == 0) gives the same value as jhash
// over the same bytes on a little-endian machine, so one byte-wise function serves both.
// Pure 32-bit integer arithmetic; no allocation.

const rol = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export function jhash(buf: Uint8Array, off: number, len: number, initval: number): number {
  let a = (0xdeadbeef + len + initval) | 0;
  let b = a;
  let c = a;
  let k = off;
  let n = len;
  while (n > 12) {
    a = (a + (buf[k]! | (buf[k + 1]! << 8) | (buf[k + 2]! << 16) | (buf[k + 3]! << 24))) | 0;
    b = (b + (buf[k + 4]! | (buf[k + 5]! << 8) | (buf[k + 6]! << 16) | (buf[k + 7]! << 24))) | 0;
    c = (c + (buf[k + 8]! | (buf[k + 9]! << 8) | (buf[k + 10]! << 16) | (buf[k + 11]! << 24))) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    n -= 12;
    k += 12;
  }
  if (n === 0) return c >>> 0;
  // the last block: the kernel's fall-through switch on the remaining length
  if (n >= 12) c = (c + (buf[k + 11]! << 24)) | 0;
  if (n >= 11) c = (c + (buf[k + 10]! << 16)) | 0;
  if (n >= 10) c = (c + (buf[k + 9]! << 8)) | 0;
  if (n >= 9) c = (c + buf[k + 8]!) | 0;
  if (n >= 8) b = (b + (buf[k + 7]! << 24)) | 0;
  if (n >= 7) b = (b + (buf[k + 6]! << 16)) | 0;
  if (n >= 6) b = (b + (buf[k + 5]! << 8)) | 0;
  if (n >= 5) b = (b + buf[k + 4]!) | 0;
  if (n >= 4) a = (a + (buf[k + 3]! << 24)) | 0;
  if (n >= 3) a = (a + (buf[k + 2]! << 16)) | 0;
  if (n >= 2) a = (a + (buf[k + 1]! << 8)) | 0;
  a = (a + buf[k]!) | 0;
  // __jhash_final
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}
