// One instruction (do_check_insn): dispatch by kind, with the facts hooks. Returns the next pc of
// the current path, or -1 when the path ends at the main program's exit.
import type { VInsn } from '../cfg/insn.ts';
import { checkAlu } from './alu.ts';
import { checkAtomicLoad, checkAtomicRmw, checkAtomicStore } from './atomic.ts';
import { checkFuncCall } from './calls.ts';
import type { Env } from './env.ts';
import { processExit } from './exit.ts';
import { checkHelperCall } from './helper.ts';
import { checkCondJmp, checkMayGoto } from './jmp.ts';
import { checkKfuncCall } from './kfunc.ts';
import { checkLdImm } from './ldimm.ts';
import { checkLoad, checkStore, checkStoreImm } from './mem.ts';
import { curRegs } from './regs.ts';

const SPIN_UNLOCK = 94;

export function checkInsn(env: Env, insn: VInsn): number {
  const pc = env.insnIdx;
  switch (insn.kind) {
    case 'alu':
    case 'end':
      checkAlu(env, insn);
      return pc + 1;
    case 'ldx':
      env.facts?.mem(pc, insn.sreg, curRegs(env)[insn.sreg] ?? curRegs(env)[0]!);
      checkLoad(env, insn.dst, insn.sreg, insn.off, insn.size, insn.sx, false);
      return pc + 1;
    case 'stx':
      env.facts?.mem(pc, insn.dst, curRegs(env)[insn.dst] ?? curRegs(env)[0]!);
      checkStore(env, insn.dst, insn.sreg, insn.off, insn.size, false);
      return pc + 1;
    case 'st':
      env.facts?.mem(pc, insn.dst, curRegs(env)[insn.dst] ?? curRegs(env)[0]!);
      checkStoreImm(env, insn.dst, insn.off, insn.size, insn.imm);
      return pc + 1;
    case 'atomic':
      checkAtomicRmw(env, insn);
      return pc + 1;
    case 'load_acq':
      env.facts?.mem(pc, insn.sreg, curRegs(env)[insn.sreg] ?? curRegs(env)[0]!);
      checkAtomicLoad(env, insn);
      return pc + 1;
    case 'store_rel':
      env.facts?.mem(pc, insn.dst, curRegs(env)[insn.dst] ?? curRegs(env)[0]!);
      checkAtomicStore(env, insn);
      return pc + 1;
    case 'call':
      env.jmpsProcessed++;
      if (env.cur.activeLocks && ((insn.callee === 'helper' && insn.imm !== SPIN_UNLOCK && insn.imm !== 194) || insn.callee === 'kfunc'))
        env.fail('EINVAL', 'function calls are not allowed while holding a lock');
      if (insn.callee === 'local') return checkFuncCall(env, pc + insn.imm + 1);
      if (insn.callee === 'kfunc') {
        checkKfuncCall(env);
        return pc + 1;
      }
      return checkHelperCall(env, insn);
    case 'ja':
      env.jmpsProcessed++;
      return pc + insn.off + 1;
    case 'gotol':
      env.jmpsProcessed++;
      return pc + insn.imm + 1;
    case 'exit':
      env.jmpsProcessed++;
      return processExit(env);
    case 'jcond':
      env.jmpsProcessed++;
      return checkCondJmp(env, insn);
    case 'may_goto':
      env.jmpsProcessed++;
      return checkMayGoto(env, insn.off);
    case 'lddw':
      checkLdImm(env, insn);
      return pc + 2;
    case 'ldpkt':
      env.fail('EINVAL', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
      break;
    case 'bad':
      if (env.prog.raws[pc] && ((env.prog.raws[pc]!.code & 7) === 5 || (env.prog.raws[pc]!.code & 7) === 6)) env.jmpsProcessed++;
      env.fail(insn.errno, insn.message);
  }
  throw new Error('unreachable');
}
