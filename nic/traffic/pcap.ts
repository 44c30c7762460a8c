// The classic libpcap format (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/): a 24-byte
// file header (magic a1b2c3d4 = microseconds or a1b23c4d = nanoseconds, in the writer's byte order;
// version 2.4; snaplen; link type with the FCS bits in the top nibble) followed by records of
// 16-byte headers (seconds, fraction, captured length, original length) and the captured bytes.
// PcapReader streams records from a ChunkSource; PcapWriter streams them to a ByteSink.
import { CaptureError, type CaptureWarning } from './errors.ts';
import {
  type CaptureReader,
  CursorFrame,
  type FrameInput,
  type InterfaceInfo,
  pcapClock,
} from './frame.ts';
import { ByteSink } from './sink.ts';
import { ChunkedReader } from './reader-base.ts';
import { ChunkSource, type SourceOptions } from './source.ts';
import { CaptureOutputError } from './errors.ts';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Wireshark's limit for one packet (WTAP_MAX_PACKET_SIZE_STANDARD); larger records are refused. */
export const MAX_PACKET_LEN = 262144;
export const LINKTYPE_ETHERNET = 1;

export interface ReaderOptions extends SourceOptions {
  /** Largest captured length accepted in one record (default MAX_PACKET_LEN). */
  maxPacket?: number;
}

/** True when the first four bytes are a pcap magic in either byte order. */
export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const dv = new DataView(b.buffer, b.byteOffset, 4);
  const be = dv.getUint32(0, false);
  const le = dv.getUint32(0, true);
  return be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
}

export class PcapReader extends ChunkedReader implements CaptureReader {
  readonly format = 'pcap' as const;
  readonly file: string;
  readonly interfaces: InterfaceInfo[];
  readonly warnings: CaptureWarning[] = [];
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  private readonly frame = new CursorFrame();
  private readonly maxPacket: number;
  private count = 0;

  /** Opens `path` (or `-` for stdin, or an opened source) and reads the file header; throws CaptureError on a bad one. */
  constructor(path: string | ChunkSource, opts: ReaderOptions = {}) {
    super(typeof path === 'string' ? new ChunkSource(path, opts) : path);
    this.file = this.src.file;
    // A record must fit the buffer: header and data.
    this.maxPacket = Math.min(opts.maxPacket ?? MAX_PACKET_LEN, this.src.maxBuffer - PCAP_RECORD_HEADER_LEN);
    try {
      const s = this.src;
      if (!s.need(PCAP_HEADER_LEN)) {
        throw new CaptureError('pcap-truncated-header', `file is ${s.avail()} bytes, shorter than the 24-byte pcap header`, this.file, 0);
      }
      const dv = s.dv;
      const be = dv.getUint32(0, false);
      let le: boolean;
      if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) le = false;
      else if (dv.getUint32(0, true) === PCAP_MAGIC_US || dv.getUint32(0, true) === PCAP_MAGIC_NS) le = true;
      else throw new CaptureError('pcap-bad-magic', `not a pcap file (magic 0x${be.toString(16).padStart(8, '0')})`, this.file, 0);
      this.littleEndian = le;
      this.nanosecond = dv.getUint32(0, le) === PCAP_MAGIC_NS;
      this.versionMajor = dv.getUint16(4, le);
      this.versionMinor = dv.getUint16(6, le);
      if (this.versionMajor !== 2) {
        throw new CaptureError('pcap-bad-version', `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (expected 2.x)`, this.file, 4);
      }
      const snaplen = dv.getUint32(16, le);
      const network = dv.getUint32(20, le);
      const fcs = (network >>> 28) & 1 ? ((network >>> 29) & 7) * 2 : undefined;
      const info: InterfaceInfo = {
        id: 0,
        section: 0,
        localId: 0,
        linktype: network & 0x0fffffff,
        snaplen,
        unitsPerSecond: this.nanosecond ? 1_000_000_000n : 1_000_000n,
        tsOffsetSec: 0n,
      };
      if (fcs !== undefined) info.fcsLen = fcs;
      this.interfaces = [info];
      this.frame.clock = pcapClock(this.nanosecond);
      s.pos = PCAP_HEADER_LEN;
    } catch (e) {
      this.src.close();
      throw e;
    }
  }

  /** The link type of the file (LINKTYPE_*). */
  get linktype(): number {
    return this.interfaces[0]!.linktype;
  }

  get snaplen(): number {
    return this.interfaces[0]!.snaplen;
  }

  next(): CursorFrame | null {
    if (this.done) return null;
    const s = this.src;
    // Fast path inline: both checks are plain comparisons while the record is in the buffer.
    if (s.end - s.pos < PCAP_RECORD_HEADER_LEN && !s.need(PCAP_RECORD_HEADER_LEN)) {
      if (s.avail() > 0) this.truncated(s.offset(), `record header cut short (${s.avail()} of 16 bytes)`);
      return this.finish();
    }
    const le = this.littleEndian;
    let dv = s.dv;
    let p = s.pos;
    const cap = dv.getUint32(p + 8, le);
    if (cap > this.maxPacket) {
      const at = s.offset();
      this.finish();
      throw new CaptureError('pcap-record-too-large', `captured length ${cap} is larger than the maximum ${this.maxPacket}`, this.file, at + 8, this.count + 1);
    }
    const total = PCAP_RECORD_HEADER_LEN + cap;
    if (s.end - p < total) {
      if (!s.need(total)) {
        this.truncated(s.offset(), `packet data cut short (${s.avail() - PCAP_RECORD_HEADER_LEN} of ${cap} bytes)`);
        return this.finish();
      }
      dv = s.dv;
      p = s.pos;
    }
    const f = this.frame;
    f.tsHi = dv.getUint32(p, le);
    f.tsLo = dv.getUint32(p + 4, le);
    f.wireLen = dv.getUint32(p + 12, le);
    f.set(s.buf, p + PCAP_RECORD_HEADER_LEN, cap, s.scratch);
    s.pos = p + total;
    f.index = ++this.count;
    return f;
  }

  private truncated(at: number, what: string): void {
    const record = this.count + 1;
    this.warnings.push({ code: 'pcap-truncated-record', message: `${this.file}: offset 0x${at.toString(16)}: record ${record}: ${what}; the file ends there`, offset: at, record });
  }

}

export interface PcapWriterOptions {
  /** LINKTYPE_* (default 1, Ethernet). */
  linktype?: number;
  /** Written into the header and used to cut longer frames (default 262144). */
  snaplen?: number;
  /** Nanosecond magic a1b23c4d (default true); false writes microseconds (truncating). */
  nanosecond?: boolean;
  /** Byte order (default little-endian). */
  littleEndian?: boolean;
  bufferSize?: number;
}

export class PcapWriter {
  readonly path: string;
  private readonly sink: ByteSink;
  private readonly le: boolean;
  private readonly nano: boolean;
  private readonly snaplen: number;
  private sec = 0;
  private secStart = -(10n ** 30n); // matches no timestamp: the first write takes the slow path
  count = 0;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    this.path = path;
    this.le = opts.littleEndian ?? true;
    this.nano = opts.nanosecond ?? true;
    this.snaplen = opts.snaplen ?? MAX_PACKET_LEN;
    this.sink = new ByteSink(path, opts.bufferSize);
    const s = this.sink;
    s.reserve(PCAP_HEADER_LEN);
    const dv = s.dv;
    dv.setUint32(0, this.nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, this.le);
    dv.setUint16(4, 2, this.le);
    dv.setUint16(6, 4, this.le);
    dv.setInt32(8, 0, this.le);
    dv.setUint32(12, 0, this.le);
    dv.setUint32(16, this.snaplen, this.le);
    dv.setUint32(20, opts.linktype ?? LINKTYPE_ETHERNET, this.le);
    s.len = PCAP_HEADER_LEN;
  }

  write(f: FrameInput): void {
    const cap = Math.min(f.data.length, this.snaplen || f.data.length);
    const wire = f.wireLen ?? f.data.length;
    const ts = f.tsNs;
    // Frames of one second share `secStart`: one bigint subtraction instead of a division and a modulo.
    let d = ts - this.secStart;
    if (d < 0n || d >= 1_000_000_000n) {
      if (ts < 0n || ts >= 4294967296n * 1_000_000_000n) {
        throw new CaptureOutputError('capture-timestamp', `timestamp ${ts} ns does not fit a pcap record (0 to 2^32 s)`, this.path);
      }
      this.sec = Number(ts / 1_000_000_000n);
      this.secStart = BigInt(this.sec) * 1_000_000_000n;
      d = ts - this.secStart;
    }
    const sec = this.sec;
    const ns = Number(d);
    const s = this.sink;
    s.reserve(PCAP_RECORD_HEADER_LEN + cap);
    const dv = s.dv;
    const p = s.len;
    dv.setUint32(p, sec, this.le);
    dv.setUint32(p + 4, this.nano ? ns : Math.floor(ns / 1000), this.le);
    dv.setUint32(p + 8, cap, this.le);
    dv.setUint32(p + 12, Math.max(wire, cap), this.le);
    s.buf.set(cap === f.data.length ? f.data : f.data.subarray(0, cap), p + PCAP_RECORD_HEADER_LEN);
    s.len = p + PCAP_RECORD_HEADER_LEN + cap;
    this.count++;
  }

  close(): void {
    this.sink.close();
  }
}
