// The verifier log. Two channels, both truncated like the kernel's when a state is popped off the
// exploration stack (below log level 2): `messages` holds the unconditional verbose lines (what the
// kernel prints at log_level 4, i.e. the error and its context), the kept lines the text at the requested
// level (trace lines included from level 1).
// Size cap (kernel/bpf/log.c): a log buffer of `sizeLimit` bytes in the kernel's default, rotating
// mode keeps the last sizeLimit - 1 bytes of the text (and a NUL); when the text ever needed more
// (len_max > len_total, counted at the longest the log grew, even if a rewind shortened it later) the
// load fails with ENOSPC (`truncated`). Only the kept window is held in memory.

export interface LogMark {
  messages: number;
  /** Lines printed so far (counting lines rotated out). */
  lines: number;
  /** Length of the last line when the mark was taken. */
  lastLen: number;
  /** Byte position of the end of the text. */
  end: number;
}

/** Bytes of a line in the text, with its newline. */
const bytesOf = (line: string) => Buffer.byteLength(line) + 1;

export class VerifierLog {
  readonly messages: string[] = [];
  /** The kept lines (the window), from `head` on; lines before `head` are rotated out. */
  private readonly kept: string[] = [];
  private head = 0;
  /** Lines rotated out before kept[head], and the byte position where kept[head] starts. */
  private dropped = 0;
  private firstPos = 0;
  /** Bytes of kept[head..] with their newlines. */
  private keptBytes = 0;
  /** The window starts here (start_pos); the longest the text ever was (len_max without the NUL). */
  private startPos = 0;
  private maxEnd = 0;

  /** The last line was printed without its newline: the next text continues it. */
  private open = false;

  /** `sizeLimit`: the log buffer's size in bytes (log_size); Infinity keeps everything. */
  constructor(
    readonly level: 0 | 1 | 2,
    readonly sizeLimit = Infinity,
  ) {}

  /** Lines printed so far (an index for lastLine / setLastLine). */
  get lineCount(): number {
    return this.dropped + this.kept.length - this.head;
  }

  /** The last line printed, if it is still in the window. */
  lastLine(): string | undefined {
    return this.kept.length > this.head ? this.kept[this.kept.length - 1] : undefined;
  }

  /** Rewrites the last line (the state column after an instruction). */
  setLastLine(line: string): void {
    if (this.kept.length <= this.head) return;
    const i = this.kept.length - 1;
    this.keptBytes += bytesOf(line) - bytesOf(this.kept[i]!);
    this.kept[i] = line;
    this.grew();
  }

  /** The text needed more than sizeLimit bytes (with its NUL): the kernel's ENOSPC. */
  get truncated(): boolean {
    return this.maxEnd + 1 > this.sizeLimit;
  }

  /** The buffer size the whole text would have needed (log_true_size: len_max). */
  get trueSize(): number {
    return this.maxEnd === 0 ? 0 : this.maxEnd + 1;
  }

  private get end(): number {
    return this.firstPos + this.keptBytes;
  }

  /** After text was added: move the window (bpf_vlog_emit in rotating mode) and drop what left it. */
  private grew(): void {
    const end = this.end;
    if (end > this.maxEnd) this.maxEnd = end;
    if (this.sizeLimit === Infinity) return;
    this.startPos = Math.max(this.startPos, end - (this.sizeLimit - 1));
    // keep the line the window starts in; drop whole lines before it
    while (this.kept.length - this.head > 1) {
      const b = bytesOf(this.kept[this.head]!);
      if (this.firstPos + b > this.startPos) break;
      this.firstPos += b;
      this.keptBytes -= b;
      this.head++;
      this.dropped++;
    }
    if (this.head > 4096 && this.head * 2 > this.kept.length) {
      this.kept.splice(0, this.head);
      this.head = 0;
    }
  }

  private push(line: string): void {
    if (this.open && this.kept.length > this.head) {
      const i = this.kept.length - 1;
      const joined = this.kept[i]! + line;
      this.keptBytes += bytesOf(joined) - bytesOf(this.kept[i]!);
      this.kept[i] = joined;
    } else {
      this.kept.push(line);
      this.keptBytes += bytesOf(line);
    }
    this.open = false;
    this.grew();
  }

  /** Forgets the lines after the first `n` (absolute count) still in the window. */
  private truncateTo(n: number): void {
    const keep = this.head + Math.max(0, n - this.dropped);
    for (let i = this.kept.length - 1; i >= keep; i--) this.keptBytes -= bytesOf(this.kept[i]!);
    this.kept.length = Math.max(keep, this.head);
  }

  /**
   * verbose(): a message line (also part of the log text at level >= 1). `unterminated` copies a
   * kernel message that lacks its newline ("expected prog array map for tail call").
   */
  verbose(line: string, unterminated = false): void {
    this.messages.push(line);
    if (this.level > 0) {
      this.push(line);
      this.open = unterminated;
    }
  }

  /** A trace line (level >= 1 only). */
  trace(line: string): void {
    if (this.level > 0) this.push(line);
  }

  /** A level-2-only trace line. */
  trace2(line: string): void {
    if (this.level > 1) this.push(line);
  }

  mark(): LogMark {
    const last = this.lastLine();
    return { messages: this.messages.length, lines: this.lineCount, lastLen: last !== undefined ? last.length : 0, end: this.end };
  }

  /**
   * bpf_vlog_reset on pop (only below level 2, as the kernel does). The kernel rewinds a byte
   * offset taken after the last line's newline; when a state was appended to that line since
   * (`insn ; state`), the rewound text keeps the line plus the first character that replaced the
   * newline (a space) and has no newline: the next line continues it.
   */
  reset(m: LogMark): void {
    this.messages.length = m.messages;
    this.open = false;
    if (this.level >= 2) return;
    if (m.lines < this.dropped || (m.lines === this.dropped && m.end < this.firstPos)) {
      // rewound to before the window: nothing of the kept text survives (start_pos = end_pos)
      this.truncateTo(this.dropped);
      this.dropped = m.lines;
      this.firstPos = m.end;
      this.keptBytes = 0;
      this.startPos = Math.min(this.startPos, m.end);
      return;
    }
    this.truncateTo(m.lines);
    const last = this.kept.length - 1;
    if (last >= this.head && this.kept[last]!.length > m.lastLen) {
      const cut = this.kept[last]!.slice(0, m.lastLen + 1);
      this.keptBytes += bytesOf(cut) - bytesOf(this.kept[last]!);
      this.kept[last] = cut;
      this.open = true;
    }
    if (this.end < this.startPos) this.startPos = this.end;
  }

  /** do_check_common at level 1: a program that verifies leaves no trace, only the statistics. */
  clearTrace(): void {
    if (this.level === 1) {
      // bpf_vlog_reset(log, 0): the text starts over (len_max keeps what it needed)
      this.kept.length = 0;
      this.head = this.dropped = this.firstPos = this.keptBytes = this.startPos = 0;
    }
    this.open = false;
  }

  text(): string {
    if (this.kept.length === this.head) return '';
    const whole = this.kept.slice(this.head).join('\n') + '\n';
    const skip = this.startPos - this.firstPos;
    return skip > 0 ? Buffer.from(whole).subarray(skip).toString('utf8') : whole;
  }
}
