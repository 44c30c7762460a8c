// Builds one generated frame in place: Ethernet (optionally 802.1Q or 802.1ad+802.1Q tagged), an
// optional IPv4 tunnel (IP-in-IP, GRE, or UDP/VXLAN with an inner Ethernet header), the flow's IPv4 or
// IPv6 header and its TCP, UDP or ICMP header, then a zero payload to the requested length. Every
// length field is set, and every checksum is computed: IPv4 header checksums (RFC 791), TCP/UDP
// checksums over the RFC 768/793 (IPv4) or RFC 8200 §8.1 (IPv6) pseudo-header, ICMP and ICMPv6.
import type { L4 } from './spec.ts';

export type L2Kind = 'none' | 'vlan' | 'qinq';
export type TunnelKind = 'none' | 'ipip' | 'gre' | 'vxlan';

export interface Flow {
  v6: boolean;
  l4: L4;
  l2: L2Kind;
  tunnel: TunnelKind;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  vlan: number;
  outerSrc: Uint8Array;
  outerDst: Uint8Array;
  vni: number;
  /** TCP sequence number / ICMP sequence, advanced per frame. */
  seq: number;
}

/** Where the headers of a built frame are (for malformed variants). */
export interface Layout {
  /** Offset of the first IP header (outer one when tunnelled) and its version. */
  ip: number;
  ipV6: boolean;
  /** End of the innermost L4 header. */
  headersEnd: number;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
export const VXLAN_PORT = 4789;
const L4_LEN: Record<L4, number> = { tcp: 20, udp: 8, icmp: 8 };
const PROTO: Record<L4, number> = { tcp: 6, udp: 17, icmp: 1 };

/** Bytes of headers a flow's frames carry before the payload. */
export function headerLength(f: Flow): number {
  let n = 14 + (f.l2 === 'vlan' ? 4 : f.l2 === 'qinq' ? 8 : 0);
  if (f.tunnel !== 'none') n += 20 + (f.tunnel === 'gre' ? 4 : f.tunnel === 'vxlan' ? 8 + 8 + 14 : 0);
  return n + (f.v6 ? 40 : 20) + L4_LEN[f.l4];
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
/** Copies a short address (4 or 16 bytes) byte by byte: set() costs more than this for so few bytes. */
function putAddr(b: Uint8Array, o: number, a: Uint8Array): void {
  for (let i = 0; i < a.length; i++) b[o + i] = a[i]!;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Ones'-complement sum of b[from, to) as big-endian 16-bit words, added to `sum` (not folded). */
export function sum16(b: Uint8Array, from: number, to: number, sum = 0): number {
  let i = from;
  for (; i + 1 < to; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < to) sum += b[i]! << 8;
  return sum;
}

/** Folds a sum and complements it into a checksum. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

function ipv4Header(b: Uint8Array, o: number, total: number, proto: number, src: Uint8Array, dst: Uint8Array, id: number): void {
  b[o] = 0x45;
  b[o + 1] = 0;
  put16(b, o + 2, total);
  put16(b, o + 4, id & 0xffff);
  put16(b, o + 6, 0x4000); // DF
  b[o + 8] = 64;
  b[o + 9] = proto;
  put16(b, o + 10, 0);
  putAddr(b, o + 12, src);
  putAddr(b, o + 16, dst);
  put16(b, o + 10, fold(sum16(b, o, o + 20)));
}

/** Recomputes the IPv4 header checksum at `o` (after a field was changed). */
export function reChecksumIpv4(b: Uint8Array, o: number): void {
  put16(b, o + 10, 0);
  put16(b, o + 10, fold(sum16(b, o, o + ((b[o]! & 0x0f) * 4))));
}

/**
 * Writes `f`'s frame of `len` bytes into the zero-filled b[0, len) (len >= headerLength(f)); the
 * payload is left zero. Returns where the headers are. `n` is the frame's number (the IP id).
 */
export function buildFrame(b: Uint8Array, len: number, f: Flow, n: number): Layout {
  // Ethernet: locally administered MACs.
  b[0] = 0x02;
  b[1] = 0;
  put32(b, 2, 0x00000002);
  b[6] = 0x02;
  b[7] = 0;
  put32(b, 8, 0x00000001);
  let o = 12;
  if (f.l2 === 'qinq') {
    put16(b, o, ETH_P_8021AD);
    put16(b, o + 2, (f.vlan >> 4) & 0x0fff || 1);
    o += 4;
  }
  if (f.l2 !== 'none') {
    put16(b, o, ETH_P_8021Q);
    put16(b, o + 2, f.vlan & 0x0fff || 1);
    o += 4;
  }
  const innerType = f.v6 ? ETH_P_IPV6 : ETH_P_IP;
  put16(b, o, f.tunnel === 'none' ? innerType : ETH_P_IP);
  o += 2;
  const firstIp = o;
  let outer = -1;
  let vxUdp = -1;
  if (f.tunnel !== 'none') {
    outer = o;
    o += 20;
    if (f.tunnel === 'gre') {
      put16(b, o, 0);
      put16(b, o + 2, innerType);
      o += 4;
    } else if (f.tunnel === 'vxlan') {
      vxUdp = o;
      put16(b, o, 49152 | (f.sport & 0x3fff)); // source port from the inner flow, as VTEPs do
      put16(b, o + 2, VXLAN_PORT);
      o += 8;
      b[o] = 0x08;
      b[o + 1] = 0;
      b[o + 2] = 0;
      b[o + 3] = 0;
      put32(b, o + 4, (f.vni & 0xffffff) << 8);
      o += 8;
      b[o] = 0x02;
      b[o + 1] = 0;
      put32(b, o + 2, 0x00000004);
      b[o + 6] = 0x02;
      b[o + 7] = 0;
      put32(b, o + 8, 0x00000003);
      put16(b, o + 12, innerType);
      o += 14;
    }
  }
  const ip = o;
  const l4 = ip + (f.v6 ? 40 : 20);
  const l4len = len - l4;
  const proto = f.v6 && f.l4 === 'icmp' ? 58 : PROTO[f.l4];
  if (f.v6) {
    put32(b, ip, 0x60000000);
    put16(b, ip + 4, l4len);
    b[ip + 6] = proto;
    b[ip + 7] = 64;
    putAddr(b, ip + 8, f.src);
    putAddr(b, ip + 24, f.dst);
  } else {
    ipv4Header(b, ip, len - ip, proto, f.src, f.dst, n);
  }
  // L4 header; the payload stays zero.
  const hl = L4_LEN[f.l4];
  if (f.l4 === 'tcp') {
    put16(b, l4, f.sport);
    put16(b, l4 + 2, f.dport);
    put32(b, l4 + 4, f.seq >>> 0);
    put32(b, l4 + 8, 1);
    put16(b, l4 + 12, 0x5018); // data offset 5, ACK|PSH
    put16(b, l4 + 14, 65535);
    put32(b, l4 + 16, 0);
    f.seq = (f.seq + (l4len - hl)) >>> 0;
  } else if (f.l4 === 'udp') {
    put16(b, l4, f.sport);
    put16(b, l4 + 2, f.dport);
    put16(b, l4 + 4, l4len);
    put16(b, l4 + 6, 0);
  } else {
    b[l4] = f.v6 ? 128 : 8; // echo request
    b[l4 + 1] = 0;
    put16(b, l4 + 2, 0);
    put16(b, l4 + 4, f.sport);
    put16(b, l4 + 6, f.seq & 0xffff);
    f.seq = (f.seq + 1) >>> 0;
  }
  // The payload stays zero (`b` arrives zero-filled): zeros add nothing to a checksum, so the sums below
  // stop at the end of the headers and a frame costs the same whatever its size.
  const end = l4 + hl;
  // L4 checksum: pseudo-header (except ICMPv4) + the whole L4 segment.
  let s = 0;
  if (f.l4 !== 'icmp' || f.v6) {
    s = f.v6 ? sum16(b, ip + 8, ip + 40) : sum16(b, ip + 12, ip + 20);
    s += proto + (l4len & 0xffff) + Math.floor(l4len / 65536);
  }
  const ck = l4 + (f.l4 === 'tcp' ? 16 : f.l4 === 'udp' ? 6 : 2);
  let c = fold(sum16(b, l4, end, s));
  if (f.l4 === 'udp' && c === 0) c = 0xffff; // RFC 768: a computed 0 is sent as all ones
  put16(b, ck, c);
  if (outer >= 0) {
    const oproto = f.tunnel === 'gre' ? 47 : f.tunnel === 'vxlan' ? 17 : f.v6 ? 41 : 4;
    ipv4Header(b, outer, len - outer, oproto, f.outerSrc, f.outerDst, n);
    if (vxUdp >= 0) {
      const ulen = len - vxUdp;
      put16(b, vxUdp + 4, ulen);
      put16(b, vxUdp + 6, 0);
      let us = sum16(b, outer + 12, outer + 20) + 17 + ulen;
      us = fold(sum16(b, vxUdp, end, us));
      put16(b, vxUdp + 6, us === 0 ? 0xffff : us);
    }
  }
  return { ip: firstIp, ipV6: f.tunnel === 'none' && f.v6, headersEnd: l4 + hl };
}
