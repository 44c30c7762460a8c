// hash, percpu_hash, lru_hash, lru_percpu_hash (kernel/bpf/hashtab.c) on shared memory.
//
// Layout after the header:
//   buckets   n_buckets = roundup_pow_of_two(max_entries) pairs of Int32 [lock, head element]
//   extras    (cpus + 1) Int32: the spare element of each CPU and of the host (hash only)
//   lru       the LRU lists (lru.ts), LRU maps only
//   elements  [next i32][hash u32][key, round_up(key_size, 8)][value area]
//             value area: round_up(value_size, 8), or one such slot per CPU for per-CPU maps.
// Zeroed memory is an empty table (nothing is initialised per bucket or element): bucket heads,
// chain links, the free-list head and the spare slots store an element index + 1 (0 = none, or for a
// spare slot its initial element), and free elements come first from the free list, then from a
// bump pointer over the never-used ones (header words 7 and 8: bump, number of free elements at
// creation), which hands them out in the order the kernel's prealloc free list would. Pages of
// elements no update ever took stay untouched (a SharedArrayBuffer's pages are committed lazily).
// Element i's value is always at the same offset, so the offset a lookup returns stays a valid
// address; an element that is deleted or replaced is recycled later, exactly the kernel's
// preallocated-map behaviour (a program holding an old pointer may then see another key's value).
//
// Hashing: the kernel's jhash with hashrnd = 0 under BPF_F_ZERO_SEED (else the map's hashSeed);
// bucket = hash & (n_buckets - 1); new elements go to the head of the bucket chain, so
// get_next_key walks buckets in order and each chain from its head, like the kernel.
//
// Concurrency: every bucket has a spinlock (sync.ts) taken by lookups, updates, deletes and
// get_next_key of that bucket; the free list has the table lock (header word 4), only ever taken
// while holding a bucket lock or nothing (order: LRU locks -> bucket lock -> table lock). The element
// count (header word 2) changes with Atomics.add. Updates of a non-per-CPU value never write into
// the element a reader may be looking at: like the kernel they fill a spare element, link it before
// the old one and unlink the old one, which becomes the updating CPU's spare. Per-CPU values are
// updated in place (the kernel does the same). Each CPU index must be used by one thread at a time
// (host operations use the spare of index `cpus`).

import { BPF_EXIST, BPF_NOEXIST, Errno, MapFlag } from './constants.ts';
import { BpfMapBase, HEADER_BYTES, H_COUNT, H_FREE, H_LOCK, badFlags, r8 } from './base.ts';
import type { MapRegion } from './base.ts';
import { jhash } from './jhash.ts';
import { LruLists } from './lru.ts';
import type { MapGeometry } from './spec.ts';
import { lock, readBegin, readRetry, unlock } from './sync.ts';

export const ELEM_HDR = 8;
/** Header words of the free-element bump pointer and of the number of elements free at creation. */
const H_BUMP = 7;
const H_FREE_LIMIT = 8;

export interface HashLayout {
  nBuckets: number;
  nElems: number;
  extras: number; // spare elements (0 for per-CPU and LRU maps)
  bucketsOff: number;
  extrasOff: number;
  lruOff: number;
  elemsOff: number;
  elemSize: number;
  bytes: number;
}

export function hashLayout(g: MapGeometry, valueArea?: number): HashLayout {
  const lru = g.type === 'lru_hash' || g.type === 'lru_percpu_hash';
  const nBuckets = 2 ** Math.ceil(Math.log2(g.maxEntries));
  const extras = g.percpu || lru ? 0 : g.cpus + 1;
  const nElems = g.maxEntries + extras;
  const area = valueArea ?? (g.percpu ? r8(g.valueSize) * g.cpus : r8(g.valueSize));
  const elemSize = ELEM_HDR + r8(g.keySize) + area;
  const bucketsOff = HEADER_BYTES;
  const extrasOff = bucketsOff + nBuckets * 8;
  const lruOff = extrasOff + r8(extras * 4);
  const lruBytes = lru ? r8(LruLists.words(nElems, g.cpus, (g.flags & MapFlag.NO_COMMON_LRU) !== 0) * 4) : 0;
  const elemsOff = lruOff + lruBytes;
  return { nBuckets, nElems, extras, bucketsOff, extrasOff, lruOff, elemsOff, elemSize, bytes: elemsOff + nElems * elemSize };
}

/** The bucket table, elements and free list shared by the hash-like maps. */
export abstract class HashCore extends BpfMapBase {
  protected readonly L: HashLayout;
  protected readonly mask: number;
  protected readonly bucketW: number; // word index of bucket 0's lock
  protected readonly elemBase: number; // byte offset of element 0
  protected readonly keyArea: number;
  protected readonly elemSize: number;
  protected readonly nElems: number;

  constructor(g: MapGeometry, r: MapRegion, layout: HashLayout) {
    super(g, r);
    this.L = layout;
    this.mask = layout.nBuckets - 1;
    this.bucketW = (r.offset + layout.bucketsOff) >> 2;
    this.elemBase = r.offset + layout.elemsOff;
    this.keyArea = r8(g.keySize);
    this.elemSize = layout.elemSize;
    this.nElems = layout.nElems;
  }

  protected abstract hashOf(buf: Uint8Array, off: number): number;

  /**
   * Element holding the key, found without taking the bucket lock (program lookups): the chain is
   * walked optimistically and the walk repeated if a writer changed the bucket meanwhile.
   */
  protected findLockless(b: number, hash: number, buf: Uint8Array, off: number): number {
    const i32 = this.i32;
    const d = this.data;
    const lw = this.bucketW + 2 * b;
    const k = this.keySize;
    const n = this.nElems;
    const size = this.elemSize;
    const base = this.elemBase;
    for (;;) {
      const seq = readBegin(i32, lw);
      let found = -1;
      let e = i32[lw + 1]! - 1;
      for (let steps = 0; e >= 0 && e < n && steps <= n; steps++) {
        const ew = (base + e * size) >> 2;
        if (i32[ew + 1]! >>> 0 === hash) {
          const ko = base + e * size + ELEM_HDR;
          let i = 0;
          while (i < k && d[ko + i] === buf[off + i]) i++;
          if (i === k) {
            found = e;
            break;
          }
        }
        e = i32[ew]! - 1;
      }
      if (!readRetry(i32, lw, seq)) return found;
    }
  }

  // element fields
  protected next(e: number): number {
    return this.i32[(this.elemBase + e * this.elemSize) >> 2]! - 1;
  }
  protected setNext(e: number, n: number): void {
    this.i32[(this.elemBase + e * this.elemSize) >> 2] = n + 1;
  }
  protected hashAt(e: number): number {
    return this.i32[((this.elemBase + e * this.elemSize) >> 2) + 1]! >>> 0;
  }
  protected setHash(e: number, h: number): void {
    this.i32[((this.elemBase + e * this.elemSize) >> 2) + 1] = h | 0;
  }
  protected keyOff(e: number): number {
    return this.elemBase + e * this.elemSize + ELEM_HDR;
  }
  protected valOff(e: number): number {
    return this.elemBase + e * this.elemSize + ELEM_HDR + this.keyArea;
  }
  protected head(b: number): number {
    return this.i32[this.bucketW + 2 * b + 1]! - 1;
  }
  protected setHead(b: number, e: number): void {
    this.i32[this.bucketW + 2 * b + 1] = e + 1;
  }
  protected lockBucket(b: number): void {
    lock(this.i32, this.bucketW + 2 * b);
  }
  protected unlockBucket(b: number): void {
    unlock(this.i32, this.bucketW + 2 * b);
  }

  /** Element holding the key in bucket b, or -1. Caller holds the bucket lock. */
  protected find(b: number, hash: number, buf: Uint8Array, off: number): number {
    const k = this.keySize;
    const d = this.data;
    for (let e = this.head(b); e >= 0; e = this.next(e)) {
      if (this.hashAt(e) !== hash) continue;
      const ko = this.keyOff(e);
      let i = 0;
      while (i < k && d[ko + i] === buf[off + i]) i++;
      if (i === k) return e;
    }
    return -1;
  }

  /** Links e at the head of bucket b; `count`: a new element (not a replacement). */
  protected addHead(b: number, e: number, count = true): void {
    this.setNext(e, this.head(b));
    this.setHead(b, e);
    if (count) Atomics.add(this.i32, this.hw + H_COUNT, 1);
  }

  /** Unlinks e from bucket b; false if it is not there. Caller holds the bucket lock. */
  protected unlink(b: number, e: number, count = true): boolean {
    let prev = -1;
    for (let x = this.head(b); x >= 0; prev = x, x = this.next(x)) {
      if (x !== e) continue;
      if (prev < 0) this.setHead(b, this.next(e));
      else this.setNext(prev, this.next(e));
      if (count) Atomics.sub(this.i32, this.hw + H_COUNT, 1);
      return true;
    }
    return false;
  }

  // free list of non-LRU tables: a stack threaded through `next`, then the never-used elements
  // bump..limit-1 in index order; under the table lock
  protected popFree(): number {
    const i32 = this.i32;
    lock(i32, this.hw + H_LOCK);
    let e = i32[this.hw + H_FREE]! - 1;
    if (e >= 0) {
      i32[this.hw + H_FREE] = this.next(e) + 1;
    } else {
      const bump = i32[this.hw + H_BUMP]!;
      if (bump < i32[this.hw + H_FREE_LIMIT]!) {
        i32[this.hw + H_BUMP] = bump + 1;
        e = bump;
      }
    }
    unlock(i32, this.hw + H_LOCK);
    return e;
  }
  protected pushFree(e: number): void {
    lock(this.i32, this.hw + H_LOCK);
    this.setNext(e, this.i32[this.hw + H_FREE]! - 1);
    this.i32[this.hw + H_FREE] = e + 1;
    unlock(this.i32, this.hw + H_LOCK);
  }
  private extraWord(cpu: number): number {
    return ((this.base + this.L.extrasOff) >> 2) + cpu;
  }
  /** The spare element of `cpu` (a CPU, or `cpus` for the host): at first element limit + cpu. */
  protected spare(cpu: number): number {
    const v = this.i32[this.extraWord(cpu)]!;
    return v === 0 ? this.nElems - this.L.extras + cpu : v - 1;
  }
  /** Makes `e` the spare of `cpu` and returns the previous spare. */
  protected swapSpare(cpu: number, e: number): number {
    const old = this.spare(cpu);
    this.i32[this.extraWord(cpu)] = e + 1;
    return old;
  }

  /** An empty table with elements 0..freeCount-1 free and the rest spares: O(1) on zeroed memory. */
  protected initTable(freeCount: number): void {
    this.initHeader();
    if (freeCount + this.L.extras !== this.nElems && freeCount !== 0) throw new Error(`hash table of ${this.nElems} elements: ${freeCount} free + ${this.L.extras} spares`);
    this.i32[this.hw + H_FREE_LIMIT] = freeCount;
  }

  protected copyKey(e: number, buf: Uint8Array, off: number): void {
    this.copyIn(this.keyOff(e), buf, off, this.keySize);
  }

  /** htab_map_get_next_key: the next key in the same chain, else the first of a later bucket. */
  protected sysNextKey(key: Uint8Array | null, out: Uint8Array): number {
    let b = 0;
    if (key !== null) {
      const h = this.hashOf(key, 0);
      const kb = h & this.mask;
      this.lockBucket(kb);
      const e = this.find(kb, h, key, 0);
      if (e >= 0) {
        const n = this.next(e);
        if (n >= 0) {
          out.set(this.data.subarray(this.keyOff(n), this.keyOff(n) + this.keySize));
          this.unlockBucket(kb);
          return 0;
        }
        b = kb + 1;
      }
      this.unlockBucket(kb);
    }
    for (; b < this.L.nBuckets; b++) {
      if (this.head(b) < 0) continue;
      this.lockBucket(b);
      const e = this.head(b);
      if (e >= 0) out.set(this.data.subarray(this.keyOff(e), this.keyOff(e) + this.keySize));
      this.unlockBucket(b);
      if (e >= 0) return 0;
    }
    return -Errno.ENOENT;
  }

  /**
   * Consistency check (tests, debugging; call while no other thread uses the map): each element is
   * in at most one place (a bucket chain in its hash's bucket, the free list or a spare slot) and the
   * count matches the chains. Returns the number of linked, free and spare elements, or throws.
   */
  auditTable(): { linked: number; free: number; spare: number } {
    const where = new Uint8Array(this.L.nElems);
    const mark = (e: number, what: string) => {
      if (e < 0 || e >= this.L.nElems) throw new Error(`${what}: element index ${e} out of range`);
      if (where[e]) throw new Error(`element ${e} is in two places (${what})`);
      where[e] = 1;
    };
    let linked = 0;
    for (let b = 0; b < this.L.nBuckets; b++) {
      for (let e = this.head(b); e >= 0; e = this.next(e)) {
        mark(e, `bucket ${b}`);
        if ((this.hashAt(e) & this.mask) !== b) throw new Error(`element ${e} in bucket ${b} has hash ${this.hashAt(e)}`);
        linked++;
      }
    }
    if (linked !== this.count()) throw new Error(`count ${this.count()} but ${linked} elements linked`);
    let free = 0;
    for (let e = this.i32[this.hw + H_FREE]! - 1; e >= 0; e = this.next(e)) {
      mark(e, 'free list');
      free++;
    }
    for (let e = this.i32[this.hw + H_BUMP]!; e < this.i32[this.hw + H_FREE_LIMIT]!; e++) {
      mark(e, 'never used');
      free++;
    }
    for (let c = 0; c < this.L.extras; c++) mark(this.spare(c), `spare of CPU ${c}`);
    return { linked, free, spare: this.L.extras };
  }

  protected checkFlags(old: number, flags: number): number {
    const f = flags & 3; // BPF_F_LOCK already rejected
    if (old >= 0 && f === BPF_NOEXIST) return -Errno.EEXIST;
    if (old < 0 && f === BPF_EXIST) return -Errno.ENOENT;
    return 0;
  }
}

/** hash, percpu_hash, lru_hash, lru_percpu_hash */
export class HashMap extends HashCore {
  private readonly lru: LruLists | null;
  private readonly slot: number;
  /** hashrnd: 0 with BPF_F_ZERO_SEED. */
  private readonly seed: number;

  static layout(g: MapGeometry): HashLayout {
    return hashLayout(g);
  }

  constructor(g: MapGeometry, r: MapRegion) {
    const L = hashLayout(g);
    super(g, r, L);
    this.slot = r8(g.valueSize);
    this.seed = g.flags & MapFlag.ZERO_SEED ? 0 : this.hashSeed;
    const isLru = g.type === 'lru_hash' || g.type === 'lru_percpu_hash';
    this.lru = isLru
      ? new LruLists(this.i32, (r.offset + L.lruOff) >> 2, L.nElems, g.cpus, (g.flags & MapFlag.NO_COMMON_LRU) !== 0, (n) => this.evict(n))
      : null;
  }

  init(): void {
    this.initTable(this.lru ? 0 : this.maxEntries);
    this.lru?.init();
  }

  protected hashOf(buf: Uint8Array, off: number): number {
    return jhash(buf, off, this.keySize, this.seed);
  }

  /** auditTable plus the LRU lists: every element is accounted for exactly once. */
  audit(): { linked: number; free: number; spare: number; lru?: number[] } {
    const t = this.auditTable();
    if (!this.lru) {
      if (t.linked + t.free + t.spare !== this.L.nElems) throw new Error(`${this.L.nElems - t.linked - t.free - t.spare} elements leaked`);
      return t;
    }
    const lru = this.lru.audit();
    // linked elements sit on active/inactive/pending lists; the free ones on (local) free lists
    const onFree = lru[2]! + lru[3]!;
    if (onFree + t.linked !== this.L.nElems) throw new Error(`LRU: ${t.linked} linked + ${onFree} free != ${this.L.nElems}`);
    return { ...t, lru };
  }

  /** htab_lru_map_delete_node: unlink the node's element if it is still in its bucket. */
  private evict(e: number): boolean {
    const b = this.hashAt(e) & this.mask;
    this.lockBucket(b);
    const ok = this.unlink(b, e);
    this.unlockBucket(b);
    return ok;
  }

  lookup(keyBuf: Uint8Array, keyOff: number, cpu: number): number {
    const h = this.hashOf(keyBuf, keyOff);
    const e = this.findLockless(h & this.mask, h, keyBuf, keyOff);
    if (e < 0) return -1;
    this.lru?.setRef(e);
    return this.valOff(e) + (this.percpu ? cpu * this.slot : 0);
  }

  update(keyBuf: Uint8Array, keyOff: number, valBuf: Uint8Array, valOff: number, flags: number, cpu: number): number {
    return this.doUpdate(keyBuf, keyOff, valBuf, valOff, flags, cpu, false, cpu);
  }

  /** `spare`: whose spare element a replacing update uses (a CPU, or `cpus` for the host). */
  private doUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number, allCpus: boolean, spare: number): number {
    if (this.lru) {
      if (badFlags(flags, false)) return -Errno.EINVAL;
      return this.percpu ? this.lruPercpuUpdate(kb, ko, vb, vo, flags, cpu, allCpus) : this.lruUpdate(kb, ko, vb, vo, flags, cpu);
    }
    if (this.percpu) {
      if (badFlags(flags, false)) return -Errno.EINVAL;
      return this.percpuUpdate(kb, ko, vb, vo, flags, cpu, allCpus);
    }
    if (badFlags(flags, true)) return -Errno.EINVAL;
    if (flags & 4) return -Errno.EINVAL; // BPF_F_LOCK: values hold no bpf_spin_lock
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    this.lockBucket(b);
    const old = this.find(b, h, kb, ko);
    const rc = this.checkFlags(old, flags);
    if (rc) {
      this.unlockBucket(b);
      return rc;
    }
    let e: number;
    if (old >= 0) {
      e = this.swapSpare(spare, old);
    } else {
      e = this.popFree();
      if (e < 0) {
        this.unlockBucket(b);
        return -Errno.E2BIG;
      }
    }
    this.copyKey(e, kb, ko);
    this.copyIn(this.valOff(e), vb, vo, this.valueSize);
    this.setHash(e, h);
    this.addHead(b, e, old < 0);
    if (old >= 0) this.unlink(b, old, false);
    this.unlockBucket(b);
    return 0;
  }

  /** Writes a per-CPU value: this CPU's value_size bytes, or (host) every CPU's padded slot. */
  private copyValue(e: number, vb: Uint8Array, vo: number, cpu: number, allCpus: boolean): void {
    if (allCpus) this.copyIn(this.valOff(e), vb, vo, this.slot * this.cpus);
    else this.copyIn(this.valOff(e) + cpu * this.slot, vb, vo, this.valueSize);
  }

  /** pcpu_init_value: a program's insert zeroes the other CPUs' value_size bytes. */
  private initValue(e: number, vb: Uint8Array, vo: number, cpu: number, allCpus: boolean): void {
    if (allCpus) return this.copyValue(e, vb, vo, cpu, true);
    for (let c = 0; c < this.cpus; c++) {
      if (c === cpu) this.copyIn(this.valOff(e) + c * this.slot, vb, vo, this.valueSize);
      else this.zero(this.valOff(e) + c * this.slot, this.valueSize);
    }
  }

  private percpuUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number, all: boolean): number {
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    this.lockBucket(b);
    const old = this.find(b, h, kb, ko);
    let rc = this.checkFlags(old, flags);
    if (!rc) {
      if (old >= 0) {
        this.copyValue(old, vb, vo, cpu, all);
      } else {
        const e = this.popFree();
        if (e < 0) {
          rc = -Errno.E2BIG;
        } else {
          this.copyKey(e, kb, ko);
          this.initValue(e, vb, vo, cpu, all);
          this.setHash(e, h);
          this.addHead(b, e);
        }
      }
    }
    this.unlockBucket(b);
    return rc;
  }

  /** htab_lru_map_update_elem: a node is taken (possibly evicting keys) before the bucket is locked. */
  private lruUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number {
    const lru = this.lru!;
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    const e = lru.popFree(cpu);
    if (e < 0) return -Errno.ENOMEM;
    this.setHash(e, h);
    this.copyKey(e, kb, ko);
    this.copyIn(this.valOff(e), vb, vo, this.valueSize);
    this.lockBucket(b);
    const old = this.find(b, h, kb, ko);
    const rc = this.checkFlags(old, flags);
    if (!rc) {
      this.addHead(b, e, old < 0);
      if (old >= 0) {
        lru.setRef(e);
        this.unlink(b, old, false);
      }
    }
    this.unlockBucket(b);
    if (rc) lru.pushFree(e);
    else if (old >= 0) lru.pushFree(old);
    return rc;
  }

  /** htab_lru_percpu_map_update_elem: in-place update, but a node is popped unless BPF_EXIST. */
  private lruPercpuUpdate(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number, all: boolean): number {
    const lru = this.lru!;
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    let e = -1;
    if (flags !== BPF_EXIST) {
      e = lru.popFree(cpu);
      if (e < 0) return -Errno.ENOMEM;
      this.setHash(e, h);
      this.copyKey(e, kb, ko);
    }
    this.lockBucket(b);
    const old = this.find(b, h, kb, ko);
    const rc = this.checkFlags(old, flags);
    if (!rc) {
      if (old >= 0) {
        lru.setRef(old);
        this.copyValue(old, vb, vo, cpu, all);
      } else {
        this.initValue(e, vb, vo, cpu, all);
        this.addHead(b, e);
        e = -1;
      }
    }
    this.unlockBucket(b);
    if (e >= 0) lru.pushFree(e);
    return rc;
  }

  delete(keyBuf: Uint8Array, keyOff: number): number {
    const h = this.hashOf(keyBuf, keyOff);
    const b = h & this.mask;
    this.lockBucket(b);
    const e = this.find(b, h, keyBuf, keyOff);
    if (e >= 0) this.unlink(b, e);
    this.unlockBucket(b);
    if (e < 0) return -Errno.ENOENT;
    if (this.lru) this.lru.pushFree(e);
    else this.pushFree(e);
    return 0;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    const h = this.hashOf(key, 0);
    const b = h & this.mask;
    this.lockBucket(b);
    const e = this.find(b, h, key, 0);
    // host lookups do not mark LRU nodes referenced; per-CPU: every CPU's padded slot
    const out = e < 0 ? null : this.data.slice(this.valOff(e), this.valOff(e) + (this.percpu ? this.slot * this.cpus : this.valueSize));
    this.unlockBucket(b);
    return out ?? -Errno.ENOENT;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.doUpdate(key, 0, value, 0, flags, this.hostCpu, this.percpu, this.cpus);
  }
}
