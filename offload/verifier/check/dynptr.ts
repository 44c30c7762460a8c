// bpf_dynptr on the stack (process_dynptr_func): 16-byte objects (two slots of STACK_DYNPTR)
// created by bpf_dynptr_from_xdp / bpf_dynptr_from_mem / ringbuf_reserve_dynptr and read by the
// dynptr helpers.
import { Reg, T } from '../domain/reg.ts';
import { ALL_SPILL, dynptrTypeStr, packTypes, Slot, ST } from '../state/stack.ts';
import type { Env } from './env.ts';
import { checkMemAccess } from './mem.ts';
import { curRegs } from './regs.ts';
import { frameOf } from './stack.ts';

export const DYNPTR_LOCAL = 1;
export const DYNPTR_RINGBUF = 2;
export const DYNPTR_XDP = 4;
const ALL_DYNPTR = packTypes(ST.DYNPTR);
void ALL_SPILL;

function spiOfReg(env: Env, reg: Reg): number {
  const off = reg.off + Number(BigInt.asIntN(64, reg.var.value));
  if (off % 8 !== 0 || off >= 0) return -1;
  const spi = (-off - 1) >> 3;
  return spi >= 1 ? spi : -1;
  void env;
}

export function processDynptr(
  env: Env,
  regno: number,
  uninit: boolean,
  rdonly: boolean,
  kind: number,
  refObjId: number,
): void {
  const reg = curRegs(env)[regno]!;
  if (reg.type !== T.STACK && reg.type !== T.DYNPTR)
    env.fail('EINVAL', `arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`);
  if (uninit) {
    if (reg.type !== T.STACK || reg.var.mask !== 0n) env.fail('EINVAL', 'Dynptr has to be an uninitialized dynptr');
    for (let i = 0; i < 16; i += 8) checkMemAccess(env, regno, i, 8, 'write', -1, false, false);
    const spi = spiOfReg(env, reg);
    if (spi < 0) env.fail('EINVAL', 'Dynptr has to be an uninitialized dynptr');
    const f = frameOf(env, reg);
    const id = env.newId();
    for (const [s, first] of [
      [spi, true],
      [spi - 1, false],
    ] as const) {
      const r = new Reg();
      r.type = T.DYNPTR;
      r.id = id;
      r.refObjId = refObjId;
      r.dynptrType = kind;
      r.dynptrFirst = first;
      f.stack[s] = new Slot(ALL_DYNPTR, r);
      env.stackLive.markWrite(f.frameno, s);
    }
    if (env.logScratch && f === env.cur.frames[env.cur.curframe]) env.logScratch.add(spi).add(spi - 1);
    return;
  }
  if (reg.type === T.DYNPTR) {
    if (!rdonly) env.fail('EINVAL', 'cannot pass pointer to const bpf_dynptr, the helper mutates it');
    return;
  }
  const spi = spiOfReg(env, reg);
  const f = frameOf(env, reg);
  // mark_stack_slot_obj_read: both slots of the dynptr
  if (spi >= 1) env.stackLive.markRead(env.cur, f.frameno, env.insnIdx, spi - 1, spi);
  const first = spi >= 0 ? f.slot(spi) : null;
  if (!first || first.typeAt(7) !== ST.DYNPTR || !first.spilled?.dynptrFirst || f.slot(spi - 1).typeAt(7) !== ST.DYNPTR)
    env.fail('EINVAL', `Expected an initialized dynptr as arg #${regno - 1}`);
  // the log shows a dynptr argument's slots after the call
  if (env.logScratch && f === env.cur.frames[env.cur.curframe]) env.logScratch.add(spi).add(spi - 1);
  if (kind && first.spilled!.dynptrType !== kind) env.fail('EINVAL', `Expected a dynptr of type ${dynptrTypeStr(kind)} as arg #${regno - 1}`);
}


/** The id, kind and reference of the initialised dynptr an argument register points to. */
export function dynptrInfo(env: Env, regno: number): { id: number; type: number; refObjId: number } {
  const reg = curRegs(env)[regno]!;
  if (reg.type === T.DYNPTR) return { id: reg.id, type: reg.dynptrType, refObjId: reg.refObjId };
  const first = frameOf(env, reg).slot(spiOfReg(env, reg)).spilled!;
  return { id: first.id, type: first.dynptrType, refObjId: first.refObjId };
}
