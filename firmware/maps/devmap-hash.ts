// devmap_hash (kernel/bpf/devmap.c, the hashed variant): u32 keys chosen by the user, value
// {ifindex, program id}. Same table as the hash maps (hashtab.ts) with the kernel's bucket choice
// `key & (n_buckets - 1)` (no jhash) and head insertion, so get_next_key order is the kernel's.
// Unlike a hash map, BPF_EXIST is not checked (an update with BPF_EXIST inserts a missing key),
// ifindex 0 is invalid, and the interface is checked before the map is found full.

import { BPF_NOEXIST, Errno } from './constants.ts';
import { badFlags, readU32 } from './base.ts';
import type { MapRegion } from './base.ts';
import { HashCore, hashLayout } from './hashtab.ts';
import type { HashLayout } from './hashtab.ts';
import type { MapGeometry } from './spec.ts';
import { devProg } from './slots.ts';

export class DevMapHash extends HashCore {
  static layout(g: MapGeometry): HashLayout {
    return hashLayout(g, 8);
  }

  constructor(g: MapGeometry, r: MapRegion) {
    super(g, r, hashLayout(g, 8));
  }

  init(): void {
    this.initTable(this.maxEntries);
  }

  protected hashOf(buf: Uint8Array, off: number): number {
    return readU32(buf, off);
  }

  /** ifindex of the device stored under `key`, 0 if none (bpf_redirect_map). */
  target(key: number): number {
    const b = key & this.mask;
    this.lockBucket(b);
    let e = this.head(b);
    while (e >= 0 && this.hashAt(e) !== key >>> 0) e = this.next(e);
    const ifindex = e >= 0 ? readU32(this.data, this.valOff(e)) : 0;
    this.unlockBucket(b);
    return ifindex;
  }

  lookup(keyBuf: Uint8Array, keyOff: number, _cpu = 0): number {
    const k = readU32(keyBuf, keyOff);
    const b = k & this.mask;
    this.lockBucket(b);
    const e = this.find(b, k, keyBuf, keyOff);
    this.unlockBucket(b);
    return e < 0 ? -1 : this.valOff(e);
  }

  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, cpu: number): number {
    return this.put(kb, ko, vb, vo, flags, cpu);
  }

  private put(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, spare: number): number {
    const ifindex = readU32(vb, vo);
    if (badFlags(flags, false) || ifindex === 0) return -Errno.EINVAL;
    const k = readU32(kb, ko);
    const b = k & this.mask;
    this.lockBucket(b);
    const old = this.find(b, k, kb, ko);
    let rc = old >= 0 && flags === BPF_NOEXIST ? -Errno.EEXIST : 0;
    let prog = 0;
    if (!rc) {
      prog = devProg(this.env, ifindex, this.valueSize === 8 ? readU32(vb, vo + 4) | 0 : 0);
      if (prog < 0) rc = prog;
    }
    let e = -1;
    if (!rc) {
      if (old >= 0) {
        e = this.swapSpare(spare, old);
      } else {
        e = this.popFree();
        if (e < 0) rc = -Errno.E2BIG;
      }
    }
    if (!rc) {
      this.copyKey(e, kb, ko);
      const vw = this.valOff(e) >> 2;
      this.i32[vw] = ifindex;
      this.i32[vw + 1] = prog;
      this.setHash(e, k);
      this.addHead(b, e, old < 0);
      if (old >= 0) this.unlink(b, old, false);
    }
    this.unlockBucket(b);
    return rc;
  }

  delete(kb: Uint8Array, ko: number): number {
    const k = readU32(kb, ko);
    const b = k & this.mask;
    this.lockBucket(b);
    const e = this.find(b, k, kb, ko);
    if (e >= 0) this.unlink(b, e);
    this.unlockBucket(b);
    if (e < 0) return -Errno.ENOENT;
    this.pushFree(e);
    return 0;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    const o = this.lookup(key, 0);
    return o < 0 ? -Errno.ENOENT : this.data.slice(o, o + this.valueSize);
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.put(key, 0, value, 0, flags, this.cpus);
  }
}
