// Shared by the engine tests: the kernel-recorded golden vectors of the examples
// (test/fixtures/examples/*.json, recorded by test/kernel/record-examples.py with bpftool prog run)
// and a way to run one through the runtime (nic/runtime) directly, with or without punts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObjectFile, type ObjectSpec } from '../../offload/elf/index.ts';
import { loadForRun, type LoadedObject } from '../../nic/runtime/load.ts';
import { type MapEntryJson, testRun, type TestRunResult, type TestRunStats } from '../../nic/runtime/test-run.ts';

export interface Mask {
  map: string;
  offset: number;
  length: number;
}

export interface GoldenCase {
  name: string;
  object: string;
  program: string;
  data_in: string;
  repeat: number;
  map_updates: string[];
  tail_calls: string[];
  before: string[];
  possible_cpus: number;
  mask?: Mask[];
  expected: { retval: number; data_out: string; maps: Record<string, MapEntryJson[]>; trace?: string[] } | { error: string };
}

export type OkCase = GoldenCase & { expected: Exclude<GoldenCase['expected'], { error: string }> };

export const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Every golden case of the examples that the kernel ran to completion, except those of objects with
 * arrays of millions of entries (`"dump": "nonzero"`, xdp_balancer: recorded as digests, replayed by
 * test/examples/golden.test.ts), whose full dumps these tests would repeat at every punt.
 */
export function goldenCases(): OkCase[] {
  const dir = join(ROOT, 'test/fixtures/examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as GoldenCase[])
    .filter((c): c is OkCase => !('error' in c.expected) && (c as { dump?: string }).dump !== 'nonzero');
}

/**
 * The kernel runs of the verifier corpus (test/fixtures/runs/corpus.json, recorded by
 * test/kernel/record-corpus-runs.py) that completed, minus the known differences.
 */
export function corpusCases(): OkCase[] {
  const dir = join(ROOT, 'test/fixtures/runs');
  const known = JSON.parse(readFileSync(join(dir, 'known-differences.json'), 'utf8')) as Record<string, string>;
  return (JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8')) as GoldenCase[]).filter((c): c is OkCase => !('error' in c.expected) && !(c.program in known));
}

const specs = new Map<string, ObjectSpec>();
export function specOf(object: string): ObjectSpec {
  let s = specs.get(object);
  if (!s) {
    s = loadObjectFile(join(ROOT, object));
    specs.set(object, s);
  }
  return s;
}

/** A fresh load of the case's object (fresh maps) with two core slots: NIC core and host path. */
export function loadCase(c: GoldenCase): LoadedObject {
  return loadForRun(specOf(c.object), { cpus: c.possible_cpus, cores: 2 });
}

// One loaded object per case, reset between runs by restoring the arena's bytes as loaded (the arena
// holds every map's whole state), which is much cheaper than loading again.
const loaded = new Map<GoldenCase, { obj: LoadedObject; bytes: Uint8Array }>();
function freshObject(c: GoldenCase): LoadedObject {
  let e = loaded.get(c);
  if (!e) {
    const obj = loadCase(c);
    e = { obj, bytes: new Uint8Array(obj.arena.sab).slice() };
    loaded.set(c, e);
  } else new Uint8Array(e.obj.arena.sab).set(e.bytes);
  return e.obj;
}

/** Runs the case like `nicsim test-run` would, optionally punting at `punts`. */
export function runCase(c: GoldenCase, punts?: ReadonlyMap<string, readonly number[]>, stats?: TestRunStats): TestRunResult {
  return testRun(
    freshObject(c),
    { program: c.program, dataIn: Uint8Array.from(Buffer.from(c.data_in, 'hex')), repeat: c.repeat, mapUpdates: c.map_updates, tailCalls: c.tail_calls, before: c.before, ...(punts ? { punts } : {}) },
    stats,
  );
}

/**
 * Like runCase without the map dump: the result plus a copy of the arena's map area (every map's
 * whole state). Two runs with equal map areas have equal map dumps.
 */
export function runCaseBytes(
  c: GoldenCase,
  punts?: ReadonlyMap<string, readonly number[]>,
  stats?: TestRunStats,
  hostPunts?: ReadonlyMap<string, readonly number[]>,
): { result: TestRunResult; maps: Buffer } {
  const obj = freshObject(c);
  const result = testRun(
    obj,
    {
      program: c.program,
      dataIn: Uint8Array.from(Buffer.from(c.data_in, 'hex')),
      repeat: c.repeat,
      mapUpdates: c.map_updates,
      tailCalls: c.tail_calls,
      before: c.before,
      dumpMaps: false,
      ...(punts ? { punts } : {}),
      ...(hostPunts ? { hostPunts } : {}),
    },
    stats,
  );
  const start = obj.arena.plan.maps[0]?.offset ?? obj.arena.plan.bytes;
  return { result, maps: Buffer.from(obj.arena.sab, start, obj.arena.plan.bytes - start) };
}

function maskValue(hex: string, m: Mask[]): string {
  let h = hex;
  for (const x of m) h = h.slice(0, x.offset * 2) + '-'.repeat(x.length * 2) + h.slice((x.offset + x.length) * 2);
  return h;
}

/** Map dumps with the case's masked bytes (kernel addresses, clocks) blanked. */
export function masked(maps: Record<string, MapEntryJson[]>, masks: Mask[] = []): Record<string, MapEntryJson[]> {
  const out: Record<string, MapEntryJson[]> = {};
  for (const [name, entries] of Object.entries(maps)) {
    const m = masks.filter((x) => x.map === name);
    out[name] = m.length
      ? entries.map((e) => ({ ...e, ...(e.value ? { value: maskValue(e.value, m) } : {}), ...(e.values ? { values: e.values.map((v) => maskValue(v, m)) } : {}) }))
      : entries;
  }
  return out;
}
