// array and percpu_array (kernel/bpf/arraymap.c).
//
// Layout after the header: max_entries elements of `stride` bytes. An array element is
// round_up(value_size, 8) bytes; a per-CPU element holds one such slot per CPU, CPU 0 first. Values
// never move: the value of index i (CPU c) is always at base + 64 + i * stride + c * slot. Updates
// copy bytes without a lock, like the kernel (a program racing with an update may see a torn value;
// programs use atomic instructions on the value for counters).

import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from './constants.ts';
import { BpfMapBase, HEADER_BYTES, H_COUNT, badFlags, r8, readU32 } from './base.ts';
import type { MapGeometry } from './spec.ts';

export class ArrayMap extends BpfMapBase {
  static bytes(g: MapGeometry): number {
    return HEADER_BYTES + g.maxEntries * r8(g.valueSize) * (g.percpu ? g.cpus : 1);
  }

  private get slot(): number {
    return r8(this.valueSize);
  }
  private get stride(): number {
    return this.percpu ? this.slot * this.cpus : this.slot;
  }
  protected override get indexed(): boolean {
    return true;
  }

  protected override span(): { start: number; stride: number } {
    return { start: this.base + HEADER_BYTES, stride: this.stride };
  }

  init(): void {
    this.initHeader();
    this.i32[this.hw + H_COUNT] = this.maxEntries;
  }

  /** Offset of the value of `index` (per-CPU: of `cpu`'s copy); BPF_PSEUDO_MAP_VALUE uses index 0. */
  valueOffset(index: number, cpu = 0): number {
    return this.base + HEADER_BYTES + index * this.stride + (this.percpu ? cpu * this.slot : 0);
  }

  lookup(keyBuf: Uint8Array, keyOff: number, cpu: number): number {
    const i = readU32(keyBuf, keyOff);
    if (i >= this.maxEntries) return -1;
    return this.base + HEADER_BYTES + i * this.stride + (this.percpu ? cpu * this.slot : 0);
  }

  update(keyBuf: Uint8Array, keyOff: number, valBuf: Uint8Array, valOff: number, flags: number, cpu: number): number {
    if (badFlags(flags, true)) return -Errno.EINVAL;
    const i = readU32(keyBuf, keyOff);
    if (i >= this.maxEntries) return -Errno.E2BIG; // all elements exist: nothing can be inserted
    if ((flags & 3) === BPF_NOEXIST) return -Errno.EEXIST;
    if (flags & BPF_F_LOCK) return -Errno.EINVAL; // values hold no bpf_spin_lock
    const dst = this.base + HEADER_BYTES + i * this.stride + (this.percpu ? cpu * this.slot : 0);
    this.copyIn(dst, valBuf, valOff, this.valueSize);
    return 0;
  }

  delete(_keyBuf: Uint8Array, _keyOff: number): number {
    return -Errno.EINVAL;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    const i = readU32(key, 0);
    if (i >= this.maxEntries) return -Errno.ENOENT;
    const src = this.base + HEADER_BYTES + i * this.stride;
    // percpu: every CPU's round_up(value_size, 8) bytes (bpf_percpu_array_copy)
    return this.data.slice(src, src + (this.percpu ? this.stride : this.valueSize));
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!this.percpu) return this.update(key, 0, value, 0, flags, this.hostCpu);
    // bpf_percpu_array_update: every CPU's slot, padding included
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const i = readU32(key, 0);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    if (flags === BPF_NOEXIST) return -Errno.EEXIST;
    this.copyIn(this.base + HEADER_BYTES + i * this.stride, value, 0, this.stride);
    return 0;
  }

  protected sysNextKey(key: Uint8Array | null, out: Uint8Array): number {
    return nextIndex(key, this.maxEntries, out);
  }
}

/** get_next_key of array-like maps: index + 1; a missing or out-of-range key restarts at 0. */
export function nextIndex(key: Uint8Array | null, max: number, out: Uint8Array): number {
  const i = key === null ? 0xffffffff : readU32(key, 0);
  let n: number;
  if (i >= max) n = 0;
  else if (i === max - 1) return -Errno.ENOENT;
  else n = i + 1;
  out[0] = n & 0xff;
  out[1] = (n >>> 8) & 0xff;
  out[2] = (n >>> 16) & 0xff;
  out[3] = n >>> 24;
  return 0;
}
