// References and locks still held where they must not be (check_reference_leak,
// check_resource_leak): at the main program's exit, before a tail call.
import type { Env } from './env.ts';

/** check_reference_leak: every acquired pointer reference is reported. */
function checkReferenceLeak(env: Env, exceptionExit: boolean): boolean {
  if (!exceptionExit && env.cur.curframe) return false;
  let lingering = false;
  for (const r of env.cur.refs) {
    if (r.kind !== 'ptr') continue;
    env.verbose(`Unreleased reference id=${r.id} alloc_insn=${r.insnIdx}`);
    lingering = true;
  }
  return lingering;
}

/** check_resource_leak(prefix) */
export function checkResourceLeak(env: Env, exceptionExit: boolean, checkLock: boolean, prefix: string): void {
  if (checkLock && env.cur.activeLocks) env.fail('EINVAL', `${prefix} cannot be used inside bpf_spin_lock-ed region`);
  if (checkReferenceLeak(env, exceptionExit)) env.fail('EINVAL', `${prefix} would lead to reference leak`);
  if (checkLock && env.cur.activeRcuLock) env.fail('EINVAL', `${prefix} cannot be used inside bpf_rcu_read_lock-ed region`);
  if (checkLock && env.cur.activePreemptLocks) env.fail('EINVAL', `${prefix} cannot be used inside bpf_preempt_disable-ed region`);
}
