// One simulated NIC core of the map concurrency test: attaches to the maps from their descriptors
// and hammers them with the engine interface (lookup / update / delete + Atomics on value memory).

import { parentPort, workerData } from 'node:worker_threads';
import { BPF_ANY, BPF_NOEXIST, Errno, attachMap } from '../../firmware/maps/index.ts';
import type { MapDescriptor } from '../../firmware/maps/index.ts';

interface Job {
  descs: Record<'counters' | 'array' | 'churn' | 'shared' | 'lru' | 'lrupc' | 'percpu' | 'lpm', MapDescriptor>;
  cpu: number;
  iters: number;
  go: SharedArrayBuffer;
}

const job = workerData as Job;
const m = Object.fromEntries(Object.entries(job.descs).map(([k, d]) => [k, attachMap(d)])) as Record<keyof Job['descs'], ReturnType<typeof attachMap>>;
const cpu = job.cpu;
const key = new Uint8Array(8);
const kv = new DataView(key.buffer);
const val = new Uint8Array(16);
const vv = new DataView(val.buffer);
const lpmKey = new Uint8Array(8);
const errors: string[] = [];
const fail = (s: string) => {
  if (errors.length < 20) errors.push(`cpu ${cpu}: ${s}`);
};

Atomics.wait(new Int32Array(job.go), 0, 0);

let x = (cpu + 1) * 0x9e3779b1;
const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);

for (let i = 0; i < job.iters; i++) {
  // 1. array counters: atomic add into the value a lookup points at
  kv.setUint32(0, i % 16, true);
  const ao = m.array.lookup(key, 0, cpu);
  Atomics.add(m.array.i32, ao >> 2, 1);

  // 2. hash counters: insert with BPF_NOEXIST if missing (never replaces), then atomic add
  kv.setUint32(0, i % 64, true);
  let ho = m.counters.lookup(key, 0, cpu);
  if (ho < 0) {
    vv.setBigUint64(0, 0n, true);
    const rc = m.counters.update(key, 0, val, 0, BPF_NOEXIST, cpu);
    if (rc !== 0 && rc !== -Errno.EEXIST) fail(`counters insert rc ${rc}`);
    ho = m.counters.lookup(key, 0, cpu);
  }
  if (ho < 0) fail('counter vanished');
  else Atomics.add(m.counters.i32, ho >> 2, 1);

  // 3. churn: private keys inserted, read back, every other one deleted again
  const ck = (cpu << 20) | i;
  kv.setUint32(0, ck, true);
  vv.setUint32(0, ck, true);
  vv.setUint32(4, ~ck >>> 0, true);
  let rc = m.churn.update(key, 0, val, 0, BPF_NOEXIST, cpu);
  if (rc !== 0) fail(`churn insert ${ck} rc ${rc}`);
  const co = m.churn.lookup(key, 0, cpu);
  if (co < 0 || m.churn.data[co] !== (ck & 0xff) || new DataView(m.churn.sab).getUint32(co + 4, true) !== (~ck >>> 0)) fail(`churn readback ${ck}`);
  if (i % 2 === 0 && (rc = m.churn.delete(key, 0)) !== 0) fail(`churn delete ${ck} rc ${rc}`);

  // 4. shared keys replaced concurrently by everyone (element replacement + spares)
  kv.setUint32(0, i % 8, true);
  const tag = ((cpu << 24) | i) >>> 0;
  vv.setUint32(0, tag, true);
  vv.setUint32(4, tag, true);
  if ((rc = m.shared.update(key, 0, val, 0, BPF_ANY, cpu)) !== 0) fail(`shared update rc ${rc}`);

  // 5. LRU maps: random keys from a range 16x larger than the map, looked up afterwards
  const lk = rnd() % 4096;
  kv.setUint32(0, lk, true);
  vv.setUint32(0, lk, true);
  vv.setUint32(4, lk, true);
  if ((rc = m.lru.update(key, 0, val, 0, BPF_ANY, cpu)) !== 0) fail(`lru update rc ${rc}`);
  m.lru.lookup(key, 0, cpu);
  if ((rc = m.lrupc.update(key, 0, val, 0, BPF_ANY, cpu)) !== 0) fail(`lru percpu update rc ${rc}`);
  if (i % 3 === 0) m.lrupc.delete(key, 0);

  // 6. per-CPU array: plain increments of this CPU's own copy never collide
  kv.setUint32(0, 0, true);
  const po = m.percpu.lookup(key, 0, cpu);
  m.percpu.i32[po >> 2]! += 1;

  // 7. LPM: insert/delete private /24 prefixes while everybody looks up
  lpmKey.set([24, 0, 0, 0, 10, cpu, i & 0xff, 0]);
  if (i % 4 === 0) m.lpm.update(lpmKey, 0, val, 0, BPF_ANY, cpu);
  lpmKey[0] = 32;
  lpmKey[7] = rnd() & 0xff;
  m.lpm.lookup(lpmKey, 0, cpu);
  if (i % 8 === 4) {
    lpmKey[0] = 24;
    lpmKey[7] = 0;
    lpmKey[6] = (i - 4) & 0xff;
    m.lpm.delete(lpmKey, 0);
  }
}
parentPort!.postMessage({ errors });
