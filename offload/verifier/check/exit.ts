// BPF_EXIT (process_bpf_exit_full): leaks and held locks at the main program's exit, returning
// from a subprogram, and the return value rules (check_return_code: r0 initialised, no pointer
// leak for unprivileged loaders, scalars from global subprograms; XDP return codes are not checked).
import { T, typeStr } from '../domain/reg.ts';
import { prepareFuncExit } from './calls.ts';
import type { Env } from './env.ts';
import { checkResourceLeak } from './leaks.ts';
import { checkRegArg, curRegs, isPointerValue } from './regs.ts';

/** Returns the next pc, or -1 when the path ends (main program exit). */
export function processExit(env: Env): number {
  const st = env.cur;
  checkResourceLeak(env, false, st.curframe === 0, 'BPF_EXIT instruction in main prog');
  if (st.curframe) return prepareFuncExit(env);
  checkReturnCode(env);
  return -1;
}

function checkReturnCode(env: Env): void {
  const isSubprog = env.cur.frames[0]!.subprogno !== 0;
  checkRegArg(env, 0, 'src');
  const r0 = curRegs(env)[0]!;
  if (isPointerValue(env, r0)) env.fail('EACCES', 'R0 leaks addr as return value');
  if (isSubprog && r0.type !== T.SCALAR)
    env.fail('EINVAL', `At subprogram exit the register R0 is not a scalar value (${typeStr(r0.type)})`);
  if (!isSubprog) env.facts?.exit(env.insnIdx, r0);
}
