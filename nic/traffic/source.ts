// A bounded, chunked byte source over a capture file (or stdin), read with fs.readSync on an fd.
// The readers ask for "n bytes at the cursor" (need), look at them in `buf` through `dv`, then move the
// cursor (pos += n). The buffer holds one chunk plus at most one partly read record; it grows only
// up to `maxBuffer`, so peak memory does not depend on the file's size.
import * as fs from 'node:fs';
import { kindOf } from '../../offload/input.ts';
import { CaptureError, errnoOf, sysReason } from './errors.ts';

export interface SourceOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Largest single record the buffer may grow to hold (default 16 MiB). */
  maxBuffer?: number;
  /** Most bytes accepted from stdin (`-`), default 4 GiB. */
  stdinCap?: number;
}

const DEFAULT_CHUNK = 1 << 20;
const DEFAULT_MAX_BUFFER = 16 << 20;
const DEFAULT_STDIN_CAP = 4 * 1024 * 1024 * 1024;

/** Bytes after the read buffer where a packet's `data` view is filled. */
export const SCRATCH_LEN = 16384;
/** Lengths up to this get a kept view (at most this many views per reader, about 1.6 MB). */
const MAX_CACHED_VIEW = SCRATCH_LEN;

/**
 * Packet views without allocation: the ArrayBuffer holding the read buffer has SCRATCH_LEN more bytes
 * after it; a packet is copied there with copyWithin (a memmove inside one buffer) and seen through a
 * view of its length, made once per distinct length and kept. So `data` of consecutive packets of one
 * length is the same Uint8Array object, refilled: valid until the reader's next call, as documented.
 */
export class Scratch {
  readonly whole: Uint8Array;
  readonly at: number;
  private readonly views: Array<Uint8Array | undefined> = [];
  constructor(buf: Uint8Array) {
    this.whole = new Uint8Array(buf.buffer);
    this.at = buf.byteOffset + buf.length;
  }
  /** A view holding whole[from, from + len). */
  view(from: number, len: number): Uint8Array {
    // Long packets (beyond the cached lengths) get their own view of the read buffer: no copy.
    if (len > MAX_CACHED_VIEW) return new Uint8Array(this.whole.buffer, from, len);
    let v = this.views[len];
    if (v === undefined) v = this.views[len] = new Uint8Array(this.whole.buffer, this.at, len);
    this.whole.copyWithin(this.at, from, from + len);
    return v;
  }
}

export class ChunkSource {
  /** The file name used in diagnostics (`-` is shown as `<stdin>`). */
  readonly file: string;
  buf: Uint8Array;
  dv: DataView;
  /** Cursor inside `buf`; valid bytes are buf[pos, end). */
  pos = 0;
  end = 0;
  /** File offset of buf[0]. */
  base = 0;
  eof = false;
  private fd: number;
  private readonly isStdin: boolean;
  private readonly ownsFd: boolean;
  /** The most bytes the buffer may grow to. */
  readonly maxBuffer: number;
  private readonly stdinCap: number;
  private total = 0;

  constructor(path: string, opts: SourceOptions = {}) {
    this.isStdin = path === '-';
    this.file = this.isStdin ? '<stdin>' : path;
    this.maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    this.stdinCap = opts.stdinCap ?? DEFAULT_STDIN_CAP;
    const chunk = Math.max(64, Math.min(opts.chunkSize ?? DEFAULT_CHUNK, this.maxBuffer));
    if (this.isStdin) {
      this.fd = 0;
      this.ownsFd = false;
    } else {
      // stat before open: opening a FIFO for reading would block until a writer appears.
      let st: fs.Stats;
      try {
        st = fs.statSync(path);
      } catch (e) {
        throw new CaptureError('capture-open', sysReason(e), path);
      }
      if (!st.isFile()) throw new CaptureError('capture-not-regular', `${kindOf(st)}, not a capture file (use - for stdin)`, path);
      try {
        this.fd = fs.openSync(path, 'r');
      } catch (e) {
        throw new CaptureError('capture-open', sysReason(e), path);
      }
      this.ownsFd = true;
      const st2 = fs.fstatSync(this.fd);
      if (!st2.isFile()) {
        this.close();
        throw new CaptureError('capture-not-regular', `${kindOf(st2)}, not a capture file`, path);
      }
    }
    this.buf = new Uint8Array(new ArrayBuffer(chunk + SCRATCH_LEN), 0, chunk);
    this.dv = new DataView(this.buf.buffer);
    this.scratch = new Scratch(this.buf);
  }

  /** The packet-view scratch area sharing the buffer's memory (see Scratch). */
  scratch: Scratch;

  /** File offset of the cursor. */
  offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available at the cursor without reading. */
  avail(): number {
    return this.end - this.pos;
  }

  /**
   * Make `n` bytes available at buf[pos]. Returns false when the file ends first (then `avail()` bytes
   * remain). `n` must not exceed `maxBuffer`.
   */
  need(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    return this.fill(n);
  }

  private fill(n: number): boolean {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (n > this.buf.length) {
      if (n > this.maxBuffer) throw new Error(`internal: ChunkSource.need(${n}) above maxBuffer`);
      const grown = new Uint8Array(new ArrayBuffer(Math.min(this.maxBuffer, Math.max(n, this.buf.length * 2)) + SCRATCH_LEN), 0, Math.min(this.maxBuffer, Math.max(n, this.buf.length * 2)));
      grown.set(this.buf.subarray(0, this.end));
      this.buf = grown;
      this.dv = new DataView(grown.buffer);
      this.scratch = new Scratch(grown);
    }
    while (this.end < n && !this.eof) {
      const got = this.read(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) this.eof = true;
      this.end += got;
    }
    return this.end - this.pos >= n;
  }

  /** Move the cursor `n` bytes forward, reading past the buffer as needed; false if the file ends first. */
  skip(n: number): boolean {
    while (n > 0) {
      const have = this.end - this.pos;
      if (have >= n) {
        this.pos += n;
        return true;
      }
      this.pos = this.end;
      n -= have;
      if (!this.need(Math.min(n, this.buf.length))) {
        this.pos = this.end;
        return false;
      }
    }
    return true;
  }

  private read(into: Uint8Array, at: number, len: number): number {
    for (;;) {
      try {
        const got = fs.readSync(this.fd, into, at, len, null);
        this.total += got;
        if (this.isStdin && this.total > this.stdinCap) {
          throw new CaptureError('capture-stdin-too-large', `stdin holds more than ${this.stdinCap} bytes (the cap)`, this.file);
        }
        return got;
      } catch (e) {
        if (e instanceof CaptureError) throw e;
        const code = errnoOf(e);
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
          continue;
        }
        if (code === 'EOF') return 0;
        throw new CaptureError('capture-read', sysReason(e), this.file, this.base + this.end);
      }
    }
  }

  close(): void {
    if (this.ownsFd && this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // already closed
      }
    }
    this.fd = -1;
  }
}
