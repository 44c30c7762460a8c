// Every kernel-recorded golden vector of the examples (test/fixtures/examples/*.json, recorded by
// test/kernel/record-examples.py with bpftool prog run) replayed through `nicsim test-run --json`:
// retval, data_out, every map and the trace output must be identical.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../nic/cli/main.ts';

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
  tail_calls: string[];
  before: string[];
  possible_cpus: number;
  mask?: Mask[];
  expected: { retval: number; data_out: string; maps: Record<string, Entry[]>; trace?: string[] } | { error: string };
}

const root = new URL('../../', import.meta.url).pathname;
const dir = join(root, 'test/fixtures/examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
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

function applyMasks(maps: Record<string, Entry[]>, masks: Mask[] = []): Record<string, Entry[]> {
  const out: Record<string, Entry[]> = {};
  for (const [name, entries] of Object.entries(maps)) {
    const m = masks.filter((x) => x.map === name);
    out[name] = m.length
      ? entries.map((e) => ({ ...e, ...(e.value ? { value: maskValue(e.value, m) } : {}), ...(e.values ? { values: e.values.map((v) => maskValue(v, m)) } : {}) }))
      : entries;
  }
  return out;
}

describe.each(files)('%s', (file) => {
  const cases = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case[];
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const input = join(tmp, `${file}-${c.name}.bin`);
    writeFileSync(input, Buffer.from(c.data_in, 'hex'));
    const argv = ['test-run', join(root, c.object), '--program', c.program, '--data-in', input, '--repeat', String(c.repeat), '--cpus', String(c.possible_cpus), '--json'];
    for (const u of c.map_updates) argv.push('--map-update', u);
    for (const t of c.tail_calls) argv.push('--tail-call', t);
    for (const b of c.before) argv.push('--before', b);
    const r = await run(argv);
    if ('error' in c.expected) {
      expect(r.code).not.toBe(0);
      expect(JSON.parse(r.out).error).toBe(c.expected.error);
      return;
    }
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out) as { retval: number; data_out: string; maps: Record<string, Entry[]>; trace?: string[] };
    expect(got.retval).toBe(c.expected.retval);
    expect(got.data_out).toBe(c.expected.data_out);
    expect(applyMasks(got.maps, c.mask)).toEqual(applyMasks(c.expected.maps, c.mask));
    expect(got.trace ?? []).toEqual(c.expected.trace ?? []);
  });
});
