// The device's parts on their own: the SPSC ring (wrap, full, batches), the NIC ring model (drops
// hand-computed), device runs that count NIC drops and -E2BIG, and the demo. (RSS is tested on
// Microsoft's verification vectors in test/traffic.)
import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../nic/device/io.ts';
import { Nic } from '../../nic/device/nic.ts';
import { ByteRing } from '../../nic/device/ring.ts';
import { RxModel } from '../../nic/device/rx-model.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import { assertConservation, ROOT } from './helpers.ts';

describe('ByteRing', () => {
  it('carries variable-length records in order across the wrap, refuses when full, frees on release', () => {
    const r = ByteRing.create(4096);
    const c = ByteRing.attach(r.describe());
    let sent = 0;
    let got = 0;
    for (let round = 0; round < 50; round++) {
      for (;;) {
        const len = 40 + ((sent * 37) % 300);
        const at = r.reserve(len);
        if (at < 0) break;
        r.i32[(at >> 2) + 1] = sent++;
        r.i32[(at >> 2) + 2] = len;
      }
      expect(c.peek()).toBe(-1); // nothing visible before publish
      r.publish();
      for (let at = c.peek(); at >= 0; at = c.peek()) {
        expect(c.i32[(at >> 2) + 1]).toBe(got++);
        expect(c.i32[at >> 2]).toBe((c.i32[(at >> 2) + 2]! + 7) & ~7);
        c.next();
      }
      c.release();
    }
    expect(got).toBe(sent);
    expect(sent).toBeGreaterThan(50 * 10);
  });

  it('view(): the bytes of a record, through one reused view per length; longer ranges get their own view', () => {
    const r = ByteRing.create(1 << 16);
    const c = ByteRing.attach(r.describe());
    const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);
    const lens = [60, 60, 1514, 17000, 60];
    for (const [k, n] of lens.entries()) {
      const at = r.reserve(8 + n);
      r.u8.set(bytes(n, k), at + 8);
    }
    r.publish();
    const seen: Uint8Array[] = [];
    for (const [k, n] of lens.entries()) {
      const at = c.peek();
      const v = c.view(at + 8, n);
      expect(Buffer.from(v).equals(Buffer.from(bytes(n, k))), `record ${k}`).toBe(true);
      seen.push(v);
      c.next();
    }
    expect(seen[1]).toBe(seen[0]); // same length: the same view, refilled
    expect(seen[4]).toBe(seen[0]);
    expect(seen[3]!.buffer).toBe(r.sab); // 17000 bytes: a view of the record itself
    expect(seen[3]!.byteOffset).toBeGreaterThan(0);
  });
});

describe('RxModel (NIC RX rings in simulated time)', () => {
  it('drops what arrives while the ring holds ring_depth packets', () => {
    // depth 2, one queue, one core, 100 ns per packet; arrivals at 0, 0, 0, 150, 160, 400 ns.
    // 0: admitted, done 100. 0: admitted, done 200. 0: ring holds 2 -> drop. 150: packet 1 left at 100,
    // admitted (starts 200, done 300). 160: ring holds 2 (200, 300) -> drop. 400: all left -> admitted.
    const m = RxModel.create(1, 2, 1);
    const verdicts = [0, 0, 0, 150, 160, 400].map((t) => {
      const ok = m.admit(0, t);
      if (ok) m.commit(0, 0, t, 100);
      return ok;
    });
    expect(verdicts).toEqual([true, true, false, true, false, true]);
  });
});

/** An IPv4 or IPv6 frame with TCP ports, or without a transport header. */
function frame(src: string, dst: string, sport?: number, dport?: number): Uint8Array {
  const v6 = isIPv6(src);
  const addr = (a: string) => (v6 ? v6Bytes(a) : Uint8Array.from(a.split('.').map(Number)));
  const l3 = v6 ? 40 : 20;
  const f = new Uint8Array(14 + l3 + 8);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, v6 ? 0x86dd : 0x0800);
  if (v6) {
    f[14] = 0x60;
    f[14 + 6] = sport === undefined ? 59 : 6; // no next header / TCP
    f.set(addr(src), 14 + 8);
    f.set(addr(dst), 14 + 24);
  } else {
    f[14] = 0x45;
    f[14 + 9] = sport === undefined ? 1 : 6; // ICMP / TCP
    f.set(addr(src), 14 + 12);
    f.set(addr(dst), 14 + 16);
  }
  if (sport !== undefined) {
    dv.setUint16(14 + l3, sport);
    dv.setUint16(14 + l3 + 2, dport!);
  }
  return f;
}

function v6Bytes(a: string): Uint8Array {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 255;
  });
  return out;
}

describe('device accounting', () => {
  const corpus = [frame('10.0.0.1', '10.0.0.2', 1000, 80)];
  it('a full RX ring drops at the NIC, per queue (ring_depth 4, 20 packets arriving together)', async () => {
    const p = loadProfile(`${ROOT}configs/host-x86.yaml`);
    p.rx = { ...p.rx, queues: 1, ring_depth: 4, rss_key: null, indirection: null };
    const nic = Nic.open(`${ROOT}examples/xdp_count.o`, p, { cores: 2, workers: 2 });
    const burst = function* (): Generator<Packet> {
      for (let i = 0; i < 20; i++) yield { tsNs: 5n, data: corpus[0]!, wireLen: 60, index: i };
    };
    const r = await nic.run(burst());
    assertConservation(r, 20);
    expect(r.nic_drops).toBe(16);
    expect(r.queues).toEqual([{ queue: 0, packets: 4, nic_drops: 16 }]);
    // Spaced one second apart, nothing waits.
    const spaced = function* (): Generator<Packet> {
      for (let i = 0; i < 20; i++) yield { tsNs: BigInt(i) * 1_000_000_000n, data: corpus[0]!, wireLen: 60, index: i };
    };
    const r2 = await Nic.open(`${ROOT}examples/xdp_count.o`, p, { cores: 2, workers: 2 }).run(spaced());
    assertConservation(r2, 20);
    expect(r2.nic_drops).toBe(0);
  });

  it('a full map answers -E2BIG and the run counts it (64-entry ethertypes hash, 100 distinct ethertypes, twice)', async () => {
    const nic = Nic.open(`${ROOT}examples/xdp_count.o`, loadProfile(`${ROOT}configs/host-x86.yaml`), { cores: 2, workers: 2 });
    const types = function* (): Generator<Packet> {
      for (let i = 0; i < 200; i++) {
        const f = new Uint8Array(60);
        f[12] = 0x90;
        f[13] = i % 100;
        yield { tsNs: BigInt(i) * 1000n, data: f, wireLen: 60, index: i };
      }
    };
    const r = await nic.run(types());
    assertConservation(r, 200);
    expect(r.maps.ethertypes!.length).toBe(64);
    expect(r.map_full_errors).toBe(2 * (100 - 64));
  });
});

describe('npm start', () => {
  it('the demo verifies, checks and runs the bundled example on the virtual NIC, then prints the matrix', async () => {
    const { main } = await import('../../nic/cli/main.ts');
    let out = '';
    const code = await main(['demo'], { stdout: (t) => void (out += t), stderr: () => {}, stdin: async () => '' });
    expect(code).toBe(0);
    expect(out).toMatch(/== nicsim verify: accepted/);
    expect(out).toMatch(/fallback on agilio-cx-fallback: partial/);
    expect(out).toMatch(/20,000 packets in/);
    expect(out).toMatch(/pc \d+: [\d,]+ packets {2}xdp_fallback\.c:\d+: .*%/);
    expect(out).toMatch(/program \(xdp_vlan\)/);
  });
});
