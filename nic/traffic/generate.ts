// The seeded traffic generator behind `--traffic SPEC`: `flows` 5-tuples drawn once from the seed
// (address family, L4 protocol, VLAN/QinQ tags and tunnel chosen per flow, so a flow keeps one RSS
// queue), then `packets` frames, each from a flow picked with Zipf weights 1/k^s and a size from the
// spec's distribution, stamped at a fixed packet rate or back-to-back at a line rate. A `malformed`
// share of frames is damaged after building: cut inside their headers, or given an IP length larger
// than the frame. Same spec and seed, same frames, byte for byte.
import { buildFrame, type Flow, headerLength, type L2Kind, reChecksumIpv4, type TunnelKind } from './build.ts';
import type { Frame } from './frame.ts';
import { Rng } from './rng.ts';
import type { L4, SizeDist, TrafficSpec } from './spec.ts';

export { defaultSpec, KEYS, loadTrafficSpec, parseTrafficSpec, type TrafficSpec } from './spec.ts';

/** Ethernet FCS (in the frame sizes of the spec, not in the captured bytes). */
export const FCS_LEN = 4;
/** Preamble + start delimiter (8) and the minimum inter-frame gap (12) on the wire per frame. */
export const WIRE_OVERHEAD = 20;
/**
 * Simple IMIX: 7 x 64, 4 x 576, 1 x 1500-byte frames. The 7:4:1 ratio is the de-facto "simple IMIX"
 * of the test-equipment vendors (no standard fixes it; RFC 6985 "IMIX Genome" only names how to state
 * a mix). Wikipedia's "Internet Mix" gives it as 40/576/1500-byte IP packets, Ostinato
 * (https://ostinato.org/blog/imix) as 64/594/1518-byte frames; issue 9 asks for 64/576/1500, used here
 * as Ethernet frame sizes with FCS.
 */
export const IMIX: ReadonlyArray<readonly [size: number, weight: number]> = [
  [64, 7],
  [576, 4],
  [1500, 1],
];

export type MalformKind = 'truncated' | 'bad-length';

/** A generated frame: the Frame contract plus what the generator knows about it. */
export interface GeneratedFrame extends Frame {
  /** 0-based flow number (flow 0 is the most likely under Zipf). */
  flow: number;
  /** Frame size with FCS as drawn from the size distribution (before any header minimum or damage). */
  size: number;
  malformed?: MalformKind;
}

function pickWeighted<T extends string>(rng: Rng, weights: Record<T, number>): T {
  const keys = Object.keys(weights) as T[];
  let total = 0;
  for (const k of keys) total += weights[k];
  let u = rng.float() * total;
  for (const k of keys) {
    u -= weights[k];
    if (u < 0) return k;
  }
  return keys[keys.length - 1]!;
}

function bytes(rng: Rng, n: number, first: number[]): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i < first.length ? first[i]! : rng.u32() & 0xff;
  return b;
}

function makeFlow(rng: Rng, spec: TrafficSpec): Flow {
  const v6 = rng.float() < spec.ipv6;
  const l4 = pickWeighted<L4>(rng, spec.l4);
  const u2 = rng.float();
  const l2: L2Kind = u2 < spec.vlan ? 'vlan' : u2 < spec.vlan + spec.qinq ? 'qinq' : 'none';
  const ut = rng.float();
  const tunnel: TunnelKind = ut < spec.ipip ? 'ipip' : ut < spec.ipip + spec.gre ? 'gre' : ut < spec.ipip + spec.gre + spec.vxlan ? 'vxlan' : 'none';
  // Ports from the dynamic range (RFC 6335), so tshark dissects the payload as data.
  return {
    v6,
    l4,
    l2,
    tunnel,
    src: v6 ? bytes(rng, 16, [0xfd, 0x00]) : bytes(rng, 4, [10]),
    dst: v6 ? bytes(rng, 16, [0xfd, 0x01]) : bytes(rng, 4, [172, 16]),
    sport: rng.int(49152, 65535),
    dport: rng.int(49152, 65535),
    vlan: rng.int(1, 0xffff),
    outerSrc: bytes(rng, 4, [192, 0, 2]),
    outerDst: bytes(rng, 4, [198, 51, 100]),
    vni: rng.int(1, 0xffffff),
    seq: rng.u32(),
  };
}

/** Cumulative Zipf weights 1/k^s for k = 1..n, normalized to end at 1. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = acc += s === 0 ? 1 : 1 / Math.pow(k, s);
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / acc;
  cdf[n - 1] = 1;
  return cdf;
}

function pickCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cdf[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function drawSize(rng: Rng, d: SizeDist): number {
  switch (d.kind) {
    case 'fixed':
      return d.size;
    case 'uniform':
      return rng.int(d.min, d.max);
    case 'imix': {
      let u = rng.float() * 12;
      for (const [size, w] of IMIX) {
        u -= w;
        if (u < 0) return size;
      }
      return IMIX[IMIX.length - 1]![0];
    }
  }
}

/** Frames of `spec` under `seed`. Each yielded frame owns its bytes. */
export function* generate(spec: TrafficSpec, seed: number): Generator<GeneratedFrame> {
  const rng = new Rng(seed);
  const flows: Flow[] = [];
  for (let i = 0; i < spec.flows; i++) flows.push(makeFlow(rng, spec));
  const cdf = zipfCdf(spec.flows, spec.zipf);
  let wireBits = 0;
  const nsPerPacket = spec.rate.kind === 'pps' ? 1e9 / spec.rate.pps : 0;
  for (let n = 0; n < spec.packets; n++) {
    const fi = pickCdf(cdf, rng.float());
    const flow = flows[fi]!;
    const size = drawSize(rng, spec.size);
    const len = Math.max(size - FCS_LEN, headerLength(flow));
    const data = new Uint8Array(len);
    const layout = buildFrame(data, len, flow, n + 1);
    const offsetNs = spec.rate.kind === 'pps' ? Math.floor(n * nsPerPacket) : Math.floor(wireBits / spec.rate.gbps);
    wireBits += (len + FCS_LEN + WIRE_OVERHEAD) * 8;
    const frame: GeneratedFrame = { tsNs: spec.startNs + BigInt(offsetNs), data, wireLen: len, iface: 0, index: n + 1, flow: fi, size };
    if (spec.malformed > 0 && rng.float() < spec.malformed) {
      if (rng.float() < 0.5) {
        // Cut somewhere inside the headers: after the Ethernet type, before the end of L4.
        const cut = rng.int(layout.ip, layout.headersEnd - 1);
        frame.data = data.slice(0, cut);
        frame.wireLen = cut;
        frame.malformed = 'truncated';
      } else {
        // The first IP header claims more bytes than the frame holds.
        const extra = rng.int(1, 255);
        const at = layout.ip + (layout.ipV6 ? 4 : 2);
        const v = ((data[at]! << 8) | data[at + 1]!) + extra;
        data[at] = (v >> 8) & 0xff;
        data[at + 1] = v & 0xff;
        if (!layout.ipV6) reChecksumIpv4(data, layout.ip);
        frame.malformed = 'bad-length';
      }
    }
    yield frame;
  }
}
