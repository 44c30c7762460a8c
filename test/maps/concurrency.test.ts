// Several worker threads (simulated NIC cores) use the same maps at once through descriptors and the
// engine interface. Checks: no lost atomic increments, no lost or duplicated elements, element
// counts exact, hash chains / free lists / LRU lists consistent afterwards.

import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ArrayMap, HashMap, LpmTrie, MapFlag, createMap } from '../../firmware/maps/index.ts';
import type { BpfMap } from '../../firmware/maps/index.ts';

const WORKERS = 4;
const ITERS = 6000;

function run(descs: Record<string, unknown>): Promise<string[]> {
  const go = new SharedArrayBuffer(4);
  const boot = new URL('./worker-boot.mjs', import.meta.url);
  const entry = new URL('./concurrency.worker.ts', import.meta.url).href;
  const done = Array.from({ length: WORKERS }, (_, cpu) => new Promise<string[]>((resolve, reject) => {
    const w = new Worker(boot, { workerData: { entry, descs, cpu, iters: ITERS, go } });
    w.once('message', (m: { errors: string[] }) => resolve(m.errors));
    w.once('error', reject);
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker ${cpu} exited with ${code}`)));
  }));
  // let every worker attach and block on the start flag, then release them together
  setTimeout(() => {
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
  }, 300);
  return Promise.all(done).then((e) => e.flat());
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const rd = (m: BpfMap, off: number) => new DataView(m.sab).getUint32(off, true);

describe('maps shared by worker threads', () => {
  it('keeps every update of 4 concurrent cores', async () => {
    // all maps in one arena, as a device would place them
    const cpus = WORKERS;
    const arena = new SharedArrayBuffer(16 << 20);
    let off = 0;
    const make = (spec: Parameters<typeof createMap>[0]) => {
      const m = createMap(spec, { cpus, sab: arena, offset: off });
      off += Math.ceil(m.byteLength / 64) * 64;
      return m;
    };
    const maps = {
      counters: make({ name: 'counters', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 }) as HashMap,
      array: make({ name: 'array', type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 }) as ArrayMap,
      churn: make({ name: 'churn', type: 'hash', keySize: 4, valueSize: 8, maxEntries: WORKERS * ITERS, flags: MapFlag.NO_PREALLOC }) as HashMap,
      shared: make({ name: 'shared', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 8 }) as HashMap,
      lru: make({ name: 'lru', type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 256 }) as HashMap,
      lrupc: make({ name: 'lrupc', type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: 256, flags: MapFlag.NO_COMMON_LRU }) as HashMap,
      percpu: make({ name: 'percpu', type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 1 }) as ArrayMap,
      lpm: make({ name: 'lpm', type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 1024, flags: MapFlag.NO_PREALLOC }) as LpmTrie,
    };
    const descs = Object.fromEntries(Object.entries(maps).map(([k, m]) => [k, m.describe()]));
    const errors = await run(descs);
    expect(errors).toEqual([]);

    let sum = 0;
    for (let i = 0; i < 16; i++) sum += rd(maps.array, maps.array.lookup(u32(i), 0, 0));
    expect(sum).toBe(WORKERS * ITERS);

    sum = 0;
    for (let i = 0; i < 64; i++) sum += rd(maps.counters, maps.counters.lookup(u32(i), 0, 0));
    expect(sum).toBe(WORKERS * ITERS);
    expect(maps.counters.count()).toBe(64);
    expect(maps.counters.audit()).toMatchObject({ linked: 64, free: 0 });

    // churn: exactly the odd iterations of every core survive, with their own values
    const churn = maps.churn;
    expect(churn.count()).toBe((WORKERS * ITERS) / 2);
    expect(churn.audit().linked).toBe((WORKERS * ITERS) / 2);
    for (let c = 0; c < WORKERS; c++) {
      for (let i = 0; i < ITERS; i++) {
        const k = (c << 20) | i;
        const o = churn.lookup(u32(k), 0, 0);
        if (i % 2 === 0) expect(o).toBe(-1);
        else expect([rd(churn, o), rd(churn, o + 4)]).toEqual([k, ~k >>> 0]);
      }
    }

    // shared: 8 keys, each holding one whole value written by some core
    expect(maps.shared.count()).toBe(8);
    expect(maps.shared.audit()).toMatchObject({ linked: 8 });
    for (let i = 0; i < 8; i++) {
      const o = maps.shared.lookup(u32(i), 0, 0);
      expect(rd(maps.shared, o)).toBe(rd(maps.shared, o + 4));
      expect((rd(maps.shared, o) & 0xffffff) % 8).toBe(i);
    }

    // LRU: lists consistent, full, every stored key maps to its own value
    for (const lru of [maps.lru, maps.lrupc]) {
      const a = lru.audit();
      expect(a.linked).toBe(lru.count());
      expect(lru.count()).toBeLessThanOrEqual(256);
      for (const e of lru.dump()) expect(Array.from(e.value!.subarray(0, 4))).toEqual(Array.from(e.key));
    }
    // the common LRU keeps up to target_free (256 / 4 CPUs / 2 = 32) free nodes per CPU locally
    expect(maps.lru.count()).toBeGreaterThanOrEqual(256 - WORKERS * 32);

    const pcv = maps.percpu.lookupHost(u32(0)) as Uint8Array[];
    expect(pcv.map((v) => new DataView(v.buffer, v.byteOffset).getUint32(0, true))).toEqual(Array(WORKERS).fill(ITERS));

    // LPM: the prefixes inserted (every 4th iteration) minus those deleted again (every 8th)
    const lpmKeys = maps.lpm.dump().map((e) => Array.from(e.key).join('.'));
    expect(new Set(lpmKeys).size).toBe(lpmKeys.length);
    expect(maps.lpm.count()).toBe(lpmKeys.length);
    for (const k of lpmKeys) {
      const b = k.split('.').map(Number);
      expect(b[0]).toBe(24);
      expect(b[6]! % 8).toBe(4);
    }
  }, 60_000);
});
