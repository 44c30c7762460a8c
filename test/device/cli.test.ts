// nicsim run on the command line: pcapng input (a text2pcap file, test/fixtures/traffic), generated
// traffic, --json, a truncated capture (warning, the rest processed), a bad file (exit 3, located),
// usage errors; output pcaps read back by tshark where it is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../nic/cli/main.ts';
import { framesOf, ROOT } from './helpers.ts';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => '' });
  return { code, out, err };
}

const COUNT = `${ROOT}examples/xdp_count.o`;
const HOST = `${ROOT}configs/host-x86.yaml`;
const hasTshark = spawnSync('tshark', ['-v']).status === 0;

describe('nicsim run (CLI)', () => {
  it('--pcap FILE.pcapng --json --out DIR: one document, outputs in DIR, every packet counted once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nicsim-cli-'));
    const input = `${ROOT}test/fixtures/traffic/basic.pcapng`;
    // What tshark read from the file (recorded by test/traffic/record-fixtures.py).
    const n = (JSON.parse(readFileSync(`${input}.tshark.json`, 'utf8')) as { frames: unknown[] }).frames.length;
    const r = await cli(['run', COUNT, '--profile', HOST, '--pcap', input, '--cores', '2', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    for (const k of ['verdict', 'packets', 'actions', 'nic_drops', 'fallback', 'per_core', 'queues', 'maps', 'outputs', 'wall_seconds', 'wall_mpps']) expect(doc).toHaveProperty(k);
    expect(doc.packets).toBe(n);
    const a = doc.actions;
    expect(doc.nic_drops + a.aborted + a.drop + a.pass + a.tx + a.redirect).toBe(n);
    expect(doc.outputs.pass).toBe(join(out, 'pass.pcap'));
    expect(framesOf(doc.outputs.pass).length).toBe(a.pass);
    if (hasTshark) {
      const t = execFileSync('tshark', ['-r', doc.outputs.pass, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(t.trim().split('\n').length).toBe(a.pass);
    }
  });

  it('--traffic SPEC --seed N: the generator\'s packets, the same run twice', async () => {
    const args = ['run', COUNT, '--profile', HOST, '--traffic', 'packets=300,flows=20', '--seed', '5', '--cores', '2', '--json'];
    const a = JSON.parse((await cli(args)).out);
    const b = JSON.parse((await cli(args)).out);
    expect(a.packets).toBe(300);
    expect(b.actions).toEqual(a.actions);
    // proto_stats (per-CPU, per modeled core under RSS) and depth_hist (atomic adds) commute: identical.
    expect(b.maps.proto_stats).toEqual(a.maps.proto_stats);
    expect(b.maps.depth_hist).toEqual(a.maps.depth_hist);
    // ethertypes is lookup-then-BPF_NOEXIST insert: two cores that both miss a new key race, and the
    // loser's first count is lost (EEXIST), as in the kernel (README, Determinism). Same keys; with 2
    // cores a value can differ by at most the one lost first insert.
    const byKey = (m: { key: string; value: string }[]) => new Map(m.map((e) => [e.key, BigInt('0x' + Buffer.from(e.value, 'hex').reverse().toString('hex'))]));
    const ea = byKey(a.maps.ethertypes);
    const eb = byKey(b.maps.ethertypes);
    expect([...eb.keys()].sort()).toEqual([...ea.keys()].sort());
    for (const [k, v] of ea) expect(Number(v - eb.get(k)!) ** 2).toBeLessThanOrEqual(1);
  });

  it('a truncated last record is reported and the rest processed; a file that is no capture exits 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nicsim-cli-'));
    const whole = readFileSync(`${ROOT}test/fixtures/traffic/le-us.pcap`);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 5));
    const r = await cli(['run', COUNT, '--profile', HOST, '--pcap', cut, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*cut\.pcap: record \d+ at byte \d+/);
    expect(JSON.parse(r.out).packets).toBe(framesOf(`${ROOT}test/fixtures/traffic/le-us.pcap`).length - 1);
    const bad = join(dir, 'bad.pcap');
    writeFileSync(bad, 'not a capture at all');
    const b = await cli(['run', COUNT, '--profile', HOST, '--pcap', bad]);
    expect(b.code).toBe(3);
    expect(b.err).toMatch(/bad\.pcap.*not a pcap or pcapng file/);
    expect(b.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('usage: exactly one of --pcap / --traffic, --profile required, unknown engine', async () => {
    expect((await cli(['run', COUNT, '--profile', HOST])).code).toBe(2);
    expect((await cli(['run', COUNT, '--pcap', 'x.pcap'])).code).toBe(2);
    const e = await cli(['run', COUNT, '--profile', HOST, '--traffic', 'packets=1', '--engine', 'nope']);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/unknown engine/);
  });
});
