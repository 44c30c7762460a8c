// Where a command's wall time goes (`test-run --timing`, or NICSIM_TIMING=1): milliseconds per phase
// since the process started, printed on stderr as `timing: PHASE MS ms` lines so that benchmarks can
// read them. The start-up phases come from performance marks: `nicsim:entry` (nic/nicsim.mjs starts
// running: everything before is Node's own start) and `nicsim:command` (main.ts has loaded the
// command's modules). Reading them needs no state of our own: the marks live in Node's timeline.
import type { CommandContext } from './command.ts';

export const ENTRY_MARK = 'nicsim:entry';
export const COMMAND_MARK = 'nicsim:command';

export interface Phase {
  name: string;
  ms: number;
}

export class PhaseTimer {
  readonly phases: Phase[] = [];
  private last: number;

  constructor(readonly enabled: boolean) {
    this.last = performance.now();
    if (!enabled) return;
    // the start-up, split where the marks are (a command run in-process, as the tests do, has none)
    const at = (name: string) => performance.getEntriesByName(name, 'mark').at(-1)?.startTime;
    const entry = at(ENTRY_MARK);
    const command = at(COMMAND_MARK);
    if (entry !== undefined && command !== undefined && command >= entry) {
      this.phases.push({ name: 'process start (node)', ms: entry });
      this.phases.push({ name: 'CLI modules', ms: command - entry });
      this.phases.push({ name: 'arguments', ms: this.last - command });
    }
  }

  /** Closes the phase that ran since the previous mark under `name`. */
  mark(name: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    this.phases.push({ name, ms: now - this.last });
    this.last = now;
  }

  /** Prints every phase and the total (time since the process started) on stderr. */
  report(ctx: CommandContext): void {
    if (!this.enabled) return;
    for (const p of this.phases) ctx.err(`timing: ${p.name} ${p.ms.toFixed(1)} ms`);
    ctx.err(`timing: total ${performance.now().toFixed(1)} ms`);
  }
}

/** On with the command's --timing flag or NICSIM_TIMING=1. */
export function timingWanted(ctx: CommandContext): boolean {
  return ctx.values.timing === true || process.env.NICSIM_TIMING === '1';
}
