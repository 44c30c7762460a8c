// The packet record shape shared by the capture readers, writers, the generator and the device:
// `Frame` is the contract; `CursorFrame` is the readers' one reused instance (no allocation per
// packet: the bytes stay in the reader's buffer and the view and the bigint timestamp are made
// only when asked for).

/** One captured or generated packet. */
export interface Frame {
  /** Nanoseconds since the Unix epoch. */
  tsNs: bigint;
  /** The captured bytes (at most the snap length). */
  data: Uint8Array;
  /** Length on the wire (>= data.length). */
  wireLen: number;
  /** Interface number (pcapng: counted across sections, as tshark's frame.interface_id). */
  iface: number;
  /** 1-based record number in the file (tshark's frame.number). */
  index: number;
}

/** What a writer takes: wireLen defaults to data.length. */
export interface FrameInput {
  tsNs: bigint;
  data: Uint8Array;
  wireLen?: number;
}

/** Turns a record's two raw timestamp words into nanoseconds since the epoch. */
export interface Clock {
  toNs(hi: number, lo: number): bigint;
  /** toNs(hi, lo) - toNs(hi0, lo0) as a number without bigints (exact while it is a safe integer). */
  diffNs(hi: number, lo: number, hi0: number, lo0: number): number;
}

import type { Scratch } from './source.ts';

const EMPTY = new Uint8Array(0);

/**
 * The reused frame a reader hands out. Everything in it (the bytes above all) is valid only until the
 * reader's next call; `copyFrame` makes a frame that stays valid. Zero-copy consumers read
 * `bytes[offset, offset + capLen)` directly and never touch `data`.
 */
export class CursorFrame implements Frame {
  /** The reader's buffer; the packet is bytes[offset, offset + capLen). */
  bytes: Uint8Array = EMPTY;
  offset = 0;
  capLen = 0;
  wireLen = 0;
  iface = 0;
  index = 0;
  /** Raw timestamp words and the clock of the record's interface. */
  tsHi = 0;
  tsLo = 0;
  clock: Clock = { toNs: () => 0n, diffNs: () => 0 };
  private view: Uint8Array | null = null;
  private scratch: Scratch | null = null;

  /** Set by the reader for each record (drops the cached view). */
  set(bytes: Uint8Array, offset: number, capLen: number, scratch: Scratch | null = null): void {
    this.bytes = bytes;
    this.offset = offset;
    this.capLen = capLen;
    this.view = null;
    this.scratch = scratch;
  }

  /** The packet's bytes: with a scratch area a reused view of a copy (no allocation), else a new view. */
  get data(): Uint8Array {
    if (this.view !== null) return this.view;
    const s = this.scratch;
    return (this.view =
      s !== null ? s.view(this.bytes.byteOffset + this.offset, this.capLen) : new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.offset, this.capLen));
  }

  get tsNs(): bigint {
    return this.clock.toNs(this.tsHi, this.tsLo);
  }
}

/** A frame that owns its bytes. */
export function copyFrame(f: Frame): Frame {
  return { tsNs: f.tsNs, data: f.data.slice(), wireLen: f.wireLen, iface: f.iface, index: f.index };
}

/** One interface of a capture (pcap: the file header; pcapng: an IDB). */
export interface InterfaceInfo {
  /** The number frames carry in `iface`. */
  id: number;
  /** 0-based section (pcapng SHB) it belongs to, and its id inside that section. */
  section: number;
  localId: number;
  /** LINKTYPE_* value (1 = Ethernet). */
  linktype: number;
  /** 0 = no limit. */
  snaplen: number;
  /** Timestamp units per second (1e6 for µs pcap, 1e9 for ns pcap, from if_tsresol in pcapng). */
  unitsPerSecond: bigint;
  /** if_tsoffset, seconds. */
  tsOffsetSec: bigint;
  /** pcap only: FCS length from the link-type field's F bit, in bytes. */
  fcsLen?: number;
  /** pcapng if_name, when present. */
  name?: string;
}

/** The reader interface both formats implement. */
export interface CaptureReader extends Iterable<Frame> {
  readonly format: 'pcap' | 'pcapng';
  readonly file: string;
  /** Interfaces seen so far (pcap: exactly one). */
  readonly interfaces: readonly InterfaceInfo[];
  /** Non-fatal problems (a truncated last record). */
  readonly warnings: readonly import('./errors.ts').CaptureWarning[];
  /** pcap: the byte order of the file; pcapng: of the current section. */
  readonly littleEndian: boolean;
  /** The next packet as the reader's reused CursorFrame (valid until the next call), or null at the end. */
  next(): CursorFrame | null;
  /** Bytes of read buffer held now (bounded by the largest record, never by the file size). */
  readonly bufferBytes: number;
  /** Iterates frames that stay valid (one copy per packet). */
  copies(): IterableIterator<Frame>;
  close(): void;
}

/** A non-allocating iterator over `next()` (one reused result object); leaving a loop early closes the reader. */
export function cursorIterator(next: () => CursorFrame | null, close: () => void): IterableIterator<Frame> {
  const res: IteratorResult<Frame> = { done: false, value: undefined as unknown as Frame };
  const it: IterableIterator<Frame> = {
    next(): IteratorResult<Frame> {
      const f = next();
      if (f === null) return { done: true, value: undefined };
      (res as { value: Frame }).value = f;
      return res;
    },
    return(): IteratorResult<Frame> {
      close();
      return { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return it;
    },
  };
  return it;
}

/** Iterator yielding copies; leaving a loop early closes the reader. */
export function copyingIterator(next: () => CursorFrame | null, close: () => void): IterableIterator<Frame> {
  const it: IterableIterator<Frame> = {
    next(): IteratorResult<Frame> {
      const f = next();
      return f === null ? { done: true, value: undefined } : { done: false, value: copyFrame(f) };
    },
    return(): IteratorResult<Frame> {
      close();
      return { done: true, value: undefined };
    },
    [Symbol.iterator]() {
      return it;
    },
  };
  return it;
}

/** The clock of a pcapng interface: 64-bit count of 1/unitsPerSecond, plus an offset in seconds. */
export function unitsClock(unitsPerSecond: bigint, offsetSec: bigint): Clock {
  if (unitsPerSecond === 1_000_000_000n && offsetSec === 0n) {
    return { toNs: (hi, lo) => (BigInt(hi) << 32n) | BigInt(lo), diffNs: (hi, lo, hi0, lo0) => (hi - hi0) * 4294967296 + (lo - lo0) };
  }
  return {
    diffNs(hi, lo, hi0, lo0) {
      return Number(this.toNs(hi, lo) - this.toNs(hi0, lo0));
    },
    toNs(hi, lo) {
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      const sec = v / unitsPerSecond;
      const frac = v % unitsPerSecond;
      // Wireshark truncates sub-nanosecond fractions (wiretap/pcapng.c); so do we.
      return (sec + offsetSec) * 1_000_000_000n + (frac * 1_000_000_000n) / unitsPerSecond;
    },
  };
}

/** The clock of a pcap file: seconds plus micro- or nanoseconds. */
export function pcapClock(nano: boolean): Clock {
  const mult = nano ? 1n : 1000n;
  const m = nano ? 1 : 1000;
  return { toNs: (sec, frac) => BigInt(sec) * 1_000_000_000n + BigInt(frac) * mult, diffNs: (sec, frac, sec0, frac0) => (sec - sec0) * 1e9 + (frac - frac0) * m };
}
