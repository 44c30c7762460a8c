// Production-size maps: creating one costs nothing in proportion to max_entries (zeroed memory is an
// empty map), yet the capacity limit stays exact, and dumps show only what exists (hash) or is
// non-zero (arrays). Expected values are computed by hand from the operations; kernel equivalence of
// the operations is kernel-replay.test.ts's job. Timing and resident memory are measured in
// bench/maps-create.ts (noisy under a parallel test run), not asserted here.

import { describe, expect, it } from 'vitest';
import { ArrayMap, BPF_ANY, Errno, HashMap, MapFlag, createMap } from '../../firmware/maps/index.ts';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const M16 = 1 << 24;

describe('16M-entry maps', () => {
  it('array: an untouched map dumps nothing by default; written indexes appear, zeroed ones go', () => {
    const m = createMap({ name: 'a', type: 'array', keySize: 4, valueSize: 4, maxEntries: M16 }, { cpus: 1 }) as ArrayMap;
    expect([...m.entries()]).toEqual([]);
    expect(m.updateHost(u32(M16 - 1), u32(7))).toBe(0);
    expect(m.updateHost(u32(12345), u32(1))).toBe(0);
    // a program store through a lookup pointer, no helper call
    m.data[m.lookup(u32(3), 0, 0) + 2] = 0x80;
    expect([...m.entries()].map((e) => [hex(e.key), hex(e.value!)])).toEqual([
      [hex(u32(3)), '00008000'], [hex(u32(12345)), '01000000'], [hex(u32(M16 - 1)), '07000000'],
    ]);
    expect(m.updateHost(u32(12345), u32(0))).toBe(0);
    expect([...m.entries()].length).toBe(2);
    expect(m.updateHost(u32(M16), u32(1))).toBe(-Errno.E2BIG);
  });

  it('percpu_array: an index shows when any CPU has a non-zero byte', () => {
    const m = createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: M16 }, { cpus: 4 }) as ArrayMap;
    m.data[m.lookup(u32(999999), 0, 3)] = 1;
    const e = [...m.entries()];
    expect(e.map((x) => hex(x.key))).toEqual([hex(u32(999999))]);
    expect(e[0]!.values!.map(hex)).toEqual(['0000000000000000', '0000000000000000', '0000000000000000', '0100000000000000']);
    let n = 0;
    for (const _ of createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1000 }, { cpus: 4 }).entries(true)) n++;
    expect(n).toBe(1000); // with `all`, every index
  });

  it('hash: elements come from a never-touched pool in order, the table audits clean', () => {
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: M16 }, { cpus: 2 }) as HashMap;
    expect(m.count()).toBe(0);
    expect([...m.entries()]).toEqual([]);
    let failed = 0;
    for (let k = 0; k < 1000; k++) if (m.update(u32(k * 7919), 0, u64(k), 0, BPF_ANY, k & 1) !== 0) failed++;
    expect(failed).toBe(0);
    expect(m.deleteHost(u32(7919))).toBe(0);
    expect(m.count()).toBe(999);
    const e = [...m.entries()];
    expect(e.length).toBe(999);
    expect(e.every((x, i) => i === 0 || Buffer.compare(e[i - 1]!.key, x.key) < 0)).toBe(true);
    const a = m.audit();
    expect([a.linked, a.free, a.spare]).toEqual([999, M16 - 999, 3]);
  });

  it('lru_hash and per-CPU LRU lists: usable at once, every node accounted for', () => {
    const M4 = 1 << 22; // the audit walks every node: 4M keeps it short
    const common = createMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: M4 }, { cpus: 2 }) as HashMap;
    const percpu = createMap({ type: 'lru_hash', keySize: 8, valueSize: 8, maxEntries: M4, flags: MapFlag.NO_COMMON_LRU }, { cpus: 2 }) as HashMap;
    for (const m of [common, percpu]) {
      let failed = 0;
      for (let k = 0; k < 500; k++) if (m.update(u64(k), 0, u64(k + 1), 0, BPF_ANY, k & 1) !== 0) failed++;
      expect(failed).toBe(0);
      expect(m.count()).toBe(500);
      expect(hex(m.lookupHost(u64(42)) as Uint8Array)).toBe(hex(u64(43)));
      const a = m.audit();
      expect(a.linked).toBe(500);
      expect(a.lru!.reduce((x, y) => x + y, 0)).toBe(M4);
    }
  });
});

describe('the capacity limit stays exact', () => {
  it('hash: max_entries keys fit, one more is E2BIG, a delete makes room', () => {
    const n = 50_000;
    const m = createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: n }, { cpus: 2 }) as HashMap;
    let failed = 0;
    for (let k = 0; k < n; k++) if (m.update(u32(k), 0, u32(k), 0, BPF_ANY, 0) !== 0) failed++;
    expect(failed).toBe(0);
    expect(m.update(u32(n), 0, u32(0), 0, BPF_ANY, 0)).toBe(-Errno.E2BIG);
    expect(m.updateHost(u32(n), u32(0))).toBe(-Errno.E2BIG);
    expect(m.update(u32(5), 0, u32(6), 0, BPF_ANY, 1)).toBe(0); // replacing still works when full
    expect(m.deleteHost(u32(17))).toBe(0);
    expect(m.update(u32(n), 0, u32(0), 0, BPF_ANY, 0)).toBe(0);
    expect(m.update(u32(n + 1), 0, u32(0), 0, BPF_ANY, 0)).toBe(-Errno.E2BIG);
    const a = m.audit();
    expect([a.linked, a.free]).toEqual([n, 0]);
  });

  it('lpm_trie: max_entries prefixes, then ENOSPC', () => {
    const n = 5000;
    const m = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 4, maxEntries: n, flags: MapFlag.NO_PREALLOC }, { cpus: 1 });
    const key = (i: number) => Uint8Array.from([32, 0, 0, 0, 10, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
    let failed = 0;
    for (let i = 0; i < n; i++) if (m.updateHost(key(i), u32(i)) !== 0) failed++;
    expect(failed).toBe(0);
    expect(m.updateHost(key(n), u32(0))).toBe(-Errno.ENOSPC);
    expect(m.deleteHost(key(3))).toBe(0);
    expect(m.updateHost(key(n), u32(0))).toBe(0);
    expect(m.count()).toBe(n);
  });
});

describe('in an arena', () => {
  it('maps placed in a shared WebAssembly.Memory work on its zero pages without an init pass', () => {
    // lib ES2022 has no WebAssembly types: the global, typed by hand
    const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer } } }).WebAssembly;
    const sab = new Wasm.Memory({ initial: 1024, maximum: 1024, shared: true }).buffer; // 64 MiB
    expect(sab).toBeInstanceOf(SharedArrayBuffer);
    const h = createMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 1 << 18 }, { cpus: 2, sab, offset: 8 << 20 }) as HashMap;
    const a = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 << 20 }, { cpus: 2, sab, offset: 48 << 20 }) as ArrayMap;
    expect(h.update(u32(1), 0, u64(2), 0, BPF_ANY, 0)).toBe(0);
    const off = h.lookup(u32(1), 0, 1);
    expect(off).toBeGreaterThan(8 << 20);
    expect(new DataView(sab).getBigUint64(off, true)).toBe(2n);
    expect([...a.entries()]).toEqual([]);
    expect(a.valueOffset(0)).toBe((48 << 20) + 64);
  });
});
