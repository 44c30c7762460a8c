// Register operand checks (check_reg_arg) and the marking helpers that depend on the loader's
// privileges (mark_reg_unknown, mark_reg_invalid, ...).
import { markKnownZero, markNotInit, markUnknown } from '../domain/bounds.ts';
import { Reg, T } from '../domain/reg.ts';
import type { Env } from './env.ts';

export type RegArg = 'src' | 'dst' | 'dst_nomark';

/** The registers of the current frame. */
export function curRegs(env: Env): Reg[] {
  return env.cur.frames[env.cur.curframe]!.regs;
}

/**
 * check_reg_arg. `rw64` tells whether the instruction reads/writes all 64 bits (for zero-extension
 * tracking only).
 */
export function checkRegArg(env: Env, regno: number, t: RegArg, rw64 = true): void {
  if (regno >= 11) env.fail('EINVAL', `R${regno} is invalid`);
  const reg = curRegs(env)[regno]!;
  if (t === 'src') {
    if (reg.type === T.NOT_INIT) env.fail('EACCES', `R${regno} !read_ok`);
    if (regno === 10) return;
    if (rw64 && reg.subregDef) {
      env.aux[reg.subregDef - 1]!.zextDst = true;
      reg.subregDef = 0;
    }
    return;
  }
  if (regno === 10) env.fail('EACCES', 'frame pointer is read only');
  reg.subregDef = rw64 ? 0 : env.insnIdx + 1;
  if (t === 'dst') markUnknown(reg, false);
}

/** mark_reg_unknown: an unknown scalar (every XDP loader has CAP_BPF, so not precise). */
export function markRegUnknown(reg: Reg): void {
  markUnknown(reg, false);
}

/** mark_reg_known_zero: zero variable offset, type kept. */
export function markRegKnownZero(reg: Reg): void {
  markKnownZero(reg);
}

/** mark_reg_invalid: a pointer that is no longer valid (released, packet data moved). */
export function markRegInvalid(env: Env, reg: Reg): void {
  if (!env.priv.allowPtrLeaks) markNotInit(reg);
  else markUnknown(reg, false);
}

/** __is_pointer_value with the loader's allow_ptr_leaks. */
export function isPointerValue(env: Env, reg: Reg): boolean {
  if (env.priv.allowPtrLeaks) return false;
  return reg.type !== T.SCALAR;
}
