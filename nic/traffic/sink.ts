// A buffered file writer for the capture writers: bytes are staged in one fixed buffer and written
// with fs.writeSync when it fills or on close. Every system error (ENOENT, EISDIR, EACCES, ENOSPC on
// /dev/full, ...) becomes a CaptureOutputError naming the path.
import * as fs from 'node:fs';
import { CaptureOutputError, sysReason } from './errors.ts';

const DEFAULT_BUFFER = 1 << 20;

export class ByteSink {
  readonly path: string;
  buf: Uint8Array;
  dv: DataView;
  /** Bytes staged in buf. */
  len = 0;
  private fd: number;
  private closed = false;
  /** Bytes handed to the file so far. */
  written = 0;

  constructor(path: string, bufferSize = DEFAULT_BUFFER) {
    this.path = path;
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (e) {
      throw new CaptureOutputError('capture-output', `cannot create output: ${sysReason(e)}`, path);
    }
    this.buf = new Uint8Array(Math.max(64, bufferSize));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Make room for `n` contiguous bytes at buf[len] (flushing, or growing for one big record). */
  reserve(n: number): void {
    if (this.closed) throw new Error(`internal: write to closed capture ${this.path}`);
    if (this.len + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.dv = new DataView(this.buf.buffer);
    }
  }

  flush(): void {
    let at = 0;
    while (at < this.len) {
      try {
        at += fs.writeSync(this.fd, this.buf, at, this.len - at);
      } catch (e) {
        this.abandon();
        throw new CaptureOutputError('capture-write', `cannot write output: ${sysReason(e)}`, this.path);
      }
    }
    this.written += this.len;
    this.len = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch (e) {
      throw new CaptureOutputError('capture-write', `cannot close output: ${sysReason(e)}`, this.path);
    }
  }

  private abandon(): void {
    this.closed = true;
    this.len = 0;
    try {
      fs.closeSync(this.fd);
    } catch {
      // the write error is the one to report
    }
  }
}
