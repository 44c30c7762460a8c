// The conntrack table's memory: one SharedArrayBuffer holding a chained hash of entries that every
// core of a run (any worker thread) reads and writes. Each entry is linked twice, once under the hash
// of its original tuple and once under its reply tuple, as the kernel's nf_conntrack_hash links both
// tuplehash directions. Lookups, insertions and removals take one lock word (a three-state futex-style
// mutex on Atomics.compareExchange / wait / notify); the fields a program changes on an entry it holds
// (status, timeout) are single words written with Atomics. Entries carry a reference count (one for
// the table, one per kernel object a program holds), so an entry that expires or is removed while a
// program still holds it keeps its slot until the last release. Lifetimes are on the run's simulated
// clock (ms): an entry whose expiry is not after `now` is expired (nf_ct_is_expired), is never found,
// and is unlinked when a lookup or an insertion meets it (the kernel's GC worker removes them later at
// a time of its choosing; nicsim removes them as soon as they are met, so a new entry with the same
// tuple can then be inserted).
//
// Layout (Int32 words): header [0 lock, 1 entries in the table, 2 free-list head (slot + 1), 3 next
// never-used slot, 4 capacity, 5 buckets, 6 insertion counter, 7 inserted by programs], buckets (head
// link per bucket), then CT_WORDS words per slot:
//   0 refs   1 flags (1 in table, 2 inserted by a program)   2 family   3 proto   4 zone
//   5..8 original src   9..12 original dst   13 original sport   14 original dport
//   15..18 reply src   19..22 reply dst   23 reply sport   24 reply dport   25 status
//   26..27 float64 expiry (ms, run clock)   28 next link, original chain   29 next link, reply chain
//   30 insertion number   31 unused
// A link is slot * 2 + direction + 1 (0 = end of chain). Addresses are stored as their bytes (IPv4 in
// the first 4 bytes, the rest zero).
import { addrText, type CtEntry, type CtTuple, IPPROTO_TCP, IPPROTO_UDP, IPS } from './conntrack.ts';

/** Entries a table holds at most unless told otherwise (the kernel's nf_conntrack_max is set per host). */
export const CT_DEFAULT_MAX = 65536;

const H_LOCK = 0;
const H_COUNT = 1;
const H_FREE = 2;
const H_NEXT = 3;
const H_CAP = 4;
const H_BUCKETS = 5;
const H_SEQ = 6;
const H_BY_PROG = 7;
const HEADER = 8;
const CT_WORDS = 32;
const E_REFS = 0;
const E_FLAGS = 1;
const E_FAMILY = 2;
const E_PROTO = 3;
const E_ZONE = 4;
/** Tuple of direction d at word E_TUPLE + d * 10: src (4 words), dst (4), sport, dport. */
const E_TUPLE = 5;
const E_STATUS = 25;
const E_EXPIRY = 26;
const E_NEXT = 28;
const E_SEQ = 30;
const F_IN_TABLE = 1;
const F_BY_PROGRAM = 2;

export interface ConntrackDescriptor {
  buffer: SharedArrayBuffer;
}

/** One entry as a run reports it. */
export interface CtDumpEntry {
  proto: string | number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  zone: number;
  status: number;
  /** Absolute expiry on the run's clock, ms. */
  timeout_ms: number;
  /** Inserted by the program (bpf_ct_insert_entry), not by the seed file. */
  by_program: boolean;
}

/** An entry in the shared table, read and written in place (what an nf_conn pointer points at). */
export class SharedCtEntry implements CtEntry {
  constructor(
    readonly table: ConntrackTable,
    readonly slot: number,
  ) {}
  private get base(): number {
    return this.table.slotBase(this.slot);
  }
  get family(): 4 | 6 {
    return this.table.w[this.base + E_FAMILY] === 6 ? 6 : 4;
  }
  get proto(): number {
    return this.table.w[this.base + E_PROTO]!;
  }
  get zone(): number {
    return this.table.w[this.base + E_ZONE]!;
  }
  get orig(): CtTuple {
    return this.table.tupleAt(this.slot, 0);
  }
  get reply(): CtTuple {
    return this.table.tupleAt(this.slot, 1);
  }
  /** Not writable once inserted (nf_nat: the manip is set before insertion). */
  set reply(_t: CtTuple) {
    throw new Error('the reply tuple of a confirmed conntrack entry cannot change');
  }
  get status(): number {
    return Atomics.load(this.table.w, this.base + E_STATUS) >>> 0;
  }
  set status(v: number) {
    Atomics.store(this.table.w, this.base + E_STATUS, v | 0);
  }
  get timeoutMs(): number {
    return this.table.f64[(this.base + E_EXPIRY) >> 1]!;
  }
  set timeoutMs(v: number) {
    this.table.f64[(this.base + E_EXPIRY) >> 1] = v;
  }
  get inserted(): boolean {
    return (Atomics.load(this.table.w, this.base + E_FLAGS) & F_IN_TABLE) !== 0;
  }
}

export class ConntrackTable {
  readonly buffer: SharedArrayBuffer;
  readonly w: Int32Array;
  readonly f64: Float64Array;
  readonly u8: Uint8Array;
  private readonly buckets: number;
  private readonly entry0: number;
  /** Scratch for packing a tuple (10 words) before hashing and comparing; per table object, per thread. */
  private readonly key = new Int32Array(10);
  private readonly keyBytes = new Uint8Array(this.key.buffer);
  /** Scratch of unlink (which runs while `key` holds the tuple being searched). */
  private readonly key2 = new Int32Array(10);

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.w = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.buckets = this.w[H_BUCKETS]!;
    this.entry0 = (HEADER + this.buckets + 1) & ~1;
  }

  /** A table for at most `capacity` entries (buckets: the next power of two). */
  static create(capacity = CT_DEFAULT_MAX): ConntrackTable {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 22) throw new RangeError(`conntrack capacity ${capacity} is not 1..2^22`);
    let buckets = 1;
    while (buckets < capacity) buckets <<= 1;
    const entry0 = (HEADER + buckets + 1) & ~1;
    const buffer = new SharedArrayBuffer((entry0 + capacity * CT_WORDS) * 4);
    const w = new Int32Array(buffer);
    w[H_CAP] = capacity;
    w[H_BUCKETS] = buckets;
    return new ConntrackTable(buffer);
  }

  /** The same table in another thread. */
  static attach(d: ConntrackDescriptor): ConntrackTable {
    return new ConntrackTable(d.buffer);
  }

  describe(): ConntrackDescriptor {
    return { buffer: this.buffer };
  }

  get capacity(): number {
    return this.w[H_CAP]!;
  }

  /** Entries in the table (expired ones not yet met included). */
  get count(): number {
    return Atomics.load(this.w, H_COUNT);
  }

  /** Entries programs inserted over the table's life. */
  get insertedByPrograms(): number {
    return Atomics.load(this.w, H_BY_PROG);
  }

  slotBase(slot: number): number {
    return this.entry0 + slot * CT_WORDS;
  }

  tupleAt(slot: number, dir: 0 | 1): CtTuple {
    const b = this.slotBase(slot) + E_TUPLE + dir * 10;
    const n = this.w[this.slotBase(slot) + E_FAMILY] === 6 ? 16 : 4;
    return { src: this.u8.slice(b * 4, b * 4 + n), dst: this.u8.slice((b + 4) * 4, (b + 4) * 4 + n), sport: this.w[b + 8]!, dport: this.w[b + 9]! };
  }

  // ---- the lock (0 free, 1 held, 2 held with waiters) ----
  private lock(): void {
    const w = this.w;
    let c = Atomics.compareExchange(w, H_LOCK, 0, 1);
    if (c === 0) return;
    for (let spin = 0; spin < 100 && c !== 0; spin++) {
      c = Atomics.compareExchange(w, H_LOCK, 0, 1);
      if (c === 0) return;
    }
    if (c !== 2) c = Atomics.exchange(w, H_LOCK, 2);
    while (c !== 0) {
      Atomics.wait(w, H_LOCK, 2, 5);
      c = Atomics.exchange(w, H_LOCK, 2);
    }
  }

  private unlock(): void {
    if (Atomics.sub(this.w, H_LOCK, 1) !== 1) {
      Atomics.store(this.w, H_LOCK, 0);
      Atomics.notify(this.w, H_LOCK, 1);
    }
  }

  /** Packs (zone, family, proto, tuple) into the scratch key; returns the bucket. */
  private pack(zone: number, family: number, proto: number, t: CtTuple): number {
    const k = this.key;
    k.fill(0);
    this.keyBytes.set(t.src, 0);
    this.keyBytes.set(t.dst, 16);
    k[8] = t.sport;
    k[9] = t.dport;
    return this.bucketOf(k, zone, family, proto);
  }

  /** Does link `ln` name the packed key's tuple? */
  private matches(ln: number, zone: number, family: number, proto: number): boolean {
    const w = this.w;
    const slot = (ln - 1) >> 1;
    const b = this.slotBase(slot);
    if (w[b + E_ZONE] !== zone || w[b + E_FAMILY] !== family || w[b + E_PROTO] !== proto) return false;
    const t = b + E_TUPLE + ((ln - 1) & 1) * 10;
    const k = this.key;
    for (let i = 0; i < 10; i++) if (w[t + i] !== k[i]) return false;
    return true;
  }

  private expired(slot: number, nowMs: number): boolean {
    return this.f64[(this.slotBase(slot) + E_EXPIRY) >> 1]! <= nowMs;
  }

  /** The link in the packed key's bucket chain, unlinking expired entries met on the way (lock held). */
  private search(bucket: number, zone: number, family: number, proto: number, nowMs: number): number {
    const w = this.w;
    let ln = w[HEADER + bucket]!;
    while (ln !== 0) {
      const slot = (ln - 1) >> 1;
      const next = w[this.slotBase(slot) + E_NEXT + ((ln - 1) & 1)]!;
      if (this.matches(ln, zone, family, proto)) {
        if (!this.expired(slot, nowMs)) return ln;
        this.unlink(slot);
        // the chain changed (both links of the entry may have been in it): start over
        ln = w[HEADER + bucket]!;
        continue;
      }
      ln = next;
    }
    return 0;
  }

  /** Removes the entry from both chains and drops the table's reference (lock held). */
  private unlink(slot: number): void {
    const w = this.w;
    const b = this.slotBase(slot);
    for (let dir = 0; dir < 2; dir++) {
      const mine = slot * 2 + dir + 1;
      const t = b + E_TUPLE + dir * 10;
      // the bucket of this direction's tuple
      for (let i = 0; i < 10; i++) this.key2[i] = w[t + i]!;
      const bucket = this.bucketOf(this.key2, w[b + E_ZONE]!, w[b + E_FAMILY]!, w[b + E_PROTO]!);
      let at = HEADER + bucket;
      while (w[at] !== 0 && w[at] !== mine) {
        const ln = w[at]!;
        at = this.slotBase((ln - 1) >> 1) + E_NEXT + ((ln - 1) & 1);
      }
      if (w[at] === mine) w[at] = w[b + E_NEXT + dir]!;
    }
    Atomics.and(w, b + E_FLAGS, ~F_IN_TABLE);
    w[H_COUNT]!--;
    if (Atomics.sub(w, b + E_REFS, 1) === 1) this.free(slot);
  }

  /** The bucket of a packed key (10 words: src, dst, sport, dport). */
  private bucketOf(k: Int32Array, zone: number, family: number, proto: number): number {
    let h = Math.imul(zone ^ (family << 16) ^ (proto << 24), 0x9e3779b1);
    for (let i = 0; i < 10; i++) {
      h = Math.imul(h ^ k[i]!, 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & (this.buckets - 1);
  }

  private free(slot: number): void {
    const w = this.w;
    w[this.slotBase(slot) + E_NEXT] = w[H_FREE]!;
    w[H_FREE] = slot + 1;
  }

  private allocSlot(): number {
    const w = this.w;
    const f = w[H_FREE]!;
    if (f !== 0) {
      w[H_FREE] = w[this.slotBase(f - 1) + E_NEXT]!;
      return f - 1;
    }
    const n = w[H_NEXT]!;
    if (n >= w[H_CAP]!) return -1;
    w[H_NEXT] = n + 1;
    return n;
  }

  /**
   * nf_conntrack_find_get: the live entry whose original or reply tuple this is, with the direction.
   * `hold`: the caller takes a reference (release it with release()).
   */
  find(zone: number, family: number, proto: number, t: CtTuple, nowMs = 0, hold = false): { entry: SharedCtEntry; dir: 0 | 1 } | undefined {
    this.lock();
    try {
      const ln = this.search(this.pack(zone, family, proto, t), zone, family, proto, nowMs);
      if (ln === 0) return undefined;
      const slot = (ln - 1) >> 1;
      if (hold) Atomics.add(this.w, this.slotBase(slot) + E_REFS, 1);
      return { entry: new SharedCtEntry(this, slot), dir: ((ln - 1) & 1) as 0 | 1 };
    } finally {
      this.unlock();
    }
  }

  /** Is there room for one more entry (nf_conntrack_max at allocation)? */
  full(): boolean {
    return this.count >= this.capacity;
  }

  /**
   * nf_conntrack_hash_check_insert: puts an allocated entry in the table (confirmed; its relative
   * timeout becomes an expiry at `nowMs`) and returns it, held by the caller when `hold`; null (EEXIST)
   * when either direction is taken by a live entry, or when the table is full.
   */
  insert(e: CtEntry, nowMs: number, byProgram: boolean, hold = true): SharedCtEntry | null {
    const w = this.w;
    this.lock();
    try {
      const b0 = this.pack(e.zone, e.family, e.proto, e.orig);
      if (this.search(b0, e.zone, e.family, e.proto, nowMs) !== 0) return null;
      const b1 = this.pack(e.zone, e.family, e.proto, e.reply);
      if (this.search(b1, e.zone, e.family, e.proto, nowMs) !== 0) return null;
      const slot = this.allocSlot();
      if (slot < 0) return null;
      const b = this.slotBase(slot);
      w.fill(0, b, b + CT_WORDS);
      w[b + E_FAMILY] = e.family;
      w[b + E_PROTO] = e.proto;
      w[b + E_ZONE] = e.zone;
      for (const [dir, t] of [[0, e.orig], [1, e.reply]] as const) {
        const at = (b + E_TUPLE + dir * 10) * 4;
        this.u8.set(t.src, at);
        this.u8.set(t.dst, at + 16);
        w[b + E_TUPLE + dir * 10 + 8] = t.sport;
        w[b + E_TUPLE + dir * 10 + 9] = t.dport;
      }
      w[b + E_STATUS] = e.status | IPS.CONFIRMED;
      this.f64[(b + E_EXPIRY) >> 1] = nowMs + e.timeoutMs;
      w[b + E_SEQ] = w[H_SEQ]!++;
      w[b + E_REFS] = hold ? 2 : 1;
      w[b + E_FLAGS] = F_IN_TABLE | (byProgram ? F_BY_PROGRAM : 0);
      // link both directions at the heads of their chains (b1 is the packed reply key's bucket)
      w[b + E_NEXT + 1] = w[HEADER + b1]!;
      w[HEADER + b1] = slot * 2 + 2;
      w[b + E_NEXT] = w[HEADER + b0]!;
      w[HEADER + b0] = slot * 2 + 1;
      w[H_COUNT]!++;
      if (byProgram) w[H_BY_PROG]!++;
      return new SharedCtEntry(this, slot);
    } finally {
      this.unlock();
    }
  }

  /** Drops a reference a program held (bpf_ct_release); the last one frees a removed entry's slot. */
  release(e: SharedCtEntry): void {
    if (Atomics.sub(this.w, this.slotBase(e.slot) + E_REFS, 1) !== 1) return;
    this.lock();
    try {
      this.free(e.slot);
    } finally {
      this.unlock();
    }
  }

  /** The live entries (expiry after `nowMs`), in insertion order. */
  get entries(): SharedCtEntry[] {
    return this.live(-Infinity);
  }

  private live(nowMs: number): SharedCtEntry[] {
    const out: { seq: number; e: SharedCtEntry }[] = [];
    this.lock();
    try {
      const used = this.w[H_NEXT]!;
      for (let s = 0; s < used; s++) {
        const b = this.slotBase(s);
        if (this.w[b + E_FLAGS]! & F_IN_TABLE && !this.expired(s, nowMs)) out.push({ seq: this.w[b + E_SEQ]!, e: new SharedCtEntry(this, s) });
      }
    } finally {
      this.unlock();
    }
    return out.sort((a, b) => a.seq - b.seq).map((x) => x.e);
  }

  /**
   * What a run reports: the entries still alive at `nowMs` (default: every entry), sorted by tuple
   * (zone, protocol, original addresses and ports), so the report does not depend on which core
   * inserted first.
   */
  dump(nowMs = -Infinity): CtDumpEntry[] {
    const rows = this.live(nowMs).map((e) => {
      const o = e.orig;
      return {
        row: {
          proto: e.proto === IPPROTO_TCP ? 'tcp' : e.proto === IPPROTO_UDP ? 'udp' : e.proto,
          src: addrText(o.src),
          dst: addrText(o.dst),
          sport: o.sport,
          dport: o.dport,
          zone: e.zone,
          status: e.status,
          timeout_ms: e.timeoutMs,
          by_program: (this.w[this.slotBase(e.slot) + E_FLAGS]! & F_BY_PROGRAM) !== 0,
        },
        key: [e.zone, e.family, e.proto, ...o.src, ...o.dst, o.sport, o.dport],
      };
    });
    rows.sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return (a.key[i] ?? 0) - (b.key[i] ?? 0);
      return 0;
    });
    return rows.map((r) => r.row);
  }
}
