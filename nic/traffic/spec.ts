// The generator's traffic description (`--traffic SPEC`): `key=value,...` or a small YAML file with the
// same keys. Every key, its values and its default are in KEYS below (the one list the parser, the
// errors and README use); unknown keys and bad values are InputErrors naming the key.
import { parseDocument } from 'yaml';
import * as fs from 'node:fs';
import { InputError, type Location } from '../../offload/errors.ts';

export type SizeDist = { kind: 'fixed'; size: number } | { kind: 'imix' } | { kind: 'uniform'; min: number; max: number };
export type Rate = { kind: 'pps'; pps: number } | { kind: 'gbps'; gbps: number };
export type L4 = 'tcp' | 'udp' | 'icmp';

export interface TrafficSpec {
  packets: number;
  flows: number;
  /** Zipf exponent s over flows (flow k of n is chosen with weight 1/k^s); 0 = uniform. */
  zipf: number;
  /** Ethernet frame sizes including the 4-byte FCS (pcap holds the frame without it). */
  size: SizeDist;
  /** Fraction of flows that are IPv6 (the rest IPv4). */
  ipv6: number;
  /** Relative weights of the L4 protocols over flows. */
  l4: Record<L4, number>;
  /** Fractions of flows with one 802.1Q tag / an 802.1ad + 802.1Q pair. */
  vlan: number;
  qinq: number;
  /** Fractions of flows tunnelled in IPv4: IP-in-IP, GRE, VXLAN (UDP 4789). */
  ipip: number;
  gre: number;
  vxlan: number;
  /** Fraction of frames made malformed (cut inside the headers, or a wrong IP length). */
  malformed: number;
  /** Arrival rate: fixed packets per second, or back-to-back at a line rate. */
  rate: Rate;
  /** Timestamp of the first frame, nanoseconds since the epoch. */
  startNs: bigint;
}

export const MIN_FRAME = 64;
export const MAX_FRAME = 9216;

interface KeyDoc {
  values: string;
  default: string;
  doc: string;
}

/** Every spec key: the values it takes, its default, what it means. */
export const KEYS: Record<string, KeyDoc> = {
  packets: { values: 'integer 1..2^31', default: '1000', doc: 'frames to generate' },
  flows: { values: 'integer 1..2^24', default: '64', doc: 'distinct 5-tuples' },
  zipf: { values: 'number >= 0', default: '0', doc: 'Zipf skew s over flows (0 = uniform)' },
  size: { values: `N | imix | A-B (${MIN_FRAME}..${MAX_FRAME})`, default: '64', doc: 'frame size with FCS: fixed, IMIX 7:4:1 of 64/576/1500, or uniform in [A, B]' },
  ipv6: { values: 'fraction 0..1', default: '0', doc: 'share of IPv6 flows' },
  l4: { values: 'tcp:W+udp:W+icmp:W', default: 'udp:1', doc: 'weights of the L4 protocols' },
  vlan: { values: 'fraction', default: '0', doc: 'share of flows with an 802.1Q tag' },
  qinq: { values: 'fraction', default: '0', doc: 'share of flows with 802.1ad + 802.1Q tags (vlan + qinq <= 1)' },
  ipip: { values: 'fraction', default: '0', doc: 'share of flows in IPv4 IP-in-IP (protocol 4 or 41)' },
  gre: { values: 'fraction', default: '0', doc: 'share of flows in IPv4 GRE (protocol 47)' },
  vxlan: { values: 'fraction', default: '0', doc: 'share of flows in IPv4/UDP VXLAN, port 4789 (ipip + gre + vxlan <= 1)' },
  malformed: { values: 'fraction', default: '0', doc: 'share of frames cut inside their headers or with a wrong IP length' },
  pps: { values: 'number > 0', default: '-', doc: 'arrival rate in packets per second (exclusive with gbps)' },
  gbps: { values: 'number > 0', default: '10', doc: 'back-to-back at this line rate, counting 20 bytes of preamble and gap per frame' },
  start: { values: 'seconds >= 0', default: '1700000000', doc: 'timestamp of the first frame' },
};

export function defaultSpec(): TrafficSpec {
  return {
    packets: 1000,
    flows: 64,
    zipf: 0,
    size: { kind: 'fixed', size: 64 },
    ipv6: 0,
    l4: { tcp: 0, udp: 1, icmp: 0 },
    vlan: 0,
    qinq: 0,
    ipip: 0,
    gre: 0,
    vxlan: 0,
    malformed: 0,
    rate: { kind: 'gbps', gbps: 10 },
    startNs: 1_700_000_000n * 1_000_000_000n,
  };
}

class SpecError extends InputError {
  constructor(key: string, reason: string, loc: Location) {
    super('traffic-spec', `${key}: ${reason}`, { ...loc, path: key });
  }
}

function num(key: string, v: string, loc: Location): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n)) throw new SpecError(key, `'${v}' is not a number`, loc);
  return n;
}
function int(key: string, v: string, lo: number, hi: number, loc: Location): number {
  const n = num(key, v, loc);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new SpecError(key, `'${v}' is not an integer from ${lo} to ${hi}`, loc);
  return n;
}
function frac(key: string, v: string, loc: Location): number {
  const n = num(key, v, loc);
  if (n < 0 || n > 1) throw new SpecError(key, `'${v}' is not a fraction from 0 to 1`, loc);
  return n;
}

function sizeOf(v: string, loc: Location): SizeDist {
  const s = v.trim().toLowerCase();
  if (s === 'imix') return { kind: 'imix' };
  const m = /^(\d+)\s*-\s*(\d+)$/.exec(s);
  if (m) {
    const min = int('size', m[1]!, MIN_FRAME, MAX_FRAME, loc);
    const max = int('size', m[2]!, MIN_FRAME, MAX_FRAME, loc);
    if (min > max) throw new SpecError('size', `range ${min}-${max} is empty`, loc);
    return { kind: 'uniform', min, max };
  }
  if (/^\d+$/.test(s)) return { kind: 'fixed', size: int('size', s, MIN_FRAME, MAX_FRAME, loc) };
  throw new SpecError('size', `'${v}' is not N, imix or A-B`, loc);
}

function l4Of(v: string | Record<string, unknown>, loc: Location): Record<L4, number> {
  const out: Record<L4, number> = { tcp: 0, udp: 0, icmp: 0 };
  const pairs: Array<[string, string]> =
    typeof v === 'string' ? v.split('+').map((p) => p.split(':').map((x) => x.trim()) as [string, string]) : Object.entries(v).map(([k, w]) => [k, String(w)]);
  for (const [name, w] of pairs) {
    if (name !== 'tcp' && name !== 'udp' && name !== 'icmp') throw new SpecError('l4', `unknown protocol '${name}' (tcp, udp, icmp)`, loc);
    const n = w === undefined ? 1 : num('l4', w, loc);
    if (n < 0) throw new SpecError('l4', `weight of ${name} is negative`, loc);
    out[name] = n;
  }
  if (out.tcp + out.udp + out.icmp <= 0) throw new SpecError('l4', 'the weights add up to 0', loc);
  return out;
}

/** Applies one key to the spec. */
function apply(spec: TrafficSpec, key: string, v: unknown, loc: Location, seen: Set<string>): void {
  if (!(key in KEYS)) throw new SpecError(key, `unknown key (known: ${Object.keys(KEYS).join(', ')})`, loc);
  if (seen.has(key)) throw new SpecError(key, 'given twice', loc);
  seen.add(key);
  if (key === 'l4' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    spec.l4 = l4Of(v as Record<string, unknown>, loc);
    return;
  }
  if (v === null || typeof v === 'object') throw new SpecError(key, 'needs a value', loc);
  const s = String(v);
  switch (key) {
    case 'packets':
      spec.packets = int(key, s, 1, 2 ** 31, loc);
      break;
    case 'flows':
      spec.flows = int(key, s, 1, 2 ** 24, loc);
      break;
    case 'zipf': {
      const z = num(key, s, loc);
      if (z < 0 || z > 100) throw new SpecError(key, `'${s}' is not from 0 to 100`, loc);
      spec.zipf = z;
      break;
    }
    case 'size':
      spec.size = sizeOf(s, loc);
      break;
    case 'l4':
      spec.l4 = l4Of(s, loc);
      break;
    case 'ipv6':
    case 'vlan':
    case 'qinq':
    case 'ipip':
    case 'gre':
    case 'vxlan':
    case 'malformed':
      spec[key] = frac(key, s, loc);
      break;
    case 'pps':
    case 'gbps': {
      const r = num(key, s, loc);
      if (r <= 0) throw new SpecError(key, `'${s}' is not above 0`, loc);
      if (seen.has(key === 'pps' ? 'gbps' : 'pps')) throw new SpecError(key, 'pps and gbps exclude each other', loc);
      spec.rate = key === 'pps' ? { kind: 'pps', pps: r } : { kind: 'gbps', gbps: r };
      break;
    }
    case 'start': {
      const t = num(key, s, loc);
      if (t < 0 || t >= 2 ** 32) throw new SpecError(key, `'${s}' is not from 0 to 2^32 seconds`, loc);
      spec.startNs = BigInt(Math.round(t * 1e6)) * 1000n;
      break;
    }
    default:
      throw new Error(`internal: spec key ${key} has no parser`);
  }
}

function check(spec: TrafficSpec, loc: Location): TrafficSpec {
  if (spec.vlan + spec.qinq > 1 + 1e-12) throw new SpecError('qinq', `vlan + qinq = ${spec.vlan + spec.qinq} is above 1`, loc);
  if (spec.ipip + spec.gre + spec.vxlan > 1 + 1e-12) throw new SpecError('vxlan', `ipip + gre + vxlan = ${spec.ipip + spec.gre + spec.vxlan} is above 1`, loc);
  return spec;
}

/**
 * Parses a spec: `key=value,...` on one line, or a YAML mapping with the same keys (l4 may be a
 * mapping of weights there). `file` locates errors in a YAML file.
 */
export function parseTrafficSpec(text: string, file?: string): TrafficSpec {
  const spec = defaultSpec();
  const seen = new Set<string>();
  const base: Location = file ? { file } : {};
  const oneLine = !text.includes('\n') && (text.includes('=') || !text.includes(':'));
  if (oneLine || text.trim() === '') {
    for (const part of text.split(',')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq < 0) throw new SpecError(part.trim(), "needs key=value", base);
      apply(spec, part.slice(0, eq).trim(), part.slice(eq + 1).trim(), base, seen);
    }
    return check(spec, base);
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new InputError('traffic-spec', `not a key=value list or YAML mapping: ${doc.errors[0]!.message.split('\n')[0]}`, base);
  }
  const v = doc.toJS() as unknown;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError('traffic-spec', 'a traffic spec is a key=value list or a YAML mapping', base);
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) apply(spec, k, val, base, seen);
  return check(spec, base);
}

/** `--traffic ARG`: a path to a YAML file when one exists there (or the name ends in .yaml/.yml), else key=value text. */
export function loadTrafficSpec(arg: string): TrafficSpec {
  const looksLikeFile = /\.ya?ml$/i.test(arg) || (!arg.includes('=') && arg.trim() !== '');
  if (looksLikeFile) {
    let text: string;
    try {
      text = fs.readFileSync(arg, 'utf8');
    } catch (e) {
      throw new InputError('traffic-spec', `cannot read traffic spec: ${(e as Error).message.split(',')[0]}`, { file: arg });
    }
    return parseTrafficSpec(text.includes('\n') ? text : text + '\n', arg);
  }
  return parseTrafficSpec(arg);
}
