// A simulated host conntrack table (the kernel's nf_conntrack hash as the conntrack kfuncs see it):
// entries keyed by zone, L3/L4 protocol and their original-direction tuple, found from either
// direction (a lookup of the reply tuple finds the entry with dir 1), status bits and timeouts with the
// kernel's rules (nf_ct_change_status_common, __nf_ct_change_timeout), lifetimes on the run's simulated
// clock. The table lives in one SharedArrayBuffer (ct-shared.ts: chained hash, one Atomics lock,
// reference counts), so every core of a device run, in any worker thread, sees the same entries. A
// run seeds it from a JSON file (parseConntrack); programs add entries with bpf_xdp_ct_alloc +
// bpf_ct_insert_entry. Nothing here is module state.
import { InputError } from '../../offload/errors.ts';
import { ConntrackTable } from './ct-shared.ts';

export { ConntrackTable, type ConntrackDescriptor, type CtDumpEntry, CT_DEFAULT_MAX } from './ct-shared.ts';
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** enum ip_conntrack_status bits. */
export const IPS = {
  EXPECTED: 1 << 0,
  SEEN_REPLY: 1 << 1,
  ASSURED: 1 << 2,
  CONFIRMED: 1 << 3,
  SRC_NAT: 1 << 4,
  DST_NAT: 1 << 5,
  SEQ_ADJUST: 1 << 6,
  SRC_NAT_DONE: 1 << 7,
  DST_NAT_DONE: 1 << 8,
  DYING: 1 << 9,
  FIXED_TIMEOUT: 1 << 10,
  TEMPLATE: 1 << 11,
  UNTRACKED: 1 << 12,
  OFFLOAD: 1 << 14,
  HW_OFFLOAD: 1 << 15,
} as const;
/** IPS_UNCHANGEABLE_MASK: bits __nf_ct_change_status ignores. */
const UNCHANGEABLE =
  IPS.SRC_NAT | IPS.DST_NAT | IPS.SRC_NAT_DONE | IPS.DST_NAT_DONE | IPS.EXPECTED | IPS.CONFIRMED | IPS.DYING | IPS.SEQ_ADJUST | IPS.TEMPLATE | IPS.UNTRACKED | IPS.OFFLOAD | IPS.HW_OFFLOAD;

const EBUSY = -16;
const EPERM = -1;
const ETIME = -62;

/** One direction of a connection: addresses (4 or 16 bytes, network order) and ports (host order). */
export interface CtTuple {
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

export interface CtEntry {
  /** 4 or 6. */
  family: 4 | 6;
  proto: number;
  zone: number;
  orig: CtTuple;
  /** The reply direction: the reversed original unless NAT (bpf_ct_set_nat_info) rewrote it. */
  reply: CtTuple;
  status: number;
  /** Timeout in ms: relative while the entry is not confirmed, else the absolute expiry (run clock, ms). */
  timeoutMs: number;
  /** In the table (an allocated entry is not until bpf_ct_insert_entry). */
  readonly inserted: boolean;
}

export const reverse = (t: CtTuple): CtTuple => ({ src: t.dst, dst: t.src, sport: t.dport, dport: t.sport });

/** nf_ct_change_status_common */
export function changeStatus(e: CtEntry, status: number): number {
  const d = (e.status ^ status) >>> 0;
  if (d & (IPS.EXPECTED | IPS.CONFIRMED | IPS.DYING)) return EBUSY;
  if (d & IPS.SEEN_REPLY && !(status & IPS.SEEN_REPLY)) return EBUSY;
  if (d & IPS.ASSURED && !(status & IPS.ASSURED)) return EBUSY;
  e.status = (e.status | (status & ~UNCHANGEABLE)) >>> 0;
  return 0;
}

/** __nf_ct_set_timeout (ms; `nowMs` is the run clock for a confirmed entry). */
export function setTimeout(e: CtEntry, ms: number, nowMs: number): void {
  const t = Math.min(ms >>> 0, 0x7fffffff);
  e.timeoutMs = e.inserted ? nowMs + t : t;
}

/** __nf_ct_change_timeout */
export function changeTimeout(e: CtEntry, ms: number, nowMs: number): number {
  if (e.status & IPS.FIXED_TIMEOUT) return EPERM;
  setTimeout(e, ms, nowMs);
  if (e.status & IPS.DYING) return ETIME;
  return 0;
}

export function addrText(a: Uint8Array): string {
  if (a.length === 4) return Array.from(a).join('.');
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((a[i]! << 8) | a[i + 1]!).toString(16));
  return w.join(':');
}

function parseAddr(s: unknown, where: string, file: string): Uint8Array {
  if (typeof s !== 'string') throw new InputError('conntrack.bad_entry', `${where}: an address must be a string`, { file });
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x) => x > 255)) throw new InputError('conntrack.bad_entry', `${where}: bad IPv4 address '${s}'`, { file });
    return Uint8Array.from(b);
  }
  const parts = s.split('::');
  if (parts.length > 2 || !/^[0-9a-fA-F:]+$/.test(s)) throw new InputError('conntrack.bad_entry', `${where}: bad address '${s}'`, { file });
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const fill = 8 - head.length - tail.length;
  if ((parts.length === 1 && fill !== 0) || fill < 0 || [...head, ...tail].some((g) => g.length === 0 || g.length > 4))
    throw new InputError('conntrack.bad_entry', `${where}: bad IPv6 address '${s}'`, { file });
  const groups = [...head, ...Array<string>(parts.length === 2 ? fill : 0).fill('0'), ...tail].map((g) => parseInt(g, 16));
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function port(v: unknown, where: string, file: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535) throw new InputError('conntrack.bad_entry', `${where}: a port is an integer 0..65535`, { file });
  return v as number;
}

/**
 * A conntrack seed file: a JSON list of entries
 * `{"proto": "tcp"|"udp", "src": "10.0.0.1", "dst": "10.0.0.2", "sport": 40000, "dport": 80,
 *   "status"?: 14, "timeout_ms"?: 30000, "zone"?: 0}` (the original direction; IPv6 addresses too).
 * Entries are confirmed (in the table) with status IPS_CONFIRMED plus the given bits.
 */
export function parseConntrack(text: string, file: string, nowMs = 0, into?: ConntrackTable): ConntrackTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError('conntrack.bad_json', `not JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(doc)) throw new InputError('conntrack.bad_json', 'expected a JSON list of conntrack entries', { file });
  const t = into ?? ConntrackTable.create();
  doc.forEach((raw: unknown, i) => {
    const where = `entry ${i}`;
    if (typeof raw !== 'object' || raw === null) throw new InputError('conntrack.bad_entry', `${where}: not an object`, { file });
    const o = raw as Record<string, unknown>;
    const proto = o.proto === 'tcp' || o.proto === IPPROTO_TCP ? IPPROTO_TCP : o.proto === 'udp' || o.proto === IPPROTO_UDP ? IPPROTO_UDP : -1;
    if (proto < 0) throw new InputError('conntrack.bad_entry', `${where}: proto must be "tcp" or "udp"`, { file });
    const src = parseAddr(o.src, where, file);
    const dst = parseAddr(o.dst, where, file);
    if (src.length !== dst.length) throw new InputError('conntrack.bad_entry', `${where}: src and dst are of different families`, { file });
    const status = o.status === undefined ? 0 : o.status;
    const zone = o.zone === undefined ? 0 : o.zone;
    const timeout = o.timeout_ms === undefined ? 30_000 : o.timeout_ms;
    for (const [k, v, max] of [['status', status, 0xffff], ['zone', zone, 0xffff], ['timeout_ms', timeout, 0x7fffffff]] as const)
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) throw new InputError('conntrack.bad_entry', `${where}: ${k} must be an integer 0..${max}`, { file });
    const e: CtEntry = {
      family: src.length === 4 ? 4 : 6,
      proto,
      zone: zone as number,
      orig: { src, dst, sport: port(o.sport, where, file), dport: port(o.dport, where, file) },
      reply: { src: dst, dst: src, sport: port(o.dport, where, file), dport: port(o.sport, where, file) },
      status: ((status as number) | IPS.CONFIRMED) >>> 0,
      timeoutMs: timeout as number,
      inserted: false,
    };
    if (t.insert(e, nowMs, false, false) === null) throw new InputError('conntrack.bad_entry', `${where}: the same connection is already in the table`, { file });
  });
  return t;
}
