// The one katran case the katran bench times and test/kernel/record-katran.py records from the kernel:
// katran's balancer (facebookincubator/katran, balancer.bpf.c built as its build does; the object stays
// outside the project) with one IPv4 TCP VIP, three IPv4 reals on its consistent-hash ring, the default
// router MAC, and one TCP SYN to the VIP. The map layouts are katran's (balancer_structs.h,
// balancer_maps.h, balancer_consts.h): numbers here, no code of theirs.
//   vip_map   hash   struct vip_definition {be32 vip / vipv6[4]; u16 port (network order); u8 proto}
//                    (20 bytes with padding) -> struct vip_meta {u32 flags; u32 vip_num}
//   reals     array  u32 -> struct real_definition {be32 dst / dstv6[4]; u8 flags} (20 bytes)
//   ch_rings  array  u32 (RING_SIZE * vip_num + slot) -> u32 real index (0: no real); RING_SIZE 65,537
//   ctl_array array  u32 -> struct ctl_value {u64 value / u8 mac[6]}; index 0 (MAC_ADDR_POS) is the
//                    MAC of the default router every encapsulated packet is sent to
// Usage: npx tsx bench/katran-case.ts   prints the case as JSON (what the recording script reads)
import { fileURLToPath } from 'node:url';

export const KATRAN_OBJECT = '/tmp/katran/balancer.bpf.o';
export const KATRAN_PROGRAM = 'balancer_ingress';
/** katran's RING_SIZE: slots of one VIP's consistent-hash ring. */
export const RING_SIZE = 65537;

export interface KatranCase {
  program: string;
  /** The frame, hex. */
  data_in: string;
  /** MAP:KEYHEX:VALUEHEX, nicsim's --map-update and the recording script's bpftool map update. */
  map_updates: string[];
  /** MAP:FIRST:COUNT:V[,V...], nicsim's --map-fill and the recording script's BPF_MAP_UPDATE_BATCH. */
  map_fills: string[];
  /** The VIP's reals by index (what the ring points at). */
  reals: Record<number, string>;
  router_mac: string;
}

const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));
const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const hex = (...bs: Buffer[]) => Buffer.concat(bs).toString('hex');
const mac = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));

/** The Internet checksum (RFC 1071) of some bytes. */
function csum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Ethernet + IPv4 + TCP SYN (MSS option), every checksum correct. */
export function tcpSyn(src: string, dst: string, sport: number, dport: number): Buffer {
  const tcp = Buffer.alloc(24);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(0x11223344, 4);
  tcp[12] = (24 / 4) << 4;
  tcp[13] = 0x02; // SYN
  tcp.writeUInt16BE(64240, 14);
  Buffer.from([2, 4, 0x05, 0xb4]).copy(tcp, 20); // MSS 1460
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + tcp.length, 2);
  ip.writeUInt16BE(0x1c46, 4);
  ip[6] = 0x40; // DF
  ip[8] = 64;
  ip[9] = 6;
  ip4(src).copy(ip, 12);
  ip4(dst).copy(ip, 16);
  ip.writeUInt16BE(csum(ip), 10);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 6, 0, tcp.length])]);
  tcp.writeUInt16BE(csum(Buffer.concat([pseudo, tcp])), 16);
  const eth = Buffer.concat([mac('02:00:00:00:00:02'), mac('02:00:00:00:00:01'), Buffer.from([0x08, 0x00])]);
  return Buffer.concat([eth, ip, tcp]);
}

export function katranCase(): KatranCase {
  const vip = '198.51.100.10';
  const reals: Record<number, string> = { 1: '10.0.0.1', 2: '10.0.0.2', 3: '10.0.0.3' };
  const routerMac = '02:00:00:00:00:fe';
  // struct vip_definition: address, 12 bytes of the IPv6 union, port in network order, proto, padding
  const vipKey = hex(ip4(vip), Buffer.alloc(12), Buffer.from([0, 80]), Buffer.from([6, 0]));
  const vipMeta = hex(u32le(0), u32le(0)); // flags 0, vip_num 0
  const updates = [
    `vip_map:${vipKey}:${vipMeta}`,
    `ctl_array:${hex(u32le(0))}:${hex(mac(routerMac), Buffer.alloc(2))}`,
    ...Object.entries(reals).map(([i, a]) => `reals:${hex(u32le(Number(i)))}:${hex(ip4(a), Buffer.alloc(12), Buffer.alloc(4))}`),
  ];
  // VIP 0's ring: every slot names a real, cycling 1, 2, 3 (what katran's Maglev fill gives for equal weights in spirit)
  const fills = [`ch_rings:0:${RING_SIZE}:${Object.keys(reals).map((i) => hex(u32le(Number(i)))).join(',')}`];
  return {
    program: KATRAN_PROGRAM,
    data_in: tcpSyn('192.0.2.1', vip, 40000, 80).toString('hex'),
    map_updates: updates,
    map_fills: fills,
    reals,
    router_mac: routerMac,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(JSON.stringify(katranCase(), null, 1));
