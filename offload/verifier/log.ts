// The verifier log. Two channels, both truncated like the kernel's when a state is popped off the
// exploration stack (below log level 2): `messages` holds the unconditional verbose lines (what the
// kernel prints at log_level 4, i.e. the error and its context), `lines` the text at the requested
// level (trace lines included from level 1).

export interface LogMark {
  messages: number;
  lines: number;
}

export class VerifierLog {
  readonly messages: string[] = [];
  readonly lines: string[] = [];

  constructor(readonly level: 0 | 1 | 2) {}

  /** verbose(): a message line (also part of the log text at level >= 1). */
  verbose(line: string): void {
    this.messages.push(line);
    if (this.level > 0) this.lines.push(line);
  }

  /** A trace line (level >= 1 only). */
  trace(line: string): void {
    if (this.level > 0) this.lines.push(line);
  }

  /** A level-2-only trace line. */
  trace2(line: string): void {
    if (this.level > 1) this.lines.push(line);
  }

  mark(): LogMark {
    return { messages: this.messages.length, lines: this.lines.length };
  }

  /** bpf_vlog_reset on pop (only below level 2, as the kernel does). */
  reset(m: LogMark): void {
    this.messages.length = m.messages;
    if (this.level < 2) this.lines.length = m.lines;
  }

  text(): string {
    return this.lines.length ? this.lines.join('\n') + '\n' : '';
  }
}
