// Replays the kernel-recorded map operation sequences (test/fixtures/maps/*.json, written by
// test/kernel/record-maps.py) on nicsim maps and returns, for every operation, what nicsim did in
// the fixture's own format, so a test can compare the two records.

import { readFileSync } from 'node:fs';
import { Errno, createMap, isMapError, validateSpec } from '../../firmware/maps/index.ts';
import type { BpfMap, MapEnv, MapSpec } from '../../firmware/maps/index.ts';

export interface FixtureOp {
  op: string;
  key?: string | null;
  value?: string | string[];
  flags?: number;
  cpu?: number;
  rc: number;
  next?: string;
  keys?: string[];
  ordered?: boolean;
  fd?: string;
  prog?: string | null;
  map?: string;
  found?: boolean;
  old?: string;
}

export interface FixtureCase {
  name: string;
  map: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number; numaNode?: number; inner?: MapSpec };
  create: number;
  info?: { maxEntries: number; flags: number };
  ops?: FixtureOp[];
}

export interface Fixture {
  kernel: string;
  possibleCpus: number;
  constants: Record<string, number>;
  /** Maps the recorder stored into maps of maps, by symbol. */
  handles?: Record<string, MapSpec>;
  cases: FixtureCase[];
}

export function loadFixture(name: string): Fixture {
  const url = new URL(`../fixtures/maps/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);

// The kernel objects the recorder put into fd maps, as handles and ids of a pretend device.
const HANDLES: Record<string, number> = { A: 101, B: 102, D: 103, C: 104, badfd: 9999, mapfd: 201, notsock: 202, udp: 203, xsk: 204 };
const PROG_IDS: Record<string, number> = { A: 1001, B: 1002, D: 1003, C: 1004 };
const SYMBOL_OF_ID = new Map(Object.entries(PROG_IDS).map(([s, id]) => [id, s]));
const SYMBOL_OF_HANDLE = new Map(Object.entries(HANDLES).map(([s, h]) => [h, s]));

/**
 * What the recording machine had: interfaces 1-4, XDP programs A and B, a devmap program D and a
 * cpumap program C, and one AF_XDP socket; the other handles are a closed fd, a map, /dev/null and a
 * UDP socket.
 */
export const TEST_ENV: MapEnv = {
  ifindexExists: (i) => i >= 1 && i <= 4,
  resolveProg(handle, use) {
    const s = SYMBOL_OF_HANDLE.get(handle);
    if (s === undefined || s === 'badfd') return -Errno.EBADF;
    const id = PROG_IDS[s];
    if (id === undefined) return -Errno.EINVAL; // not a program
    if (use === 'devmap' && s !== 'D') return -Errno.EINVAL;
    if (use === 'cpumap' && s !== 'C') return -Errno.EINVAL;
    return id;
  },
  resolveXsk(handle) {
    const s = SYMBOL_OF_HANDLE.get(handle);
    if (s === undefined || s === 'badfd') return -Errno.EBADF;
    if (s === 'udp') return -Errno.EOPNOTSUPP;
    if (s === 'xsk') return 5001;
    return -Errno.ENOTSOCK;
  },
};

export function specOf(c: FixtureCase): MapSpec {
  const s: MapSpec = { name: c.name, type: c.map.type, keySize: c.map.keySize, valueSize: c.map.valueSize, maxEntries: c.map.maxEntries, flags: c.map.flags };
  if (c.map.numaNode !== undefined) s.numaNode = c.map.numaNode;
  if (c.map.inner) s.innerMap = c.map.inner;
  return s;
}

/** The pretend device plus the maps a fixture put into maps of maps (handle 3000 + i, id 4000 + i). */
export function envFor(fx: Pick<Fixture, 'handles' | 'possibleCpus'>): MapEnv {
  const names = Object.keys(fx.handles ?? {});
  return {
    ...TEST_ENV,
    resolveMap(handle) {
      const i = handle - 3000;
      const name = names[i];
      if (name === undefined) return SYMBOL_OF_HANDLE.get(handle) === 'badfd' || !SYMBOL_OF_HANDLE.has(handle) ? -Errno.EBADF : -Errno.EINVAL;
      return { id: 4000 + i, geometry: validateSpec(fx.handles![name]!, fx.possibleCpus) };
    },
  };
}

function mapHandle(fx: Pick<Fixture, 'handles'>, sym: string): number {
  const i = Object.keys(fx.handles ?? {}).indexOf(sym);
  return i >= 0 ? 3000 + i : sym === 'prog' ? HANDLES.A! : HANDLES[sym]!;
}

export function createFor(c: FixtureCase, cpus: number, env: MapEnv = TEST_ENV): BpfMap {
  return createMap(specOf(c), { cpus, env });
}

function valueOf(op: FixtureOp, fx: Pick<Fixture, 'handles'>): Uint8Array | Uint8Array[] {
  if (Array.isArray(op.value)) return op.value.map(fromHex);
  const v = fromHex(op.value ?? '');
  if (op.fd === undefined) return v;
  const out = new Uint8Array(v.length + 4);
  out.set(v);
  out.set(u32(fx.handles ? mapHandle(fx, op.fd) : HANDLES[op.fd]!), v.length);
  return out;
}

/** The record of one operation as nicsim performs it, shaped like the fixture's. */
export function runOp(map: BpfMap, op: FixtureOp, cpus: number, fx: Pick<Fixture, 'handles'> = {}): FixtureOp {
  const key = op.key === null || op.key === undefined ? null : fromHex(op.key);
  const base: FixtureOp = { ...op };
  switch (op.op) {
    case 'update':
      return { ...base, rc: map.updateHost(key!, valueOf(op, fx), op.flags ?? 0) };
    case 'delete':
      return { ...base, rc: map.deleteHost(key!) };
    case 'freeze':
      return { ...base, rc: map.freeze() };
    case 'lookup': {
      const r = map.lookupHostRc(key!, op.flags ?? 0);
      const out: FixtureOp = { op: op.op, key: op.key!, rc: typeof r === 'number' ? r : 0 };
      if (op.flags) out.flags = op.flags;
      if (typeof r !== 'number') Object.assign(out, describeValue(r, op, map.percpu ? cpus : 0, fx));
      return out;
    }
    case 'next': {
      const r = map.getNextKeyHostRc(key);
      const out: FixtureOp = { op: 'next', key: op.key ?? null, rc: typeof r === 'number' ? r : 0 };
      if (typeof r !== 'number') out.next = toHex(r);
      return out;
    }
    case 'walk': {
      const keys: string[] = [];
      let k: Uint8Array | null = null;
      let rc = 0;
      for (let i = 0; i < 100_000; i++) {
        const r = map.getNextKeyHostRc(k);
        if (typeof r === 'number') {
          rc = r;
          break;
        }
        keys.push(toHex(r));
        k = r;
      }
      return { ...base, keys, rc };
    }
    case 'plookup': {
      const off = map.lookup(key!, 0, op.cpu ?? 0);
      const out: FixtureOp = { op: 'plookup', key: op.key!, cpu: op.cpu ?? 0, rc: off >= 0 ? 0 : -Errno.ENOENT };
      if (off >= 0) Object.assign(out, describeValue(map.data.slice(off, off + map.valueSize), op, 0));
      return out;
    }
    case 'pupdate':
      return { ...base, rc: map.update(key!, 0, fromHex(op.value as string), 0, op.flags ?? 0, op.cpu ?? 0) };
    case 'pstale': {
      // program: p = lookup(k); update(k, v); read *p
      const cpu = op.cpu ?? 0;
      const off = map.lookup(key!, 0, cpu);
      if (off < 0) return { ...base, found: false, rc: 0, old: undefined };
      const rc = map.update(key!, 0, fromHex(op.value as string), 0, op.flags ?? 0, cpu);
      return { ...base, found: true, rc, old: toHex(map.data.slice(off, off + map.valueSize)) };
    }
    case 'pdelete':
      return { ...base, rc: map.delete(key!, 0) };
    default:
      throw new Error(`unknown fixture op ${op.op}`);
  }
}

function describeValue(v: Uint8Array, op: FixtureOp, cpus: number, fx: Pick<Fixture, 'handles'> = {}): Partial<FixtureOp> {
  if (op.map !== undefined) {
    const id = new DataView(v.buffer, v.byteOffset).getUint32(0, true);
    return { value: '', map: Object.keys(fx.handles ?? {})[id - 4000] ?? `id ${id}` };
  }
  if (op.prog !== undefined) {
    // a program id at the end of the recorded prefix: compare it by symbol
    const at = (op.value as string).length / 2;
    const id = new DataView(v.buffer, v.byteOffset).getUint32(at, true);
    return { value: toHex(v.subarray(0, at)), prog: id === 0 ? null : SYMBOL_OF_ID.get(id) ?? `id ${id}` };
  }
  if (cpus) {
    const slot = v.length / cpus;
    return { value: Array.from({ length: cpus }, (_, c) => toHex(v.subarray(c * slot, (c + 1) * slot))) };
  }
  return { value: toHex(v) };
}

/** Compares one op; walks of maps whose order is not deterministic are compared as sets. */
export function sameOp(actual: FixtureOp, expected: FixtureOp): boolean {
  if (expected.op === 'walk' && !expected.ordered) {
    const a = [...(actual.keys ?? [])].sort();
    const e = [...(expected.keys ?? [])].sort();
    return actual.rc === expected.rc && JSON.stringify(a) === JSON.stringify(e) && new Set(a).size === a.length;
  }
  return JSON.stringify(normalize(actual)) === JSON.stringify(normalize(expected));
}

function normalize(o: FixtureOp): FixtureOp {
  const keys = Object.keys(o).sort() as (keyof FixtureOp)[];
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out as unknown as FixtureOp;
}

export interface CaseResult {
  created: boolean;
  createErrno?: number;
  createCode?: string;
  info?: { maxEntries: number; flags: number };
  mismatches: { index: number; expected: FixtureOp; actual: FixtureOp }[];
}

/** Creates the map like the kernel case and replays all of its operations. */
export function replayCase(c: FixtureCase, cpus: number, fx: Pick<Fixture, 'handles'> = {}): CaseResult {
  let map: BpfMap;
  try {
    map = createFor(c, cpus, envFor({ handles: fx.handles, possibleCpus: cpus }));
  } catch (e) {
    if (!isMapError(e)) throw e;
    return { created: false, createErrno: e.errno, createCode: e.code, mismatches: [] };
  }
  const res: CaseResult = { created: true, info: { maxEntries: map.maxEntries, flags: map.flags }, mismatches: [] };
  (c.ops ?? []).forEach((op, index) => {
    const actual = runOp(map, op, cpus, fx);
    if (!sameOp(actual, op)) res.mismatches.push({ index, expected: op, actual });
  });
  return res;
}
