// The verifier log. Two channels, both truncated like the kernel's when a state is popped off the
// exploration stack (below log level 2): `messages` holds the unconditional verbose lines (what the
// kernel prints at log_level 4, i.e. the error and its context), `lines` the text at the requested
// level (trace lines included from level 1).

export interface LogMark {
  messages: number;
  lines: number;
  /** Length of the last line when the mark was taken. */
  lastLen: number;
}

export class VerifierLog {
  readonly messages: string[] = [];
  readonly lines: string[] = [];

  /** The last line was printed without its newline: the next text continues it. */
  private open = false;

  constructor(readonly level: 0 | 1 | 2) {}

  private push(line: string): void {
    if (this.open && this.lines.length) this.lines[this.lines.length - 1] += line;
    else this.lines.push(line);
    this.open = false;
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
    return { messages: this.messages.length, lines: this.lines.length, lastLen: this.lines.length ? this.lines[this.lines.length - 1]!.length : 0 };
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
    this.lines.length = m.lines;
    const last = this.lines.length - 1;
    if (last >= 0 && this.lines[last]!.length > m.lastLen) {
      this.lines[last] = this.lines[last]!.slice(0, m.lastLen + 1);
      this.open = true;
    }
  }

  /** do_check_common at level 1: a program that verifies leaves no trace, only the statistics. */
  clearTrace(): void {
    if (this.level === 1) this.lines.length = 0;
    this.open = false;
  }

  text(): string {
    return this.lines.length ? this.lines.join('\n') + '\n' : '';
  }
}
