// The kfuncs nicsim executes, as the Linux kernel implements them for XDP, in a table keyed by the BTF
// id the loader gives each call (the recorded kernel's ids, offload/btf/kfuncs.ts). Implementations
// work over KfuncHost (host.ts): the helper host plus the kernel's side of the run (kernel.ts). The
// same table serves the interpreter (CALL_KFUNC), the host path and a JIT's imports (one import per
// kfunc id, calling callKfunc).
//   conntrack   bpf_xdp_ct_lookup / _alloc, bpf_ct_insert_entry, bpf_ct_release, bpf_ct_set_timeout /
//               _status / _nat_info, bpf_ct_change_timeout / _status (net/netfilter/nf_conntrack_bpf.c,
//               nf_nat_bpf.c) over a simulated conntrack table (conntrack.ts)
//   metadata    bpf_xdp_metadata_rx_timestamp / _rx_hash / _rx_vlan_tag: what the device reports
//   packet      bpf_dynptr_from_xdp, bpf_dynptr_slice(_rdwr) (dynptr.ts), bpf_xdp_pull_data (pull.ts)
//   xfrm        bpf_xdp_get_xfrm_state: no IPsec states exist (NULL, opts->error = -ENOENT)
//   no-ops      bpf_rcu_read_lock / _unlock, bpf_preempt_disable / _enable (one core runs one packet)
import { kfuncById, kfuncByName } from '../../offload/btf/kfuncs.ts';
import { KOBJ_PTR_TAG } from '../layout.ts';
import { Fault } from '../vm/fault.ts';
import type { Region } from '../vm/memory.ts';
import { changeStatus, changeTimeout, type CtEntry, type CtTuple, IPPROTO_TCP, IPPROTO_UDP, IPS, reverse, setTimeout } from './conntrack.ts';
import { dynptrFromXdp, dynptrSlice } from './dynptr.ts';
import type { KfuncHost, KfuncImpl } from './host.ts';
import { pullData } from './pull.ts';
import { RX_HASH, RX_TIMESTAMP, RX_VLAN_TAG } from './kernel.ts';

export type { KfuncHost, KfuncImpl } from './host.ts';

const EINVAL = -22;
const EPROTO = -71;
const ENONET = -64;
const ENOENT = -2;
const ENOMEM = -12;
const EAFNOSUPPORT = -97;
const ENODATA = -61;
const EOPNOTSUPP = -95;
/** BPF_F_CURRENT_NETNS */
const CURRENT_NETNS = -1;
/** sizeof(struct bpf_ct_opts) in 6.18, and the size before ct_zone_id existed. */
const CT_OPTS_SZ = 16;
const CT_OPTS_OLD_SZ = 12;
/** sizeof(bpf_sock_tuple.ipv4) / .ipv6 */
const TUPLE4 = 12;
const TUPLE6 = 36;
/** bpf_xdp_ct_alloc's default timeout: 10 s. */
const CT_ALLOC_TIMEOUT_MS = 10_000;

function ret(h: KfuncHost, v: number): void {
  h.lo[0] = v | 0;
  h.hi[0] = v < 0 ? -1 : 0;
}

function retPtr(h: KfuncHost, handle: number): void {
  h.lo[0] = handle;
  h.hi[0] = handle ? KOBJ_PTR_TAG : 0;
}

const isNull = (h: KfuncHost, r: number) => h.lo[r] === 0 && h.hi[r] === 0;

/** The conntrack entry an nf_conn / nf_conn___init argument names. */
function entryArg(h: KfuncHost, r: number, pc: number, what: string): { handle: number; entry: CtEntry } {
  const handle = h.lo[r]!;
  const o = h.hi[r] === KOBJ_PTR_TAG ? h.kernel.object(handle) : undefined;
  if (!o || o.kind !== 'nf_conn') throw new Fault('fault.helper', `${what}: argument is not a conntrack entry the program holds`, pc);
  return { handle, entry: o.entry };
}

const nowMs = (h: KfuncHost) => Math.floor(h.nowNs(false) / 1e6);

interface CtArgs {
  opts: Region | null;
  optsAt: number;
  error: number;
  zone: number;
  family: 4 | 6;
  proto: number;
  tuple: CtTuple;
}

/** Argument checks shared by lookup and alloc (__bpf_nf_ct_lookup / __bpf_nf_ct_alloc_entry), in their order. */
function ctArgs(h: KfuncHost, pc: number, alloc: boolean): CtArgs {
  const tupleLen = h.lo[3]! >>> 0;
  const optsLen = h.lo[5]! >>> 0;
  const out: CtArgs = { opts: null, optsAt: 0, error: 0, zone: 0, family: 4, proto: 0, tuple: { src: new Uint8Array(4), dst: new Uint8Array(4), sport: 0, dport: 0 } };
  if (isNull(h, 4) || isNull(h, 2)) return { ...out, error: EINVAL };
  out.opts = h.resolveAddr(h.lo[4]!, h.hi[4]!, optsLen, pc, 'bpf_ct_opts');
  out.optsAt = h.lastEa;
  const o = out.opts.u8;
  const at = out.optsAt;
  if (optsLen !== CT_OPTS_SZ && optsLen !== CT_OPTS_OLD_SZ) return { ...out, error: EINVAL };
  const zoneId = o[at + 10]! | (o[at + 11]! << 8);
  if (optsLen === CT_OPTS_SZ ? o[at + 13] || o[at + 14] || o[at + 15] : zoneId) return { ...out, error: EINVAL };
  const netns = out.opts.dv.getInt32(at, true);
  const proto = o[at + 8]!;
  const badProto = proto !== IPPROTO_TCP && proto !== IPPROTO_UDP;
  if (!alloc && badProto) return { ...out, error: EPROTO };
  if (netns < CURRENT_NETNS) return { ...out, error: EINVAL };
  if (badProto) return { ...out, error: EPROTO };
  if (tupleLen !== TUPLE4 && tupleLen !== TUPLE6) return { ...out, error: EAFNOSUPPORT };
  const t = h.resolveAddr(h.lo[2]!, h.hi[2]!, tupleLen, pc, 'bpf_sock_tuple');
  const b = t.u8.subarray(h.lastEa, h.lastEa + tupleLen);
  const n = tupleLen === TUPLE4 ? 4 : 16;
  const be16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  out.tuple = { src: b.slice(0, n), dst: b.slice(n, 2 * n), sport: be16(2 * n), dport: be16(2 * n + 2) };
  out.family = n === 4 ? 4 : 6;
  out.proto = proto;
  if (netns >= 0) return { ...out, error: ENONET };
  out.zone = optsLen === CT_OPTS_SZ ? zoneId : 0;
  return out;
}

function ctFail(h: KfuncHost, a: CtArgs): void {
  if (a.opts) a.opts.dv.setInt32(a.optsAt + 4, a.error, true);
  retPtr(h, 0);
}

/** struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, u32 tuple__sz, struct bpf_ct_opts *, u32 opts__sz) */
const ctLookup: KfuncImpl = (h, pc) => {
  const a = ctArgs(h, pc, false);
  if (a.error) return ctFail(h, a);
  const found = h.kernel.conntrack.find(a.zone, a.family, a.proto, a.tuple, nowMs(h), true);
  if (!found) return ctFail(h, { ...a, error: ENOENT });
  a.opts!.u8[a.optsAt + 9] = found.dir;
  retPtr(h, h.kernel.hold({ kind: 'nf_conn', entry: found.entry }));
};

/** struct nf_conn___init *bpf_xdp_ct_alloc(same arguments): an unconfirmed entry (status 0), 10 s timeout. */
const ctAlloc: KfuncImpl = (h, pc) => {
  const a = ctArgs(h, pc, true);
  if (a.error) return ctFail(h, a);
  // nf_conntrack_alloc: a table at nf_conntrack_max refuses new entries
  if (h.kernel.conntrack.full()) return ctFail(h, { ...a, error: ENOMEM });
  const entry: CtEntry = {
    family: a.family,
    proto: a.proto,
    zone: a.zone,
    orig: a.tuple,
    reply: reverse(a.tuple),
    status: 0,
    timeoutMs: CT_ALLOC_TIMEOUT_MS,
    inserted: false,
  };
  retPtr(h, h.kernel.hold({ kind: 'nf_conn', entry }));
};

/** struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *): the same object, now in the table; NULL (freed) if taken. */
const ctInsert: KfuncImpl = (h, pc) => {
  const { handle, entry } = entryArg(h, 1, pc, 'bpf_ct_insert_entry');
  const shared = entry.inserted ? null : h.kernel.conntrack.insert(entry, nowMs(h), true);
  if (!shared) {
    h.kernel.drop(handle);
    return retPtr(h, 0);
  }
  h.kernel.replace(handle, { kind: 'nf_conn', entry: shared });
  retPtr(h, handle);
};

const ctRelease: KfuncImpl = (h, pc) => {
  if (isNull(h, 1)) return;
  h.kernel.drop(entryArg(h, 1, pc, 'bpf_ct_release').handle);
};

const ctSetTimeout: KfuncImpl = (h, pc) => setTimeout(entryArg(h, 1, pc, 'bpf_ct_set_timeout').entry, h.lo[2]! >>> 0, nowMs(h));
const ctChangeTimeout: KfuncImpl = (h, pc) => ret(h, changeTimeout(entryArg(h, 1, pc, 'bpf_ct_change_timeout').entry, h.lo[2]! >>> 0, nowMs(h)));
const ctStatus =
  (what: string): KfuncImpl =>
  (h, pc) =>
    ret(h, changeStatus(entryArg(h, 1, pc, what).entry, h.lo[2]! >>> 0));

/** int bpf_ct_set_nat_info(struct nf_conn___init *, union nf_inet_addr *addr, int port, enum nf_nat_manip_type manip) */
const ctSetNatInfo: KfuncImpl = (h, pc) => {
  const { entry } = entryArg(h, 1, pc, 'bpf_ct_set_nat_info');
  const r = h.resolveAddr(h.lo[2]!, h.hi[2]!, 16, pc, 'bpf_ct_set_nat_info addr');
  const addr = r.u8.slice(h.lastEa, h.lastEa + (entry.family === 4 ? 4 : 16));
  const port = h.lo[3]!;
  const src = h.lo[4] === 0; // NF_NAT_MANIP_SRC
  const done = src ? IPS.SRC_NAT_DONE : IPS.DST_NAT_DONE;
  // nf_nat_setup_info: a manip already done is left alone; otherwise the reply tuple is rewritten
  if (!(entry.status & done)) {
    if (src) entry.reply = { ...entry.reply, dst: addr, dport: port > 0 ? port & 0xffff : entry.reply.dport };
    else entry.reply = { ...entry.reply, src: addr, sport: port > 0 ? port & 0xffff : entry.reply.sport };
    entry.status = (entry.status | done | (src ? IPS.SRC_NAT : IPS.DST_NAT)) >>> 0;
  }
  ret(h, 0);
};

/** The metadata kfuncs: -EOPNOTSUPP where the driver lacks the op (or no device reports metadata), -ENODATA when this packet has none. */
const rxTimestamp: KfuncImpl = (h, pc) => {
  const rx = h.kernel.rx;
  if (!rx || !(rx.implemented & RX_TIMESTAMP)) return ret(h, EOPNOTSUPP);
  if (!(rx.present & RX_TIMESTAMP)) return ret(h, ENODATA);
  const r = h.resolveAddr(h.lo[2]!, h.hi[2]!, 8, pc, 'bpf_xdp_metadata_rx_timestamp timestamp');
  r.dv.setUint32(h.lastEa, rx.tsLo >>> 0, true);
  r.dv.setUint32(h.lastEa + 4, rx.tsHi >>> 0, true);
  ret(h, 0);
};

const rxHash: KfuncImpl = (h, pc) => {
  const rx = h.kernel.rx;
  if (!rx || !(rx.implemented & RX_HASH)) return ret(h, EOPNOTSUPP);
  rx.settle();
  if (!(rx.present & RX_HASH)) return ret(h, ENODATA);
  const r = h.resolveAddr(h.lo[2]!, h.hi[2]!, 4, pc, 'bpf_xdp_metadata_rx_hash hash');
  r.dv.setUint32(h.lastEa, rx.hash >>> 0, true);
  const t = h.resolveAddr(h.lo[3]!, h.hi[3]!, 4, pc, 'bpf_xdp_metadata_rx_hash rss_type');
  t.dv.setUint32(h.lastEa, rx.hashType >>> 0, true);
  ret(h, 0);
};

const rxVlanTag: KfuncImpl = (h, pc) => {
  const rx = h.kernel.rx;
  if (!rx || !(rx.implemented & RX_VLAN_TAG)) return ret(h, EOPNOTSUPP);
  if (!(rx.present & RX_VLAN_TAG)) return ret(h, ENODATA);
  const p = h.resolveAddr(h.lo[2]!, h.hi[2]!, 2, pc, 'bpf_xdp_metadata_rx_vlan_tag vlan_proto');
  p.dv.setUint16(h.lastEa, rx.vlanProto, false);
  const t = h.resolveAddr(h.lo[3]!, h.hi[3]!, 2, pc, 'bpf_xdp_metadata_rx_vlan_tag vlan_tci');
  t.dv.setUint16(h.lastEa, rx.vlanTci, true);
  ret(h, 0);
};

/** struct xfrm_state *bpf_xdp_get_xfrm_state(struct xdp_md *, struct bpf_xfrm_state_opts *opts, u32 opts__sz) */
const xfrmOptsSize = kfuncByName('bpf_xdp_get_xfrm_state')?.params[1]?.pointee?.size ?? 0;
const getXfrmState: KfuncImpl = (h, pc) => {
  const len = h.lo[3]! >>> 0;
  retPtr(h, 0);
  if (isNull(h, 2) || len < 4) return;
  const r = h.resolveAddr(h.lo[2]!, h.hi[2]!, 4, pc, 'bpf_xfrm_state_opts');
  r.dv.setInt32(h.lastEa, len !== xfrmOptsSize ? EINVAL : ENOENT, true);
};

const noop: KfuncImpl = () => {};

const IMPLS: Record<string, KfuncImpl> = {
  bpf_xdp_ct_lookup: ctLookup,
  bpf_xdp_ct_alloc: ctAlloc,
  bpf_ct_insert_entry: ctInsert,
  bpf_ct_release: ctRelease,
  bpf_ct_set_timeout: ctSetTimeout,
  bpf_ct_change_timeout: ctChangeTimeout,
  bpf_ct_set_status: ctStatus('bpf_ct_set_status'),
  bpf_ct_change_status: ctStatus('bpf_ct_change_status'),
  bpf_ct_set_nat_info: ctSetNatInfo,
  bpf_xdp_metadata_rx_timestamp: rxTimestamp,
  bpf_xdp_metadata_rx_hash: rxHash,
  bpf_xdp_metadata_rx_vlan_tag: rxVlanTag,
  bpf_dynptr_from_xdp: dynptrFromXdp,
  bpf_dynptr_slice: dynptrSlice(false),
  bpf_dynptr_slice_rdwr: dynptrSlice(true),
  bpf_xdp_pull_data: pullData,
  bpf_xdp_get_xfrm_state: getXfrmState,
  bpf_rcu_read_lock: noop,
  bpf_rcu_read_unlock: noop,
  bpf_preempt_disable: noop,
  bpf_preempt_enable: noop,
};

function buildTable(): ReadonlyMap<number, KfuncImpl> {
  const t = new Map<number, KfuncImpl>();
  for (const [name, impl] of Object.entries(IMPLS)) {
    const k = kfuncByName(name);
    if (k) t.set(k.btfId, impl);
  }
  return t;
}

/** Kfunc implementations by BTF id (absent: not executed by nicsim). */
export const KFUNC_TABLE: ReadonlyMap<number, KfuncImpl> = buildTable();

/** The names of the kfuncs nicsim executes (for documentation and the capability report). */
export const EXECUTED_KFUNCS: readonly string[] = Object.freeze(Object.keys(IMPLS));

/** Calls kfunc `btfId` on `host`; one nicsim does not execute faults with its name. */
export function callKfunc(host: KfuncHost, btfId: number, pc: number): void {
  const f = KFUNC_TABLE.get(btfId);
  if (f === undefined) {
    throw new Fault('fault.helper', `kernel function ${kfuncById(btfId)?.name ?? `with BTF id ${btfId}`} is not executed by nicsim`, pc);
  }
  f(host, pc);
}
