// Control flow of a decoded program: successors of each pc, and the subprograms (the main program
// at pc 0 plus every target of a bpf-to-bpf call), as the kernel's check_subprogs/check_cfg see them.
import { type Insn, jumpTarget, type Slot } from '../isa/index.ts';

/** Successor pcs of the instruction at `pc` within its function (calls fall through; exit has none). */
export function successors(insn: Insn, pc: number): number[] {
  switch (insn.kind) {
    case 'exit':
      return [];
    case 'ja':
    case 'gotol':
      return [jumpTarget(insn, pc)];
    case 'jcond':
    case 'may_goto':
      return [pc + 1, jumpTarget(insn, pc)];
    case 'lddw':
      return [pc + 2];
    default:
      return [pc + 1];
  }
}

export interface Subprog {
  /** First pc. */
  start: number;
  /** One past the last pc. */
  end: number;
}

/** Subprogram boundaries: pc 0 and every bpf-to-bpf call target, sorted. */
export function subprograms(slots: readonly Slot[]): Subprog[] {
  const starts = new Set<number>([0]);
  slots.forEach((insn, pc) => {
    if (insn?.kind === 'call' && insn.callee === 'local') starts.add(jumpTarget(insn, pc));
    if (insn?.kind === 'lddw' && insn.pseudo === 4) starts.add(pc + insn.imm + 1);
  });
  const sorted = [...starts].filter((s) => s >= 0 && s < slots.length).sort((a, b) => a - b);
  return sorted.map((start, i) => ({ start, end: sorted[i + 1] ?? slots.length }));
}
