// Memory handed to a helper: a pointer argument and its size (check_helper_mem_access,
// check_mem_size_reg).
import { F, T, typeStr } from '../domain/reg.ts';
import { isNullReg } from '../domain/bounds.ts';
import type { Env } from './env.ts';
import { markPrecise } from './precise.ts';
import { checkMapAccess, checkMapAccessType, checkMemRegion, checkPacketAccess, mapOf } from './region.ts';
import { curRegs } from './regs.ts';
import { checkStackRangeInitialized, type RawModeMeta } from './stack.ts';

const BPF_MAX_VAR_SIZ = 1 << 29;

export type HelperAccess = 'read' | 'write';

/** check_helper_mem_access: `size` bytes at the pointer in `regno`. */
export function checkHelperMem(env: Env, regno: number, size: number, t: HelperAccess, zeroOk: boolean, meta: RawModeMeta | null): void {
  const reg = curRegs(env)[regno]!;
  switch (reg.type & 0xff) {
    case T.PKT:
    case T.PKT_META:
      checkPacketAccess(env, regno, reg.off, size, zeroOk);
      return;
    case T.MAP_KEY:
      if (t === 'write') env.fail('EACCES', `R${regno} cannot write into ${typeStr(reg.type)}`);
      checkMemRegion(env, regno, reg.off, size, mapOf(env, reg.map).keySize, false);
      return;
    case T.MAP_VALUE:
      checkMapAccessType(env, regno, reg.off, size, t);
      checkMapAccess(env, regno, reg.off, size, zeroOk, false);
      return;
    case T.MEM:
      if (reg.type & F.RDONLY && t === 'write') env.fail('EACCES', `R${regno} cannot write into ${typeStr(reg.type)}`);
      checkMemRegion(env, regno, reg.off, size, reg.memSize, zeroOk);
      return;
    case T.STACK:
      checkStackRangeInitialized(env, regno, reg.off, size, zeroOk, t, meta);
      return;
    default:
      if (zeroOk && size === 0 && isNullReg(reg)) return;
      env.fail('EACCES', `R${regno} type=${typeStr(reg.type)} expected=fp`);
  }
}

export interface SizeMeta {
  msizeMax: bigint;
}

/** check_mem_size_reg: `regno` holds the size of the memory at regno - 1. */
export function checkMemSizeReg(
  env: Env,
  regno: number,
  t: HelperAccess,
  zeroOk: boolean,
  meta: RawModeMeta | null,
  sizeMeta: SizeMeta,
): void {
  const reg = curRegs(env)[regno]!;
  sizeMeta.msizeMax = reg.umax;
  if (reg.var.mask !== 0n) meta = null;
  if (reg.smin < 0n) env.fail('EACCES', `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (reg.umin === 0n && !zeroOk) env.fail('EACCES', `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
  if (reg.umax >= BigInt(BPF_MAX_VAR_SIZ)) env.fail('EACCES', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  checkHelperMem(env, regno - 1, Number(reg.umax), t, zeroOk, meta);
  markPrecise(env, regno);
}
