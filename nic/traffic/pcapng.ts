// pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/): a sequence of blocks
// (type, total length, body, total length again), each section opened by a Section Header Block
// whose byte-order magic 1a2b3c4d sets the byte order of the section. Interface Description Blocks
// give link type, snap length and the clock (if_tsresol: 10^-n or 2^-n seconds, default 10^-6;
// if_tsoffset: seconds added). Packets come in Enhanced Packet Blocks (interface, 64-bit timestamp,
// lengths), Simple Packet Blocks (no timestamp, interface 0, cut at IDB 0's snap length) and the
// obsolete Packet Block; every other block (ISB, NRB, DSB, custom, ...) is skipped (a custom block
// still takes a record number, as in tshark's numbering). A new SHB starts a
// new set of interfaces; frames carry interface numbers counted across sections, as tshark does.
import { CaptureError, CaptureOutputError, type CaptureWarning } from './errors.ts';
import {
  type CaptureReader,
  type Clock,
  CursorFrame,
  type FrameInput,
  type InterfaceInfo,
  unitsClock,
} from './frame.ts';
import { LINKTYPE_ETHERNET, MAX_PACKET_LEN, type ReaderOptions } from './pcap.ts';
import { ByteSink } from './sink.ts';
import { ChunkedReader } from './reader-base.ts';
import { ChunkSource } from './source.ts';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
/** Custom blocks (copyable and not): Wireshark numbers them as records, so they take a record number. */
export const BT_CB_COPY = 0x00000bad;
export const BT_CB_NOCOPY = 0x40000bad;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Largest block held in memory; larger blocks of skipped types are streamed past. */
export const MAX_BLOCK_LEN = 16 << 20;

const pad4 = (n: number): number => (n + 3) & ~3;

interface Iface {
  info: InterfaceInfo;
  clock: Clock;
}

export class PcapngReader extends ChunkedReader implements CaptureReader {
  readonly format = 'pcapng' as const;
  readonly file: string;
  readonly interfaces: InterfaceInfo[] = [];
  readonly warnings: CaptureWarning[] = [];
  littleEndian = true;
  /** Sections (SHBs) seen so far. */
  sections = 0;
  private section: Iface[] = [];
  private readonly frame = new CursorFrame();
  private readonly maxPacket: number;
  /** Largest block held in the buffer (MAX_BLOCK_LEN unless the source's buffer is smaller). */
  private readonly maxBlock: number;
  private count = 0;
  private blocks = 0;

  /** Opens `path` (or `-`) and reads the first Section Header Block. */
  constructor(path: string | ChunkSource, opts: ReaderOptions = {}) {
    super(typeof path === 'string' ? new ChunkSource(path, { ...opts, maxBuffer: Math.max(opts.maxBuffer ?? 0, MAX_BLOCK_LEN) }) : path);
    this.file = this.src.file;
    this.maxPacket = opts.maxPacket ?? MAX_PACKET_LEN;
    this.maxBlock = Math.min(MAX_BLOCK_LEN, this.src.maxBuffer);
    try {
      const s = this.src;
      if (!s.need(12)) throw this.err('pcapng-truncated-header', `file is ${s.avail()} bytes, shorter than a section header block`, 0);
      if (s.dv.getUint32(0, true) !== BT_SHB) throw this.err('pcapng-bad-magic', `not a pcapng file (first block type 0x${s.dv.getUint32(0, false).toString(16).padStart(8, '0')})`, 0);
      const len = this.blockLength(BT_SHB);
      if (len > this.maxBlock) throw this.err('pcapng-block-too-large', `section header block of ${len} bytes is larger than the ${this.maxBlock}-byte limit`, 4);
      if (!s.need(len)) throw this.err('pcapng-truncated-header', `section header block cut short (${s.avail()} of ${len} bytes)`, 0);
      this.checkTrailer(0, len, 0);
      this.onShb(len);
      s.pos += len;
      this.blocks = 1;
    } catch (e) {
      this.src.close();
      throw e;
    }
  }

  private err(code: string, reason: string, offset: number, withRecord = false): CaptureError {
    const block = `block ${this.blocks + 1}: `;
    return new CaptureError(code, block + reason, this.file, offset, withRecord ? this.count + 1 : undefined);
  }

  /** Reads and checks the total length of the block at the cursor (12 bytes available). */
  private blockLength(type: number): number {
    const s = this.src;
    const at = s.offset();
    if (type === BT_SHB) {
      const bomLe = s.dv.getUint32(s.pos + 8, true);
      if (bomLe === BYTE_ORDER_MAGIC) this.littleEndian = true;
      else if (s.dv.getUint32(s.pos + 8, false) === BYTE_ORDER_MAGIC) this.littleEndian = false;
      else throw this.err('pcapng-bad-byte-order', `section header byte-order magic 0x${bomLe.toString(16)} is not 1a2b3c4d`, at + 8);
    }
    const len = s.dv.getUint32(s.pos + 4, this.littleEndian);
    const min = type === BT_SHB ? 28 : 12;
    if (len < min || len % 4 !== 0) throw this.err('pcapng-bad-block-length', `block length ${len} (type 0x${type.toString(16)}) is not a multiple of 4 of at least ${min}`, at + 4, true);
    return len;
  }

  next(): CursorFrame | null {
    const s = this.src;
    while (!this.done) {
      const at = s.offset();
      if (!s.need(12)) {
        if (s.avail() > 0) this.truncated(at, `block header cut short (${s.avail()} bytes)`);
        return this.finish();
      }
      const le = this.littleEndian;
      // The SHB type is a palindrome, so it reads the same in both byte orders.
      const type = s.dv.getUint32(s.pos, le);
      if (type === BT_EPB) {
        // Fast path: a whole, well-formed EPB already in the buffer.
        const len = s.dv.getUint32(s.pos + 4, le);
        if (len >= 32 && (len & 3) === 0 && len <= s.end - s.pos && len <= this.maxBlock) {
          const p = s.pos;
          this.checkTrailer(at, len, p);
          const frame = this.onEpb(len, at, 8, 20, true);
          s.pos = p + len;
          this.blocks++;
          return frame;
        }
      }
      const len = this.blockLength(type);
      if (len > this.maxBlock) {
        if (type === BT_SHB || type === BT_IDB || type === BT_EPB || type === BT_SPB || type === BT_PB) {
          throw this.err('pcapng-block-too-large', `block of ${len} bytes (type 0x${type.toString(16)}) is larger than the ${this.maxBlock}-byte limit`, at + 4, true);
        }
        if (!s.skip(len - 4) || !s.need(4)) {
          this.truncated(at, `block of ${len} bytes cut short`);
          return this.finish();
        }
        this.checkTrailer(at, len, s.pos - (len - 4));
        s.pos += 4;
        this.blocks++;
        continue;
      }
      if (!s.need(len)) {
        this.truncated(at, `block of ${len} bytes (type 0x${type.toString(16)}) cut short at ${s.avail()}`);
        return this.finish();
      }
      const p = s.pos;
      this.checkTrailer(at, len, p);
      let frame: CursorFrame | null = null;
      switch (type) {
        case BT_SHB:
          this.onShb(len);
          break;
        case BT_IDB:
          this.onIdb(len, at);
          break;
        case BT_EPB:
          frame = this.onEpb(len, at, 8, 20, true);
          break;
        case BT_PB:
          frame = this.onEpb(len, at, 8, 20, false);
          break;
        case BT_SPB:
          frame = this.onSpb(len, at);
          break;
        case BT_CB_COPY:
        case BT_CB_NOCOPY:
          this.count++; // not a packet, but tshark gives it a frame number
          break;
        default:
          break; // ISB, NRB, DSB and unknown blocks carry no packets
      }
      s.pos = p + len;
      this.blocks++;
      if (frame !== null) return frame;
    }
    return null;
  }

  private checkTrailer(at: number, len: number, p: number): void {
    const trailer = this.src.dv.getUint32(p + len - 4, this.littleEndian);
    if (trailer !== len) throw this.err('pcapng-length-mismatch', `trailing block length ${trailer} differs from the leading ${len}`, at + len - 4, true);
  }

  private onShb(len: number): void {
    const s = this.src;
    const p = s.pos;
    const major = s.dv.getUint16(p + 12, this.littleEndian);
    const minor = s.dv.getUint16(p + 14, this.littleEndian);
    if (major !== 1) throw this.err('pcapng-bad-version', `unsupported pcapng version ${major}.${minor} (expected 1.x)`, s.offset() + 12);
    void len;
    this.section = [];
    this.sections++;
  }

  private onIdb(len: number, at: number): void {
    const s = this.src;
    const dv = s.dv;
    const p = s.pos;
    const le = this.littleEndian;
    if (len < 20) throw this.err('pcapng-bad-idb', `interface description block of ${len} bytes is shorter than 20`, at + 4);
    const linktype = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    let units = 1_000_000n;
    let offset = 0n;
    let name: string | undefined;
    let o = p + 16;
    const end = p + len - 4;
    while (o + 4 <= end) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + olen > end) throw this.err('pcapng-bad-option', `option ${code} of ${olen} bytes runs past the block`, s.offset() + (o - p));
      if (code === OPT_IF_TSRESOL) {
        if (olen < 1) throw this.err('pcapng-bad-option', 'if_tsresol option is empty', s.offset() + (o - p));
        const v = s.buf[o + 4]!;
        const exp = v & 0x7f;
        if ((v & 0x80 ? exp > 63 : exp > 19)) throw this.err('pcapng-bad-option', `if_tsresol ${v & 0x80 ? '2' : '10'}^-${exp} is finer than 64-bit timestamps can hold`, s.offset() + (o - p) + 4);
        units = v & 0x80 ? 1n << BigInt(exp) : 10n ** BigInt(exp);
      } else if (code === OPT_IF_TSOFFSET) {
        if (olen !== 8) throw this.err('pcapng-bad-option', `if_tsoffset option has ${olen} bytes, not 8`, s.offset() + (o - p));
        offset = dv.getBigInt64(o + 4, le);
      } else if (code === OPT_IF_NAME) {
        name = new TextDecoder('utf-8', { fatal: false }).decode(s.buf.subarray(o + 4, o + 4 + olen)).replace(/\0+$/, '');
      }
      o += 4 + pad4(olen);
    }
    const info: InterfaceInfo = {
      id: this.interfaces.length,
      section: this.sections - 1,
      localId: this.section.length,
      linktype,
      snaplen,
      unitsPerSecond: units,
      tsOffsetSec: offset,
    };
    if (name !== undefined) info.name = name;
    this.interfaces.push(info);
    this.section.push({ info, clock: unitsClock(units, offset) });
  }

  /** EPB (hasTs64) and obsolete PB: interface, timestamp, captured and original length at `fixed`. */
  private onEpb(len: number, at: number, fixed: number, fixedLen: number, epb: boolean): CursorFrame {
    const s = this.src;
    const dv = s.dv;
    const p = s.pos;
    const le = this.littleEndian;
    const what = epb ? 'enhanced packet block' : 'packet block';
    if (len < 12 + fixedLen) throw this.err('pcapng-bad-packet-block', `${what} of ${len} bytes is shorter than ${12 + fixedLen}`, at + 4, true);
    const ifId = epb ? dv.getUint32(p + fixed, le) : dv.getUint16(p + fixed, le);
    const cap = dv.getUint32(p + fixed + 12, le);
    const wire = dv.getUint32(p + fixed + 16, le);
    const dataAt = p + fixed + fixedLen;
    if (ifId >= this.section.length) throw this.err('pcapng-unknown-interface', `${what} names interface ${ifId}, but the section has ${this.section.length}`, at + fixed, true);
    if (cap > this.maxPacket) throw this.err('pcapng-packet-too-large', `captured length ${cap} is larger than the maximum ${this.maxPacket}`, at + fixed + 12, true);
    if (dataAt + pad4(cap) > p + len - 4) throw this.err('pcapng-bad-packet-block', `captured length ${cap} runs past the ${len}-byte block`, at + fixed + 12, true);
    const iface = this.section[ifId]!;
    const f = this.frame;
    f.clock = iface.clock;
    f.tsHi = dv.getUint32(p + fixed + 4, le);
    f.tsLo = dv.getUint32(p + fixed + 8, le);
    f.wireLen = wire;
    f.iface = iface.info.id;
    f.set(s.buf, dataAt, cap, s.scratch);
    f.index = ++this.count;
    return f;
  }

  private onSpb(len: number, at: number): CursorFrame {
    const s = this.src;
    const p = s.pos;
    if (this.section.length === 0) throw this.err('pcapng-unknown-interface', 'simple packet block before any interface description block', at, true);
    if (len < 16) throw this.err('pcapng-bad-packet-block', `simple packet block of ${len} bytes is shorter than 16`, at + 4, true);
    const wire = s.dv.getUint32(p + 8, this.littleEndian);
    const iface = this.section[0]!;
    const room = len - 16;
    let cap = Math.min(wire, room);
    if (iface.info.snaplen !== 0) cap = Math.min(cap, iface.info.snaplen);
    if (cap > this.maxPacket) throw this.err('pcapng-packet-too-large', `captured length ${cap} is larger than the maximum ${this.maxPacket}`, at + 8, true);
    const f = this.frame;
    f.clock = iface.clock;
    f.tsHi = 0;
    f.tsLo = 0;
    f.wireLen = wire;
    f.iface = iface.info.id;
    f.set(s.buf, p + 12, cap, s.scratch);
    f.index = ++this.count;
    return f;
  }

  private truncated(at: number, what: string): void {
    const record = this.count + 1;
    this.warnings.push({ code: 'pcapng-truncated-block', message: `${this.file}: offset 0x${at.toString(16)}: block ${this.blocks + 1}: ${what}; the file ends there`, offset: at, record });
  }

}

export interface PcapngWriterOptions {
  linktype?: number;
  /** IDB snap length (default 0 = none). */
  snaplen?: number;
  /** shb_userappl text (default "nicsim"). */
  application?: string;
  bufferSize?: number;
}

/** Writes one section: SHB, one IDB with if_tsresol = 9 (nanoseconds), then one EPB per frame. */
export class PcapngWriter {
  readonly path: string;
  private readonly sink: ByteSink;
  private readonly snaplen: number;
  count = 0;

  constructor(path: string, opts: PcapngWriterOptions = {}) {
    this.path = path;
    this.snaplen = opts.snaplen ?? 0;
    this.sink = new ByteSink(path, opts.bufferSize);
    const app = new TextEncoder().encode(opts.application ?? 'nicsim');
    const s = this.sink;
    // SHB: type, len, BOM, 1.0, section length -1, shb_userappl (4), opt_endofopt, len.
    const shbLen = 28 + 4 + pad4(app.length) + 4;
    s.reserve(shbLen + 32);
    let dv = s.dv;
    let p = 0;
    dv.setUint32(p, BT_SHB, true);
    dv.setUint32(p + 4, shbLen, true);
    dv.setUint32(p + 8, BYTE_ORDER_MAGIC, true);
    dv.setUint16(p + 12, 1, true);
    dv.setUint16(p + 14, 0, true);
    dv.setBigInt64(p + 16, -1n, true);
    dv.setUint16(p + 24, 4, true);
    dv.setUint16(p + 26, app.length, true);
    s.buf.fill(0, p + 28, p + 28 + pad4(app.length));
    s.buf.set(app, p + 28);
    p += 28 + pad4(app.length);
    dv.setUint32(p, 0, true); // opt_endofopt
    dv.setUint32(p + 4, shbLen, true);
    p += 8;
    // IDB: type, len, linktype, reserved, snaplen, if_tsresol=9, opt_endofopt, len.
    const idbLen = 32;
    dv = s.dv;
    dv.setUint32(p, BT_IDB, true);
    dv.setUint32(p + 4, idbLen, true);
    dv.setUint16(p + 8, opts.linktype ?? LINKTYPE_ETHERNET, true);
    dv.setUint16(p + 10, 0, true);
    dv.setUint32(p + 12, this.snaplen, true);
    dv.setUint16(p + 16, OPT_IF_TSRESOL, true);
    dv.setUint16(p + 18, 1, true);
    dv.setUint32(p + 20, 9, true); // the resolution byte and three bytes of padding
    dv.setUint32(p + 24, 0, true); // opt_endofopt
    dv.setUint32(p + 28, idbLen, true);
    s.len = p + idbLen;
  }

  write(f: FrameInput): void {
    const cap = this.snaplen ? Math.min(f.data.length, this.snaplen) : f.data.length;
    const wire = Math.max(f.wireLen ?? f.data.length, cap);
    const ts = f.tsNs;
    if (ts < 0n || ts >= 1n << 64n) throw new CaptureOutputError('capture-timestamp', `timestamp ${ts} ns does not fit a 64-bit pcapng timestamp`, this.path);
    const len = 32 + pad4(cap);
    const s = this.sink;
    s.reserve(len);
    const dv = s.dv;
    const p = s.len;
    dv.setUint32(p, BT_EPB, true);
    dv.setUint32(p + 4, len, true);
    dv.setUint32(p + 8, 0, true);
    // The 64-bit count goes out high word first: write it little-endian where the words land, then swap.
    dv.setBigUint64(p + 12, ts, true);
    const lo = dv.getUint32(p + 12, true);
    dv.setUint32(p + 12, dv.getUint32(p + 16, true), true);
    dv.setUint32(p + 16, lo, true);
    dv.setUint32(p + 20, cap, true);
    dv.setUint32(p + 24, wire, true);
    s.buf.set(cap === f.data.length ? f.data : f.data.subarray(0, cap), p + 28);
    s.buf.fill(0, p + 28 + cap, p + 28 + pad4(cap));
    dv.setUint32(p + len - 4, len, true);
    s.len = p + len;
    this.count++;
  }

  close(): void {
    this.sink.close();
  }
}
