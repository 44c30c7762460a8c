// The XDP helper functions as the Linux kernel implements them, for programs running on an XdpCore.
// Arguments are read from r1..r5 and the result written to r0; pointer arguments are resolved
// through the region table (bounds-checked). Helper ids: firmware/helpers/names.ts.
import { HELPER_IDS as H, helperName } from '../helpers/names.ts';
import { ArrayOfMaps, HashOfMaps, ProgArray } from '../maps/index.ts';
import { Fault } from '../vm/fault.ts';
import type { Vm } from '../vm/interpreter.ts';
import { FUNC_PTR_TAG, MAP_PTR_TAG, REGION_TAG, type Region } from '../vm/memory.ts';
import { MAX_TAIL_CALLS } from '../vm/interpreter.ts';
import type { XdpCore } from './core.ts';
import { csumDiff } from './csum.ts';
import { formatPrintk } from './printk.ts';

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

function ret(vm: Vm, lo: number, hi = lo < 0 ? -1 : 0): void {
  vm.lo[0] = lo | 0;
  vm.hi[0] = hi | 0;
}

/** Resolves pointer argument register `r` for `size` bytes: the region; vm.lastEa is the offset. */
function ptr(vm: Vm, r: number, size: number, pc: number, what: string): Region {
  return vm.resolveAddr(vm.lo[r]!, vm.hi[r]!, size, pc, what);
}

function cstring(vm: Vm, lo: number, hi: number, max: number, pc: number): string {
  let s = '';
  for (let i = 0; i < max; i++) {
    const r = vm.resolveAddr((lo + i) | 0, hi, 1, pc, 'string argument');
    const c = r.u8[vm.lastEa]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return s;
}

export function callHelper(core: XdpCore, vm: Vm, id: number, pc: number): void {
  const lo = vm.lo;
  const hi = vm.hi;
  switch (id) {
    case H.map_lookup_elem: {
      const m = core.mapArg(lo[1]!, hi[1]!, pc, 'bpf_map_lookup_elem');
      const k = ptr(vm, 2, m.keySize, pc, 'bpf_map_lookup_elem key');
      const off = m.lookup(k.u8, vm.lastEa, core.cpu);
      if (off < 0) ret(vm, 0, 0);
      else if (m instanceof ArrayOfMaps || m instanceof HashOfMaps) {
        // Maps of maps hand the program the inner map itself (ids are map index + 1).
        const id = new DataView(m.data.buffer).getUint32(off, true);
        if (id === 0) ret(vm, 0, 0);
        else ret(vm, id - 1, MAP_PTR_TAG);
      } else ret(vm, off, REGION_TAG + core.mapRegion(lo[1]!));
      return;
    }
    case H.map_update_elem: {
      const m = core.mapArg(lo[1]!, hi[1]!, pc, 'bpf_map_update_elem');
      const k = ptr(vm, 2, m.keySize, pc, 'bpf_map_update_elem key');
      const kOff = vm.lastEa;
      const v = ptr(vm, 3, m.valueSize, pc, 'bpf_map_update_elem value');
      const flags = hi[4] === 0 ? lo[4]! >>> 0 : 0xffffffff; // flags beyond 32 bits are invalid anyway
      ret(vm, m.update(k.u8, kOff, v.u8, vm.lastEa, flags, core.cpu));
      return;
    }
    case H.map_delete_elem: {
      const m = core.mapArg(lo[1]!, hi[1]!, pc, 'bpf_map_delete_elem');
      const k = ptr(vm, 2, m.keySize, pc, 'bpf_map_delete_elem key');
      ret(vm, m.delete(k.u8, vm.lastEa));
      return;
    }
    case H.ktime_get_ns:
    case H.ktime_get_boot_ns:
    case H.ktime_get_coarse_ns:
    case H.ktime_get_tai_ns: {
      const t = core.clockNs + (id === H.ktime_get_boot_ns ? core.bootOffsetNs : 0);
      ret(vm, t % 0x100000000 | 0, Math.floor(t / 0x100000000));
      return;
    }
    case H.trace_printk: {
      const size = lo[2]! >>> 0;
      const fmtRegion = ptr(vm, 1, size, pc, 'bpf_trace_printk fmt');
      const fmtBytes = fmtRegion.u8.subarray(vm.lastEa, vm.lastEa + size);
      const nul = fmtBytes.indexOf(0);
      if (nul < 0) {
        ret(vm, EINVAL);
        return;
      }
      const fmt = Buffer.from(fmtBytes.subarray(0, nul)).toString('latin1');
      const msg = formatPrintk(fmt, {
        lo: [lo[3]!, lo[4]!, lo[5]!],
        hi: [hi[3]!, hi[4]!, hi[5]!],
        str: (l, h) => cstring(vm, l, h, 512, pc),
      });
      if (msg === null) {
        ret(vm, EINVAL);
        return;
      }
      core.trace.push(msg);
      ret(vm, msg.length);
      return;
    }
    case H.get_prandom_u32:
      ret(vm, core.nextRandom() | 0, 0);
      return;
    case H.get_smp_processor_id:
      ret(vm, core.cpu, 0);
      return;
    case H.get_numa_node_id:
      ret(vm, 0, 0);
      return;
    case H.tail_call: {
      const m = core.mapArg(lo[2]!, hi[2]!, pc, 'bpf_tail_call');
      if (!(m instanceof ProgArray)) throw new Fault('fault.tail_call', 'bpf_tail_call needs a prog_array map', pc);
      const index = lo[3]! >>> 0;
      if (index >= m.maxEntries || vm.tailCalls >= MAX_TAIL_CALLS) return; // falls through
      const id2 = m.progAt(index);
      const target = id2 ? core.programs.get(id2) : undefined;
      if (!target) return;
      vm.tailCalls++;
      vm.tailTarget = target;
      return;
    }
    case H.redirect: {
      if (lo[2] !== 0 || hi[2] !== 0) {
        ret(vm, XDP_ABORTED);
        return;
      }
      core.redirect = { kind: 'ifindex', ifindex: lo[1]! >>> 0 };
      ret(vm, XDP_REDIRECT);
      return;
    }
    case H.redirect_map: {
      const mapIndex = lo[1]!;
      const m = core.mapArg(lo[1]!, hi[1]!, pc, 'bpf_redirect_map');
      const flags = lo[3]! >>> 0;
      const allowed = m.type === 'devmap' || m.type === 'devmap_hash' ? ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : ACTION_MASK;
      if (hi[3] !== 0 || flags & ~allowed) {
        ret(vm, XDP_ABORTED);
        return;
      }
      const key = lo[2]! >>> 0;
      if (!('target' in m)) throw new Fault('fault.helper', `bpf_redirect_map: map '${m.name}' (${m.type}) cannot be a redirect target`, pc);
      const occupied = (flags & BPF_F_BROADCAST) !== 0 || m.target(key) !== 0;
      if (!occupied) {
        ret(vm, flags & ACTION_MASK);
        return;
      }
      core.redirect = { kind: 'map', map: mapIndex, key };
      ret(vm, XDP_REDIRECT);
      return;
    }
    case H.csum_diff: {
      const fromSize = lo[2]! >>> 0;
      const toSize = lo[4]! >>> 0;
      if ((fromSize | toSize) & 3 || fromSize + toSize > 512) {
        ret(vm, EINVAL);
        return;
      }
      let from: Uint8Array | null = null;
      let fromOff = 0;
      if (fromSize) {
        from = ptr(vm, 1, fromSize, pc, 'bpf_csum_diff from').u8;
        fromOff = vm.lastEa;
      }
      let to: Uint8Array | null = null;
      let toOff = 0;
      if (toSize) {
        to = ptr(vm, 3, toSize, pc, 'bpf_csum_diff to').u8;
        toOff = vm.lastEa;
      }
      ret(vm, csumDiff(from, fromOff, fromSize, to, toOff, toSize, lo[5]!), 0);
      return;
    }
    case H.xdp_adjust_head:
      ret(vm, core.buf.adjustHead(lo[2]!));
      core.syncPacket();
      return;
    case H.xdp_adjust_meta:
      ret(vm, core.buf.adjustMeta(lo[2]!));
      core.syncPacket();
      return;
    case H.xdp_adjust_tail:
      ret(vm, core.buf.adjustTail(lo[2]!));
      core.syncPacket();
      return;
    case H.xdp_get_buff_len:
      ret(vm, core.buf.totalLen, 0);
      return;
    case H.xdp_load_bytes:
    case H.xdp_store_bytes: {
      const off = lo[2]! >>> 0;
      const len = lo[4]! >>> 0;
      const r = ptr(vm, 3, len, pc, id === H.xdp_load_bytes ? 'bpf_xdp_load_bytes buf' : 'bpf_xdp_store_bytes buf');
      if (id === H.xdp_load_bytes && !r.writable) throw new Fault('fault.readonly', 'bpf_xdp_load_bytes into read-only memory', pc);
      ret(vm, core.buf.copy(off, r.u8, vm.lastEa, len, id === H.xdp_store_bytes));
      return;
    }
    case H.loop: {
      // long bpf_loop(u32 nr_loops, void *callback_fn, void *callback_ctx, u64 flags)
      const nr = lo[1]! >>> 0;
      if (lo[4] !== 0 || hi[4] !== 0) return ret(vm, EINVAL);
      if (nr > MAX_LOOPS) return ret(vm, E2BIG);
      if (hi[2] !== FUNC_PTR_TAG || !vm.current) throw new Fault('fault.helper', 'bpf_loop: callback_fn is not a function pointer', pc);
      const fn = lo[2]!;
      const ctxLo = lo[3]!;
      const ctxHi = hi[3]!;
      const prog = vm.current;
      let i = 0;
      for (; i < nr; i++) {
        lo[1] = i;
        hi[1] = 0;
        lo[2] = ctxLo;
        hi[2] = ctxHi;
        lo[3] = lo[4] = lo[5] = 0;
        hi[3] = hi[4] = hi[5] = 0;
        if (vm.callback(prog, fn, pc) !== 0 || vm.hi[0] !== 0) {
          i++;
          break;
        }
      }
      vm.current = prog;
      return ret(vm, i, 0);
    }
    case H.spin_lock:
    case H.spin_unlock: {
      const r = ptr(vm, 1, 4, pc, id === H.spin_lock ? 'bpf_spin_lock' : 'bpf_spin_unlock');
      const k = (r.u8.byteOffset + vm.lastEa) >> 2;
      const i32 = new Int32Array(r.u8.buffer);
      if (id === H.spin_unlock) Atomics.store(i32, k, 0);
      else {
        let n = 0;
        while (Atomics.compareExchange(i32, k, 0, 1) !== 0) {
          if (++n > SPIN_LIMIT) throw new Fault('fault.helper', 'bpf_spin_lock: the lock is never released (deadlock)', pc);
        }
      }
      ret(vm, 0, 0);
      return;
    }
    case H.probe_read:
    case H.probe_read_kernel:
    case H.probe_read_user:
    case H.probe_read_str:
    case H.probe_read_kernel_str:
    case H.probe_read_user_str: {
      // (dst, size, unsafe_ptr): nicsim has no kernel or user address space; only addresses inside
      // the program's own regions can be read, anything else fails as a bad kernel address does
      // (-EFAULT, destination zeroed).
      const size = lo[2]! >>> 0;
      const dst = ptr(vm, 1, size, pc, 'bpf_probe_read dst');
      const dOff = vm.lastEa;
      const isStr = id === H.probe_read_str || id === H.probe_read_kernel_str || id === H.probe_read_user_str;
      let src: Region | null = null;
      let sOff = 0;
      try {
        src = vm.resolveAddr(lo[3]!, hi[3]!, isStr ? 1 : size, pc, 'bpf_probe_read src');
        sOff = vm.lastEa;
      } catch {
        src = null;
      }
      if (!src || size === 0) {
        dst.u8.fill(0, dOff, dOff + size);
        ret(vm, size === 0 ? 0 : EFAULT);
        return;
      }
      if (!isStr) {
        dst.u8.set(src.u8.subarray(sOff, sOff + size), dOff);
        ret(vm, 0, 0);
        return;
      }
      let n = 0;
      while (n < size - 1 && sOff + n < src.size && src.u8[sOff + n] !== 0) n++;
      dst.u8.set(src.u8.subarray(sOff, sOff + n), dOff);
      dst.u8[dOff + n] = 0;
      ret(vm, n + 1, 0);
      return;
    }
    case H.check_mtu: {
      // bpf_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags), the XDP variant.
      if (lo[5] !== 0 || hi[5] !== 0) return ret(vm, EINVAL);
      const mtu = core.mtuOf(lo[2]! >>> 0 || core.ingressIfindex);
      if (mtu === undefined) return ret(vm, ENODEV);
      const m = ptr(vm, 3, 4, pc, 'bpf_check_mtu mtu_len');
      const mOff = vm.lastEa;
      const asked = m.dv.getUint32(mOff, true);
      const len = core.buf.linearLen + (lo[4]! | 0);
      const limit = (asked || mtu) + 14; // dev->hard_header_len of an Ethernet device
      m.dv.setUint32(mOff, mtu, true);
      ret(vm, len > limit ? MTU_CHK_RET_FRAG_NEEDED : MTU_CHK_RET_SUCCESS, 0);
      return;
    }
    case H.fib_lookup:
      ret(vm, FIB_NOT_FWDED, 0);
      return;
    case H.sk_lookup_tcp:
    case H.sk_lookup_udp:
    case H.skc_lookup_tcp:
      // No sockets exist in the simulator: every lookup misses.
      ret(vm, 0, 0);
      return;
    case H.sk_release:
      ret(vm, 0, 0);
      return;
    default: {
      const name = helperName(id);
      throw new Fault('fault.helper', name ? `helper bpf_${name} (id ${id}) is not implemented by nicsim` : `unknown helper id ${id}`, pc);
    }
  }
}
