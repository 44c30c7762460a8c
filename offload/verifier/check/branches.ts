// The exploration stack (push_stack / sanitize_speculative_path): a copy of the current state to be
// explored later from another instruction.
import type { VState } from '../state/state.ts';
import { BPF_COMPLEXITY_LIMIT_JMP_SEQ, type Env } from './env.ts';
import { markRegUnknown } from './regs.ts';

/** push_stack: returns the queued copy of the current state. */
export function pushStack(env: Env, insnIdx: number, prevInsnIdx: number, speculative: boolean): VState {
  const st = env.cur.clone();
  st.speculative = st.speculative || speculative;
  env.stack.push({ st, insnIdx, prevInsnIdx, log: env.log.mark() });
  if (env.stack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) env.fail('E2BIG', `The sequence of ${env.stack.length} jumps is too complex.`);
  if (st.parent) st.parent.branches++;
  return st;
}

/**
 * sanitize_speculative_path: queue `next` for simulation under speculative execution; the compared
 * registers of a jump (`regs`) become unknown there.
 */
export function pushSpeculative(env: Env, next: number, cur: number, regs: number[] | null): void {
  const st = pushStack(env, next, cur, true);
  if (regs) {
    const r = st.frames[st.curframe]!.regs;
    for (const i of regs) markRegUnknown(r[i]!);
  }
}
