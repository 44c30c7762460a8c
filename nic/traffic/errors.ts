// Typed diagnostics of the capture readers and writers. A bad capture file is an InputError located
// by byte offset and record number; an output that cannot be written is a CaptureOutputError naming
// the path and the system's reason. Neither ever escapes as a plain Error or a stack trace.
import { Exit, InputError, NicsimError } from '../../offload/errors.ts';

/** A bad or unreadable capture file (exit 3), located at `loc.offset` and, when known, `record`. */
export class CaptureError extends InputError {
  /** 1-based number of the packet record being read when the problem was found. */
  readonly record: number | undefined;
  constructor(code: string, reason: string, file: string, offset?: number, record?: number) {
    const where = record !== undefined ? `record ${record}: ${reason}` : reason;
    super(code, where, offset !== undefined ? { file, offset } : { file });
    this.record = record;
  }
}

/** An output capture that cannot be created or written (exit 3): names the path and the errno. */
export class CaptureOutputError extends NicsimError {
  readonly path: string;
  constructor(code: string, reason: string, path: string) {
    super(code, reason, { file: path }, Exit.badInput);
    this.path = path;
  }
}

/** A problem that did not stop reading (a truncated last record): frames before it were delivered. */
export interface CaptureWarning {
  code: string;
  message: string;
  offset: number;
  record: number;
}

/** The errno code of a Node system error, or undefined. */
export function errnoOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** "ENOENT: no such file or directory" style text without Node's "open '...'" suffix. */
export function sysReason(e: unknown): string {
  const code = errnoOf(e);
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^[A-Z0-9]+: ([^,]+)/.exec(msg);
  return code ? `${code}: ${m ? m[1] : msg}` : msg;
}
