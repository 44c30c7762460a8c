// Index-keyed maps whose values name other objects: devmap (ifindex [+ program]), cpumap (qsize
// [+ program]), xskmap (AF_XDP socket) and prog_array (program for bpf_tail_call); kernel/bpf/devmap.c,
// cpumap.c, net/xdp/xskmap.c and arraymap.c (fd arrays).
//
// Layout after the header: max_entries slots of two u32 words [primary, program id]. primary is the
// ifindex, the queue size, the socket id or the program id; 0 means "no entry". The host passes
// handles (the kernel's file descriptors) which the map's MapEnv resolves to ids. A program's lookup
// returns the slot itself, which reads as the kernel's struct bpf_devmap_val / bpf_cpumap_val
// ({ifindex or qsize, program id}). Slots are written with Atomics.store (program id first), so a
// core doing a redirect sees either the old or the new entry.

import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, Errno, Limits } from './constants.ts';
import { BpfMapBase, HEADER_BYTES, H_COUNT, badFlags, readU32 } from './base.ts';
import type { MapEnv } from './base.ts';
import type { MapGeometry } from './spec.ts';
import { nextIndex } from './array.ts';

export abstract class SlotMap extends BpfMapBase {
  static bytes(g: MapGeometry): number {
    return HEADER_BYTES + g.maxEntries * 8;
  }

  init(): void {
    this.initHeader();
  }

  protected override get indexed(): boolean {
    return true;
  }

  protected override span(): { start: number; stride: number } {
    return { start: this.base + HEADER_BYTES, stride: 8 };
  }

  protected slotW(i: number): number {
    return (this.base + HEADER_BYTES + i * 8) >> 2;
  }
  protected primary(i: number): number {
    return Atomics.load(this.i32, this.slotW(i)) >>> 0;
  }
  protected setSlot(i: number, primary: number, prog: number): void {
    const w = this.slotW(i);
    const was = Atomics.load(this.i32, w);
    Atomics.store(this.i32, w + 1, prog);
    Atomics.store(this.i32, w, primary);
    if (!was && primary) Atomics.add(this.i32, this.hw + H_COUNT, 1);
    if (was && !primary) Atomics.sub(this.i32, this.hw + H_COUNT, 1);
  }

  /**
   * The object an index names, for bpf_redirect_map / bpf_tail_call: ifindex (devmap), CPU queue
   * size (cpumap), socket id (xskmap), program id (prog_array); 0 when the slot is empty or out of range.
   */
  target(index: number): number {
    return index >= 0 && index < this.maxEntries ? this.primary(index) : 0;
  }

  lookup(keyBuf: Uint8Array, keyOff: number, _cpu = 0): number {
    const i = readU32(keyBuf, keyOff);
    if (i >= this.maxEntries || this.primary(i) === 0) return -1;
    return this.base + HEADER_BYTES + i * 8;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    const i = readU32(key, 0);
    if (i >= this.maxEntries || this.primary(i) === 0) return -Errno.ENOENT;
    const o = this.base + HEADER_BYTES + i * 8;
    return this.data.slice(o, o + this.valueSize);
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.update(key, 0, value, 0, flags, this.hostCpu);
  }

  protected sysNextKey(key: Uint8Array | null, out: Uint8Array): number {
    return nextIndex(key, this.maxEntries, out);
  }

  protected progHandle(vb: Uint8Array, vo: number): number {
    return this.valueSize === 8 ? readU32(vb, vo + 4) | 0 : 0;
  }
}

/** devmap: slot = {ifindex, program id}; ifindex 0 empties the slot. */
export class DevMap extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const ifindex = readU32(vb, vo);
    const fd = this.progHandle(vb, vo);
    if (ifindex === 0) {
      if (fd > 0) return -Errno.EINVAL;
      this.setSlot(i, 0, 0);
      return 0;
    }
    const prog = devProg(this.env, ifindex, fd);
    if (prog < 0) return prog;
    this.setSlot(i, ifindex, prog);
    return 0;
  }

  delete(kb: Uint8Array, ko: number): number {
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.setSlot(i, 0, 0);
    return 0;
  }
}

/** __dev_map_alloc_node: the interface must exist and a program (fd > 0) must be a devmap program. */
export function devProg(env: MapEnv, ifindex: number, fd: number): number {
  if (env.ifindexExists && !env.ifindexExists(ifindex)) return -Errno.EINVAL;
  if (fd <= 0) return 0;
  const id = env.resolveProg ? env.resolveProg(fd, 'devmap') : fd;
  return id > 0 ? id : -Errno.EINVAL; // every failure to attach the program is EINVAL
}

/** cpumap: slot = {qsize, program id}; qsize 0 empties the slot. */
export class CpuMap extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const cpu = readU32(kb, ko);
    if (cpu >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const qsize = readU32(vb, vo);
    if (qsize > Limits.CPUMAP_QSIZE_MAX) return -Errno.EOVERFLOW;
    if (cpu >= this.cpus) return -Errno.ENODEV; // not a possible CPU
    if (qsize === 0) {
      this.setSlot(cpu, 0, 0);
      return 0;
    }
    const fd = this.progHandle(vb, vo);
    let prog = 0;
    if (fd > 0) {
      prog = this.env.resolveProg ? this.env.resolveProg(fd, 'cpumap') : fd;
      if (prog <= 0) return -Errno.ENOMEM; // __cpu_map_entry_alloc fails as a whole: the kernel says ENOMEM
    }
    this.setSlot(cpu, qsize, prog);
    return 0;
  }

  delete(kb: Uint8Array, ko: number): number {
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.setSlot(i, 0, 0);
    return 0;
  }
}

/** xskmap: slot = socket id. Host lookups are not supported by the kernel (EOPNOTSUPP). */
export class XskMap extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const handle = readU32(vb, vo);
    const sock = this.env.resolveXsk ? this.env.resolveXsk(handle) : handle > 0 ? handle : -Errno.EBADF;
    if (sock <= 0) return sock < 0 ? sock : -Errno.EBADF;
    const old = this.primary(i);
    if (old && flags === BPF_NOEXIST) return -Errno.EEXIST;
    if (!old && flags === BPF_EXIST) return -Errno.ENOENT;
    this.setSlot(i, sock, 0);
    return 0;
  }

  delete(kb: Uint8Array, ko: number): number {
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    this.setSlot(i, 0, 0);
    return 0;
  }

  protected override sysLookup(_key: Uint8Array): number {
    return -Errno.EOPNOTSUPP;
  }

  protected override dumpValue(key: Uint8Array): Uint8Array | null {
    // the kernel cannot show xskmap entries; nicsim dumps the socket id of occupied slots
    const i = readU32(key, 0);
    if (this.primary(i) === 0) return null;
    const o = this.base + HEADER_BYTES + i * 8;
    return this.data.slice(o, o + 4);
  }
}

/** prog_array: slot = program id for bpf_tail_call. Programs cannot look it up (the verifier refuses). */
export class ProgArray extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const handle = readU32(vb, vo);
    const id = this.env.resolveProg ? this.env.resolveProg(handle, 'tail_call') : handle > 0 ? handle : -Errno.EBADF;
    if (id <= 0) return id < 0 ? id : -Errno.EINVAL;
    this.setSlot(i, id, 0);
    return 0;
  }

  delete(kb: Uint8Array, ko: number): number {
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (this.primary(i) === 0) return -Errno.ENOENT;
    this.setSlot(i, 0, 0);
    return 0;
  }

  /** Programs cannot look up a prog_array. */
  override lookup(_keyBuf: Uint8Array, _keyOff: number, _cpu = 0): number {
    return -1;
  }

  /** Program id in slot `index` for bpf_tail_call, or 0 (the tail call falls through). */
  progAt(index: number): number {
    return this.target(index);
  }
}

/**
 * perf_event_array (kernel/bpf/arraymap.c perf_event_fd_array, kernel/trace/bpf_trace.c
 * __bpf_perf_event_output): slot = CPU of the BPF-output perf event + 1 (0: no event). The host
 * opens events (the runtime with `openEvent`, as libbpf's perf_buffer opens one per CPU at the CPU's
 * index, or an update whose handle MapEnv.resolvePerfEvent turns into a CPU). Records do not live in
 * the map: the engine hands them to its output sink once `outputTarget` accepts the slot.
 */
export class PerfEventArray extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    const cpu = this.env.resolvePerfEvent ? this.env.resolvePerfEvent(readU32(vb, vo)) : -Errno.EBADF;
    if (cpu < 0) return cpu;
    this.setSlot(i, cpu + 1, 0);
    return 0;
  }

  delete(kb: Uint8Array, ko: number): number {
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.EINVAL;
    if (this.primary(i) === 0) return -Errno.ENOENT;
    this.setSlot(i, 0, 0);
    return 0;
  }

  /** A BPF-output perf event on `cpu` in slot `index` (what perf_event_open + a map update do). */
  openEvent(index: number, cpu: number): number {
    if (index >= this.maxEntries) return -Errno.E2BIG;
    if (cpu < 0 || cpu >= this.cpus) return -Errno.EINVAL;
    this.setSlot(index, cpu + 1, 0);
    return 0;
  }

  /**
   * Where bpf_perf_event_output with these index bits (flags & BPF_F_INDEX_MASK) from `cpu` goes:
   * the slot index, or -E2BIG (beyond max_entries), -ENOENT (no event), -EOPNOTSUPP (the event is
   * on another CPU).
   */
  outputTarget(indexBits: number, cpu: number): number {
    const i = indexBits === 0xffffffff ? cpu : indexBits;
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const p = this.primary(i);
    if (p === 0) return -Errno.ENOENT;
    if (p - 1 !== cpu) return -Errno.EOPNOTSUPP;
    return i;
  }

  override lookup(_keyBuf: Uint8Array, _keyOff: number, _cpu = 0): number {
    return -1;
  }

  /** The syscall cannot read perf event slots (no map_fd_sys_lookup_elem): ENOTSUPP; dumps show nothing. */
  protected override sysLookup(_key: Uint8Array): number {
    return -Errno.ENOTSUPP;
  }
}
