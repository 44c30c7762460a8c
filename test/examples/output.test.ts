// The kernel's output channels replayed: test/fixtures/output/xdp_sample.json (recorded by
// test/kernel/record-output.py from mmapped perf rings and the mmapped BPF ring buffer) through
// `nicsim test-run --perf-out --ringbuf-out --json`: every perf record (cpu, data, packet sample),
// every committed ring buffer record in order, the return codes the program kept (-ENOENT without a
// listener, -EOPNOTSUPP for another CPU's slot, -EINVAL / -EFAULT for bad flags, -EAGAIN and NULL
// reservations once the 4 KiB ring is full) and bpf_ringbuf_query's answers must be identical.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../nic/cli/main.ts';

interface Case {
  name: string;
  object: string;
  program: string;
  data_in: string;
  repeat: number;
  perf_events: boolean;
  possible_cpus: number;
  expected: {
    retval: number;
    data_out: string;
    perf: { cpu: number; size: number; bytes: string; sample?: string }[];
    ringbuf: { size: number; bytes: string; pg_off: number; discarded: boolean }[];
    maps: { out_stats: { key: string; value: string }[] };
  };
}

const root = new URL('../../', import.meta.url).pathname;
const cases = JSON.parse(readFileSync(join(root, 'test/fixtures/output/xdp_sample.json'), 'utf8')) as Case[];
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-output-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('perf_event_array and ringbuf output, as the kernel delivers it', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const base = join(tmp, c.name);
    writeFileSync(`${base}.bin`, Buffer.from(c.data_in, 'hex'));
    const argv = ['test-run', join(root, c.object), '--program', c.program, '--data-in', `${base}.bin`, '--repeat', String(c.repeat),
      '--cpus', String(c.possible_cpus), '--ringbuf-out', `${base}.rb`, '--json'];
    if (c.perf_events) argv.push('--perf-out', `${base}.perf`);
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), stdin: async () => '' });
    expect(err).toBe('');
    expect(code).toBe(0);
    const got = JSON.parse(out) as { retval: number; data_out: string; maps: Record<string, { key: string; value: string }[]> };
    expect(got.retval).toBe(c.expected.retval);
    expect(got.data_out).toBe(c.expected.data_out);
    if (c.perf_events) expect(lines(`${base}.perf`)).toEqual(c.expected.perf);
    else expect(c.expected.perf).toEqual([]);
    const committed = c.expected.ringbuf.filter((r) => !r.discarded).map((r) => ({ map: 'rb', size: r.size, bytes: r.bytes }));
    expect(lines(`${base}.rb`)).toEqual(committed);
    expect(got.maps.out_stats).toEqual(c.expected.maps.out_stats.filter((e) => /[1-9a-f]/.test(e.value)));
    expect(got.maps.events).toEqual([]);
    expect(got.maps.rb).toEqual([]);
  });

  it('the ring buffer writes the kernel\'s record headers (page offset, discard bit) into its data pages', async () => {
    const { loadObjectFile } = await import('../../offload/elf/index.ts');
    const { loadForRun } = await import('../../nic/runtime/load.ts');
    const { testRun } = await import('../../nic/runtime/test-run.ts');
    const { RingBuf } = await import('../../firmware/maps/index.ts');
    const c = cases.find((x) => x.name === 'sample_arp_discarded')!;
    const obj = loadForRun(loadObjectFile(join(root, c.object)), { cpus: c.possible_cpus });
    testRun(obj, { program: c.program, dataIn: Buffer.from(c.data_in, 'hex'), dump: 'none' });
    const rb = obj.maps.find((m) => m instanceof RingBuf) as InstanceType<typeof RingBuf>;
    let off = rb.dataOff;
    for (const want of c.expected.ringbuf) {
      const len = rb.i32[off >> 2]! >>> 0;
      expect({ size: len & 0x3fffffff, discarded: (len & 0x40000000) !== 0, pg_off: rb.i32[(off >> 2) + 1] }).toEqual({ size: want.size, discarded: want.discarded, pg_off: want.pg_off });
      off += Math.ceil((want.size + 8) / 8) * 8;
    }
  });
});
