// Paths through the program around the instructions the device cannot run, for the `partial`
// verdict. A packet runs on the device until it reaches an unsupported instruction; there the device
// punts it to the host copy of the program. So:
//   punt pcs   = the unsupported instructions that some path from the entry reaches without passing
//                an earlier unsupported instruction (the first unsupported instruction on each path);
//   device pcs = the instructions reachable from the entry without passing any unsupported one
//                (what the device must hold; each punt pc becomes an exit);
//   cleanExit  = some path from the entry reaches an EXIT of the main program without meeting an
//                unsupported instruction (otherwise every packet is punted: verdict `host`).
// Paths follow bpf-to-bpf calls into the callee and continue after the call only if the callee can
// return without meeting an unsupported instruction. Only instructions the safety verifier reaches
// count, and its pruned branches are not followed.
import { successors } from '../cfg/cfg.ts';
import { jumpTarget } from '../isa/index.ts';
import type { RuleContext } from './context.ts';

export interface PathAnalysis {
  punts: number[];
  device: number[];
  cleanExit: boolean;
}

export function analysePaths(ctx: RuleContext, blocked: ReadonlySet<number>): PathAnalysis {
  const reach = (pc: number) => ctx.facts.reachable(pc);
  const returns = new Map<number, boolean>();

  /** The subprogram starting at `start` can return without meeting a blocked instruction. */
  const canReturn = (start: number): boolean => {
    const known = returns.get(start);
    if (known !== undefined) return known;
    returns.set(start, false); // recursion guard (the safety verifier refuses recursive calls)
    const seen = new Set<number>();
    const work = [start];
    let ok = false;
    while (work.length && !ok) {
      const pc = work.pop()!;
      if (seen.has(pc) || !reach(pc) || blocked.has(pc)) continue;
      seen.add(pc);
      const insn = ctx.slots[pc]!;
      if (insn.kind === 'exit') {
        ok = true;
        break;
      }
      if (insn.kind === 'call' && insn.callee === 'local') {
        if (canReturn(jumpTarget(insn, pc))) work.push(pc + 1);
        continue;
      }
      work.push(...successors(insn, pc));
    }
    returns.set(start, ok);
    return ok;
  };

  const punts = new Set<number>();
  const device = new Set<number>();
  let cleanExit = false;
  const work = [0];
  while (work.length) {
    const pc = work.pop()!;
    if (device.has(pc) || punts.has(pc) || !reach(pc)) continue;
    if (blocked.has(pc)) {
      punts.add(pc);
      continue;
    }
    device.add(pc);
    const insn = ctx.slots[pc]!;
    if (insn.kind === 'exit') {
      if (ctx.funcOf(pc) === 0) cleanExit = true;
      continue;
    }
    if (insn.kind === 'call' && insn.callee === 'local') {
      const callee = jumpTarget(insn, pc);
      work.push(callee);
      if (canReturn(callee)) work.push(pc + 1);
      continue;
    }
    work.push(...successors(insn, pc));
  }
  const asc = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { punts: asc(punts), device: asc(device), cleanExit };
}
