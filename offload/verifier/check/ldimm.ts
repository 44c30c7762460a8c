// 64-bit immediates (check_ld_imm): constants, map pointers (src 1/5), direct map value pointers
// (src 2/6, `.data`/`.rodata` globals) and callback function pointers (src 4); legacy packet loads
// (LD_ABS / LD_IND) are not available to XDP.
import type { LddwInsn } from '../../isa/index.ts';
import { lddwValue } from '../../isa/index.ts';
import { markKnownZero, setKnownBounds } from '../domain/bounds.ts';
import { T } from '../domain/reg.ts';
import type { Env } from './env.ts';
import { checkRegArg, curRegs } from './regs.ts';

export function checkLdImm(env: Env, insn: LddwInsn): void {
  checkRegArg(env, insn.dst, 'dst');
  const dst = curRegs(env)[insn.dst]!;
  if (insn.pseudo === 0) {
    dst.type = T.SCALAR;
    markKnownZero(dst);
    setKnownBounds(dst, lddwValue(insn));
    return;
  }
  markKnownZero(dst);
  if (insn.pseudo === 4) {
    const target = env.insnIdx + insn.imm + 1;
    const sub = env.subprogOf[target]!;
    if (!env.prog.hasFuncInfo) env.fail('EINVAL', 'missing btf func_info');
    if (env.subprogs[sub]!.linkage !== 'static') env.fail('EINVAL', 'callback function not static');
    dst.type = T.FUNC;
    dst.subprogno = sub;
    return;
  }
  const map = insn.imm;
  if (insn.pseudo === 2 || insn.pseudo === 6) {
    // the offset into the value is the pointer's fixed offset (aux->map_off), the variable part 0
    dst.off = insn.imm2 >>> 0;
    dst.type = T.MAP_VALUE;
    dst.map = map;
  } else {
    dst.type = T.MAP_PTR;
    dst.map = map;
  }
}
