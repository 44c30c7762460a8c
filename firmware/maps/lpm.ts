// lpm_trie (kernel/bpf/lpm_trie.c): a binary trie of prefixes, node for node as in the kernel, so that
// lookups, the -ENOSPC/-EEXIST/-ENOENT rules and get_next_key's post-order walk are the kernel's.
//
// Keys are struct bpf_lpm_trie_key_u8: u32 prefixlen (host order) + data (key_size - 4 bytes). Data
// bits after the prefix are kept as given (get_next_key returns them). Intermediate nodes (flag IM)
// join two subtrees and hold no value; they do not count towards max_entries.
//
// Layout after the header: a pool of 2 * max_entries + 1 nodes (max_entries real nodes, at most
// max_entries - 1 intermediate ones, one being built):
//   [child0 i32][child1 i32][prefixlen u32][flags u32][data, round_up(key_size - 4, 8)][value, round_up(value_size, 8)]
// Free nodes are chained through child0 (head + 1 in header word 5, 0 = empty), then come the
// never-used nodes from a bump pointer (header word 7), so creation touches no node; the root index
// is header word 6.
// A replaced node is recycled, so a program still holding its value pointer may later see another
// prefix's value (the kernel frees it after an RCU grace period instead).
// Concurrency: one trie lock (header word 4) around every operation, lookups included.

import { BPF_EXIST, BPF_NOEXIST, Errno } from './constants.ts';
import { BpfMapBase, HEADER_BYTES, H_COUNT, H_FREE, H_LOCK, H_ROOT, badFlags, r8, readU32 } from './base.ts';
import type { MapGeometry } from './spec.ts';
import { lock, readBegin, readRetry, unlock } from './sync.ts';

/** Node flag: an intermediate node (no value). */
export const IM = 1;
/** Header word of the bump pointer over never-used nodes. */
const H_BUMP = 7;
/** Bytes of a node before its data: child0, child1, prefixlen, flags. */
export const NODE_HDR = 16;

export class LpmTrie extends BpfMapBase {
  static nodeSize(g: MapGeometry): number {
    return NODE_HDR + r8(g.keySize - 4) + r8(g.valueSize);
  }
  static bytes(g: MapGeometry): number {
    return HEADER_BYTES + (2 * g.maxEntries + 1) * LpmTrie.nodeSize(g);
  }

  private get dataSize(): number {
    return this.keySize - 4;
  }
  private get maxPrefix(): number {
    return (this.keySize - 4) * 8;
  }
  private get nodeBytes(): number {
    return LpmTrie.nodeSize(this.geometry);
  }
  private get rootW(): number {
    return this.hw + H_ROOT;
  }

  // node fields
  private w(n: number): number {
    return (this.base + HEADER_BYTES + n * this.nodeBytes) >> 2;
  }
  private child(n: number, bit: number): number {
    return this.i32[this.w(n) + bit]!;
  }
  private pl(n: number): number {
    return this.i32[this.w(n) + 2]! >>> 0;
  }
  private isIm(n: number): boolean {
    return (this.i32[this.w(n) + 3]! & IM) !== 0;
  }
  private dataOff(n: number): number {
    return this.base + HEADER_BYTES + n * this.nodeBytes + NODE_HDR;
  }
  private valueOff(n: number): number {
    return this.dataOff(n) + r8(this.dataSize);
  }

  init(): void {
    this.initHeader();
    this.i32[this.rootW] = -1;
  }

  private alloc(): number {
    const n = this.i32[this.hw + H_FREE]! - 1;
    if (n >= 0) {
      this.i32[this.hw + H_FREE] = this.child(n, 0) + 1;
      return n;
    }
    const bump = this.i32[this.hw + H_BUMP]!;
    if (bump > 2 * this.maxEntries) return -1;
    this.i32[this.hw + H_BUMP] = bump + 1;
    return bump;
  }
  private free(n: number): void {
    this.i32[this.w(n)] = this.i32[this.hw + H_FREE]! - 1;
    this.i32[this.hw + H_FREE] = n + 1;
  }

  /** Number of leading bits node n and the key agree on, at most min(both prefix lengths). */
  private match(n: number, kb: Uint8Array, ko: number): number {
    const limit = Math.min(this.pl(n), readU32(kb, ko));
    const d = this.data;
    const nd = this.dataOff(n);
    let p = 0;
    for (let i = 0; i < this.dataSize && p < limit; i++) {
      const x = d[nd + i]! ^ kb[ko + 4 + i]!;
      if (x) {
        p += Math.clz32(x) - 24;
        break;
      }
      p += 8;
    }
    return p < limit ? p : limit;
  }

  private static bit(buf: Uint8Array, dataOff: number, index: number): number {
    return (buf[dataOff + (index >> 3)]! >> (7 - (index & 7))) & 1;
  }

  /**
   * trie_lookup_elem: the longest prefix containing the key (a full-length key for IP lookups).
   * Caller holds the trie lock or validates with readRetry; indexes are range-checked and the walk
   * bounded so a concurrent change cannot send an optimistic reader astray.
   */
  private find(kb: Uint8Array, ko: number): number {
    const kpl = readU32(kb, ko);
    const maxP = this.maxPrefix;
    if (kpl > maxP) return -1;
    const i32 = this.i32;
    const d = this.data;
    const nb = this.nodeBytes;
    const nodes = this.base + HEADER_BYTES;
    const limitN = 2 * this.maxEntries + 1;
    const kd = ko + 4;
    let found = -1;
    let n = i32[this.rootW]!;
    for (let steps = 0; n >= 0 && n < limitN && steps <= maxP + 1; steps++) {
      const no = nodes + n * nb;
      const w = no >> 2;
      const npl = i32[w + 2]! >>> 0;
      // longest common prefix of node and key, at most min(npl, kpl) bits
      const limit = npl < kpl ? npl : kpl;
      let p = 0;
      while (p < limit) {
        const i = p >> 3;
        const x = d[no + NODE_HDR + i]! ^ kb[kd + i]!;
        if (x) {
          p = (i << 3) + Math.clz32(x) - 24;
          break;
        }
        p = (i + 1) << 3;
      }
      const m = p < limit ? p : limit;
      if (m === maxP) return n;
      if (m < npl || npl >= maxP) break;
      if (!(i32[w + 3]! & IM)) found = n;
      n = i32[w + ((kb[kd + (npl >> 3)]! >> (7 - (npl & 7))) & 1)]!;
    }
    return found;
  }

  lookup(keyBuf: Uint8Array, keyOff: number, _cpu = 0): number {
    const lw = this.hw + H_LOCK;
    for (;;) {
      const seq = readBegin(this.i32, lw);
      const n = this.find(keyBuf, keyOff);
      if (!readRetry(this.i32, lw, seq)) return n < 0 ? -1 : this.valueOff(n);
    }
  }

  private checkAdd(flags: number): number {
    if (flags === BPF_EXIST) return -Errno.ENOENT;
    if (this.i32[this.hw + H_COUNT] === this.maxEntries) return -Errno.ENOSPC;
    this.i32[this.hw + H_COUNT]! += 1;
    return 0;
  }

  update(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, _cpu = 0): number {
    if (badFlags(flags, false)) return -Errno.EINVAL;
    const kpl = readU32(kb, ko);
    if (kpl > this.maxPrefix) return -Errno.EINVAL;
    lock(this.i32, this.hw + H_LOCK);
    const rc = this.insert(kb, ko, vb, vo, flags, kpl);
    unlock(this.i32, this.hw + H_LOCK);
    return rc;
  }

  private insert(kb: Uint8Array, ko: number, vb: Uint8Array, vo: number, flags: number, kpl: number): number {
    const nn = this.alloc();
    if (nn < 0) return -Errno.ENOMEM;
    const nw = this.w(nn);
    this.i32[nw] = -1;
    this.i32[nw + 1] = -1;
    this.i32[nw + 2] = kpl;
    this.i32[nw + 3] = 0;
    this.copyIn(this.dataOff(nn), kb, ko + 4, this.dataSize);
    this.copyIn(this.valueOff(nn), vb, vo, this.valueSize);

    let slot = this.rootW;
    let node = -1;
    let m = 0;
    while ((node = this.i32[slot]!) >= 0) {
      m = this.match(node, kb, ko);
      if (this.pl(node) !== m || this.pl(node) === kpl) break;
      slot = this.w(node) + LpmTrie.bit(kb, ko + 4, this.pl(node));
    }
    let rc = 0;
    if (node < 0) {
      rc = this.checkAdd(flags);
      if (!rc) this.i32[slot] = nn;
    } else if (this.pl(node) === m) {
      if (!this.isIm(node)) {
        if (flags === BPF_NOEXIST) rc = -Errno.EEXIST;
      } else {
        rc = this.checkAdd(flags);
      }
      if (!rc) {
        this.i32[nw] = this.child(node, 0);
        this.i32[nw + 1] = this.child(node, 1);
        this.i32[slot] = nn;
        this.free(node);
      }
    } else if (!(rc = this.checkAdd(flags))) {
      if (m === kpl) {
        this.i32[nw + LpmTrie.bit(this.data, this.dataOff(node), m)] = node;
        this.i32[slot] = nn;
      } else {
        const im = this.alloc();
        if (im < 0) {
          this.i32[this.hw + H_COUNT]! -= 1;
          rc = -Errno.ENOMEM;
        } else {
          const iw = this.w(im);
          this.i32[iw + 2] = m;
          this.i32[iw + 3] = IM;
          this.data.copyWithin(this.dataOff(im), this.dataOff(node), this.dataOff(node) + this.dataSize);
          const right = LpmTrie.bit(kb, ko + 4, m);
          this.i32[iw] = right ? node : nn;
          this.i32[iw + 1] = right ? nn : node;
          this.i32[slot] = im;
        }
      }
    }
    if (rc) this.free(nn);
    return rc;
  }

  delete(kb: Uint8Array, ko: number): number {
    const kpl = readU32(kb, ko);
    if (kpl > this.maxPrefix) return -Errno.EINVAL;
    lock(this.i32, this.hw + H_LOCK);
    const rc = this.remove(kb, ko, kpl);
    unlock(this.i32, this.hw + H_LOCK);
    return rc;
  }

  private remove(kb: Uint8Array, ko: number, kpl: number): number {
    let trim = this.rootW;
    let trim2 = trim;
    let parent = -1;
    let node = -1;
    let m = 0;
    while ((node = this.i32[trim]!) >= 0) {
      m = this.match(node, kb, ko);
      if (this.pl(node) !== m || this.pl(node) === kpl) break;
      parent = node;
      trim2 = trim;
      trim = this.w(node) + LpmTrie.bit(kb, ko + 4, this.pl(node));
    }
    if (node < 0 || this.pl(node) !== kpl || this.pl(node) !== m || this.isIm(node)) return -Errno.ENOENT;
    this.i32[this.hw + H_COUNT]! -= 1;
    const c0 = this.child(node, 0);
    const c1 = this.child(node, 1);
    if (c0 >= 0 && c1 >= 0) {
      this.i32[this.w(node) + 3]! |= IM; // keeps joining its two subtrees
      return 0;
    }
    if (parent >= 0 && this.isIm(parent) && c0 < 0 && c1 < 0) {
      // the intermediate parent is no longer needed: promote its other child
      this.i32[trim2] = node === this.child(parent, 0) ? this.child(parent, 1) : this.child(parent, 0);
      this.free(parent);
      this.free(node);
      return 0;
    }
    this.i32[trim] = c0 >= 0 ? c0 : c1;
    this.free(node);
    return 0;
  }

  protected sysLookup(key: Uint8Array): Uint8Array | number {
    lock(this.i32, this.hw + H_LOCK);
    const n = this.find(key, 0);
    const out = n < 0 ? null : this.data.slice(this.valueOff(n), this.valueOff(n) + this.valueSize);
    unlock(this.i32, this.hw + H_LOCK);
    return out ?? -Errno.ENOENT;
  }

  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.update(key, 0, value, 0, flags);
  }

  /** trie_get_next_key: post-order, more specific prefixes before the ones containing them. */
  protected sysNextKey(key: Uint8Array | null, out: Uint8Array): number {
    lock(this.i32, this.hw + H_LOCK);
    const n = this.nextNode(key);
    if (n >= 0) {
      const pl = this.pl(n);
      out[0] = pl & 0xff;
      out[1] = (pl >>> 8) & 0xff;
      out[2] = (pl >>> 16) & 0xff;
      out[3] = pl >>> 24;
      out.set(this.data.subarray(this.dataOff(n), this.dataOff(n) + this.dataSize), 4);
    }
    unlock(this.i32, this.hw + H_LOCK);
    return n >= 0 ? 0 : -Errno.ENOENT;
  }

  private nextNode(key: Uint8Array | null): number {
    let searchRoot = this.i32[this.rootW]!;
    if (searchRoot < 0) return -1;
    if (key !== null && readU32(key, 0) <= this.maxPrefix) {
      const kpl = readU32(key, 0);
      const stack: number[] = [];
      let node = searchRoot;
      let m = 0;
      while (node >= 0) {
        stack.push(node);
        m = this.match(node, key, 0);
        if (this.pl(node) !== m || this.pl(node) === kpl) break;
        node = this.child(node, LpmTrie.bit(key, 4, this.pl(node)));
      }
      if (node >= 0 && this.pl(node) === m && !this.isIm(node)) {
        // the next node in post-order after the matched one
        let top = stack.length - 1;
        node = stack[top]!;
        for (;;) {
          if (top === 0) return -1;
          const parent = stack[top - 1]!;
          if (this.child(parent, 0) === node) {
            const right = this.child(parent, 1);
            if (right >= 0) {
              searchRoot = right;
              break;
            }
          }
          if (!this.isIm(parent)) return parent;
          node = parent;
          top--;
        }
      }
    }
    // leftmost non-intermediate node of searchRoot, descending left first
    let next = -1;
    for (let node = searchRoot; node >= 0;) {
      if (this.isIm(node)) {
        node = this.child(node, 0);
      } else {
        next = node;
        node = this.child(node, 0);
        if (node < 0) node = this.child(next, 1);
      }
    }
    return next;
  }
}
