// Loop convergence helpers: find the previous visit of a loop head on the current path
// (find_prev_entry) and forget imprecise scalars that changed between iterations
// (widen_imprecise_scalars), as may_goto loops and callbacks do.
import { markUnknown } from '../domain/bounds.ts';
import { type Reg, T } from '../domain/reg.ts';
import { Slot } from '../state/stack.ts';
import type { VState } from '../state/state.ts';
import type { Env } from './env.ts';

export function sameCallsites(a: VState, b: VState): boolean {
  if (a.curframe !== b.curframe) return false;
  for (let i = a.curframe; i >= 0; i--) if (a.frames[i]!.callsite !== b.frames[i]!.callsite) return false;
  return true;
}

/** The nearest checkpoint at insn on the current DFS path with the same call sites. */
export function findPrevEntry(env: Env, cur: VState | null, insnIdx: number): VState | null {
  if (!cur) return null;
  const list = env.exploredBucket(insnIdx);
  for (const st of list) {
    if (st.insnIdx === insnIdx && st.branches && sameCallsites(st, cur) && st.dfsDepth < cur.dfsDepth) return st;
  }
  return null;
}

/** scalars_exact_for_widen: every value field equal. */
function scalarsExact(a: Reg, b: Reg): boolean {
  return (
    a.type === b.type &&
    a.off === b.off &&
    a.var.value === b.var.value &&
    a.var.mask === b.var.mask &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max
  );
}

function shouldWiden(old: Reg, cur: Reg): boolean {
  if (old.type !== T.SCALAR || old.type !== cur.type) return false;
  if (old.precise || cur.precise || scalarsExact(old, cur)) return false;
  return true;
}

/** widen_imprecise_scalars(old, cur) */
export function widenImprecise(old: VState, cur: VState): void {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const fo = old.frames[fr]!;
    const fc = cur.frames[fr]!;
    for (let i = 0; i < 11; i++) if (shouldWiden(fo.regs[i]!, fc.regs[i]!)) markUnknown(fc.regs[i]!, false);
    const n = Math.min(fo.allocated, fc.allocated) / 8;
    for (let i = 0; i < n; i++) {
      const so = fo.slot(i);
      const sc = fc.slot(i);
      if (!so.isSpilled() || !sc.isSpilled()) continue;
      if (!shouldWiden(so.spilled!, sc.spilled!)) continue;
      const c = sc.spilled!.clone();
      markUnknown(c, false);
      fc.stack[i] = new Slot(sc.types, c);
    }
  }
}
