// ringbuf (kernel/bpf/ringbuf.c): a multi-producer ring of variable-length records in shared memory,
// with the kernel's sizes, positions and overflow rules.
//
// Layout after the header: control words [lock, consumer_pos lo/hi, producer_pos lo/hi,
// pending_pos lo/hi, pad] (positions are unsigned 64-bit byte counts, kept below 2^53), then the
// data area of max_entries bytes (a power of two, a multiple of the 4 KiB page) followed by as many
// bytes again: the kernel maps the data pages twice in a row so that a record crossing the end is
// contiguous in memory; here a record crossing the end simply continues into the second copy, and
// the consumer reads it from the same place, which is what the double mapping shows user space.
//
// A record is an 8-byte header [u32 len | BUSY 1<<31 | DISCARD 1<<30][u32 pg_off] and the sample,
// rounded up to 8 bytes. Reserving fails (NULL / -EAGAIN) when the new producer position would be
// more than size - 1 ahead of the consumer or of the oldest record still being written
// (pending_pos, advanced past committed records at every reserve as the kernel does). pg_off is the
// kernel's page offset of the header from the start of struct bpf_ringbuf (3 metadata pages).

import { Errno } from './constants.ts';
import { BpfMapBase, HEADER_BYTES, type MapEntry } from './base.ts';
import type { MapGeometry } from './spec.ts';
import { lock, unlock } from './sync.ts';

export const RINGBUF_BUSY_BIT = 0x80000000;
export const RINGBUF_DISCARD_BIT = 0x40000000;
export const RINGBUF_HDR_SZ = 8;
/** RINGBUF_MAX_RECORD_SZ: UINT_MAX / 4. */
const MAX_RECORD = Math.floor(0xffffffff / 4);
/** Pages of struct bpf_ringbuf before its data (RINGBUF_PGOFF + RINGBUF_POS_PAGES). */
const META_PAGES = 3;
const PAGE_SHIFT = 12;
/** bpf_ringbuf_output / submit / discard flags. */
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query flags. */
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;

const CTL_WORDS = 8;
const W_LOCK = 0;
const W_CONS = 1;
const W_PROD = 3;
const W_PEND = 5;

const round8 = (n: number): number => Math.ceil(n / 8) * 8;

/** One record as a consumer sees it. */
export interface RingbufRecord {
  /** Sample length (without the header). */
  size: number;
  bytes: Uint8Array;
  /** pg_off as the kernel writes it in the header. */
  pgOff: number;
}

export class RingBuf extends BpfMapBase {
  static bytes(g: MapGeometry): number {
    return HEADER_BYTES + CTL_WORDS * 4 + 2 * g.maxEntries;
  }

  private get ctl(): number {
    return this.hw + HEADER_BYTES / 4;
  }
  /** Byte offset of the data area. */
  get dataOff(): number {
    return this.base + HEADER_BYTES + CTL_WORDS * 4;
  }
  private get mask(): number {
    return this.maxEntries - 1;
  }

  init(): void {
    this.initHeader();
  }

  private pos(w: number): number {
    return (this.i32[this.ctl + w]! >>> 0) + (this.i32[this.ctl + w + 1]! >>> 0) * 2 ** 32;
  }
  private setPos(w: number, v: number): void {
    Atomics.store(this.i32, this.ctl + w + 1, Math.floor(v / 2 ** 32) | 0);
    Atomics.store(this.i32, this.ctl + w, v >>> 0);
  }
  private hdrLen(off: number): number {
    return Atomics.load(this.i32, off >> 2) >>> 0;
  }

  /** __bpf_ringbuf_reserve: byte offset of the sample in `data`, or -1 (the kernel's NULL). */
  reserve(size: number): number {
    if (size > MAX_RECORD) return -1;
    const len = round8(size + RINGBUF_HDR_SZ);
    if (len > this.maxEntries) return -1;
    const cons = this.pos(W_CONS);
    lock(this.i32, this.ctl + W_LOCK);
    let pend = this.pos(W_PEND);
    const prod = this.pos(W_PROD);
    const next = prod + len;
    while (pend < prod) {
      const l = this.hdrLen(this.dataOff + (pend & this.mask));
      if (l & RINGBUF_BUSY_BIT) break;
      pend += round8(((l & ~RINGBUF_DISCARD_BIT) >>> 0) + RINGBUF_HDR_SZ);
    }
    this.setPos(W_PEND, pend);
    if (next - cons > this.mask || next - pend > this.mask) {
      unlock(this.i32, this.ctl + W_LOCK);
      return -1;
    }
    const hdr = this.dataOff + (prod & this.mask);
    this.i32[(hdr >> 2) + 1] = META_PAGES + ((prod & this.mask) >>> PAGE_SHIFT);
    Atomics.store(this.i32, hdr >> 2, (size | RINGBUF_BUSY_BIT) | 0);
    this.setPos(W_PROD, next);
    unlock(this.i32, this.ctl + W_LOCK);
    return hdr + RINGBUF_HDR_SZ;
  }

  /** Whether `off` is the sample of a reserved, not yet committed record of this ring. */
  isReserved(off: number): boolean {
    const hdr = off - RINGBUF_HDR_SZ;
    if (hdr < this.dataOff || hdr >= this.dataOff + this.maxEntries || (hdr - this.dataOff) % 8 !== 0) return false;
    return (this.hdrLen(hdr) & RINGBUF_BUSY_BIT) !== 0;
  }

  /** bpf_ringbuf_commit: submit (or discard) the record whose sample is at `off`. */
  commit(off: number, discard: boolean): void {
    const hdr = off - RINGBUF_HDR_SZ;
    let l = (this.hdrLen(hdr) ^ RINGBUF_BUSY_BIT) >>> 0;
    if (discard) l = (l | RINGBUF_DISCARD_BIT) >>> 0;
    Atomics.exchange(this.i32, hdr >> 2, l | 0);
  }

  /** bpf_ringbuf_output: 0, -EINVAL (flags) or -EAGAIN (no room). */
  output(buf: Uint8Array, off: number, size: number, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -Errno.EINVAL;
    const s = this.reserve(size);
    if (s < 0) return -Errno.EAGAIN;
    this.copyIn(s, buf, off, size);
    this.commit(s, false);
    return 0;
  }

  /** bpf_ringbuf_query: available bytes, ring size, consumer or producer position; 0 otherwise. */
  query(flags: number): number {
    switch (flags) {
      case BPF_RB_AVAIL_DATA:
        return this.pos(W_PROD) - this.pos(W_CONS);
      case BPF_RB_RING_SIZE:
        return this.maxEntries;
      case BPF_RB_CONS_POS:
        return this.pos(W_CONS);
      case BPF_RB_PROD_POS:
        return this.pos(W_PROD);
      default:
        return 0;
    }
  }

  /**
   * The consumer (libbpf's ring_buffer__consume): every committed record from the consumer position
   * on, in order, up to the first one still being written; discarded ones are skipped. Advances the
   * consumer position past what it read.
   */
  drain(): RingbufRecord[] {
    const out: RingbufRecord[] = [];
    let cons = this.pos(W_CONS);
    const prod = this.pos(W_PROD);
    while (cons < prod) {
      const hdr = this.dataOff + (cons & this.mask);
      const l = this.hdrLen(hdr);
      if (l & RINGBUF_BUSY_BIT) break;
      const size = (l & ~RINGBUF_DISCARD_BIT) >>> 0;
      if (!(l & RINGBUF_DISCARD_BIT)) {
        out.push({ size, bytes: this.data.slice(hdr + RINGBUF_HDR_SZ, hdr + RINGBUF_HDR_SZ + size), pgOff: this.i32[(hdr >> 2) + 1]! >>> 0 });
      }
      cons += round8(size + RINGBUF_HDR_SZ);
    }
    this.setPos(W_CONS, cons);
    return out;
  }

  // The syscall side has no elements: lookups, updates and key walks are refused (EINVAL / ENOTSUPP).
  lookup(): number {
    return -1;
  }
  update(): number {
    return -Errno.ENOTSUPP;
  }
  delete(): number {
    return -Errno.ENOTSUPP;
  }
  protected sysLookup(): Uint8Array | number {
    return -Errno.ENOTSUPP;
  }
  protected sysUpdate(): number {
    return -Errno.ENOTSUPP;
  }
  protected sysNextKey(): number {
    return -Errno.ENOTSUPP;
  }
  override *entries(): Generator<MapEntry> {}
}
