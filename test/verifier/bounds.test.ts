// The scalar domain: tnum operations and bounds refinement against hand-computed values, and the
// optimised reg_bounds_sync against a plain BigInt transcription of the kernel (random registers).
import { describe, expect, it } from 'vitest';
import { boundsSync, coerceRegToSize, markUnknown, setKnownBounds } from '../../offload/verifier/domain/bounds.ts';
import { Reg, T } from '../../offload/verifier/domain/reg.ts';
import { scalarAlu, scalarByteSwap } from '../../offload/verifier/domain/alu.ts';
import {
  Tnum,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap,
  tnumIn,
  tnumIntersect,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumStep,
  tnumSub,
  tnumUnion,
  tnumXor,
} from '../../offload/verifier/domain/tnum.ts';
import { fls64, S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX } from '../../offload/verifier/domain/u64.ts';
import { refBoundsSync } from './ref-bounds.ts';

const t = (value: bigint, mask: bigint) => new Tnum(value, mask);
const str = (a: Tnum) => a.toString();

describe('tnum', () => {
  it('constants, ranges and membership', () => {
    expect(str(tnumRange(0n, 15n))).toBe('(0x0; 0xf)');
    expect(str(tnumRange(16n, 31n))).toBe('(0x10; 0xf)');
    expect(str(tnumRange(5n, 5n))).toBe('(0x5; 0x0)');
    expect(str(tnumRange(0n, U64_MAX))).toBe('(0x0; 0xffffffffffffffff)');
    expect(str(tnumRange(1n, 0x100n))).toBe('(0x0; 0x1ff)');
    expect(tnumIn(t(0n, 0xffn), t(0x12n, 0x1n))).toBe(true);
    expect(tnumIn(t(0n, 0xfn), t(0x12n, 0n))).toBe(false);
  });
  it('arithmetic (kernel/bpf/tnum.c)', () => {
    // x in {0..3} + 4 = {4..7}
    expect(str(tnumAdd(t(0n, 3n), t(4n, 0n)))).toBe('(0x4; 0x3)');
    // {0,1} + {0,1}: carries make bit 1 unknown
    expect(str(tnumAdd(t(0n, 1n), t(0n, 1n)))).toBe('(0x0; 0x3)');
    // kernel tnum_sub: dv=8, alpha=8, beta=7, chi=0xf: (0x0; 0xf)
    expect(str(tnumSub(t(8n, 0n), t(0n, 1n)))).toBe('(0x0; 0xf)');
    expect(str(tnumSub(t(0n, 0n), t(1n, 0n)))).toBe('(0xffffffffffffffff; 0x0)');
    expect(str(tnumAnd(t(0n, 0xffn), t(0xfn, 0n)))).toBe('(0x0; 0xf)');
    expect(str(tnumOr(t(0x10n, 0x3n), t(0x1n, 0n)))).toBe('(0x11; 0x2)');
    expect(str(tnumXor(t(0x1n, 0x2n), t(0x3n, 0n)))).toBe('(0x0; 0x2)');
    expect(str(tnumLshift(t(0x1n, 0x2n), 4))).toBe('(0x10; 0x20)');
    expect(str(tnumRshift(t(0xf0n, 0x100n), 4))).toBe('(0xf; 0x10)');
    expect(str(tnumArshift(t(0x8000_0000n, 0n), 4, 32))).toBe('(0xf8000000; 0x0)');
    expect(str(tnumArshift(t(S64_MAX + 1n, 0n), 63, 64))).toBe('(0xffffffffffffffff; 0x0)');
    expect(str(tnumMul(t(3n, 0n), t(5n, 0n)))).toBe('(0xf; 0x0)');
    expect(str(tnumMul(t(0n, 1n), t(4n, 0n)))).toBe('(0x0; 0x4)');
    expect(str(tnumUnion(t(1n, 0n), t(2n, 0n)))).toBe('(0x0; 0x3)');
    expect(str(tnumIntersect(t(0n, 0xffn), t(0x10n, 0x0fn)))).toBe('(0x10; 0xf)');
    expect(str(tnumBswap(t(0x1234n, 0x00ffn), 16))).toBe('(0x3412; 0xff00)');
    expect(str(tnumBswap(t(0x1n, 0n), 64))).toBe('(0x100000000000000; 0x0)');
  });
  it('tnum_step is the smallest member above z (brute force over 6-bit tnums)', () => {
    for (let mask = 0; mask < 64; mask++) {
      for (let value = 0; value < 64; value++) {
        if (value & mask) continue;
        const t = new Tnum(BigInt(value), BigInt(mask));
        const members: number[] = [];
        for (let x = 0; x < 64; x++) if ((x & ~mask) === value) members.push(x);
        for (let z = 0; z < 64; z++) {
          const above = members.filter((m) => m > z);
          const want = z >= (value | mask) ? value | mask : z < value ? value : Math.min(...above);
          expect(tnumStep(t, BigInt(z))).toBe(BigInt(want));
        }
      }
    }
  });
  it('fls64', () => {
    expect(fls64(0n)).toBe(0);
    expect(fls64(1n)).toBe(1);
    expect(fls64(0xffff_ffffn)).toBe(32);
    expect(fls64(0x1_0000_0000n)).toBe(33);
    expect(fls64((1n << 53n) + 1n)).toBe(54);
    expect(fls64(U64_MAX)).toBe(64);
  });
});

function scalar(): Reg {
  const r = new Reg();
  markUnknown(r, false);
  return r;
}
const b = (r: Reg) =>
  `u64=[${r.umin},${r.umax}] s64=[${r.smin},${r.smax}] u32=[${r.u32min},${r.u32max}] s32=[${r.s32min},${r.s32max}] var=${r.var}`;

describe('bounds', () => {
  it('a u8 load: [0, 255] in every domain', () => {
    const r = scalar();
    coerceRegToSize(r, 1);
    expect(b(r)).toBe('u64=[0,255] s64=[0,255] u32=[0,255] s32=[0,255] var=(0x0; 0xff)');
  });
  it('sync learns the sign from the unsigned range', () => {
    const r = scalar();
    r.umin = 0n;
    r.umax = 0x7fff_ffffn;
    boundsSync(r);
    expect(b(r)).toBe('u64=[0,2147483647] s64=[0,2147483647] u32=[0,2147483647] s32=[0,2147483647] var=(0x0; 0x7fffffff)');
  });
  it('negative signed range crossing nothing maps onto the unsigned top', () => {
    const r = scalar();
    r.smin = -3n;
    r.smax = -1n;
    boundsSync(r);
    expect(r.umin).toBe(U64_MAX - 2n);
    expect(r.umax).toBe(U64_MAX);
    expect([r.s32min, r.s32max, r.u32min, r.u32max]).toEqual([-3, -1, U32_MAX - 2, U32_MAX]);
  });
  it('32-bit knowledge tightens 64-bit bounds (deduce mixed)', () => {
    const r = scalar();
    r.umin = 0x1_0000_0000n;
    r.umax = 0x3_8000_0000n;
    r.s32min = 1;
    r.s32max = S32_MAX;
    boundsSync(r);
    expect(r.umin).toBe(0x1_0000_0001n);
    expect(r.umax).toBe(0x3_7fff_ffffn);
  });
  it('constants stay constants', () => {
    const r = scalar();
    setKnownBounds(r, -5n);
    boundsSync(r);
    expect(b(r)).toBe(
      `u64=[${U64_MAX - 4n},${U64_MAX - 4n}] s64=[-5,-5] u32=[${U32_MAX - 4},${U32_MAX - 4}] s32=[-5,-5] var=(0xfffffffffffffffb; 0x0)`,
    );
  });
  it('ALU: masks, shifts and adds', () => {
    const r = scalar();
    const k = (v: bigint) => {
      const x = scalar();
      setKnownBounds(x, v);
      return x;
    };
    scalarAlu(r, k(0x3fn), 'and', false, false);
    expect(b(r)).toBe('u64=[0,63] s64=[0,63] u32=[0,63] s32=[0,63] var=(0x0; 0x3f)');
    scalarAlu(r, k(14n), 'add', false, false);
    expect(b(r)).toBe('u64=[14,77] s64=[14,77] u32=[14,77] s32=[14,77] var=(0x0; 0x7f)');
    scalarAlu(r, k(2n), 'lsh', false, false);
    expect(b(r)).toBe('u64=[56,308] s64=[56,308] u32=[56,308] s32=[56,308] var=(0x0; 0x1fc)');
    scalarByteSwap(r, 16, true);
    expect(r.umax).toBe(0xfc01n);
  });
});

/** A small deterministic PRNG (xorshift). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const EDGES = [0n, 1n, 2n, 0x7fn, 0xffn, 0xffffn, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 0x1_0000_0000n, 1n << 53n, S64_MAX, S64_MAX + 1n, U64_MAX - 1n, U64_MAX];

function randomU64(next: () => number): bigint {
  const k = next() % 6;
  if (k === 0) return EDGES[next() % EDGES.length]!;
  if (k === 1) return BigInt(next() % 512);
  if (k === 2) return (EDGES[next() % EDGES.length]! + BigInt((next() % 5) - 2)) & U64_MAX;
  if (k === 3) return BigInt(next());
  return ((BigInt(next()) << 32n) | BigInt(next())) & U64_MAX;
}

/** A register describing a set that contains the concrete value `x` (random looseness per domain). */
function randomReg(next: () => number, x: bigint): Reg {
  const r = scalar();
  const around = (v: bigint, lo: bigint, hi: bigint): [bigint, bigint] => {
    const k = next() % 4;
    if (k === 0) return [lo, hi];
    const a = v - (k === 1 ? 0n : randomU64(next) % (v - lo + 1n));
    const c = v + (k === 3 ? 0n : randomU64(next) % (hi - v + 1n));
    return [a, c];
  };
  if (next() % 2) {
    const m = randomU64(next);
    r.var = new Tnum(x & ~m & U64_MAX, m & U64_MAX);
  }
  [r.umin, r.umax] = around(x, 0n, U64_MAX);
  const sx = BigInt.asIntN(64, x);
  [r.smin, r.smax] = around(sx, S64_MIN, S64_MAX);
  const lx = x & 0xffff_ffffn;
  const [a, c] = around(lx, 0n, BigInt(U32_MAX));
  r.u32min = Number(a);
  r.u32max = Number(c);
  const slx = BigInt.asIntN(32, x);
  const [d, e] = around(slx, BigInt(S32_MIN), BigInt(S32_MAX));
  r.s32min = Number(d);
  r.s32max = Number(e);
  return r;
}

function contains(r: Reg, x: bigint): boolean {
  const sx = BigInt.asIntN(64, x);
  const lx = Number(x & 0xffff_ffffn);
  return (
    tnumIn(r.var, new Tnum(x, 0n)) &&
    r.umin <= x &&
    x <= r.umax &&
    r.smin <= sx &&
    sx <= r.smax &&
    r.u32min <= lx &&
    lx <= r.u32max &&
    r.s32min <= (lx | 0) &&
    (lx | 0) <= r.s32max
  );
}

describe('reg_bounds_sync equals the reference transcription', () => {
  it('on 20000 random registers', () => {
    const next = rng(0x5eed);
    for (let i = 0; i < 20000; i++) {
      const x = randomU64(next);
      const a = randomReg(next, x);
      const c = a.clone();
      const before = b(a);
      boundsSync(a);
      refBoundsSync(c);
      if (b(a) !== b(c)) throw new Error(`mismatch on ${before}\n got ${b(a)}\nwant ${b(c)}`);
      if (!contains(a, x)) throw new Error(`unsound: ${x} not in ${b(a)} (from ${before})`);
    }
    expect(T.SCALAR).toBe(1);
  });
  it('on 20000 random registers within 32 bits (the numeric fast path)', () => {
    const next = rng(0xb0b);
    for (let i = 0; i < 20000; i++) {
      const x = randomU64(next) & 0xffff_ffffn;
      const a = randomReg(next, x);
      if (a.umax > 0xffff_ffffn) a.umax = x + BigInt(next() % 1000) > 0xffff_ffffn ? 0xffff_ffffn : x + BigInt(next() % 1000);
      if (a.smin < 0n) a.smin = next() % 2 ? 0n : x;
      if (a.smax > 0xffff_ffffn) a.smax = 0xffff_ffffn;
      if (a.var.mask > 0xffff_ffffn || a.var.value > 0xffff_ffffn) a.var = new Tnum(x & ~0xfffn, 0xfffn & ~(x & 0n));
      if (!contains(a, x)) a.var = new Tnum(0n, 0xffff_ffffn);
      const c = a.clone();
      const before = b(a);
      boundsSync(a);
      refBoundsSync(c);
      if (b(a) !== b(c)) throw new Error(`mismatch on ${before}\n got ${b(a)}\nwant ${b(c)}`);
      if (!contains(a, x)) throw new Error(`unsound: ${x} not in ${b(a)} (from ${before})`);
    }
  });
});
