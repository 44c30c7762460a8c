// RSS against Microsoft's published verification vectors ("Verifying the RSS Hash Calculation",
// https://learn.microsoft.com/windows-hardware/drivers/network/verifying-the-rss-hash-calculation: the
// default key, five IPv4 and three IPv6 flows, hash of the addresses alone and with TCP ports; the same
// table is in Intel's 82599 datasheet §7.1.2.8.3 "RSS Verification Suite"), on raw inputs and on
// whole Ethernet frames, plus the parsing rules (VLAN/QinQ, fragments, IPv6 next header, non-IP).
import { describe, expect, it } from 'vitest';
import { InputError } from '../../offload/errors.ts';
import { MICROSOFT_RSS_KEY, Rss, toeplitz } from '../../nic/device/rss.ts';

// [destination, dst port, source, src port, hash of addresses, hash with TCP ports] as the page lists them.
const V4: Array<[string, number, string, number, number, number]> = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];
const V6: Array<[string, number, string, number, number, number]> = [
  ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
  ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
  ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
];

function v4(a: string): number[] {
  return a.split('.').map(Number);
}
function v6(a: string): number[] {
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = a.includes('::') && tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}
const be16 = (n: number) => [n >> 8, n & 0xff];

function eth(type: number, payload: number[], tags: number[] = []): Uint8Array {
  const out = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
  for (const tpid of tags) out.push(...be16(tpid), 0, 10);
  return Uint8Array.from([...out, ...be16(type), ...payload]);
}
function ipv4Frame(src: string, dst: string, proto: number, l4: number[], frag = 0, tags: number[] = []): Uint8Array {
  const hdr = [0x45, 0, ...be16(20 + l4.length), 0, 1, ...be16(frag), 64, proto, 0, 0, ...v4(src), ...v4(dst)];
  return eth(0x0800, [...hdr, ...l4], tags);
}
function ipv6Frame(src: string, dst: string, nh: number, l4: number[]): Uint8Array {
  return eth(0x86dd, [0x60, 0, 0, 0, ...be16(l4.length), nh, 64, ...v6(src), ...v6(dst), ...l4]);
}
const tcp = (sp: number, dp: number) => [...be16(sp), ...be16(dp), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
const udp = (sp: number, dp: number) => [...be16(sp), ...be16(dp), 0, 8, 0, 0];

describe('Toeplitz hash: Microsoft verification vectors', () => {
  const rss = new Rss({ queues: 4 });
  it('IPv4, addresses only and with TCP ports (raw input and frames)', () => {
    for (const [dst, dp, src, sp, h2, h4] of V4) {
      const input2 = Uint8Array.from([...v4(src), ...v4(dst)]);
      const input4 = Uint8Array.from([...input2, ...be16(sp), ...be16(dp)]);
      expect(toeplitz(MICROSOFT_RSS_KEY, input2)).toBe(h2);
      expect(toeplitz(MICROSOFT_RSS_KEY, input4)).toBe(h4);
      expect(rss.hashBytes(input2)).toBe(h2);
      expect(rss.hashBytes(input4)).toBe(h4);
      expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp)))).toBe(h4);
      expect(rss.hash(ipv4Frame(src, dst, 17, udp(sp, dp)))).toBe(h4);
      expect(rss.hash(ipv4Frame(src, dst, 1, [8, 0, 0, 0]))).toBe(h2); // ICMP: addresses only
    }
  });
  it('IPv6, addresses only and with TCP ports (raw input and frames)', () => {
    for (const [dst, dp, src, sp, h2, h4] of V6) {
      const input2 = Uint8Array.from([...v6(src), ...v6(dst)]);
      const input4 = Uint8Array.from([...input2, ...be16(sp), ...be16(dp)]);
      expect(toeplitz(MICROSOFT_RSS_KEY, input2)).toBe(h2);
      expect(toeplitz(MICROSOFT_RSS_KEY, input4)).toBe(h4);
      expect(rss.hash(ipv6Frame(src, dst, 6, tcp(sp, dp)))).toBe(h4);
      expect(rss.hash(ipv6Frame(src, dst, 17, udp(sp, dp)))).toBe(h4);
      expect(rss.hash(ipv6Frame(src, dst, 58, [128, 0, 0, 0]))).toBe(h2);
    }
  });
});

describe('RSS frame parsing', () => {
  const rss = new Rss({ queues: 8 });
  const [dst, dp, src, sp, h2, h4] = V4[0]!;
  it('VLAN and QinQ tags are skipped', () => {
    expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp), 0, [0x8100]))).toBe(h4);
    expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp), 0, [0x88a8, 0x8100]))).toBe(h4);
  });
  it('IPv4 fragments hash addresses only, the first fragment too', () => {
    expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp), 0x2000))).toBe(h2); // MF, offset 0
    expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp), 0x0010))).toBe(h2); // offset 128
    expect(rss.hash(ipv4Frame(src, dst, 6, tcp(sp, dp), 0x4000))).toBe(h4); // DF only: not a fragment
  });
  it('IPv6 ports only when TCP/UDP follows the fixed header directly', () => {
    const [d6, dp6, s6, sp6, h62] = V6[0]!;
    expect(rss.hash(ipv6Frame(s6, d6, 0, [6, 0, 1, 4, 0, 0, 0, 0, ...tcp(sp6, dp6)]))).toBe(h62); // hop-by-hop first
    expect(rss.hash(ipv6Frame(s6, d6, 44, [6, 0, 0, 1, 0, 0, 0, 0, ...tcp(sp6, dp6)]))).toBe(h62); // fragment header
  });
  it('UDP ports can be left out (2-tuple for UDP)', () => {
    expect(new Rss({ queues: 2, udpPorts: false }).hash(ipv4Frame(src, dst, 17, udp(sp, dp)))).toBe(h2);
  });
  it('non-IP and cut-short frames: no hash, queue 0', () => {
    const arp = eth(0x0806, Array(28).fill(0));
    const short = ipv4Frame(src, dst, 6, tcp(sp, dp)).subarray(0, 14 + 19);
    const noPorts = ipv4Frame(src, dst, 6, tcp(sp, dp)).subarray(0, 14 + 20 + 3);
    expect(rss.hash(arp)).toBe(-1);
    expect(rss.queueOf(arp)).toBe(0);
    expect(rss.hash(short)).toBe(-1);
    expect(rss.queueOf(new Uint8Array(10))).toBe(0);
    expect(rss.hash(noPorts)).toBe(h2); // the header is whole, the ports are not
  });
  it('queueOf = indirection[hash % table size]', () => {
    const def = new Rss({ queues: 3 });
    expect(def.indirection.length).toBe(128);
    expect(def.queueOf(ipv4Frame(src, dst, 6, tcp(sp, dp)))).toBe((h4 % 128) % 3);
    const custom = new Rss({ queues: 4, indirection: [3, 2, 1, 0, 0, 0, 0, 0] });
    for (const [d, dpp, s, spp, , hh] of V4) expect(custom.queueOf(ipv4Frame(s, d, 6, tcp(spp, dpp)))).toBe([3, 2, 1, 0, 0, 0, 0, 0][hh % 8]);
  });
  it('table-driven hash equals the bitwise definition on random inputs and keys', () => {
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let k = 0; k < 20; k++) {
      const key = Array.from({ length: 40 }, rnd);
      const r = new Rss({ queues: 1, key });
      const input = Uint8Array.from({ length: 36 }, rnd);
      for (const n of [8, 12, 32, 36]) expect(r.hashBytes(input, 0, n)).toBe(toeplitz(key, input, n));
    }
  });
  it('bad configuration is a typed error naming the key', () => {
    expect(() => new Rss({ queues: 2, key: [1, 2, 3] })).toThrow(InputError);
    expect(() => new Rss({ queues: 2, indirection: [0, 2] })).toThrow(/rss.indirection\[1\]/);
    expect(() => new Rss({ queues: 0 })).toThrow(/queue count 0/);
  });
});
