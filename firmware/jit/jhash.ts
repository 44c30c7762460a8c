// Key hashing and comparison shared by the module's inline hash-map helpers ($lookup in module.ts,
// $update / $delete in mapwrite.ts): the kernel's jhash (firmware/maps/jhash.ts) unrolled for a key
// size known at compile time, and an element's key compared with the program's key.
import { type Code, OP } from './wasm.ts';

/** Leaves i32 1 when the `size` bytes at element EW + hdr equal those at KEY, else 0. */
export function emitKeyEqual(c: Code, EW: number, KEY: number, size: number, hdr: number): void {
  c.i32(1);
  for (let o = 0; o < size; ) {
    const w = size - o >= 8 ? 8 : size - o >= 4 ? 4 : size - o >= 2 ? 2 : 1;
    const [ld, ne] = w === 8 ? [OP.i64_load, OP.i64_ne] : w === 4 ? [OP.i32_load, OP.i32_ne] : w === 2 ? [OP.i32_load16_u, OP.i32_ne] : [OP.i32_load8_u, OP.i32_ne];
    c.get(EW).mem(ld, 0, hdr + o).get(KEY).mem(ld, 0, o).op(ne).op(OP.i32_eqz).op(OP.i32_and);
    o += w;
  }
}

/** The kernel's jhash (firmware/maps/jhash.ts) of the `len` bytes at KEY, unrolled for the key size: result in C. */
export function emitJhash(c: Code, KEY: number, len: number, seed: number, A: number, B: number, C: number): void {
  const init = (0xdeadbeef + len + seed) | 0;
  c.i32(init).set(A).i32(init).set(B).i32(init).set(C);
  const word = (o: number) => c.get(KEY).mem(OP.i32_load, 0, o);
  const addTo = (x: number, o: number) => {
    c.get(x);
    word(o);
    c.op(OP.i32_add).set(x);
  };
  // x = x - y; x ^= rol(y, r); y = y + z
  const step = (x: number, y: number, z: number, r: number) => {
    c.get(x).get(y).op(OP.i32_sub).get(y).i32(r).op(OP.i32_rotl).op(OP.i32_xor).set(x);
    c.get(y).get(z).op(OP.i32_add).set(y);
  };
  let k = 0;
  let n = len;
  while (n > 12) {
    addTo(A, k);
    addTo(B, k + 4);
    addTo(C, k + 8);
    step(A, C, B, 4);
    step(B, A, C, 6);
    step(C, B, A, 8);
    step(A, C, B, 16);
    step(B, A, C, 19);
    step(C, B, A, 4);
    n -= 12;
    k += 12;
  }
  if (n === 0) return;
  const byteTo = (x: number, i: number, shift: number) => {
    c.get(x).get(KEY).mem(OP.i32_load8_u, 0, k + i);
    if (shift) c.i32(shift).op(OP.i32_shl);
    c.op(OP.i32_add).set(x);
  };
  const regs = [A, A, A, A, B, B, B, B, C, C, C, C];
  for (let i = n - 1; i >= 0; i--) byteTo(regs[i]!, i, (i % 4) * 8);
  // x ^= y; x = x - rol(y, r)
  const fin = (x: number, y: number, r: number) => {
    c.get(x).get(y).op(OP.i32_xor).get(y).i32(r).op(OP.i32_rotl).op(OP.i32_sub).set(x);
  };
  fin(C, B, 14);
  fin(A, C, 11);
  fin(B, A, 25);
  fin(C, B, 16);
  fin(A, C, 4);
  fin(B, A, 14);
  fin(C, B, 24);
}

