// Conntrack kfuncs in `nicsim run`: one table shared by every modeled core (real worker threads),
// against the kernel. test/kernel/record-ct-device.py ran test/fixtures/kfuncs/progs/ct_gate.o (a
// SYN-proxy-like gate) over two phases of packets through BPF_PROG_TEST_RUN against the host's real
// conntrack table; here the same object runs on 2 modeled cores of a device, phase 1 (the SYNs insert
// the flows) and phase 2 (the replies and ACKs find them) as two runs of one Nic, so that every entry
// a phase-2 packet needs was inserted before, by whichever core. RSS sends a flow's reply direction to
// another core than its SYN for some flows: those are found only if the table is shared. Phase 3 is
// about lifetimes: a 2 s entry, its flow's ACK 1.5 s later (found) and 2.5 s later (expired), replayed
// with the kernel's recorded times as the packets' timestamps (simulated time, not wall time).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Nic } from '../../nic/device/nic.ts';
import { Rss } from '../../nic/device/rss.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { openCapture } from '../../nic/traffic/index.ts';
import type { Packet } from '../../nic/device/io.ts';
import { root } from './helpers.ts';

interface Row {
  data_in: string;
  retval: number;
  data_out: string;
  /** Phase 3: the packet's time since the phase's first packet in the kernel's run (ns). */
  at_ns?: number;
}
const rec = JSON.parse(readFileSync(join(root, 'test/fixtures/kfuncs/ct-device.json'), 'utf8')) as { phases: Row[][]; nf_conntrack: string[] };
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-ct-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function profile(name = 'host-x86') {
  const p = loadProfile(join(root, `configs/${name}.yaml`));
  p.rx = { ...p.rx, queues: 2 };
  return p;
}

const packets = (rows: Row[], t0: bigint): Packet[] =>
  rows.map((r, i) => ({ tsNs: t0 + (r.at_ns !== undefined ? BigInt(r.at_ns) : BigInt(i) * 1000n), data: Buffer.from(r.data_in, 'hex'), wireLen: r.data_in.length / 2, index: i }));
const passed = (dir: string) => [...openCapture(join(dir, 'pass.pcap')).copies()].map((p) => Buffer.from(p.data).toString('hex'));

describe('nicsim run: one conntrack table for every core', () => {
  // host-x86 runs the whole program on its cores; agilio-cx-fallback cannot call kfuncs on the NIC
  // (offload.isa.kfuncs: false), so each packet reaches a punt pc and the host path continues it
  it.each(['host-x86', 'agilio-cx-fallback'])('on %s, phase by phase, every packet ends as in the kernel, and the table holds the kernel\'s entries', async (name) => {
    expect(rec.phases.map((p) => p.map((r) => r.retval))[2]).toEqual([2, 2, 1]); // the recording saw the expiry
    const nic = Nic.open(join(root, 'test/fixtures/kfuncs/progs/ct_gate.o'), profile(name), { cores: 2, workers: 2 });
    expect(nic.workers).toBe(2);
    expect(nic.check.verdict).toBe(name === 'host-x86' ? 'offload' : 'partial');
    const rss = new Rss({ queues: 2 });
    let crossed = 0;
    for (const [k, rows] of rec.phases.entries()) {
      const out = join(tmp, `phase${k}`);
      const r = await nic.run(packets(rows, 1_700_000_000_000_000_000n + BigInt(k) * 1_000_000n), { outDir: `${out}-${name}` });
      expect(r.actions.pass).toBe(rows.filter((x) => x.retval === 2).length);
      expect(r.actions.drop).toBe(rows.filter((x) => x.retval === 1).length);
      expect(r.actions.aborted).toBe(0);
      // the PASS packets with what the kfuncs returned, in input order
      if (name !== 'host-x86') expect(r.fallback.packets).toBeGreaterThan(0);
      expect(passed(`${out}-${name}`)).toEqual(rows.filter((x) => x.retval === 2).map((x) => x.data_out));
      if (k < 2) expect(r.per_core.every((c) => c.packets > 0)).toBe(true);
      if (k === 1) {
        // phase 2 row 2i is flow i's reply (server -> client), phase 1 row i its SYN
        const q = (hex: string) => rss.queueOf(Buffer.from(hex, 'hex'));
        for (let i = 0; i < 16; i++) if (q(rows[2 * i]!.data_in) !== q(rec.phases[0]![i]!.data_in)) crossed++;
      }
      const ct = r.conntrack!;
      expect(ct.inserted_by_program).toBe(16);
      expect(ct.entries).toBe(16);
    }
    expect(crossed).toBeGreaterThan(0);
    // the same connections as the kernel's table after the recording (original direction)
    const kernelFlows = rec.nf_conntrack.map((l) => /src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/.exec(l)!.slice(1).join(' ')).sort();
    const r = await nic.run([], {});
    expect(r.conntrack!.table.map((e) => `${e.src} ${e.dst} ${e.sport} ${e.dport}`).sort()).toEqual(kernelFlows);
    for (const e of r.conntrack!.table) expect(e).toMatchObject({ proto: 'tcp', zone: 0, status: 8, by_program: true }); // IPS_CONFIRMED; /proc: [UNREPLIED]
  }, 60_000);
});

describe('nicsim run --conntrack', () => {
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { stdout: (t: string) => void (o.out += t), stderr: (t: string) => void (o.err += t), stdin: async () => '' } };
  };
  const tcp = (src: number[], dst: number[], sport: number, dport: number, flags: number) => {
    const f = new Uint8Array(96);
    f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 82, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, ...dst], 0);
    f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff], 34);
    return f;
  };

  it('seeds the table every core sees; --json and the summary report the table after the run', async () => {
    const { PcapWriter } = await import('../../nic/traffic/index.ts');
    const { writeFileSync } = await import('node:fs');
    const { main } = await import('../../nic/cli/main.ts');
    const pcap = join(tmp, 'seeded.pcap');
    const w = new PcapWriter(pcap);
    const c = [10, 7, 0, 1];
    const s = [10, 8, 0, 1];
    [tcp(c, s, 33000, 80, 0x10), tcp(s, c, 80, 33000, 0x10), tcp(c, s, 33001, 80, 0x10)].forEach((data, i) => w.write({ tsNs: 1_000_000n * BigInt(i + 1), data }));
    w.close();
    const seed = join(tmp, 'seed.json');
    writeFileSync(seed, JSON.stringify([{ proto: 'tcp', src: '10.7.0.1', dst: '10.8.0.1', sport: 33000, dport: 80, status: 2 }]));
    const args = ['run', join(root, 'test/fixtures/kfuncs/progs/ct_gate.o'), '--profile', join(root, 'configs/host-x86.yaml'), '--pcap', pcap, '--conntrack', seed, '--cores', '2'];
    const j = io();
    expect(await main([...args, '--json'], j.io)).toBe(0);
    const doc = JSON.parse(j.o.out);
    expect(doc.actions).toMatchObject({ pass: 2, drop: 1 });
    expect(doc.conntrack).toEqual({ entries: 1, inserted_by_program: 0, table: [{ proto: 'tcp', src: '10.7.0.1', dst: '10.8.0.1', sport: 33000, dport: 80, zone: 0, status: 10, timeout_ms: 31_000, by_program: false }] });
    const h = io();
    expect(await main(args, h.io)).toBe(0);
    expect(h.o.out).toMatch(/conntrack after the run: 1 entry \(0 inserted by the program\)/);
    writeFileSync(seed, '[{"proto":"sctp"}]');
    const bad = io();
    expect(await main([...args, '--json'], bad.io)).toBe(3);
    expect(JSON.parse(bad.o.out).error.message).toMatch(/entry 0: proto/);
  }, 60_000);
});
