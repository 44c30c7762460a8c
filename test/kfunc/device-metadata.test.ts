// The XDP metadata kfuncs in `nicsim run` (real worker threads): what the simulated NIC reports per
// packet. The kernel cannot test-run a device-bound program (xdp-kfuncs.json `metadata_dev_bound`), so
// the truth is independent of nicsim's own kfuncs: the packet's timestamp as given, the Toeplitz hash
// of nic/device/rss.ts (checked against Microsoft's published vectors in test/traffic), hash types as
// the kernel's enum xdp_rss_hash_type values (this kernel's BTF: XDP_RSS_TYPE_L4_IPV4_TCP = 0x19,
// L4_IPV4_UDP = 0x29, L3_IPV4 = 0x01, L4_IPV6_TCP = 0x1a), the tag bytes of the frames written here,
// and the errnos the drivers return (-ENODATA: no hash / no stripped tag, as ice and mlx5;
// -EOPNOTSUPP: an op the driver does not implement, the kernel's default kfunc).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdmissionError } from '../../nic/device/image.ts';
import { Nic } from '../../nic/device/nic.ts';
import { Rss } from '../../nic/device/rss.ts';
import type { Packet } from '../../nic/device/io.ts';
import { loadProfile } from '../../nic/profile/index.ts';
import type { Profile } from '../../nic/profile/index.ts';
import { openCapture } from '../../nic/traffic/index.ts';
import { root } from './helpers.ts';

const OBJ = join(root, 'test/fixtures/kfuncs/progs/metadata_run.o');
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-meta-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SIZE = 128;
const eth = (type: number) => [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, type >> 8, type & 0xff];
const ipv4 = (proto: number, frag = 0, last = 2) => [0x45, 0, 0, 100, 0, 1, frag >> 8, frag & 0xff, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, last];
const ipv6 = (nh: number) => [0x60, 0, 0, 0, 0, 60, nh, 64, ...Array.from({ length: 32 }, (_, i) => i + 1)];
const ports = (s: number, d: number) => [s >> 8, s & 0xff, d >> 8, d & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const pad = (b: number[]) => Uint8Array.from([...b, ...Array(SIZE - b.length).fill(0)]);

const FRAMES = {
  tcp4: pad([...eth(0x0800), ...ipv4(6), ...ports(40000, 80)]),
  udp4: pad([...eth(0x0800), ...ipv4(17, 0, 3), ...ports(5353, 53)]),
  frag4: pad([...eth(0x0800), ...ipv4(6, 0x2000, 4), ...ports(40001, 80)]),
  tcp6: pad([...eth(0x86dd), ...ipv6(6), ...ports(40002, 443)]),
  arp: pad([...eth(0x0806), 0, 1, 8, 0, 6, 4, 0, 1]),
  vlan: pad([...eth(0x8100), 0x20, 0x05, 0x08, 0x00, ...ipv4(6, 0, 5), ...ports(40003, 80)]),
};
const NAMES = Object.keys(FRAMES) as (keyof typeof FRAMES)[];
const TYPE: Record<keyof typeof FRAMES, number | null> = { tcp4: 0x19, udp4: 0x29, frag4: 0x01, tcp6: 0x1a, arp: null, vlan: 0x19 };
const T0 = 1_700_000_000_123_456_789n;

function profile(rx: Partial<Profile['rx']>): Profile {
  const p = loadProfile(join(root, 'configs/host-x86.yaml'));
  p.rx = { ...p.rx, queues: 2, ...rx };
  return p;
}

/** Runs every frame once on 2 cores; returns each PASS frame (in input order) as {frame, results view}. */
async function runAll(p: Profile, name: string): Promise<{ frame: Buffer; d: DataView }[]> {
  const nic = Nic.open(OBJ, p, { cores: 2, workers: 2 });
  const packets: Packet[] = NAMES.map((n, i) => ({ tsNs: T0 + BigInt(i) * 1_000_003n, data: FRAMES[n], wireLen: SIZE, index: i }));
  const out = join(tmp, name);
  const r = await nic.run(packets, { outDir: out });
  expect(r.actions.pass).toBe(NAMES.length);
  expect(r.per_core.every((c) => c.packets > 0)).toBe(true);
  return [...openCapture(join(out, 'pass.pcap')).copies()].map((c) => {
    const frame = Buffer.from(c.data);
    return { frame, d: new DataView(frame.buffer, frame.byteOffset + 64, 32) };
  });
}

describe('XDP metadata kfuncs in nicsim run', () => {
  const rss = new Rss({ queues: 2 });

  it('report the arrival time, the RSS hash with its type, and the tag the NIC stripped', async () => {
    const got = await runAll(profile({ xdp_metadata: ['timestamp', 'hash', 'vlan_tag'], vlan_strip: true }), 'all');
    NAMES.forEach((n, i) => {
      const { frame, d } = got[i]!;
      expect(d.getInt32(0, true), n).toBe(0);
      expect(d.getBigUint64(4, true), n).toBe(T0 + BigInt(i) * 1_000_003n);
      if (TYPE[n] === null) {
        expect(d.getInt32(12, true), n).toBe(-61); // ARP: no RSS hash, -ENODATA
      } else {
        expect(d.getInt32(12, true), n).toBe(0);
        expect(d.getUint32(16, true), n).toBe(rss.hash(FRAMES[n]));
        expect(d.getUint32(20, true), n).toBe(TYPE[n]);
      }
      if (n === 'vlan') {
        expect(d.getInt32(24, true)).toBe(0);
        expect(d.getUint16(28, false)).toBe(0x8100);
        expect(d.getUint16(30, true)).toBe(0x2005);
        // the program saw (and passed) the frame without the tag
        expect(frame.length).toBe(SIZE - 4);
        expect(frame.subarray(0, 12)).toEqual(Buffer.from(FRAMES.vlan.subarray(0, 12)));
        expect(frame.subarray(12, 14)).toEqual(Buffer.from([0x08, 0x00]));
      } else {
        expect(d.getInt32(24, true), n).toBe(-61); // no tag was stripped: -ENODATA
        expect(frame.length).toBe(SIZE);
      }
    });
  }, 60_000);

  it('without VLAN stripping the tag stays in the frame (-ENODATA); ops the driver lacks are -EOPNOTSUPP', async () => {
    const got = await runAll(profile({ xdp_metadata: ['timestamp'], vlan_strip: false }), 'ts-only');
    NAMES.forEach((n, i) => {
      const { frame, d } = got[i]!;
      expect(d.getInt32(0, true), n).toBe(0);
      expect([d.getInt32(12, true), d.getInt32(24, true)], n).toEqual([-95, -95]);
      expect(frame.length).toBe(SIZE);
    });
    const strip = await runAll(profile({ xdp_metadata: ['vlan_tag'], vlan_strip: false }), 'no-strip');
    expect(strip[NAMES.indexOf('vlan')]!.d.getInt32(24, true)).toBe(-61);
    expect(strip[NAMES.indexOf('vlan')]!.frame.subarray(12, 14)).toEqual(Buffer.from([0x81, 0x00]));
  }, 60_000);

  it('a driver without xdp_metadata_ops refuses the device-bound load (EOPNOTSUPP): run and check say rejected', () => {
    expect(() => Nic.open(OBJ, profile({ xdp_metadata: [] }), { cores: 1, workers: 1 })).toThrow(AdmissionError);
    expect(() => Nic.open(OBJ, profile({ xdp_metadata: [] }), { cores: 1, workers: 1 })).toThrow(/no XDP metadata ops .*EOPNOTSUPP/);
  });

  it('offloaded (the kernel offload path), the kernel refuses them: "metadata kfuncs can\'t be offloaded"', () => {
    expect(() => Nic.open(OBJ, loadProfile(join(root, 'configs/netdevsim.yaml')), { cores: 1, workers: 1 })).toThrow(/metadata kfuncs can't be offloaded/);
  });
});
