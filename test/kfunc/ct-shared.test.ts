// The shared conntrack table itself: lifetimes on the simulated clock (nf_ct_is_expired: an entry is
// expired once `expiry - now <= 0`; hand-derived cases), slots kept while a program holds an entry and
// reused after, the table's capacity, and one table under real concurrency: 2 cores of a device
// inserting the two directions of the same connections at once (exactly one entry per connection,
// whichever core wins).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConntrackTable, IPS, parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { Nic } from '../../nic/device/nic.ts';
import type { Packet } from '../../nic/device/io.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { root } from './helpers.ts';

const a = (s: string) => Uint8Array.from(s.split('.').map(Number));
const tuple = (i: number) => ({ src: a(`10.1.${i >> 8}.${i & 255}`), dst: a('10.2.0.1'), sport: 1000 + (i % 50000), dport: 80 });
const entry = (i: number, timeoutMs = 30_000) => {
  const t = tuple(i);
  return { family: 4 as const, proto: 6, zone: 0, orig: t, reply: { src: t.dst, dst: t.src, sport: t.dport, dport: t.sport }, status: 0, timeoutMs, inserted: false };
};

describe('shared conntrack table', () => {
  it('entries expire on the run clock: found before expiry, never at or after it, and can then be inserted again', () => {
    const t = ConntrackTable.create(16);
    expect(t.insert(entry(1, 5000), 1000, true, false)).not.toBeNull(); // expires at 6000 ms
    expect(t.find(0, 4, 6, tuple(1), 5999)?.dir).toBe(0);
    expect(t.find(0, 4, 6, entry(1).reply, 5999)?.dir).toBe(1);
    expect(t.find(0, 4, 6, tuple(1), 6000)).toBeUndefined();
    expect(t.count).toBe(0); // unlinked when met expired
    expect(t.insert(entry(1, 5000), 6000, true, false)).not.toBeNull();
    expect(t.dump(10_999)).toHaveLength(1);
    expect(t.dump(11_000)).toHaveLength(0);
  });

  it('a held entry keeps its slot after it expires; released, the slot is reused', () => {
    const t = ConntrackTable.create(1);
    const e = t.insert(entry(1, 100), 0, true, true)!; // held by the caller
    expect(t.full()).toBe(true);
    expect(t.insert(entry(2), 0, true)).toBeNull(); // no free slot
    expect(t.find(0, 4, 6, tuple(1), 100)).toBeUndefined(); // expired: unlinked, still held
    expect(t.insert(entry(2), 100, true)).toBeNull(); // its slot is not free yet
    expect(e.status).toBe(IPS.CONFIRMED); // and still readable by its holder
    t.release(e);
    const f = t.insert(entry(2), 100, true, false)!;
    expect(f.slot).toBe(e.slot);
    expect(t.dump(100).map((x) => x.sport)).toEqual([tuple(2).sport]);
  });

  it('the seed file fills the same table and a duplicate connection is refused', () => {
    const t = parseConntrack(JSON.stringify([{ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 53, dport: 5353, timeout_ms: 1000 }]), 'ct.json', 500);
    expect(t.find(0, 4, 17, { src: a('10.0.0.2'), dst: a('10.0.0.1'), sport: 5353, dport: 53 }, 1499)?.dir).toBe(1);
    expect(t.dump(1499)).toEqual([{ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 53, dport: 5353, zone: 0, status: IPS.CONFIRMED, timeout_ms: 1500, by_program: false }]);
    expect(t.dump(1500)).toEqual([]);
  });
});

// One TCP SYN of a.b.c.d:sport -> e.f.g.h:dport (ct_gate.o inserts the connection of an untracked SYN).
function syn(src: number[], dst: number[], sport: number, dport: number): Uint8Array {
  const f = new Uint8Array(96);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 82, 0, 1, 0x40, 0, 64, 6, 0, 0, ...src, ...dst], 0);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  return f;
}

describe('one conntrack table under 2 real cores', () => {
  it('both directions of 1500 connections opened at once: one entry each, every packet passes', async () => {
    const p = loadProfile(join(root, 'configs/host-x86.yaml'));
    p.rx = { ...p.rx, queues: 2 };
    const nic = Nic.open(join(root, 'test/fixtures/kfuncs/progs/ct_gate.o'), p, { cores: 2, workers: 2 });
    const N = 1500;
    const packets: Packet[] = [];
    for (let i = 0; i < N; i++) {
      const x = [10, 3, i >> 8, i & 255];
      const y = [10, 4, 0, 1];
      packets.push({ tsNs: BigInt(2 * i) * 100n, data: syn(x, y, 20000 + i, 443), wireLen: 96, index: 2 * i });
      packets.push({ tsNs: BigInt(2 * i + 1) * 100n, data: syn(y, x, 443, 20000 + i), wireLen: 96, index: 2 * i + 1 });
    }
    const r = await nic.run(packets);
    expect(r.actions.pass).toBe(2 * N);
    expect(r.per_core.every((c) => c.packets > 0)).toBe(true);
    expect(r.conntrack!.entries).toBe(N);
    expect(r.conntrack!.inserted_by_program).toBe(N);
    // each connection once, in whichever direction won
    const keys = new Set(r.conntrack!.table.map((e) => [e.src, e.dst].sort().join('|') + `|${Math.min(e.sport, e.dport)}|${Math.max(e.sport, e.dport)}`));
    expect(keys.size).toBe(N);
  }, 60_000);

  it('entries a packet inserted expire on the packets\' timestamps (30 s), not wall time', async () => {
    const p = loadProfile(join(root, 'configs/host-x86.yaml'));
    const nic = Nic.open(join(root, 'test/fixtures/kfuncs/progs/ct_gate.o'), p, { cores: 1, workers: 1 });
    const x = [10, 5, 0, 1];
    const y = [10, 6, 0, 1];
    const ack = (f: Uint8Array) => {
      const g = Uint8Array.from(f);
      g[47] = 0x10;
      return g;
    };
    const s = syn(x, y, 30000, 80);
    const t0 = 1_700_000_000_000_000_000n;
    const ms = 1_000_000n;
    const r = await nic.run([
      { tsNs: t0, data: s, wireLen: 96, index: 0 },
      { tsNs: t0 + 29_999n * ms, data: ack(s), wireLen: 96, index: 1 }, // found: passes
      { tsNs: t0 + 30_000n * ms, data: ack(s), wireLen: 96, index: 2 }, // expired at 30 s: dropped
    ]);
    expect([r.actions.pass, r.actions.drop]).toEqual([2, 1]);
    expect(r.conntrack!.entries).toBe(0);
  }, 60_000);
});

describe('a full table', () => {
  it('bpf_xdp_ct_alloc fails with -ENOMEM (nf_conntrack_alloc at nf_conntrack_max)', async () => {
    const { runObject } = await import('./helpers.ts');
    const t = ConntrackTable.create(1);
    expect(t.insert(entry(7), 0, false, false)).not.toBeNull();
    const pkt = Buffer.alloc(96);
    pkt.set([6, 0, 0, 0, 0, 8], 14);
    pkt.set([198, 18, 9, 1, 198, 18, 9, 2, 0x9c, 0x40, 0, 80], 20);
    const r = runObject('test/fixtures/kfuncs/progs/ct_alloc_flow.o', { program: 'ct_alloc_flow', dataIn: pkt, conntrack: t });
    const out = Buffer.from(r.data_out, 'hex');
    expect(out[64]).toBe(0); // no entry allocated
    expect(out.readInt32LE(84)).toBe(-12);
  });
});
