// Diagnostics as data. Every error a user can cause carries a stable code, an exit status and a
// location (file, byte offset, section, pc, line:col), so that the CLI prints one located line and
// never a stack trace for bad input. Internal bugs are plain Errors and exit 4.

/** Process exit statuses shared by every command. */
export const Exit = {
  ok: 0,
  negative: 1, // a negative verdict: rejected, not offloadable
  usage: 2,
  badInput: 3,
  internal: 4,
} as const;
export type ExitCode = (typeof Exit)[keyof typeof Exit];

export interface Location {
  file?: string;
  /** Byte offset inside `file`. */
  offset?: number;
  section?: string;
  /** Instruction index (in 8-byte slots) inside the program or section. */
  pc?: number;
  line?: number;
  col?: number;
  /** Dotted key path inside a structured file (profiles). */
  path?: string;
}

export function formatLocation(loc: Location): string {
  const parts: string[] = [];
  let head = loc.file ?? '';
  if (loc.line !== undefined) head += loc.file ? `:${loc.line}` + (loc.col !== undefined ? `:${loc.col}` : '') : `line ${loc.line}`;
  if (head) parts.push(head);
  if (loc.section !== undefined) parts.push(`section ${loc.section}`);
  if (loc.offset !== undefined) parts.push(`offset 0x${loc.offset.toString(16)}`);
  if (loc.pc !== undefined) parts.push(`pc ${loc.pc}`);
  if (loc.path !== undefined) parts.push(loc.path);
  return parts.join(': ');
}

/** Base class of every expected (user-caused) error. */
export class NicsimError extends Error {
  readonly code: string;
  readonly loc: Location;
  readonly exit: ExitCode;
  /** The reason without the location prefix. */
  readonly reason: string;

  constructor(code: string, reason: string, loc: Location = {}, exit: ExitCode = Exit.badInput) {
    const where = formatLocation(loc);
    super(where ? `${where}: ${reason}` : reason);
    this.name = new.target.name;
    this.code = code;
    this.loc = loc;
    this.exit = exit;
    this.reason = reason;
  }

  /** The same error with more location filled in (outer layers know the file, inner ones the pc). */
  at(loc: Location): NicsimError {
    const merged = { ...loc, ...this.loc };
    const e = Object.create(Object.getPrototypeOf(this)) as NicsimError;
    const where = formatLocation(merged);
    Object.assign(e, this, { loc: merged, message: where ? `${where}: ${this.reason}` : this.reason });
    e.stack = this.stack;
    return e;
  }

  /** The lines the CLI prints on stderr (one; a ProfileError prints each diagnostic). */
  lines(): string[] {
    return [this.message];
  }

  toJSON(): { code: string; message: string; location: Location } {
    return { code: this.code, message: this.reason, location: this.loc };
  }
}

/** Bad input file or data (exit 3). */
export class InputError extends NicsimError {
  constructor(code: string, reason: string, loc: Location = {}) {
    super(code, reason, loc, Exit.badInput);
  }
}

/** Bad command line (exit 2). */
export class UsageError extends NicsimError {
  constructor(reason: string) {
    super('usage', reason, {}, Exit.usage);
  }
}

export function isNicsimError(e: unknown): e is NicsimError {
  return e instanceof NicsimError;
}
