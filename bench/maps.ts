// Map micro-benchmark: nanoseconds per engine-side operation (what a program's helper call costs)
// on one thread. Run: npx tsx bench/maps.ts [--json]
// Keys come from a pre-built buffer so the measured loops allocate nothing.

import { BPF_ANY, MapFlag, createMap } from '../firmware/maps/index.ts';
import type { BpfMap } from '../firmware/maps/index.ts';

export interface BenchResult {
  name: string;
  nsPerOp: number;
  ops: number;
}

const N_KEYS = 1024;

function keys(size: number, n: number, seed: number): Uint8Array {
  const b = new Uint8Array(size * n);
  let x = seed;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function report(name: string, ops: number, run: () => void): BenchResult {
  run(); // warm up (JIT)
  const t0 = process.hrtime.bigint();
  run();
  const ns = Number(process.hrtime.bigint() - t0);
  return { name, nsPerOp: Math.round((ns / ops) * 10) / 10, ops };
}

// One loop function per operation kind keeps the map call sites monomorphic or nearly so.
function lookups(m: BpfMap, k: Uint8Array, ks: number, nk: number, ops: number, cpus: number): number {
  let s = 0;
  for (let i = 0; i < ops; i++) s = (s + m.lookup(k, ks * (i % nk), i % cpus)) | 0;
  return s;
}
function updates(m: BpfMap, k: Uint8Array, ks: number, nk: number, v: Uint8Array, ops: number, cpus: number): number {
  let s = 0;
  for (let i = 0; i < ops; i++) s = (s + m.update(k, ks * (i % nk), v, 0, BPF_ANY, i % cpus)) | 0;
  return s;
}
function churn(m: BpfMap, k: Uint8Array, ks: number, nk: number, v: Uint8Array, ops: number): number {
  let s = 0;
  for (let i = 0; i < ops; i++) {
    s += m.delete(k, ks * (i % nk));
    s += m.update(k, ks * (i % nk), v, 0, BPF_ANY, 0);
  }
  return s;
}
function empty(k: Uint8Array, ks: number, nk: number, ops: number): number {
  let s = 0;
  for (let i = 0; i < ops; i++) s += k[ks * (i % nk)]!;
  return s;
}

export function runMapsBench(ops = 1_000_000): BenchResult[] {
  const out: BenchResult[] = [];
  const cpus = 4;
  const val = new Uint8Array(16).fill(7);
  const L = (name: string, m: BpfMap, k: Uint8Array, ks: number, nk: number, c = 1) => out.push(report(name, ops, () => lookups(m, k, ks, nk, ops, c)));
  const U = (name: string, m: BpfMap, k: Uint8Array, ks: number, nk: number, c = 1) => out.push(report(name, ops, () => updates(m, k, ks, nk, val, ops, c)));

  const idx = new Uint8Array(4 * N_KEYS);
  const dv = new DataView(idx.buffer);
  for (let i = 0; i < N_KEYS; i++) dv.setUint32(4 * i, i, true);
  out.push(report('(loop overhead, no map call)', ops, () => empty(idx, 4, N_KEYS, ops)));

  const arr = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: N_KEYS }, { cpus });
  L('array lookup', arr, idx, 4, N_KEYS);
  U('array update', arr, idx, 4, N_KEYS);
  L('percpu_array lookup', createMap({ type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: N_KEYS }, { cpus }), idx, 4, N_KEYS, cpus);

  const hashBench = (label: string, m: BpfMap, ks: number) => {
    const k = keys(ks, N_KEYS, 1);
    const miss = keys(ks, N_KEYS, 2);
    for (let i = 0; i < N_KEYS; i++) m.update(k, ks * i, val, 0, BPF_ANY, 0);
    L(`${label} lookup (hit)`, m, k, ks, N_KEYS, cpus);
    L(`${label} lookup (miss)`, m, miss, ks, N_KEYS);
    U(`${label} update (existing key)`, m, k, ks, N_KEYS, cpus);
    out.push(report(`${label} delete + insert (pair)`, ops / 2, () => churn(m, k, ks, N_KEYS, val, ops / 2)));
  };
  hashBench('hash k4', createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: N_KEYS }, { cpus }), 4);
  hashBench('hash k16', createMap({ type: 'hash', keySize: 16, valueSize: 8, maxEntries: N_KEYS }, { cpus }), 16);
  hashBench('percpu_hash k4', createMap({ type: 'percpu_hash', keySize: 4, valueSize: 8, maxEntries: N_KEYS }, { cpus }), 4);

  // LRU at capacity: 8x more distinct keys than entries, so most inserts evict
  const lruKeys = keys(4, 8 * N_KEYS, 3);
  for (const [label, flags] of [['lru_hash common lists', 0], ['lru_hash per-CPU lists', MapFlag.NO_COMMON_LRU]] as const) {
    const lru = createMap({ type: 'lru_hash', keySize: 4, valueSize: 8, maxEntries: N_KEYS, flags }, { cpus });
    U(`${label}: insert, evicting`, lru, lruKeys, 4, 8 * N_KEYS, cpus);
    L(`${label}: lookup`, lru, lruKeys, 4, 8 * N_KEYS);
  }

  // LPM: 1024 IPv4 prefixes of lengths 8..32, full-length lookups
  const lpm = createMap({ type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: N_KEYS, flags: MapFlag.NO_PREALLOC }, { cpus });
  const pk = keys(8, N_KEYS, 4);
  for (let i = 0; i < N_KEYS; i++) {
    pk[8 * i] = 8 + (i % 25);
    pk.fill(0, 8 * i + 1, 8 * i + 4);
    lpm.update(pk, 8 * i, val, 0, BPF_ANY, 0);
  }
  const probe = keys(8, N_KEYS, 5);
  for (let i = 0; i < N_KEYS; i++) {
    probe[8 * i] = 32;
    probe.fill(0, 8 * i + 1, 8 * i + 4);
    probe.set(pk.subarray(8 * i + 4, 8 * i + 6), 8 * i + 4); // shares 16 bits with a prefix
  }
  L('lpm_trie lookup (1024 IPv4 prefixes)', lpm, probe, 8, N_KEYS);

  // host side for comparison (copies the value out: allocates)
  const hk = keys(4, N_KEYS, 1);
  const h = createMap({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: N_KEYS }, { cpus });
  for (let i = 0; i < N_KEYS; i++) h.update(hk, 4 * i, val, 0, BPF_ANY, 0);
  const hostKeys = Array.from({ length: N_KEYS }, (_, i) => hk.slice(4 * i, 4 * i + 4));
  const n = ops / 4;
  out.push(report('hash lookupHost (host side, copies)', n, () => {
    for (let i = 0; i < n; i++) h.lookupHost(hostKeys[i % N_KEYS]!);
  }));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const res = runMapsBench();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(res));
  } else {
    for (const r of res) console.log(`${r.name.padEnd(46)} ${r.nsPerOp.toFixed(1).padStart(8)} ns/op`);
  }
}
