// The map API around the kernel semantics: typed errors, dump order, per-CPU host values, arena
// placement with absolute offsets, descriptors for other threads, and the engine-side accessors
// (array value offsets, redirect / tail-call targets). Expected values here are computed by hand
// from the inputs; the kernel-equivalence of the operations themselves is in kernel-replay.test.ts.

import { describe, expect, it } from 'vitest';
import {
  ArrayMap, ArrayOfMaps, BPF_ANY, BPF_NOEXIST, DevMap, DevMapHash, Errno, HashMap, LpmTrie, MapError, MapFlag, ProgArray,
  attachMap, createMap, mapBytes, planMap, validateSpec,
} from '../../firmware/maps/index.ts';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function thrown(f: () => unknown): MapError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MapError);
    return e as MapError;
  }
  throw new Error('did not throw');
}

describe('map creation errors', () => {
  it('are typed, with the kernel errno and a reason naming the map', () => {
    const e = thrown(() => createMap({ name: 'flows', type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 16 }, { cpus: 2 }));
    expect(e.code).toBe('map.invalid');
    expect(e.errno).toBe(Errno.EINVAL);
    expect(e.message).toMatch(/flows.*BPF_F_NO_PREALLOC.*EINVAL/);
    const big = thrown(() => createMap({ type: 'percpu_array', keySize: 4, valueSize: 40000, maxEntries: 1 }, { cpus: 2 }));
    expect([big.code, big.errno]).toEqual(['map.too_big', Errno.E2BIG]);
    const lru = thrown(() => createMap({ type: 'lru_hash', keySize: 4, valueSize: 4, maxEntries: 1, flags: MapFlag.NO_PREALLOC }, { cpus: 2 }));
    expect([lru.code, lru.errno]).toEqual(['map.not_supported', Errno.ENOTSUPP]);
  });

  it('names kernel map types nicsim does not simulate', () => {
    const e = thrown(() => createMap({ type: 26, keySize: 4, valueSize: 4, maxEntries: 1 }, { cpus: 1 }));
    expect(e.code).toBe('map.unsupported_type');
    expect(e.message).toMatch(/struct_ops/);
    const mim = thrown(() => createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2 }, { cpus: 1 }));
    expect([mim.code, mim.errno]).toEqual(['map.invalid', Errno.EINVAL]);
    expect(mim.message).toMatch(/inner map template/);
  });

  it('refuses maps beyond the memory budget with ENOMEM and bad placements', () => {
    const e = thrown(() => planMap({ type: 'array', keySize: 4, valueSize: 1 << 20, maxEntries: 4096 }, { cpus: 1, maxBytes: 1 << 30 }));
    expect([e.code, e.errno]).toEqual(['map.no_memory', Errno.ENOMEM]);
    const sab = new SharedArrayBuffer(1024);
    expect(thrown(() => createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 }, { cpus: 1, sab, offset: 4 })).code).toBe('map.placement');
    expect(thrown(() => createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 400 }, { cpus: 1, sab })).code).toBe('map.placement');
    expect(thrown(() => validateSpec({ type: 'hash', keySize: -1, valueSize: 8, maxEntries: 4 }, 1)).errno).toBe(Errno.EINVAL);
    expect(thrown(() => validateSpec({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, 0)).code).toBe('map.cpus');
  });
});

describe('host operations', () => {
  it('check key and value sizes with typed errors', () => {
    const m = createMap({ name: 'h', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, { cpus: 2 });
    expect(thrown(() => m.lookupHost(new Uint8Array(3))).code).toBe('map.key_size');
    expect(thrown(() => m.updateHost(u32(1), new Uint8Array(7))).code).toBe('map.value_size');
    expect(m.updateHost(u32(1), u64(5))).toBe(0);
    expect(hex(m.lookupHost(u32(1)) as Uint8Array)).toBe('0500000000000000');
    expect(m.lookupHost(u32(2))).toBeNull();
    expect(m.getNextKeyHost(u32(1))).toBeNull();
  });

  it('turn EPERM and EOPNOTSUPP lookups into MapErrors', () => {
    const wo = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 2, flags: MapFlag.WRONLY }, { cpus: 1 });
    expect(thrown(() => wo.lookupHost(u32(0))).errno).toBe(Errno.EPERM);
    expect(thrown(() => wo.getNextKeyHost(null)).errno).toBe(Errno.EPERM);
    const xsk = createMap({ type: 'xskmap', keySize: 4, valueSize: 4, maxEntries: 2 }, { cpus: 1 });
    expect(xsk.updateHost(u32(1), u32(77))).toBe(0);
    expect(thrown(() => xsk.lookupHost(u32(1))).errno).toBe(Errno.EOPNOTSUPP);
    expect(xsk.dump().map((e) => [hex(e.key), hex(e.value!)])).toEqual([['01000000', '4d000000']]);
  });

  it('take per-CPU values as one kernel-layout buffer or one value per CPU', () => {
    const m = createMap({ type: 'percpu_hash', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 3 });
    expect(m.updateHost(u32(1), [u32(1), u32(2), u32(3)])).toBe(0);
    expect((m.lookupHost(u32(1)) as Uint8Array[]).map(hex)).toEqual(['0100000000000000', '0200000000000000', '0300000000000000']);
    const raw = new Uint8Array(24).fill(9);
    expect(m.updateHost(u32(2), raw, BPF_NOEXIST)).toBe(0);
    expect((m.lookupHost(u32(2)) as Uint8Array[]).map(hex)).toEqual(Array(3).fill('0909090909090909'));
    expect(thrown(() => m.updateHost(u32(3), [u32(1)])).code).toBe('map.value_size');
    // a program on CPU 2 sees its own copy
    const off = m.lookup(u32(1), 0, 2);
    expect(new DataView(m.sab).getUint32(off, true)).toBe(3);
  });
});

describe('dump', () => {
  it('lists every array index in order and hash entries sorted by key bytes', () => {
    const a = createMap({ type: 'array', keySize: 4, valueSize: 2, maxEntries: 3 }, { cpus: 1 });
    a.updateHost(u32(2), new Uint8Array([7, 8]));
    expect(a.dump().map((e) => [hex(e.key), hex(e.value!)])).toEqual([['00000000', '0000'], ['01000000', '0000'], ['02000000', '0708']]);
    const h = createMap({ type: 'hash', keySize: 2, valueSize: 1, maxEntries: 8 }, { cpus: 1 });
    for (const k of [0x0300, 0x0001, 0xff00, 0x0100]) h.updateHost(new Uint8Array([k >> 8, k & 0xff]), new Uint8Array([k & 0xff]));
    expect(h.dump().map((e) => hex(e.key))).toEqual(['0001', '0100', '0300', 'ff00']);
    const p = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1 }, { cpus: 2 });
    expect(p.dump()[0]!.values!.length).toBe(2);
    const pa = createMap({ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }, { cpus: 1 }) as ProgArray;
    expect(pa.updateHost(u32(2), u32(42))).toBe(0);
    expect(pa.dump().map((e) => [hex(e.key), hex(e.value!)])).toEqual([['02000000', '2a000000']]);
    expect([pa.progAt(2), pa.progAt(1), pa.progAt(99)]).toEqual([42, 0, 0]);
    expect(pa.lookup(u32(2), 0, 0)).toBe(-1);
  });
});

describe('shared memory', () => {
  it('places maps in one arena and hands out absolute, 8-aligned value offsets', () => {
    const sab = new SharedArrayBuffer(1 << 16);
    const specA = { type: 'array', keySize: 4, valueSize: 12, maxEntries: 5 } as const;
    const a = createMap(specA, { cpus: 2, sab, offset: 0 }) as ArrayMap;
    const hOff = Math.ceil(a.byteLength / 8) * 8;
    const h = createMap({ type: 'lru_hash', keySize: 6, valueSize: 3, maxEntries: 10 }, { cpus: 2, sab, offset: hOff }) as HashMap;
    expect(a.byteLength).toBe(mapBytes(validateSpec(specA, 2)));
    expect(a.valueOffset(0)).toBe(64);
    expect(a.valueOffset(3)).toBe(64 + 3 * 16);
    expect(a.lookup(u32(3), 0, 1)).toBe(a.valueOffset(3));
    const k = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(h.update(k, 0, new Uint8Array([9, 9, 9]), 0, BPF_ANY, 1)).toBe(0);
    const off = h.lookup(k, 0, 0);
    expect(off).toBeGreaterThanOrEqual(hOff);
    expect(off % 8).toBe(0);
    expect(Array.from(new Uint8Array(sab, off, 3))).toEqual([9, 9, 9]);
    // writes through the array never reach the hash map's region
    for (let i = 0; i < 5; i++) a.updateHost(u32(i), new Uint8Array(12).fill(0xee));
    expect(Array.from(h.lookupHost(k) as Uint8Array)).toEqual([9, 9, 9]);
    expect(h.audit().linked).toBe(1);
  });

  it('attaches from a structured-cloned descriptor to the same memory', () => {
    const m = createMap({ name: 'd', type: 'devmap_hash', keySize: 4, valueSize: 4, maxEntries: 8 }, { cpus: 2 }) as DevMapHash;
    const desc = structuredClone(m.describe());
    const other = attachMap(desc) as DevMapHash;
    expect(other.updateHost(u32(100), u32(3))).toBe(0);
    expect(m.target(100)).toBe(3);
    expect(m.lookupHost(u32(100))).toEqual(u32(3));
    expect(other.count()).toBe(1);
    const bad = { ...desc, offset: desc.offset + 8 };
    expect(thrown(() => attachMap(bad)).code).toBe('map.descriptor');
  });

  it('freezes for the host only', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 2 }, { cpus: 1 });
    expect(m.freeze()).toBe(0);
    expect(m.frozen).toBe(true);
    expect(m.updateHost(u32(1), u64(1))).toBe(-Errno.EPERM);
    expect(m.update(u32(1), 0, u64(1), 0, BPF_ANY, 0)).toBe(0);
  });
});

describe('engine accessors', () => {
  it('resolve redirect targets and reject bad handles through the env', () => {
    const env = {
      ifindexExists: (i: number) => i === 4,
      resolveProg: (h: number) => (h === 7 ? 70 : -Errno.EBADF),
    };
    const d = createMap({ type: 'devmap', keySize: 4, valueSize: 8, maxEntries: 2 }, { cpus: 1, env }) as DevMap;
    const v = (ifindex: number, fd: number) => new Uint8Array(new Int32Array([ifindex, fd]).buffer);
    expect(d.updateHost(u32(0), v(5, 0))).toBe(-Errno.EINVAL);
    expect(d.updateHost(u32(0), v(4, 8))).toBe(-Errno.EINVAL);
    expect(d.updateHost(u32(0), v(4, 7))).toBe(0);
    expect(d.target(0)).toBe(4);
    expect(hex(d.lookupHost(u32(0)) as Uint8Array)).toBe('0400000046000000');
    const off = d.lookup(u32(0), 0, 0);
    expect(new DataView(d.sab).getUint32(off + 4, true)).toBe(70);
  });

  it('hands programs the inner map id of a map of maps', () => {
    const inner = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 } as const;
    const g = validateSpec({ ...inner, maxEntries: 1024 }, 2);
    const env = { resolveMap: (h: number) => (h === 5 ? { id: 77, geometry: g } : -Errno.EBADF) };
    const outer = createMap({ type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, innerMap: inner }, { cpus: 2, env }) as ArrayOfMaps;
    expect(outer.updateHost(u32(1), u32(6))).toBe(-Errno.EBADF);
    expect(outer.updateHost(u32(1), u32(5))).toBe(0); // hash inner maps may differ in max_entries
    expect(outer.innerMapAt(1)).toBe(77);
    expect(new DataView(outer.sab).getUint32(outer.lookup(u32(1), 0, 0), true)).toBe(77);
    expect(outer.lookup(u32(0), 0, 0)).toBe(-1);
  });

  it('longest-prefix matches through the engine interface', () => {
    const t = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: 4, flags: MapFlag.NO_PREALLOC }, { cpus: 1 }) as LpmTrie;
    const key = (pl: number, ...o: number[]) => new Uint8Array([pl, 0, 0, 0, ...o, 0, 0, 0, 0].slice(0, 8));
    expect(t.updateHost(key(8, 10), u32(1))).toBe(0);
    expect(t.updateHost(key(24, 10, 1, 2), u32(2))).toBe(0);
    const hit = (o: number[]) => {
      const off = t.lookup(key(32, ...o), 0, 0);
      return off < 0 ? 0 : new DataView(t.sab).getUint32(off, true);
    };
    expect([hit([10, 1, 2, 3]), hit([10, 1, 3, 3]), hit([11, 0, 0, 0])]).toEqual([2, 1, 0]);
    expect(t.count()).toBe(2);
  });
});
