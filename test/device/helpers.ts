// Shared helpers of the device tests: the kernel-recorded example cases as traffic, pcap read-back,
// map sums, and the packet-conservation invariant every run must satisfy.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Packet } from '../../nic/device/io.ts';
import { openCapture } from '../../nic/traffic/index.ts';
import type { RunResult } from '../../nic/device/nic.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface KernelCase {
  name: string;
  program: string;
  data_in: string;
  repeat: number;
  map_updates: string[];
  tail_calls: string[];
  before: string[];
  expected: { retval?: number; data_out?: string; maps?: Record<string, { key: string; value?: string; values?: string[] }[]>; error?: string };
}

/** Kernel cases of one example that run one packet once (map updates allowed, no tail calls or `before` programs). */
export function singlePacketCases(example: string): KernelCase[] {
  const all = JSON.parse(readFileSync(`${ROOT}test/fixtures/examples/${example}.json`, 'utf8')) as KernelCase[];
  return all.filter((c) => Number(c.repeat) === 1 && !c.tail_calls.length && !c.before.length && c.expected.error === undefined);
}

/** ...of one program, on fresh maps (what a device run reproduces packet by packet). */
export function plainCases(example: string, program: string): KernelCase[] {
  return singlePacketCases(example).filter((c) => c.program === program && !c.map_updates.length);
}

/** The cases' frames as traffic, 1 µs apart, `rounds` times over. */
export function* casesTraffic(cases: KernelCase[], rounds = 1): Generator<Packet> {
  let index = 0;
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const data = Uint8Array.from(Buffer.from(c.data_in, 'hex'));
      yield { tsNs: 1_700_000_000_000_000_000n + BigInt(index) * 1000n, data, wireLen: data.length, index };
      index++;
    }
  }
}

export function framesOf(file: string): string[] {
  return [...openCapture(file).copies()].map((p) => Buffer.from(p.data).toString('hex'));
}

/** Sums every 8-byte little-endian word of every map value (all CPUs), per map and key. */
export function mapSums(maps: Record<string, { key: string; value?: string; values?: string[] }[]>): Record<string, Record<string, bigint[]>> {
  const out: Record<string, Record<string, bigint[]>> = {};
  for (const [name, entries] of Object.entries(maps)) {
    const m: Record<string, bigint[]> = (out[name] = {});
    for (const e of entries) {
      for (const v of e.values ?? (e.value !== undefined ? [e.value] : [])) {
        const b = Buffer.from(v, 'hex');
        const words = m[e.key] ?? (m[e.key] = []);
        for (let o = 0; o + 8 <= b.length; o += 8) words[o / 8] = (words[o / 8] ?? 0n) + b.readBigUInt64LE(o);
      }
    }
  }
  return out;
}

/** Adds map sums b into a (in place). */
export function addSums(a: Record<string, Record<string, bigint[]>>, b: Record<string, Record<string, bigint[]>>): void {
  for (const [name, keys] of Object.entries(b)) {
    const m = a[name] ?? (a[name] = {});
    for (const [k, words] of Object.entries(keys)) {
      const t = m[k] ?? (m[k] = []);
      words.forEach((w, i) => (t[i] = (t[i] ?? 0n) + w));
    }
  }
}

/** Drops all-zero entries (arrays list every index, a kernel dump too). */
export function nonZero(s: Record<string, Record<string, bigint[]>>): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [name, keys] of Object.entries(s)) {
    out[name] = {};
    for (const [k, w] of Object.entries(keys)) if (w.some((x) => x !== 0n)) out[name]![k] = w.map(String);
  }
  return out;
}

/**
 * The invariant of every run: packets in = NIC ring drops + the sum of all outcomes, each packet
 * counted exactly once, consistently per queue, per core and in the output files.
 */
export function assertConservation(r: RunResult, packetsIn: number): void {
  const a = r.actions;
  const outcomes = a.aborted + a.drop + a.pass + a.tx + a.redirect;
  expect(r.packets).toBe(packetsIn);
  expect(r.nic_drops + outcomes).toBe(packetsIn);
  expect(r.queues.reduce((s, q) => s + q.packets + q.nic_drops, 0)).toBe(packetsIn);
  expect(r.queues.reduce((s, q) => s + q.nic_drops, 0)).toBe(r.nic_drops);
  expect(r.per_core.reduce((s, c) => s + c.packets, 0)).toBe(outcomes);
  expect(Object.values(r.aborted.by_reason).reduce((s, n) => s + n, 0)).toBe(a.aborted);
  expect(r.fallback.packets).toBe(Object.values(r.fallback.by_reason).reduce((s, n) => s + n, 0));
  expect(r.fallback.packets).toBeLessThanOrEqual(outcomes);
  const files = Object.entries(r.outputs);
  const count = (pred: (k: string) => boolean) => files.filter(([k]) => pred(k)).reduce((s, [, f]) => s + framesOf(f).length, 0);
  if (files.length) {
    expect(count((k) => k === 'pass')).toBe(a.pass);
    expect(count((k) => k === 'tx')).toBe(a.tx);
    expect(count((k) => k !== 'pass' && k !== 'tx')).toBe(a.redirect);
  }
}
