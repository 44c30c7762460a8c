// bpf_spin_lock / bpf_spin_unlock (process_spin_lock): one lock at a time, on the lock field of a
// map value with BTF, released in order.
import type { Env } from './env.ts';
import { mapHasBtf } from './btfmap.ts';
import { spinLockOffset } from './region.ts';
import { curRegs } from './regs.ts';

export function processSpinLock(env: Env, regno: number, isLock: boolean): void {
  const reg = curRegs(env)[regno]!;
  const st = env.cur;
  if (reg.var.mask !== 0n)
    env.fail('EINVAL', `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const map = env.prog.maps[reg.map]!;
  if (!mapHasBtf(map)) env.fail('EINVAL', `map '${map.kernelName}' has to have BTF in order to use bpf_spin_lock`);
  const lockOff = spinLockOffset(env, map);
  if (lockOff < 0) env.fail('EINVAL', `map '${map.kernelName}' has no valid bpf_spin_lock`);
  const val = Number(reg.var.value) + reg.off;
  if (lockOff !== val) env.fail('EINVAL', `off ${val} doesn't point to 'struct bpf_spin_lock' that is at ${lockOff}`);
  if (isLock) {
    if (st.activeLocks && st.refs.some((r) => r.kind === 'lock')) env.fail('EINVAL', 'Locking two bpf_spin_locks are not allowed');
    st.refs.push({ kind: 'lock', id: reg.id, insnIdx: env.insnIdx, ptr: reg.map });
    st.activeLocks++;
    st.activeLockId = reg.id;
    st.activeLockPtr = reg.map;
  } else {
    if (!st.activeLocks) env.fail('EINVAL', 'bpf_spin_unlock without taking a lock');
    const i = st.refs.findIndex((r) => r.kind === 'lock' && r.id === reg.id && r.ptr === reg.map);
    if (i < 0) env.fail('EINVAL', 'bpf_spin_unlock of different lock');
    if (reg.id !== st.activeLockId || reg.map !== st.activeLockPtr) env.fail('EINVAL', 'bpf_spin_unlock cannot be out of order');
    st.refs.splice(i, 1);
    st.activeLocks--;
    const prev = [...st.refs].reverse().find((r) => r.kind === 'lock');
    st.activeLockId = prev ? prev.id : 0;
    st.activeLockPtr = prev ? prev.ptr : -1;
  }
}
