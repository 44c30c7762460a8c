// A `perf annotate` for the NIC: modeled cycles per instruction, summed over every packet of a run,
// folded onto the C source lines of the program's line info (.BTF.ext), hottest first.
import { lineAt, type ProgramSpec } from '../../offload/elf/index.ts';
import type { HotLine } from './report.ts';

export interface HotInsn {
  pc: number;
  cycles_pct: number;
}

/**
 * Hot lines of one program from its per-pc cycle totals (`cycles[pc]`, any unit). Instructions
 * without line info are gathered under `<no line info>`. At most `limit` lines, hottest first; ties
 * in source order.
 */
export function hotLines(program: ProgramSpec, cycles: ArrayLike<number>, limit = 10): HotLine[] {
  let total = 0;
  const byLine = new Map<string, { file: string; line: number; text: string; cycles: number }>();
  for (let pc = 0; pc < cycles.length; pc++) {
    const c = cycles[pc]!;
    if (!c) continue;
    total += c;
    const l = lineAt(program.lineInfo, pc);
    const key = l ? `${l.file}:${l.line}` : '';
    const e = byLine.get(key);
    if (e) e.cycles += c;
    else byLine.set(key, l ? { file: l.file, line: l.line, text: l.text.trim(), cycles: c } : { file: '<no line info>', line: 0, text: '', cycles: c });
  }
  if (total === 0) return [];
  return [...byLine.values()]
    .sort((a, b) => b.cycles - a.cycles || a.file.localeCompare(b.file) || a.line - b.line)
    .slice(0, limit)
    .map((e) => ({ file: e.file, line: e.line, text: e.text, cycles_pct: (100 * e.cycles) / total }));
}

/** The hottest instructions (pc and share), for `--json`. */
export function hotInsns(cycles: ArrayLike<number>, limit = 10): HotInsn[] {
  let total = 0;
  const rows: HotInsn[] = [];
  for (let pc = 0; pc < cycles.length; pc++) {
    total += cycles[pc]!;
    if (cycles[pc]) rows.push({ pc, cycles_pct: cycles[pc]! });
  }
  if (total === 0) return [];
  return rows
    .sort((a, b) => b.cycles_pct - a.cycles_pct || a.pc - b.pc)
    .slice(0, limit)
    .map((r) => ({ pc: r.pc, cycles_pct: (100 * r.cycles_pct) / total }));
}
