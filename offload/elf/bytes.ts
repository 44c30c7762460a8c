// A bounds-checked little-endian view over part of a file. Every read checks its range first and
// reports a truncation as an InputError that names the file, the absolute byte offset and what was
// being read, so malformed input can never surface as a RangeError from DataView.

import { InputError } from '../errors.ts';

export interface ViewOrigin {
  /** File name for diagnostics. */
  file: string;
  /** Absolute file offset of byte 0 of this view. */
  base: number;
  /** Section the view covers, if any (diagnostics only). */
  section?: string;
  /** Error-code prefix: 'elf' or 'btf'. */
  domain: string;
}

export class ByteView {
  readonly bytes: Uint8Array;
  readonly origin: ViewOrigin;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array, origin: ViewOrigin) {
    this.bytes = bytes;
    this.origin = origin;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** An error located at `off` (relative to this view). */
  error(code: string, reason: string, off: number): InputError {
    const loc: { file: string; offset: number; section?: string } = {
      file: this.origin.file,
      offset: this.origin.base + off,
    };
    if (this.origin.section !== undefined) loc.section = this.origin.section;
    return new InputError(`${this.origin.domain}.${code}`, reason, loc);
  }

  /** Throws `<domain>.truncated` unless [off, off+len) lies inside the view. */
  need(off: number, len: number, what: string): void {
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > this.length) {
      const have = Math.max(0, this.length - Math.max(0, Math.min(off, this.length)));
      throw this.error(
        'truncated',
        `truncated ${what}: needs ${len} byte(s) at offset 0x${Math.max(0, off).toString(16)}, ` +
          `only ${have} available`,
        Math.max(0, Math.min(off, this.length)),
      );
    }
  }

  u8(off: number, what = 'byte'): number {
    this.need(off, 1, what);
    return this.dv.getUint8(off);
  }

  u16(off: number, what = 'u16'): number {
    this.need(off, 2, what);
    return this.dv.getUint16(off, true);
  }

  u32(off: number, what = 'u32'): number {
    this.need(off, 4, what);
    return this.dv.getUint32(off, true);
  }

  i32(off: number, what = 'i32'): number {
    this.need(off, 4, what);
    return this.dv.getInt32(off, true);
  }

  /**
   * An unsigned 64-bit field as a number. ELF offsets, sizes and symbol values never need more than
   * 53 bits in a sane file; larger values are reported as bad input rather than rounded.
   */
  u64(off: number, what = 'u64'): number {
    this.need(off, 8, what);
    const lo = this.dv.getUint32(off, true);
    const hi = this.dv.getUint32(off + 4, true);
    if (hi > 0x1fffff) throw this.error('bad_value', `${what} 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')} is too large`, off);
    return hi * 0x1_0000_0000 + lo;
  }

  /** A sub-view of [off, off+len), keeping absolute offsets for diagnostics. */
  slice(off: number, len: number, what: string, section?: string): ByteView {
    this.need(off, len, what);
    const origin: ViewOrigin = { ...this.origin, base: this.origin.base + off };
    if (section !== undefined) origin.section = section;
    return new ByteView(this.bytes.subarray(off, off + len), origin);
  }

  /** A NUL-terminated string starting at `off`; missing terminator is bad input. */
  cstring(off: number, what = 'string'): string {
    if (!Number.isSafeInteger(off) || off < 0 || off >= this.length) {
      throw this.error('bad_string', `${what} offset 0x${off.toString(16)} is outside its string table (size ${this.length})`, Math.max(0, Math.min(off, this.length)));
    }
    const end = this.bytes.indexOf(0, off);
    if (end < 0) throw this.error('bad_string', `${what} at offset 0x${off.toString(16)} is not NUL-terminated`, off);
    return utf8.decode(this.bytes.subarray(off, end));
  }
}

const utf8 = new TextDecoder('utf-8');

/** Decode bytes as UTF-8 text (names and source lines). */
export function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
