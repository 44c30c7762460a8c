// katran's balancer through `nicsim test-run` against the kernel's run of the same case
// (test/fixtures/katran/balancer-vip.json, recorded by test/kernel/record-katran.py with bpftool): one
// IPv4 TCP VIP, three reals on its ring, a TCP SYN; the kernel encapsulates it in IPIP towards one real
// and returns XDP_TX. The object is katran's own build and stays outside the project: the test skips
// when it is absent (KATRAN_OBJECT, default /tmp/katran/balancer.bpf.o) or is another build than the one
// recorded.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './run.ts';
import { katranCase } from '../../bench/katran-case.ts';

interface Entry {
  key: string;
  value?: string;
  values?: string[];
}
interface Fixture {
  object_sha256: string;
  possible_cpus: number;
  case: { program: string; data_in: string; map_updates: string[]; map_fills: string[]; reals: Record<string, string>; router_mac: string };
  expected: { retval: number; data_out: string; maps: Record<string, Entry[]> };
  not_recorded: string[];
  clock_fields: { map: string; key: string; bytes: [number, number] }[];
}

const fx = JSON.parse(readFileSync(join(root, 'test/fixtures/katran/balancer-vip.json'), 'utf8')) as Fixture;
const object = process.env.KATRAN_OBJECT ?? '/tmp/katran/balancer.bpf.o';
const sameBuild = existsSync(object) && createHash('sha256').update(readFileSync(object)).digest('hex') === fx.object_sha256;

it('the recorded case is the one the bench builds (bench/katran-case.ts)', () => {
  expect(fx.case).toEqual(katranCase());
});

describe.skipIf(!sameBuild)(`katran's balancer (${object}) against the kernel`, () => {
  it('encapsulates the SYN towards the real the kernel picks, with the kernel\'s map contents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nicsim-katran-'));
    try {
      const din = join(dir, 'in.bin');
      writeFileSync(din, Buffer.from(fx.case.data_in, 'hex'));
      const args = ['test-run', object, '--program', fx.case.program, '--data-in', din, '--cpus', String(fx.possible_cpus), '--json'];
      for (const u of fx.case.map_updates) args.push('--map-update', u);
      for (const f of fx.case.map_fills) args.push('--map-fill', f);
      const r = await cli(args);
      expect(r.code, r.err).toBe(0);
      const got = JSON.parse(r.out) as { retval: number; data_out: string; maps: Record<string, Entry[]> };
      expect(got.retval).toBe(fx.expected.retval);
      expect(got.data_out).toBe(fx.expected.data_out);
      // clock readings (bpf_ktime_get_ns) are masked on both sides, per CPU value
      const masked = (name: string, es: Entry[]) =>
        es.map((e) => {
          const c = fx.clock_fields.find((f) => f.map === name && f.key === e.key);
          const m = (v: string) => (c ? v.slice(0, 2 * c.bytes[0]) + '..'.repeat(c.bytes[1] - c.bytes[0]) + v.slice(2 * c.bytes[1]) : v);
          return { ...e, ...(e.value !== undefined ? { value: m(e.value) } : {}), ...(e.values ? { values: e.values.map(m) } : {}) };
        });
      for (const [name, entries] of Object.entries(fx.expected.maps)) expect(masked(name, got.maps[name] ?? []), name).toEqual(masked(name, entries));
      // what the kernel's answer means: XDP_TX of an IPIP packet to one of the VIP's reals, sent to the router
      const out = Buffer.from(got.data_out, 'hex');
      expect(got.retval).toBe(3);
      expect(out.subarray(0, 6).toString('hex')).toBe(fx.case.router_mac.replaceAll(':', ''));
      expect(out[14]).toBe(0x45);
      expect(out[23]).toBe(4); // IPPROTO_IPIP
      expect(Object.values(fx.case.reals)).toContain([...out.subarray(30, 34)].join('.'));
      expect(out.subarray(34).toString('hex')).toBe(fx.case.data_in.slice(28));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
