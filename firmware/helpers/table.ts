// The helper functions as the Linux kernel implements them for XDP, as a table keyed by helper id
// (ids: names.ts, prototypes: protos.ts). Each implementation works over the small HelperHost
// interface (host.ts), so the same table serves the interpreter, the host path and a JIT's imports.
// Arguments are read from r1..r5 and the result written to r0; pointer arguments are resolved through
// the host's region table (bounds-checked).
import { PerfEventArray, ProgArray, RingBuf } from '../maps/index.ts';
import { Fault } from '../vm/fault.ts';
import type { Region } from '../vm/memory.ts';
import { FUNC_PTR_TAG, MAP_PTR_TAG, REGION_MAP0, REGION_TAG } from '../layout.ts';
import { REDIRECT_IFINDEX, REDIRECT_MAP } from '../state.ts';
import { csumDiff } from '../xdp/csum.ts';
import { dynptrData, dynptrRead, dynptrWrite } from '../kfuncs/dynptr.ts';
import { formatPrintk } from '../xdp/printk.ts';
import type { HelperHost, HelperImpl } from './host.ts';
import { HELPER_IDS, helperName } from './names.ts';

export type { HelperHost, HelperImpl } from './host.ts';

const EINVAL = -22;
const E2BIG = -7;
const EFAULT = -14;
const ENODEV = -19;
/** bpf_check_mtu results. */
const MTU_CHK_RET_SUCCESS = 0;
const MTU_CHK_RET_FRAG_NEEDED = 1;
/** Spins before a bpf_spin_lock that never becomes free is declared a deadlock. */
const SPIN_LIMIT = 1 << 24;
/** BPF_MAX_LOOPS: bpf_loop's iteration limit. */
const MAX_LOOPS = 8 * 1024 * 1024;
const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
/** BPF_F_ACTION_MASK: the default action in bpf_redirect_map's low flag bits. */
const ACTION_MASK = 3;
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
/** BPF_FIB_LKUP_RET_NOT_FWDED: no route (nicsim has no routing table). */
const FIB_NOT_FWDED = 4;

function ret(h: HelperHost, lo: number, hi = lo < 0 ? -1 : 0): void {
  h.lo[0] = lo | 0;
  h.hi[0] = hi | 0;
}

/** Resolves pointer argument register `r` for `size` bytes: the region; h.lastEa is the offset. */
function ptr(h: HelperHost, r: number, size: number, pc: number, what: string): Region {
  return h.resolveAddr(h.lo[r]!, h.hi[r]!, size, pc, what);
}

function cstring(h: HelperHost, lo: number, hi: number, max: number, pc: number): string {
  let s = '';
  for (let i = 0; i < max; i++) {
    const r = h.resolveAddr((lo + i) | 0, hi, 1, pc, 'string argument');
    const c = r.u8[h.lastEa]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}

const mapLookup: HelperImpl = (h, pc) => {
  const i = h.mapIndex(h.lo[1]!, h.hi[1]!, pc, 'bpf_map_lookup_elem');
  const m = h.maps[i]!;
  const k = ptr(h, 2, m.keySize, pc, 'bpf_map_lookup_elem key');
  const off = m.lookup(k.u8, h.lastEa, h.cpu);
  if (off < 0) ret(h, 0, 0);
  else if (h.mapOfMaps[i]) {
    // Maps of maps hand the program the inner map itself (ids are map index + 1).
    const id = m.i32[off >> 2]! >>> 0;
    if (id === 0) ret(h, 0, 0);
    else ret(h, id - 1, MAP_PTR_TAG);
  } else ret(h, off, REGION_TAG + REGION_MAP0 + i);
};

const mapUpdate: HelperImpl = (h, pc) => {
  const m = h.maps[h.mapIndex(h.lo[1]!, h.hi[1]!, pc, 'bpf_map_update_elem')]!;
  const k = ptr(h, 2, m.keySize, pc, 'bpf_map_update_elem key');
  const kOff = h.lastEa;
  const v = ptr(h, 3, m.valueSize, pc, 'bpf_map_update_elem value');
  const flags = h.hi[4] === 0 ? h.lo[4]! >>> 0 : 0xffffffff; // flags beyond 32 bits are invalid anyway
  ret(h, m.update(k.u8, kOff, v.u8, h.lastEa, flags, h.cpu));
};

const mapDelete: HelperImpl = (h, pc) => {
  const m = h.maps[h.mapIndex(h.lo[1]!, h.hi[1]!, pc, 'bpf_map_delete_elem')]!;
  const k = ptr(h, 2, m.keySize, pc, 'bpf_map_delete_elem key');
  ret(h, m.delete(k.u8, h.lastEa));
};

const clock =
  (boot: boolean): HelperImpl =>
  (h) => {
    const t = h.nowNs(boot);
    ret(h, t % 0x100000000 | 0, Math.floor(t / 0x100000000));
  };

const tracePrintk: HelperImpl = (h, pc) => {
  const { lo, hi } = h;
  const size = lo[2]! >>> 0;
  const fmtRegion = ptr(h, 1, size, pc, 'bpf_trace_printk fmt');
  const fmtBytes = fmtRegion.u8.subarray(h.lastEa, h.lastEa + size);
  const nul = fmtBytes.indexOf(0);
  if (nul < 0) return ret(h, EINVAL);
  const fmt = Buffer.from(fmtBytes.subarray(0, nul)).toString('latin1');
  const msg = formatPrintk(fmt, {
    lo: [lo[3]!, lo[4]!, lo[5]!],
    hi: [hi[3]!, hi[4]!, hi[5]!],
    str: (l, hh) => cstring(h, l, hh, 512, pc),
  });
  if (msg === null) return ret(h, EINVAL);
  h.printk(msg);
  ret(h, msg.length);
};

const tailCall: HelperImpl = (h, pc) => {
  const i = h.mapIndex(h.lo[2]!, h.hi[2]!, pc, 'bpf_tail_call');
  const m = h.maps[i]!;
  if (!(m instanceof ProgArray)) throw new Fault('fault.tail_call', 'bpf_tail_call needs a prog_array map', pc);
  const index = h.lo[3]! >>> 0;
  if (index >= m.maxEntries) return; // falls through
  const id = m.progAt(index);
  if (id) h.tailCall(id); // false: limit reached or no such program, the call falls through
};

const redirect: HelperImpl = (h) => {
  if (h.lo[2] !== 0 || h.hi[2] !== 0) return ret(h, XDP_ABORTED);
  h.setRedirect(REDIRECT_IFINDEX, h.lo[1]! >>> 0, 0);
  ret(h, XDP_REDIRECT);
};

const redirectMap: HelperImpl = (h, pc) => {
  const i = h.mapIndex(h.lo[1]!, h.hi[1]!, pc, 'bpf_redirect_map');
  const m = h.maps[i]!;
  const flags = h.lo[3]! >>> 0;
  const allowed = m.type === 'devmap' || m.type === 'devmap_hash' ? ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : ACTION_MASK;
  if (h.hi[3] !== 0 || flags & ~allowed) return ret(h, XDP_ABORTED);
  const key = h.lo[2]! >>> 0;
  if (!('target' in m)) throw new Fault('fault.helper', `bpf_redirect_map: map '${m.name}' (${m.type}) cannot be a redirect target`, pc);
  const occupied = (flags & BPF_F_BROADCAST) !== 0 || m.target(key) !== 0;
  if (!occupied) return ret(h, flags & ACTION_MASK);
  h.setRedirect(REDIRECT_MAP, i, key);
  ret(h, XDP_REDIRECT);
};

const csumDiffHelper: HelperImpl = (h, pc) => {
  const fromSize = h.lo[2]! >>> 0;
  const toSize = h.lo[4]! >>> 0;
  if ((fromSize | toSize) & 3 || fromSize + toSize > 512) return ret(h, EINVAL);
  let from: Uint8Array | null = null;
  let fromOff = 0;
  if (fromSize) {
    from = ptr(h, 1, fromSize, pc, 'bpf_csum_diff from').u8;
    fromOff = h.lastEa;
  }
  let to: Uint8Array | null = null;
  let toOff = 0;
  if (toSize) {
    to = ptr(h, 3, toSize, pc, 'bpf_csum_diff to').u8;
    toOff = h.lastEa;
  }
  ret(h, csumDiff(from, fromOff, fromSize, to, toOff, toSize, h.lo[5]!), 0);
};

const adjust =
  (which: 'head' | 'meta' | 'tail'): HelperImpl =>
  (h) => {
    const d = h.lo[2]!;
    ret(h, which === 'head' ? h.buf.adjustHead(d) : which === 'meta' ? h.buf.adjustMeta(d) : h.buf.adjustTail(d));
    h.syncPacket();
  };

const xdpBytes =
  (store: boolean): HelperImpl =>
  (h, pc) => {
    const off = h.lo[2]! >>> 0;
    const len = h.lo[4]! >>> 0;
    const r = ptr(h, 3, len, pc, store ? 'bpf_xdp_store_bytes buf' : 'bpf_xdp_load_bytes buf');
    if (!store && !r.writable) throw new Fault('fault.readonly', 'bpf_xdp_load_bytes into read-only memory', pc);
    ret(h, h.buf.copy(off, r.u8, h.lastEa, len, store));
  };

const loop: HelperImpl = (h, pc) => {
  // long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)
  const { lo, hi } = h;
  const nr = lo[1]! >>> 0;
  if (lo[4] !== 0 || hi[4] !== 0) return ret(h, EINVAL);
  if (nr > MAX_LOOPS) return ret(h, E2BIG);
  if (hi[2] !== FUNC_PTR_TAG) throw new Fault('fault.helper', 'bpf_loop: callback_fn is not a function pointer', pc);
  const fn = lo[2]!;
  const ctxLo = lo[3]!;
  const ctxHi = hi[3]!;
  let i = 0;
  for (; i < nr; i++) {
    lo[1] = i;
    hi[1] = 0;
    lo[2] = ctxLo;
    hi[2] = ctxHi;
    lo[3] = lo[4] = lo[5] = 0;
    hi[3] = hi[4] = hi[5] = 0;
    if (h.callback(fn, pc) !== 0 || hi[0] !== 0) {
      i++;
      break;
    }
  }
  ret(h, i, 0);
};

const spin =
  (lock: boolean): HelperImpl =>
  (h, pc) => {
    const r = ptr(h, 1, 4, pc, lock ? 'bpf_spin_lock' : 'bpf_spin_unlock');
    const i32 = r.i32;
    const k = h.lastEa >> 2;
    if (!lock) Atomics.store(i32, k, 0);
    else {
      let n = 0;
      while (Atomics.compareExchange(i32, k, 0, 1) !== 0) {
        if (++n > SPIN_LIMIT) throw new Fault('fault.helper', 'bpf_spin_lock: the lock is never released (deadlock)', pc);
      }
    }
    ret(h, 0, 0);
  };

const probeRead =
  (isStr: boolean): HelperImpl =>
  (h, pc) => {
    // (dst, size, unsafe_ptr): nicsim has no kernel or user address space; only addresses inside
    // the program's own regions can be read, anything else fails as a bad kernel address does
    // (-EFAULT, destination zeroed).
    const size = h.lo[2]! >>> 0;
    const dst = ptr(h, 1, size, pc, 'bpf_probe_read dst');
    const dOff = h.lastEa;
    let src: Region | null = null;
    let sOff = 0;
    try {
      src = h.resolveAddr(h.lo[3]!, h.hi[3]!, isStr ? 1 : size, pc, 'bpf_probe_read src');
      sOff = h.lastEa;
    } catch {
      src = null;
    }
    if (!src || size === 0) {
      dst.u8.fill(0, dOff, dOff + size);
      return ret(h, size === 0 ? 0 : EFAULT);
    }
    if (!isStr) {
      dst.u8.set(src.u8.subarray(sOff, sOff + size), dOff);
      return ret(h, 0, 0);
    }
    let n = 0;
    while (n < size - 1 && sOff + n < src.size && src.u8[sOff + n] !== 0) n++;
    dst.u8.set(src.u8.subarray(sOff, sOff + n), dOff);
    dst.u8[dOff + n] = 0;
    ret(h, n + 1, 0);
  };

const checkMtu: HelperImpl = (h, pc) => {
  // bpf_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags), the XDP variant.
  if (h.lo[5] !== 0 || h.hi[5] !== 0) return ret(h, EINVAL);
  const mtu = h.mtuOf(h.lo[2]! >>> 0 || h.ingressIfindex);
  if (mtu === undefined) return ret(h, ENODEV);
  const m = ptr(h, 3, 4, pc, 'bpf_check_mtu mtu_len');
  const mOff = h.lastEa;
  const asked = m.dv.getUint32(mOff, true);
  const len = h.buf.linearLen + (h.lo[4]! | 0);
  const limit = (asked || mtu) + 14; // dev->hard_header_len of an Ethernet device
  m.dv.setUint32(mOff, mtu, true);
  ret(h, len > limit ? MTU_CHK_RET_FRAG_NEEDED : MTU_CHK_RET_SUCCESS, 0);
};

const constant =
  (v: number): HelperImpl =>
  (h) =>
    ret(h, v, 0);

/** BPF_F_CTXLEN_MASK >> 32: the packet-sample length bits of bpf_perf_event_output's flags. */
const CTXLEN_MASK_HI = 0xfffff;
const ENOTSUPP = -524;

/**
 * bpf_perf_event_output(ctx, map, flags, data, size) as bpf_xdp_event_output: flags are the slot
 * (BPF_F_INDEX_MASK, BPF_F_CURRENT_CPU = the running CPU) and, in BPF_F_CTXLEN_MASK, how many packet
 * bytes (fragments included) the kernel appends after the data.
 */
const perfEventOutput: HelperImpl = (h, pc) => {
  const i = h.mapIndex(h.lo[2]!, h.hi[2]!, pc, 'bpf_perf_event_output');
  const m = h.maps[i]!;
  const flagsHi = h.hi[3]! >>> 0;
  if (flagsHi & ~CTXLEN_MASK_HI) return ret(h, EINVAL);
  const ctxLen = flagsHi & CTXLEN_MASK_HI;
  if (ctxLen > h.buf.totalLen) return ret(h, EFAULT);
  if (!(m instanceof PerfEventArray)) return ret(h, ENOTSUPP);
  const slot = m.outputTarget(h.lo[3]! >>> 0, h.cpu);
  if (slot < 0) return ret(h, slot);
  const size = h.lo[5]! >>> 0;
  const r = ptr(h, 4, size, pc, 'bpf_perf_event_output data');
  const data = r.u8.slice(h.lastEa, h.lastEa + size);
  let sample: Uint8Array | null = null;
  if (ctxLen) {
    sample = new Uint8Array(ctxLen);
    h.buf.copy(0, sample, 0, ctxLen, false);
  }
  h.perfOutput(slot, data, sample);
  ret(h, 0);
};

/** The ring buffer a map argument names (the verifier allows only ringbufs here). */
function ringArg(h: HelperHost, pc: number, what: string): { rb: RingBuf; i: number } {
  const i = h.mapIndex(h.lo[1]!, h.hi[1]!, pc, what);
  const rb = h.maps[i];
  if (!(rb instanceof RingBuf)) throw new Fault('fault.helper', `${what}: map is not a ringbuf`, pc);
  return { rb, i };
}

const ringbufOutput: HelperImpl = (h, pc) => {
  const { rb } = ringArg(h, pc, 'bpf_ringbuf_output');
  const size = h.lo[3]! >>> 0;
  const r = ptr(h, 2, size, pc, 'bpf_ringbuf_output data');
  const flags = h.hi[4] === 0 ? h.lo[4]! >>> 0 : 0xffffffff;
  ret(h, rb.output(r.u8, h.lastEa, size, flags));
};

const ringbufReserve: HelperImpl = (h, pc) => {
  const { rb, i } = ringArg(h, pc, 'bpf_ringbuf_reserve');
  if (h.lo[3] !== 0 || h.hi[3] !== 0) return ret(h, 0, 0); // any flag: NULL
  const size = h.hi[2] === 0 ? h.lo[2]! >>> 0 : 0xffffffff;
  const off = rb.reserve(size);
  if (off < 0) ret(h, 0, 0);
  else ret(h, off, REGION_TAG + REGION_MAP0 + i);
};

/** bpf_ringbuf_submit / bpf_ringbuf_discard(sample, flags): the record of a reserved sample. */
const ringbufCommit =
  (discard: boolean): HelperImpl =>
  (h, pc) => {
    const what = discard ? 'bpf_ringbuf_discard' : 'bpf_ringbuf_submit';
    const i = (h.hi[1]! - REGION_TAG - REGION_MAP0) | 0;
    const rb = h.maps[i];
    if (!(rb instanceof RingBuf) || !rb.isReserved(h.lo[1]!)) throw new Fault('fault.helper', `${what}: argument is not a reserved ring buffer record`, pc);
    rb.commit(h.lo[1]!, discard);
    ret(h, 0, 0);
  };

const ringbufQuery: HelperImpl = (h, pc) => {
  const { rb } = ringArg(h, pc, 'bpf_ringbuf_query');
  const v = h.hi[2] === 0 ? rb.query(h.lo[2]! >>> 0) : 0;
  ret(h, v >>> 0, Math.floor(v / 2 ** 32));
};

/** The implementations, by helper name (names.ts spells them). */
const IMPLS: Partial<Record<keyof typeof HELPER_IDS, HelperImpl>> = {
  map_lookup_elem: mapLookup,
  map_update_elem: mapUpdate,
  map_delete_elem: mapDelete,
  ktime_get_ns: clock(false),
  ktime_get_boot_ns: clock(true),
  ktime_get_coarse_ns: clock(false),
  ktime_get_tai_ns: clock(false),
  trace_printk: tracePrintk,
  get_prandom_u32: (h) => ret(h, h.nextRandom() | 0, 0),
  get_smp_processor_id: (h) => ret(h, h.cpu, 0),
  get_numa_node_id: constant(0),
  tail_call: tailCall,
  redirect,
  redirect_map: redirectMap,
  csum_diff: csumDiffHelper,
  xdp_adjust_head: adjust('head'),
  xdp_adjust_meta: adjust('meta'),
  xdp_adjust_tail: adjust('tail'),
  xdp_get_buff_len: (h) => ret(h, h.buf.totalLen, 0),
  xdp_load_bytes: xdpBytes(false),
  xdp_store_bytes: xdpBytes(true),
  loop,
  spin_lock: spin(true),
  spin_unlock: spin(false),
  probe_read: probeRead(false),
  probe_read_kernel: probeRead(false),
  probe_read_user: probeRead(false),
  probe_read_str: probeRead(true),
  probe_read_kernel_str: probeRead(true),
  probe_read_user_str: probeRead(true),
  check_mtu: checkMtu,
  fib_lookup: constant(FIB_NOT_FWDED),
  // No sockets exist in the simulator: every lookup misses.
  sk_lookup_tcp: constant(0),
  sk_lookup_udp: constant(0),
  skc_lookup_tcp: constant(0),
  sk_release: constant(0),
  // dynptrs over the XDP packet (firmware/kfuncs/dynptr.ts; bpf_dynptr_from_xdp is a kfunc)
  dynptr_read: dynptrRead,
  dynptr_write: dynptrWrite,
  dynptr_data: dynptrData,
  perf_event_output: perfEventOutput,
  ringbuf_output: ringbufOutput,
  ringbuf_reserve: ringbufReserve,
  ringbuf_submit: ringbufCommit(false),
  ringbuf_discard: ringbufCommit(true),
  ringbuf_query: ringbufQuery,
};

function buildTable(): readonly (HelperImpl | undefined)[] {
  const t: (HelperImpl | undefined)[] = [];
  for (const [name, id] of Object.entries(HELPER_IDS)) t[id] = IMPLS[name as keyof typeof HELPER_IDS];
  return Object.freeze(t);
}

/** Helper implementations indexed by helper id (undefined: not implemented by nicsim). */
export const HELPER_TABLE: readonly (HelperImpl | undefined)[] = buildTable();

export function helperImpl(id: number): HelperImpl | undefined {
  return HELPER_TABLE[id];
}

/** Calls helper `id` on `host`; an id nicsim does not implement faults with the helper's name. */
export function callHelper(host: HelperHost, id: number, pc: number): void {
  const f = HELPER_TABLE[id];
  if (f === undefined) {
    const name = helperName(id);
    throw new Fault('fault.helper', name ? `helper bpf_${name} (id ${id}) is not implemented by nicsim` : `unknown helper id ${id}`, pc);
  }
  f(host, pc);
}
