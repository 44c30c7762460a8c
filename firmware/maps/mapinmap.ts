// array_of_maps and hash_of_maps (kernel/bpf/arraymap.c, hashtab.c, map_in_map.c): outer maps whose
// values are inner maps. The host stores a map handle (the kernel's map fd), which MapEnv.resolveMap
// turns into the inner map's id and geometry; the value kept (and returned by host lookups) is the
// inner map id, u32. A program's lookup returns the offset of that id: the engine reads it and
// continues with the map of that id (the kernel hands the program the inner map pointer).
//
// An inner map must match the template given at creation (bpf_map_meta_equal): same type, key size,
// value size and map_flags; arrays also the same max_entries unless the template has BPF_F_INNER_MAP.

import { BPF_ANY, Errno, MapFlag } from './constants.ts';
import { badFlags, readU32 } from './base.ts';
import type { MapRegion } from './base.ts';
import { HashCore, hashLayout } from './hashtab.ts';
import type { HashLayout } from './hashtab.ts';
import { jhash } from './jhash.ts';
import { SlotMap } from './slots.ts';
import type { MapGeometry } from './spec.ts';

/** Resolves a map handle and checks it against the template: the inner map id, or -errno. */
function innerId(g: MapGeometry, env: MapRegion['env'], handle: number): number {
  const r = env.resolveMap ? env.resolveMap(handle) : -Errno.EBADF;
  if (typeof r === 'number') return r < 0 ? r : -Errno.EBADF;
  const t = g.innerMap!;
  const m = r.geometry;
  const same = t.type === m.type && t.keySize === m.keySize && t.valueSize === m.valueSize && t.flags === m.flags;
  const arrayLike = t.type === 'array' || t.type === 'percpu_array' || t.type === 'prog_array';
  const sizeOk = !arrayLike || (t.flags & MapFlag.INNER_MAP) !== 0 || t.maxEntries === m.maxEntries;
  return same && sizeOk && r.id > 0 ? r.id : -Errno.EINVAL;
}

/** array_of_maps: slot = inner map id (0: empty). */
export class ArrayOfMaps extends SlotMap {
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (flags !== BPF_ANY) return -Errno.EINVAL;
    const i = readU32(kb, ko);
    if (i >= this.maxEntries) return -Errno.E2BIG;
    const id = innerId(this.geometry, this.env, readU32(vb, vo));
    if (id < 0) return id;
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

  /** Inner map id at `index` (0: none). */
  innerMapAt(index: number): number {
    return this.target(index);
  }
}

/** hash_of_maps: a hash map with a u32 inner map id as value, updated in place. */
export class HashOfMaps extends HashCore {
  private readonly seed: number;

  static layout(g: MapGeometry): HashLayout {
    return hashLayout(g);
  }

  constructor(g: MapGeometry, r: MapRegion) {
    super(g, r, hashLayout(g));
    this.seed = g.flags & MapFlag.ZERO_SEED ? 0 : this.hashSeed;
  }

  init(): void {
    this.initTable(this.maxEntries);
  }

  protected hashOf(buf: Uint8Array, off: number): number {
    return jhash(buf, off, this.keySize, this.seed);
  }

  lookup(keyBuf: Uint8Array, keyOff: number, _cpu = 0): number {
    const h = this.hashOf(keyBuf, keyOff);
    const e = this.findLockless(h & this.mask, h, keyBuf, keyOff);
    return e < 0 ? -1 : this.valOff(e);
  }

  /** bpf_fd_htab_map_update_elem: the handle is resolved first, then htab_map_update_elem_in_place. */
  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    const id = innerId(this.geometry, this.env, readU32(vb, vo));
    if (id < 0) return id;
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    this.lockBucket(b);
    const old = this.find(b, h, kb, ko);
    let rc = this.checkFlags(old, flags);
    if (!rc) {
      if (old >= 0) {
        Atomics.store(this.i32, this.valOff(old) >> 2, id);
      } else {
        const e = this.popFree();
        if (e < 0) {
          rc = -Errno.E2BIG;
        } else {
          this.copyKey(e, kb, ko);
          this.i32[this.valOff(e) >> 2] = id;
          this.setHash(e, h);
          this.addHead(b, e);
        }
      }
    }
    this.unlockBucket(b);
    return rc;
  }

  delete(kb: Uint8Array, ko: number): number {
    const h = this.hashOf(kb, ko);
    const b = h & this.mask;
    this.lockBucket(b);
    const e = this.find(b, h, kb, ko);
    if (e >= 0) this.unlink(b, e);
    this.unlockBucket(b);
    if (e < 0) return -Errno.ENOENT;
    this.pushFree(e);
    return 0;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    const h = this.hashOf(key, 0);
    const b = h & this.mask;
    this.lockBucket(b);
    const e = this.find(b, h, key, 0);
    const out = e < 0 ? null : this.data.slice(this.valOff(e), this.valOff(e) + 4);
    this.unlockBucket(b);
    return out ?? -Errno.ENOENT;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.update(key, 0, value, 0, flags);
  }
}
