// Every kernel-recorded golden vector of the examples (test/fixtures/examples/*.json, recorded by
// test/kernel/record-examples.py with bpftool prog run) replayed through `nicsim test-run --json
// --engine ENGINE`: retval, data_out, every map and the trace output must be identical. The suite is
// declared by golden.test.ts (the interpreter) and test/jit/golden.test.ts (the JIT): by default nicsim shows the
// entries of arrays whose value has a non-zero byte (the kernel's dump, filtered so), with --dump-all
// every entry as bpftool prints it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { main } from '../../nic/cli/main.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';

interface Mask {
  map: string;
  offset: number;
  length: number;
}
interface Entry {
  key: string;
  value?: string;
  values?: string[];
  program?: string;
}
interface Case {
  name: string;
  object: string;
  program: string;
  data_in: string;
  repeat: number;
  map_updates: string[];
  /** MAP:FIRST:COUNT:V1[,V2...] array ranges (e.g. a 65,537-slot hash ring per VIP). */
  map_fills?: string[];
  tail_calls: string[];
  before: string[];
  possible_cpus: number;
  mask?: Mask[];
  /** "nonzero": large arrays were recorded by digest (see Digest), so the run has no --dump-all. */
  dump?: 'nonzero';
  expected: { retval: number; data_out: string; maps: Record<string, Entry[] | Digest>; trace?: string[] } | { error: string };
}
/** A large array's non-zero entries: their count and the SHA-256 of "key:value" lines (record-examples.py digest()). */
interface Digest {
  nonzero: number;
  sha256: string;
}

function digest(entries: Entry[]): Digest {
  const lines = entries.map((e) => `${e.key}:${e.value ?? e.values!.join(',')}`).join('\n');
  return { nonzero: entries.length, sha256: createHash('sha256').update(lines).digest('hex') };
}

const root = new URL('../../', import.meta.url).pathname;
// The examples' golden vectors, and kernel runs of every corpus program the verifier accepts
// (test/kernel/record-corpus-runs.py).
const dirs = [join(root, 'test/fixtures/examples'), join(root, 'test/fixtures/runs')];
const files = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json') && f !== 'known-differences.json').sort().map((f) => join(d, f)));
// Corpus programs whose kernel answer depends on the kernel itself (its tasks, addresses, clock,
// uninitialised stack, kernel functions), each with the reason.
const known = JSON.parse(readFileSync(join(root, 'test/fixtures/runs/known-differences.json'), 'utf8')) as Record<string, string>;
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-golden-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => '' });
  return { code, out, err };
}

function maskValue(hex: string, m: Mask[]): string {
  let h = hex;
  for (const x of m) h = h.slice(0, x.offset * 2) + '-'.repeat(x.length * 2) + h.slice((x.offset + x.length) * 2);
  return h;
}

function applyMasks(maps: Record<string, Entry[] | Digest>, masks: Mask[] = []): Record<string, Entry[] | Digest> {
  const out: Record<string, Entry[] | Digest> = {};
  for (const [name, entries] of Object.entries(maps)) {
    const m = masks.filter((x) => x.map === name);
    out[name] = m.length && Array.isArray(entries)
      ? entries.map((e) => ({ ...e, ...(e.value ? { value: maskValue(e.value, m) } : {}), ...(e.values ? { values: e.values.map((v) => maskValue(v, m)) } : {}) }))
      : entries;
  }
  return out;
}

// Maps listed by index (every index in the kernel's dump): arrays, per-CPU arrays and slot maps.
const INDEXED = new Set(['array', 'percpu_array', 'prog_array', 'devmap', 'cpumap', 'xskmap', 'array_of_maps']);
const nonZero = (e: Entry) => /[1-9a-f]/.test(e.value ?? e.values?.join('') ?? '1');

/** The kernel's dump as nicsim shows it by default: arrays without their all-zero entries. */
function defaultView(object: string, maps: Record<string, Entry[] | Digest>): Record<string, Entry[] | Digest> {
  const types = new Map(loadObjectFile(join(root, object)).maps.map((m) => [m.name, m.typeName]));
  const out: Record<string, Entry[] | Digest> = {};
  for (const [name, entries] of Object.entries(maps)) {
    out[name] = Array.isArray(entries) && INDEXED.has(types.get(name) ?? '') ? entries.filter(nonZero) : entries;
  }
  return out;
}

/** Declares the golden-vector suite for one engine. */
export function goldenSuite(engine: 'interp' | 'jit'): void {
describe('known differences', () => {
  it('name corpus programs that exist, each with a reason', () => {
    const programs = new Set((JSON.parse(readFileSync(join(root, 'test/fixtures/runs/corpus.json'), 'utf8')) as Case[]).map((c) => c.program));
    for (const [p, why] of Object.entries(known)) {
      expect(programs.has(p), p).toBe(true);
      expect(why.length).toBeGreaterThan(20);
    }
  });
});

describe.each(files.map((f) => [f.slice(root.length), f] as const))('%s', (_rel, file) => {
  const cases = (JSON.parse(readFileSync(file, 'utf8')) as Case[]).filter((c) => !(file.includes('/runs/') && c.program in known));
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const input = join(tmp, `${c.name.replace(/\W/g, '_')}-${cases.indexOf(c)}.bin`);
    writeFileSync(input, Buffer.from(c.data_in, 'hex'));
    const argv = ['test-run', join(root, c.object), '--program', c.program, '--data-in', input, '--repeat', String(c.repeat), '--cpus', String(c.possible_cpus), '--engine', engine, '--json'];
    for (const u of c.map_updates) argv.push('--map-update', u);
    for (const f of c.map_fills ?? []) argv.push('--map-fill', f);
    for (const t of c.tail_calls) argv.push('--tail-call', t);
    for (const b of c.before) argv.push('--before', b);
    // every case by default; the first of each file also with --dump-all (every index, like bpftool)
    const all = cases.indexOf(c) === 0 && !('error' in c.expected) && c.dump !== 'nonzero';
    const r = await run(all ? [...argv, '--dump-all'] : argv);
    if ('error' in c.expected) {
      expect(r.code).not.toBe(0);
      expect(JSON.parse(r.out).error.code).toBe(`test_run.${c.expected.error}`);
      return;
    }
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out) as { retval: number; data_out: string; maps: Record<string, Entry[]>; trace?: string[] };
    expect(got.retval).toBe(c.expected.retval);
    expect(got.data_out).toBe(c.expected.data_out);
    const want = all ? c.expected.maps : defaultView(c.object, c.expected.maps);
    for (const [name, w] of Object.entries(want)) if (!Array.isArray(w) && got.maps[name]) got.maps[name] = digest(got.maps[name]) as never;
    expect(applyMasks(got.maps, c.mask)).toEqual(applyMasks(want, c.mask));
    expect(got.trace ?? []).toEqual(c.expected.trace ?? []);
  });
});
}
