// The common part of every map: the shared-memory region and its header, the host (syscall-side)
// wrappers with the checks bpf(2) makes before reaching the map type, and dump.
//
// Memory model. A map owns one region of a SharedArrayBuffer: `byteLength` bytes at byte offset
// `base` (8-aligned). `data` and `i32` are views of the WHOLE buffer (byteOffset 0), so every offset a
// map hands out is an absolute byte offset into the buffer: with all maps of a device placed in one
// arena buffer, the same number is a valid address for a Wasm module whose (shared) memory is that
// buffer. Values sit at 8-aligned offsets, so 4- and 8-byte atomics on them are aligned.
//
// Region header (16 Int32 words at `base`):
//   0 magic 'NSMP'   1 type id   2 element count (Atomics)   3 frozen flag
//   4 table lock (free list / trie / devmap_hash)   5 free-list head   6 trie root   7 reserved
//   8..15 type-specific.

import { BPF_F_LOCK, Errno } from './constants.ts';
import type { MapTypeName } from './constants.ts';
import { MapError } from './errors.ts';
import type { MapGeometry } from './spec.ts';

export const HEADER_BYTES = 64;
export const MAGIC = 0x504d534e; // 'NSMP' little-endian
export const H_MAGIC = 0;
export const H_TYPE = 1;
export const H_COUNT = 2;
export const H_FROZEN = 3;
export const H_LOCK = 4;
export const H_FREE = 5;
export const H_ROOT = 6;

export const r8 = (n: number): number => Math.ceil(n / 8) * 8;

/** What a program slot, socket or interface handle given by the host stands for. */
export type ProgUse = 'tail_call' | 'devmap' | 'cpumap';

/**
 * Host-side hooks for maps whose values name other objects. They are functions, so they are not part
 * of the cloneable descriptor; pass them again when attaching in another thread if that thread makes
 * host updates. Defaults: every interface index exists, a program handle > 0 is the program id, a
 * socket handle > 0 is the socket id, no map handles (EBADF).
 */
export interface MapEnv {
  /** Does this ifindex exist (devmap / devmap_hash updates)? */
  ifindexExists?(ifindex: number): boolean;
  /** Program id (> 0) for a program handle (the kernel's prog fd), or -errno. */
  resolveProg?(handle: number, use: ProgUse): number;
  /** AF_XDP socket id (> 0) for a socket handle (the kernel's socket fd), or -errno. */
  resolveXsk?(handle: number): number;
  /** The map a handle (the kernel's map fd) names, for maps of maps: its id (> 0) and geometry, or -errno. */
  resolveMap?(handle: number): { id: number; geometry: MapGeometry } | number;
  /** The CPU of a BPF-output perf event a handle (the kernel's perf event fd) names, or -errno. */
  resolvePerfEvent?(handle: number): number;
}

/** Everything another thread needs to attach to a map: structured-clone friendly. */
export interface MapDescriptor {
  v: 1;
  geometry: MapGeometry;
  sab: SharedArrayBuffer;
  offset: number;
  byteLength: number;
  hashSeed: number;
  hostCpu: number;
}

export interface MapEntry {
  key: Uint8Array;
  /** The value (non per-CPU maps). */
  value?: Uint8Array;
  /** One round_up(value_size, 8)-byte value per CPU (per-CPU maps). */
  values?: Uint8Array[];
}

export interface MapRegion {
  sab: SharedArrayBuffer;
  offset: number;
  byteLength: number;
  hashSeed: number;
  hostCpu: number;
  env: MapEnv;
}

export abstract class BpfMapBase {
  readonly geometry: MapGeometry;
  readonly type: MapTypeName;
  readonly typeId: number;
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly cpus: number;
  readonly percpu: boolean;
  readonly sab: SharedArrayBuffer;
  /** Byte view of the whole SharedArrayBuffer: offsets returned by lookup index into it. */
  readonly data: Uint8Array;
  /** Int32 view of the whole SharedArrayBuffer (locks, links, counters). */
  readonly i32: Int32Array;
  /** Byte offset of this map's region. */
  readonly base: number;
  readonly byteLength: number;
  /** CPU whose LRU lists / spare element host operations use (the kernel: where the syscall runs). */
  readonly hostCpu: number;
  protected readonly hashSeed: number;
  protected readonly hw: number;
  protected env: MapEnv;

  constructor(g: MapGeometry, r: MapRegion) {
    this.geometry = g;
    this.type = g.type;
    this.typeId = g.typeId;
    this.name = g.name;
    this.keySize = g.keySize;
    this.valueSize = g.valueSize;
    this.maxEntries = g.maxEntries;
    this.flags = g.flags;
    this.cpus = g.cpus;
    this.percpu = g.percpu;
    this.sab = r.sab;
    this.data = new Uint8Array(r.sab);
    this.i32 = new Int32Array(r.sab);
    this.base = r.offset;
    this.byteLength = r.byteLength;
    this.hashSeed = r.hashSeed >>> 0;
    this.hostCpu = r.hostCpu;
    this.hw = r.offset >> 2;
    this.env = r.env;
  }

  // ---------------------------------------------------------------- engine interface (hot path)
  /**
   * bpf_map_lookup_elem from a program running on `cpu`: byte offset of the value in `data` (this
   * CPU's copy for per-CPU maps), or -1 when there is none.
   */
  abstract lookup(keyBuf: Uint8Array, keyOff: number, cpu: number): number;
  /** bpf_map_update_elem from a program on `cpu`: 0 or -errno. `flags` is the full u64 as a number. */
  abstract update(keyBuf: Uint8Array, keyOff: number, valBuf: Uint8Array, valOff: number, flags: number, cpu: number): number;
  /** bpf_map_delete_elem: 0 or -errno. */
  abstract delete(keyBuf: Uint8Array, keyOff: number): number;

  // ---------------------------------------------------------------- type hooks for the host side
  /** Value as BPF_MAP_LOOKUP_ELEM copies it out (kernel layout), or -errno. */
  protected abstract sysLookup(key: Uint8Array): Uint8Array | number;
  /** BPF_MAP_UPDATE_ELEM after the generic checks; `value` in the kernel's layout. */
  protected abstract sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number;
  protected sysDelete(key: Uint8Array): number {
    return this.delete(key, 0);
  }
  /** BPF_MAP_GET_NEXT_KEY: writes the next key into `out`; 0 or -errno. */
  protected abstract sysNextKey(key: Uint8Array | null, out: Uint8Array): number;
  /** Size of a value as the syscall copies it: value_size, or round_up(value_size, 8) * cpus. */
  get sysValueSize(): number {
    return this.percpu ? r8(this.valueSize) * this.cpus : this.valueSize;
  }
  /** Array-like maps list every index in order; the others are dumped sorted by key bytes. */
  protected get indexed(): boolean {
    return false;
  }

  // ---------------------------------------------------------------- host API
  /** Number of elements currently stored (hash-like maps; arrays report max_entries). */
  count(): number {
    return Atomics.load(this.i32, this.hw + H_COUNT);
  }

  get frozen(): boolean {
    return Atomics.load(this.i32, this.hw + H_FROZEN) !== 0;
  }

  /** BPF_MAP_FREEZE: 0, or -EPERM when the host may not write (already frozen, BPF_F_RDONLY). */
  freeze(): number {
    if (!this.geometry.sysWrite) return -Errno.EPERM;
    if (Atomics.compareExchange(this.i32, this.hw + H_FROZEN, 0, 1) !== 0) return -Errno.EPERM;
    return 0;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM: the value (per-CPU maps: one round_up(value_size, 8)-byte value per CPU),
   * null when there is no element; other failures (EPERM, EINVAL, EOPNOTSUPP) throw a MapError.
   */
  lookupHost(key: Uint8Array, flags = 0): Uint8Array | Uint8Array[] | null {
    const rc = this.lookupHostRc(key, flags);
    if (typeof rc === 'number') {
      if (rc === -Errno.ENOENT) return null;
      throw new MapError('map.lookup', -rc, `lookup in map '${this.name}' failed`);
    }
    return this.percpu ? this.splitPerCpu(rc) : rc;
  }

  /** BPF_MAP_LOOKUP_ELEM as the syscall sees it: the value in kernel layout, or -errno. */
  lookupHostRc(key: Uint8Array, flags = 0): Uint8Array | number {
    this.checkKey(key);
    if (!isU32(flags) || (flags & ~BPF_F_LOCK)) return -Errno.EINVAL;
    if (!this.geometry.sysRead) return -Errno.EPERM;
    if (flags & BPF_F_LOCK) return -Errno.EINVAL; // no bpf_spin_lock in nicsim values
    return this.sysLookup(key);
  }

  /**
   * BPF_MAP_UPDATE_ELEM: 0 or -errno. Per-CPU maps take either one buffer in the kernel's layout
   * (cpus * round_up(value_size, 8) bytes) or an array with one value per CPU (value_size or
   * round_up(value_size, 8) bytes each).
   */
  updateHost(key: Uint8Array, value: Uint8Array | readonly Uint8Array[], flags = 0): number {
    this.checkKey(key);
    const raw = this.joinValue(value);
    if (!this.geometry.sysWrite || this.frozen) return -Errno.EPERM;
    if (!isU64(flags)) return -Errno.EINVAL;
    if (flags & BPF_F_LOCK) return -Errno.EINVAL;
    return this.sysUpdate(key, raw, flags);
  }

  /** BPF_MAP_DELETE_ELEM: 0 or -errno. */
  deleteHost(key: Uint8Array): number {
    this.checkKey(key);
    if (!this.geometry.sysWrite || this.frozen) return -Errno.EPERM;
    return this.sysDelete(key);
  }

  /** BPF_MAP_GET_NEXT_KEY: the next key, null at the end (ENOENT); EPERM throws. */
  getNextKeyHost(key: Uint8Array | null): Uint8Array | null {
    const rc = this.getNextKeyHostRc(key);
    if (typeof rc === 'number') {
      if (rc === -Errno.ENOENT) return null;
      throw new MapError('map.next_key', -rc, `get_next_key in map '${this.name}' failed`);
    }
    return rc;
  }

  getNextKeyHostRc(key: Uint8Array | null): Uint8Array | number {
    if (key !== null) this.checkKey(key);
    if (!this.geometry.sysRead) return -Errno.EPERM;
    const out = new Uint8Array(this.keySize);
    const rc = this.sysNextKey(key, out);
    return rc === 0 ? out : rc;
  }

  /**
   * Every entry: array-like maps in index order (arrays: every index), the others sorted by key
   * bytes. Entries whose lookup fails (empty slots) are left out.
   */
  dump(): MapEntry[] {
    return [...this.entries(true)];
  }

  /**
   * The entries a dump shows, one at a time: array-like maps in index order, streamed (with `all`
   * every index, else only those whose value has a non-zero byte, so an untouched array of 16M
   * entries yields nothing and costs one scan of its memory); the others (entries that exist) sorted
   * by key bytes, which needs memory for the existing entries only, never for max_entries.
   */
  *entries(all = false): Generator<MapEntry> {
    const span = this.indexed ? this.span() : null;
    if (span) {
      const key = new Uint8Array(4);
      const zero = Buffer.alloc(1 << 20);
      for (let i = 0; i < this.maxEntries; i++) {
        if (!all) {
          i = this.nextNonZero(span, i, zero);
          if (i < 0) return;
        }
        key[0] = i & 0xff;
        key[1] = (i >>> 8) & 0xff;
        key[2] = (i >>> 16) & 0xff;
        key[3] = i >>> 24;
        const v = this.dumpValue(key);
        if (v === null) continue;
        const k = key.slice();
        yield Array.isArray(v) ? { key: k, values: v } : { key: k, value: v as Uint8Array };
      }
      return;
    }
    const out: MapEntry[] = [];
    const seen = new Set<string>();
    let key: Uint8Array | null = null;
    const bound = this.maxEntries * 2 + 16;
    const known = this.indexed ? Infinity : this.count();
    for (let i = 0; i < bound && out.length < known; i++) {
      const next = this.getNextKeyHostRc(key);
      if (typeof next === 'number') break;
      const id = hex(next);
      if (seen.has(id)) break; // concurrent updates made the walk restart
      seen.add(id);
      key = next;
      const v = this.dumpValue(next);
      if (v === null) continue;
      out.push(Array.isArray(v) ? { key: next, values: v } : { key: next, value: v as Uint8Array });
    }
    if (!this.indexed) out.sort((a, b) => compareBytes(a.key, b.key));
    yield* out;
  }

  /**
   * A plain array's dump without an entry object per element (what `entries(all)` yields for an
   * `array` map, for dumps of millions of entries): calls `each(index, offset)` for every index, or
   * every index whose element has a non-zero byte, its value being the `valueSize` bytes at `offset`
   * in `data`. Returns false, calling nothing, for every other map (entries() is the way there).
   */
  forEachArrayValue(all: boolean, each: (index: number, offset: number) => void): boolean {
    const span = this.type === 'array' && this.geometry.sysRead ? this.span() : null;
    if (!span) return false;
    const zero = Buffer.alloc(1 << 20);
    for (let i = 0; i < this.maxEntries; i++) {
      if (!all) {
        i = this.nextNonZero(span, i, zero);
        if (i < 0) break;
      }
      each(i, span.start + i * span.stride);
    }
    return true;
  }

  /**
   * Where the elements of an array-like map lie (byte offset of element 0, bytes per element), so a
   * dump can skip all-zero elements by scanning words; null: walk the keys instead.
   */
  protected span(): { start: number; stride: number } | null {
    return null;
  }

  /**
   * The first index >= `from` whose element has a non-zero byte, or -1. Zero stretches are skipped
   * 1 MiB at a time with a native compare against zeroes (`zero`, all zero bytes; a never-touched
   * stretch costs its page faults, so chunks are large). The bytes just after `from` are looked at
   * one by one first, so that a dense array (a filled hash ring) costs no chunk compare per element.
   */
  private nextNonZero(span: { start: number; stride: number }, from: number, zero: Buffer): number {
    const d = this.data;
    const end = span.start + this.maxEntries * span.stride;
    let o = span.start + from * span.stride;
    for (const near = Math.min(end, o + 256); o < near; o++) if (d[o] !== 0) return Math.floor((o - span.start) / span.stride);
    const all = Buffer.from(d.buffer);
    while (o < end) {
      const n = Math.min(zero.length, end - o);
      if (all.compare(zero, 0, n, o, o + n) === 0) {
        o += n;
        continue;
      }
      for (const stop = o + n; o < stop; o++) if (d[o] !== 0) return Math.floor((o - span.start) / span.stride);
    }
    return -1;
  }

  protected dumpValue(key: Uint8Array): Uint8Array | Uint8Array[] | null {
    const rc = this.lookupHostRc(key);
    if (typeof rc === 'number') return null;
    return this.percpu ? this.splitPerCpu(rc) : rc;
  }

  /** A descriptor to attach to this map from another worker (see attachMap). */
  describe(): MapDescriptor {
    return {
      v: 1,
      geometry: this.geometry,
      sab: this.sab,
      offset: this.base,
      byteLength: this.byteLength,
      hashSeed: this.hashSeed,
      hostCpu: this.hostCpu,
    };
  }

  /** Replaces the host-side hooks (e.g. once the device knows its programs and interfaces). */
  setEnv(env: MapEnv): void {
    this.env = env;
  }

  // ---------------------------------------------------------------- helpers
  protected checkKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array) || key.length !== this.keySize) {
      throw new MapError('map.key_size', Errno.EINVAL, `map '${this.name}' needs a ${this.keySize}-byte key, got ${key?.length ?? 'none'}`);
    }
  }

  private joinValue(value: Uint8Array | readonly Uint8Array[]): Uint8Array {
    const slot = r8(this.valueSize);
    if (this.percpu) {
      if (value instanceof Uint8Array) {
        if (value.length !== slot * this.cpus) {
          throw new MapError('map.value_size', Errno.EINVAL, `map '${this.name}' needs ${this.cpus} x ${slot} value bytes, got ${value.length}`);
        }
        return value;
      }
      if (value.length !== this.cpus) {
        throw new MapError('map.value_size', Errno.EINVAL, `map '${this.name}' needs one value per CPU (${this.cpus}), got ${value.length}`);
      }
      const raw = new Uint8Array(slot * this.cpus);
      value.forEach((v, c) => {
        if (v.length !== this.valueSize && v.length !== slot) {
          throw new MapError('map.value_size', Errno.EINVAL, `map '${this.name}' needs ${this.valueSize}-byte values, got ${v.length} for CPU ${c}`);
        }
        raw.set(v, c * slot);
      });
      return raw;
    }
    if (!(value instanceof Uint8Array) || value.length !== this.sysValueSize) {
      const got = value instanceof Uint8Array ? value.length : 'an array';
      throw new MapError('map.value_size', Errno.EINVAL, `map '${this.name}' needs a ${this.sysValueSize}-byte value, got ${got}`);
    }
    return value;
  }

  protected splitPerCpu(raw: Uint8Array): Uint8Array[] {
    const slot = r8(this.valueSize);
    const out: Uint8Array[] = [];
    for (let c = 0; c < this.cpus; c++) out.push(raw.slice(c * slot, (c + 1) * slot));
    return out;
  }

  /** Copies `n` bytes from src[sOff] into this map's data at dOff (no allocation for small n). */
  protected copyIn(dOff: number, src: Uint8Array, sOff: number, n: number): void {
    const d = this.data;
    if (n <= 64) {
      for (let i = 0; i < n; i++) d[dOff + i] = src[sOff + i]!;
    } else {
      d.set(src.subarray(sOff, sOff + n), dOff);
    }
  }

  protected zero(dOff: number, n: number): void {
    this.data.fill(0, dOff, dOff + n);
  }

  protected initHeader(): void {
    this.i32[this.hw + H_MAGIC] = MAGIC;
    this.i32[this.hw + H_TYPE] = this.typeId;
  }

  /** Called once by createMap on zeroed memory. */
  abstract init(): void;
}

export const readU32 = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

export const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
export const isU64 = (n: number): boolean => Number.isInteger(n) && n >= 0;

/**
 * Update flags above BPF_EXIST (besides BPF_F_LOCK when `lockOk`), or any bit above 31: every map
 * type answers -EINVAL to those.
 */
export const badFlags = (flags: number, lockOk: boolean): boolean =>
  !(flags >= 0 && flags <= 0xffffffff && Number.isInteger(flags)) || ((lockOk ? flags & ~BPF_F_LOCK : flags) >>> 0) > 2;

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
