// The throughput model on hand-computed cases: every expected number below is worked out in the
// comment next to it from the profile's parameters, not taken from nicsim's output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfile, type Profile } from '../../nic/profile/index.ts';
import { type PacketCost, ThroughputModel } from '../../nic/model/throughput.ts';
import { Histogram } from '../../nic/model/histogram.ts';

/** A profile of `cores` cores at 1000 MHz (1 cycle = 1 ns), a 100 Gbit/s port, 10 Gbit/s PCIe. */
function profile(cores: number, threads = 1, hostCores = 1): Profile {
  const dir = mkdtempSync(join(tmpdir(), 'nicsim-model-'));
  const f = join(dir, 'p.yaml');
  writeFileSync(
    f,
    [
      'name: model-test',
      'description: hand-computed model cases',
      'kind: offload',
      'cores:',
      `  count: ${cores}`,
      '  clock_mhz: 1000',
      `  threads_per_core: ${threads}`,
      'host:',
      `  cores: ${hostCores}`,
      '  clock_mhz: 2000',
      '  pass_overhead_ns: 0',
      '  pcie: { latency_ns: 500, bandwidth_gbps: 10 }',
      '  line_rate_gbps: 100',
    ].join('\n'),
  );
  return loadProfile(f);
}

const pkt = (over: Partial<PacketCost>): PacketCost => ({ arrivalNs: 0, wireBytes: 64, queue: 0, compute: 100, stall: 0, hostCycles: 0, pcieBytes: 0, pass: false, ...over });

/** n packets back to back at the line rate, queue i % queues on core (queue % cores). */
function feed(m: ThroughputModel, n: number, cores: number, queues: number, over: Partial<PacketCost> = {}, spacingNs?: number): void {
  // 64 B + 20 B preamble/IFG at 100 Gbit/s = 84 * 8 / 100 = 6.72 ns per frame
  const gap = spacingNs ?? m.wireNs(over.wireBytes ?? 64);
  for (let i = 0; i < n; i++) {
    const q = i % queues;
    m.add(q % cores, pkt({ arrivalNs: i * gap, queue: q, ...over }));
  }
}

describe('throughput model, hand-computed', () => {
  it('a 100-cycle program on 2 cores at 1 GHz: 20 Mpps, bound by the cores', () => {
    // 100 cycles at 1000 MHz = 100 ns per packet per core -> 10 Mpps per core, 20 Mpps for two
    const m = new ThroughputModel(profile(2), { cores: 2, ringDepth: 1 << 20 });
    feed(m, 10_000, 2, 2);
    const r = m.finish();
    expect(r.capacity_mpps).toBeCloseTo(20, 9);
    // offered: one frame per 6.72 ns = 148.8 Mpps, far above capacity
    expect(r.offered_mpps).toBeCloseTo(1e3 / 6.72, 6);
    expect(r.mpps).toBeCloseTo(20, 9);
    expect(r.bottleneck.resource).toBe('cores');
    // 20 Mpps x 64 B x 8 = 10.24 Gbit/s
    expect(r.gbps).toBeCloseTo(10.24, 9);
    expect(r.per_core_utilization).toEqual([1, 1]);
  });

  it('below capacity the offered load is carried, utilisation is offered / capacity', () => {
    // one packet every 200 ns = 5 Mpps offered on 2 cores of 10 Mpps: 25 % each
    const m = new ThroughputModel(profile(2), { cores: 2, ringDepth: 64 });
    feed(m, 1001, 2, 2, {}, 200);
    const r = m.finish();
    expect(r.mpps).toBeCloseTo(5, 9);
    for (const u of r.per_core_utilization) expect(u).toBeCloseTo(0.25, 2);
    expect(r.nic_drops).toBe(0);
    // no queueing (each core is idle when its next packet has fully arrived): latency = 100 ns service
    expect(r.latency_ns.max).toBeCloseTo(100, 6);
  });

  it('one hot queue from skewed RSS limits the whole NIC to one core', () => {
    // 4 cores, all packets on queue 0 -> core 0: 10 Mpps, not 40
    const m = new ThroughputModel(profile(4), { cores: 4, ringDepth: 1 << 20 });
    feed(m, 4000, 4, 1);
    const r = m.finish();
    expect(r.capacity_mpps).toBeCloseTo(10, 9);
    expect(r.bottleneck.resource).toBe('hot_queue');
    expect(r.bottleneck.detail).toContain('queue 0');
  });

  it('mildly unbalanced queues stay a plain core bottleneck at the busiest core', () => {
    // queues 0..3 on 2 cores: core 0 gets queues 0 and 2 -> 60 % of packets (3 of 5 per cycle of 5)
    const m = new ThroughputModel(profile(2), { cores: 2, ringDepth: 1 << 20 });
    for (let i = 0; i < 5000; i++) m.add(i % 5 < 3 ? 0 : 1, pkt({ arrivalNs: i * 6.72, queue: i % 5 < 3 ? 0 : 1 }));
    const r = m.finish();
    // core 0: 0.6 of the packets at 100 ns each saturates at 1 / (0.6 * 100 ns) = 16.67 Mpps
    expect(r.capacity_mpps).toBeCloseTo(1e3 / 60, 6);
    expect(r.bottleneck.resource).toBe('cores');
  });

  it('hardware threads hide memory stalls but not compute', () => {
    // compute 50 + stall 150 cycles: one thread is busy 200 ns per packet (5 Mpps per core);
    // four threads overlap the stalls: max(50, 200 / 4) = 50 ns (20 Mpps per core)
    const one = new ThroughputModel(profile(1, 1), { cores: 1, ringDepth: 1 << 20 });
    feed(one, 1000, 1, 1, { compute: 50, stall: 150 });
    expect(one.finish().capacity_mpps).toBeCloseTo(5, 9);
    const four = new ThroughputModel(profile(1, 4), { cores: 1, ringDepth: 1 << 20 });
    feed(four, 1000, 1, 1, { compute: 50, stall: 150 });
    expect(four.finish().capacity_mpps).toBeCloseTo(20, 9);
    // compute-bound: 150 compute + 50 stall on 4 threads: max(150, 50) = 150 ns
    const cpu = new ThroughputModel(profile(1, 4), { cores: 1, ringDepth: 1 << 20 });
    feed(cpu, 1000, 1, 1, { compute: 150, stall: 50 });
    expect(cpu.finish().capacity_mpps).toBeCloseTo(1e3 / 150, 9);
  });

  it('fallback traffic moves the bottleneck to PCIe', () => {
    // every packet crosses with its 1500 bytes: 1500 * 8 / 10 Gbit/s = 1200 ns -> 0.8333 Mpps;
    // the cores (10 Mpps) and the 100 G port (1520 B * 8 / 100 = 121.6 ns: 8.2 Mpps) are faster
    const m = new ThroughputModel(profile(1), { cores: 1, ringDepth: 1 << 20 });
    feed(m, 2000, 1, 1, { wireBytes: 1500, pcieBytes: 1500, hostCycles: 0 });
    const r = m.finish();
    expect(r.capacity_mpps).toBeCloseTo(1e3 / 1200, 9);
    expect(r.bottleneck.resource).toBe('pcie');
  });

  it('a costly host path moves the bottleneck to the host', () => {
    // 64-byte packets cross (64 * 8 / 10 = 51.2 ns) and cost 4000 host cycles at 2000 MHz = 2000 ns
    // on 2 host cores: 1 Mpps
    const m = new ThroughputModel(profile(1, 1, 2), { cores: 1, ringDepth: 1 << 20 });
    feed(m, 2000, 1, 1, { pcieBytes: 64, hostCycles: 4000 });
    const r = m.finish();
    expect(r.capacity_mpps).toBeCloseTo(1, 9);
    expect(r.bottleneck.resource).toBe('host');
  });

  it('a fast program on many cores is bound by the line rate', () => {
    // 10 cycles on 8 cores: 800 Mpps of compute; the 100 G port carries 1e3 / 6.72 = 148.8 Mpps
    const m = new ThroughputModel(profile(8), { cores: 8, ringDepth: 1 << 20 });
    feed(m, 8000, 8, 8, { compute: 10 });
    const r = m.finish();
    expect(r.capacity_mpps).toBeCloseTo(1e3 / 6.72, 6);
    expect(r.bottleneck.resource).toBe('line_rate');
  });

  it('latency of one packet through the device, PCIe and the host is the sum of its parts', () => {
    // compute 300 + stall 100 cycles = 400 ns on the NIC; 1000 B over 10 Gbit/s = 800 ns, + 500 ns
    // PCIe latency; 2000 host cycles at 2000 MHz = 1000 ns: 400 + 800 + 500 + 1000 = 2700 ns
    const m = new ThroughputModel(profile(1), { cores: 1, ringDepth: 8 });
    m.add(0, pkt({ wireBytes: 1000, compute: 300, stall: 100, pcieBytes: 1000, hostCycles: 2000 }));
    const r = m.finish();
    expect(r.latency_ns.max).toBeCloseTo(2700, 9);
    // percentiles come from the log histogram: within its 2 % bucket width
    expect(Math.abs(r.latency_ns.p50 - 2700) / 2700).toBeLessThan(0.02);
  });

  it('at twice the capacity a shallow ring drops about half the packets', () => {
    // 100 ns service, one packet every 50 ns, ring of 4: the core keeps up with every other packet
    const m = new ThroughputModel(profile(1), { cores: 1, ringDepth: 4 });
    feed(m, 10_000, 1, 1, {}, 50);
    const r = m.finish();
    expect(r.nic_drops / 10_000).toBeGreaterThan(0.49);
    expect(r.nic_drops / 10_000).toBeLessThan(0.51);
    // queueing: an admitted packet waits for at most 4 ahead of it: latency <= 5 * 100 ns
    expect(r.latency_ns.max).toBeLessThanOrEqual(500 + 1e-6);
    expect(r.latency_ns.p50).toBeGreaterThan(300);
  });
});

describe('latency histogram', () => {
  it('exact below 64 ns, within 2 % above', () => {
    const h = new Histogram();
    for (let i = 1; i <= 50; i++) h.add(i);
    expect(h.quantile(0.5)).toBe(25);
    const g = new Histogram();
    for (let i = 1; i <= 100_000; i++) g.add(i);
    expect(Math.abs(g.quantile(0.99) - 99_000) / 99_000).toBeLessThan(0.02);
    expect(g.max).toBe(100_000);
  });
});
