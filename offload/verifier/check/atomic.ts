// Atomic instructions (check_atomic): read-modify-write operations need 4- or 8-byte aligned
// accesses to memory the program may write, never ctx/packet/socket memory; fetch variants load the
// old value into a register; cmpxchg compares with r0. Load-acquire / store-release are ordinary
// loads and stores with the same pointer restrictions.
import type { AtomicInsn } from '../../isa/index.ts';
import { isPktPointer, isSkPointer, T, typeStr } from '../domain/reg.ts';
import type { AtomicLoadInsn, AtomicStoreInsn } from '../cfg/insn.ts';
import type { Env } from './env.ts';
import { checkLoad, checkMemAccess, checkStore } from './mem.ts';
import { checkRegArg, curRegs, isPointerValue } from './regs.ts';

function ptrTypeOk(t: number): boolean {
  return !(t === T.CTX || isPktPointer(t) || t === T.FLOW_KEYS || isSkPointer(t));
}

export function checkAtomicRmw(env: Env, insn: AtomicInsn): void {
  checkRegArg(env, insn.sreg, 'src', insn.size === 8);
  checkRegArg(env, insn.dst, 'src');
  const regs = curRegs(env);
  if (insn.op === 'cmpxchg') {
    checkRegArg(env, 0, 'src');
    if (isPointerValue(env, regs[0]!)) env.fail('EACCES', 'R0 leaks addr into mem');
  }
  if (isPointerValue(env, regs[insn.sreg]!)) env.fail('EACCES', `R${insn.sreg} leaks addr into mem`);
  const dstType = regs[insn.dst]!.type;
  if (!ptrTypeOk(dstType)) env.fail('EACCES', `BPF_ATOMIC stores into R${insn.dst} ${typeStr(dstType)} is not allowed`);
  const fetch = insn.op.startsWith('fetch') || insn.op === 'xchg' || insn.op === 'cmpxchg';
  const loadReg = fetch ? (insn.op === 'cmpxchg' ? 0 : insn.sreg) : -1;
  if (loadReg >= 0) checkRegArg(env, loadReg, 'dst', insn.size === 8);
  env.facts?.mem(env.insnIdx, insn.dst, regs[insn.dst]!);
  checkMemAccess(env, insn.dst, insn.off, insn.size, 'read', -1, true, false);
  if (loadReg >= 0) checkMemAccess(env, insn.dst, insn.off, insn.size, 'read', loadReg, true, false);
  checkMemAccess(env, insn.dst, insn.off, insn.size, 'write', -1, true, false);
}

export function checkAtomicLoad(env: Env, insn: AtomicLoadInsn): void {
  checkLoad(env, insn.dst, insn.sreg, insn.off, insn.size, false, true);
  const t = curRegs(env)[insn.sreg]!.type;
  if (!ptrTypeOk(t)) env.fail('EACCES', `BPF_ATOMIC loads from R${insn.sreg} ${typeStr(t)} is not allowed`);
}

export function checkAtomicStore(env: Env, insn: AtomicStoreInsn): void {
  checkStore(env, insn.dst, insn.sreg, insn.off, insn.size, true);
  const t = curRegs(env)[insn.dst]!.type;
  if (!ptrTypeOk(t)) env.fail('EACCES', `BPF_ATOMIC stores into R${insn.dst} ${typeStr(t)} is not allowed`);
}
