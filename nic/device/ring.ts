// A single-producer single-consumer ring of variable-length records in a SharedArrayBuffer: how
// batches of packets go from the main thread to a core worker, and completions come back. Nothing
// is allocated per record: the producer reserves space, writes the record in place through the
// ring's views, and publishes a whole batch with one Atomics.store + Atomics.notify; the consumer
// reads records in place and releases them in one store.
//
// Layout of the buffer: a 256-byte control block (Int32 words, each group on its own 64-byte cache
// line so that producer and consumer do not write the same line) then `capacity` bytes of records.
//   0  head   bytes ever published by the producer (wraps at 2^32; capacity is a power of two)
//   16 tail   bytes ever released by the consumer
//   32 closed producer will publish nothing more;  33 owner: threadId of the consumer thread
//   34 the consumer sleeps (or is about to) waiting for head;  35 the producer, waiting for tail:
//      a side notifies only when the other sleeps (set, re-check, wait: no lost wake-up)
//   48 beat   progress counter the consumer bumps (hang detection reads it)
// Each side keeps the other side's counter in a local copy and re-reads it only when it runs out
// (the consumer when it has read everything it knew of, the producer when the ring looks full).
// After the record area, SCRATCH_BYTES of the consumer's own: view() copies a record's bytes there
// (copyWithin, one buffer) and hands out a view made once per length, so that reading a packet out
// of the ring allocates nothing.
// A record is 8-aligned and never wraps: when it does not fit before the end of the buffer, the
// producer writes a pad marker (length word -1) and the record starts at offset 0. The first Int32 of
// every record is its length in bytes (header included, rounded up to 8).

const CTRL_BYTES = 256;
const HEAD = 0;
const TAIL = 16;
const CLOSED = 32;
const OWNER = 33;
const SLEEP_DATA = 34;
const SLEEP_SPACE = 35;
const BEAT = 48;
const PAD = -1;
/** The consumer's scratch area after the records (view()); longer byte ranges get a view of their own. */
const SCRATCH_BYTES = 16384;

/** Atomics.waitAsync (Node 16+; not yet in this TypeScript lib). */
type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

export interface RingDescriptor {
  sab: SharedArrayBuffer;
  capacity: number;
}

export class ByteRing {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  readonly ctrl: Int32Array;
  /** Views of the record area (offsets are relative to the record area). */
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  private readonly mask: number;
  /** Producer side: bytes reserved but not yet published. */
  private pending = 0;
  /** Published records the consumer has not been woken for. */
  private unwoken = false;
  private localHead = 0;
  /** Producer: the consumer's tail as last read. Consumer: the producer's head as last read. */
  private seenTail = 0;
  private seenHead = 0;
  /** The whole buffer, and view()'s views of the scratch area by length. */
  private readonly all: Uint8Array;
  private readonly views: (Uint8Array | undefined)[] = [];

  private constructor(sab: SharedArrayBuffer, capacity: number) {
    this.sab = sab;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.ctrl = new Int32Array(sab, 0, CTRL_BYTES / 4);
    this.u8 = new Uint8Array(sab, CTRL_BYTES, capacity);
    this.i32 = new Int32Array(sab, CTRL_BYTES, capacity / 4);
    this.f64 = new Float64Array(sab, CTRL_BYTES, capacity / 8);
    this.all = new Uint8Array(sab);
    this.localHead = Atomics.load(this.ctrl, HEAD);
  }

  /** A new ring of `capacity` bytes (rounded up to a power of two, at least 4 KiB). */
  static create(capacity: number): ByteRing {
    let c = 4096;
    while (c < capacity) c *= 2;
    return new ByteRing(new SharedArrayBuffer(CTRL_BYTES + c + SCRATCH_BYTES), c);
  }

  static attach(d: RingDescriptor): ByteRing {
    return new ByteRing(d.sab, d.capacity);
  }

  describe(): RingDescriptor {
    return { sab: this.sab, capacity: this.capacity };
  }

  /** Largest record the ring can ever hold. */
  get maxRecord(): number {
    return this.capacity / 2;
  }

  // ------------------------------------------------------------------ producer

  /**
   * Reserves `bytes` (8-aligned) for the next record and returns its byte offset in the record area,
   * or -1 when the ring is full right now. The record becomes visible at the next publish().
   */
  reserve(bytes: number): number {
    const need = (bytes + 7) & ~7;
    let head = this.localHead;
    const pos = head & this.mask;
    const room = this.capacity - pos;
    let total = need;
    if (room < need) total += room; // pad to the end, start again at 0
    if (((head - this.seenTail) >>> 0) + total > this.capacity) {
      this.seenTail = Atomics.load(this.ctrl, TAIL);
      if (((head - this.seenTail) >>> 0) + total > this.capacity) return -1;
    }
    if (room < need) {
      this.i32[pos >> 2] = PAD;
      head = (head + room) >>> 0;
    }
    const at = head & this.mask;
    this.i32[at >> 2] = need;
    this.localHead = (head + need) >>> 0;
    this.pending += total;
    return at;
  }

  /** Makes every reserved record visible to the consumer without waking it. */
  publishQuiet(): void {
    if (this.pending === 0) return;
    this.pending = 0;
    this.unwoken = true;
    Atomics.store(this.ctrl, HEAD, this.localHead | 0);
  }

  /** Makes every reserved record visible to the consumer and wakes it if it sleeps (one atomic load when it does not). */
  publish(): void {
    this.publishQuiet();
    if (this.unwoken && Atomics.load(this.ctrl, SLEEP_DATA) !== 0) {
      this.unwoken = false;
      Atomics.notify(this.ctrl, HEAD);
    }
  }

  /** No more records will come (after the last publish). */
  close(): void {
    this.publish();
    Atomics.store(this.ctrl, CLOSED, 1);
    Atomics.notify(this.ctrl, HEAD);
  }

  /** Bytes in flight (published or reserved, not yet released). */
  used(): number {
    return (this.localHead - Atomics.load(this.ctrl, TAIL)) >>> 0;
  }

  /** Blocks (worker threads only) until the consumer released space or `timeoutMs` passed. */
  waitSpace(timeoutMs: number): void {
    Atomics.store(this.ctrl, SLEEP_SPACE, 1);
    const tail = Atomics.load(this.ctrl, TAIL);
    if (((this.localHead - tail) >>> 0) >= this.capacity / 2) Atomics.wait(this.ctrl, TAIL, tail, timeoutMs);
    Atomics.store(this.ctrl, SLEEP_SPACE, 0);
  }

  // ------------------------------------------------------------------ consumer

  /** Consumer's read position (bytes ever consumed); advance with next(). */
  cursor = 0;

  /** Consumer: start reading at byte position `pos` (a dead consumer's released tail). */
  seek(pos: number): void {
    this.cursor = pos >>> 0;
    this.seenHead = Atomics.load(this.ctrl, HEAD) >>> 0;
  }

  /**
   * Offset of the next published record, or -1 when none is published. Skips pad markers. The
   * record stays valid until release().
   */
  peek(): number {
    for (;;) {
      if (this.cursor === this.seenHead) {
        this.seenHead = Atomics.load(this.ctrl, HEAD) >>> 0;
        if (this.cursor === this.seenHead) return -1;
      }
      const at = this.cursor & this.mask;
      const len = this.i32[at >> 2]!;
      if (len === PAD) {
        this.cursor = (this.cursor + (this.capacity - at)) >>> 0;
        continue;
      }
      return at;
    }
  }

  /**
   * The bytes u8[at, at + len) of a record being read, as a view valid until the next view() call: a
   * copy in the scratch area through a view reused for every range of this length (no allocation),
   * or a view of the record itself when longer than the scratch area.
   */
  view(at: number, len: number): Uint8Array {
    if (len > SCRATCH_BYTES) return this.u8.subarray(at, at + len);
    const scratch = CTRL_BYTES + this.capacity;
    let v = this.views[len];
    if (v === undefined) v = this.views[len] = new Uint8Array(this.sab, scratch, len);
    this.all.copyWithin(scratch, CTRL_BYTES + at, CTRL_BYTES + at + len);
    return v;
  }

  /** Moves past the record peek() returned. */
  next(): void {
    const at = this.cursor & this.mask;
    this.cursor = (this.cursor + this.i32[at >> 2]!) >>> 0;
  }

  /** Hands the space of every record read so far back to the producer. */
  release(): void {
    Atomics.store(this.ctrl, TAIL, this.cursor | 0);
    if (Atomics.load(this.ctrl, SLEEP_SPACE) !== 0) Atomics.notify(this.ctrl, TAIL);
  }

  get closed(): boolean {
    return Atomics.load(this.ctrl, CLOSED) === 1;
  }

  /** Blocks (worker threads only) until a record is published, the ring closes or `timeoutMs` passed. */
  waitData(timeoutMs: number): void {
    Atomics.store(this.ctrl, SLEEP_DATA, 1);
    const head = Atomics.load(this.ctrl, HEAD);
    if ((head >>> 0) === this.cursor && !this.closed) Atomics.wait(this.ctrl, HEAD, head, timeoutMs);
    Atomics.store(this.ctrl, SLEEP_DATA, 0);
  }

  /** Resolves when a record is published (main thread), the ring closes or `timeoutMs` passed. */
  async waitDataAsync(timeoutMs: number): Promise<void> {
    Atomics.store(this.ctrl, SLEEP_DATA, 1);
    const head = Atomics.load(this.ctrl, HEAD);
    if ((head >>> 0) === this.cursor && !this.closed) {
      const w = waitAsync(this.ctrl, HEAD, head, timeoutMs);
      if (w.async) await w.value;
    }
    Atomics.store(this.ctrl, SLEEP_DATA, 0);
  }

  // ------------------------------------------------------------------ liveness

  /** Consumer: "still alive and making progress". */
  beat(): void {
    Atomics.add(this.ctrl, BEAT, 1);
  }

  get beats(): number {
    return Atomics.load(this.ctrl, BEAT);
  }

  /** Bytes ever published (the producer's head). */
  get published(): number {
    return Atomics.load(this.ctrl, HEAD) >>> 0;
  }

  /** Bytes ever released by the consumer. */
  get released(): number {
    return Atomics.load(this.ctrl, TAIL) >>> 0;
  }

  set owner(threadId: number) {
    Atomics.store(this.ctrl, OWNER, threadId);
  }

  get owner(): number {
    return Atomics.load(this.ctrl, OWNER);
  }
}
