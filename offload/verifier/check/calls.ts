// bpf-to-bpf calls and callbacks: entering a subprogram (setup_func_entry, check_func_call),
// global functions (verified separately; the caller's arguments must match the prototype),
// callbacks of bpf_loop / for_each_map_elem (push_callback_call), and returning from a frame
// (prepare_func_exit).
import { markKnownZero, markNotInit } from '../domain/bounds.ts';
import { F, Reg, T, typeStr } from '../domain/reg.ts';
import { hex, S64_MAX, S64_MIN } from '../domain/u64.ts';
import { FuncState, MAX_CALL_FRAMES, type VState } from '../state/state.ts';
import { pushStack } from './branches.ts';
import { fmtFrame } from '../state/print.ts';
import type { Env } from './env.ts';
import { VerifierFail } from './fail.ts';
import { globalProto } from './globalargs.ts';
import { checkHelperMem } from './helper-mem.ts';
import { checkPtrOffReg } from './mem.ts';
import { markPrecise } from './precise.ts';
import { checkRegArg, curRegs, markRegUnknown } from './regs.ts';
import { clearAllPktPointers } from './helper.ts';
import { findPrevEntry, widenImprecise } from './widen.ts';

/** init_func_state */
export function initFrame(callsite: number, frameno: number, subprogno: number): FuncState {
  const f = new FuncState();
  for (const r of f.regs) markNotInit(r);
  const fp = f.regs[10]!;
  fp.type = T.STACK;
  markKnownZero(fp);
  fp.type = T.STACK;
  fp.frameno = frameno;
  f.callsite = callsite;
  f.frameno = frameno;
  f.subprogno = subprogno;
  return f;
}

/** verbose_snum: decimal for small values, hex otherwise (kernel log.c). */
export function snum(v: bigint): string {
  return v >= -32768n && v <= 32767n ? v.toString() : hex(BigInt.asUintN(64, v));
}

/** setup_func_entry: a new frame on `st` for `subprog`, called from `callsite`. */
function setupFuncEntry(env: Env, subprog: number, callsite: number, st: VState, init: (caller: FuncState, callee: FuncState) => void): void {
  if (st.curframe + 1 >= MAX_CALL_FRAMES) env.fail('E2BIG', `the call stack of ${st.curframe + 2} frames is too deep`);
  const caller = st.frames[st.curframe]!;
  const callee = initFrame(callsite, st.curframe + 1, subprog);
  st.frames[st.curframe + 1] = callee;
  init(caller, callee);
  st.curframe++;
}

/** set_callee_state: r1-r5 pass to the callee. */
function passArgs(caller: FuncState, callee: FuncState): void {
  for (let i = 1; i <= 5; i++) callee.regs[i]!.assign(caller.regs[i]!);
}

/** clear_caller_saved_regs */
function clearCallerSaved(env: Env, regs: Reg[]): void {
  for (let i = 0; i <= 5; i++) {
    markNotInit(regs[i]!);
    checkRegArg(env, i, 'dst_nomark');
  }
}

/** btf_check_func_arg_match for a global function: returns false on a mismatch (logging why). */
function globalArgsMatch(env: Env, subprog: number, regs: Reg[]): boolean {
  const sp = env.subprogs[subprog]!;
  const btf = env.prog.btf;
  if (!btf || !sp.btfTypeId) return false;
  const proto = globalProto(btf, sp.btfTypeId);
  // btf_prepare_func_args checks the return type before the arguments.
  if (!proto.returnsScalar) {
    env.verbose(`Global function ${proto.name}() doesn't return scalar. Only those are supported.`);
    return false;
  }
  for (let i = 0; i < proto.args.length; i++) {
    const regno = i + 1;
    const reg = regs[regno]!;
    const a = proto.args[i]!;
    if (a.kind === 'scalar') {
      if (reg.type !== T.SCALAR) {
        env.verbose(`R${regno} is not a scalar`);
        return false;
      }
    } else if (a.kind === 'ctx') {
      checkPtrOffReg(env, reg, regno, false);
      if (reg.type !== T.CTX) {
        env.verbose(`arg#${i} expects pointer to ctx`);
        return false;
      }
    } else if (a.kind === 'mem') {
      if (reg.type === T.SCALAR && reg.var.mask === 0n && reg.var.value === 0n) continue;
      const saved = reg.clone();
      if (reg.type & F.MAYBE_NULL) reg.type &= ~F.MAYBE_NULL;
      try {
        checkHelperMem(env, regno, a.size, 'read', true, null);
        checkHelperMem(env, regno, a.size, 'write', true, null);
      } catch {
        reg.assign(saved);
        return false;
      }
      reg.assign(saved);
    } else {
      env.verbose(`arg#${i} type ${a.what} is not supported`);
      return false;
    }
  }
  return true;
}

/**
 * btf_check_subprog_call for a static function: the arguments are checked against its BTF prototype
 * and a mismatch is only logged (the compiler may have dropped or changed arguments); the function
 * is then unreliable and never checked again. A prototype the kernel cannot use for a static
 * function (a non-scalar return, a pointer that is not the context) fails silently.
 */
function staticArgsMatch(env: Env, subprog: number, regs: Reg[]): void {
  const sp = env.subprogs[subprog]!;
  const btf = env.prog.btf;
  if (!btf || !sp.btfTypeId || sp.unreliable) return;
  const proto = globalProto(btf, sp.btfTypeId);
  if (!proto.returnsScalar || proto.args.length > 5 || proto.args.some((a) => a.kind !== 'scalar' && a.kind !== 'ctx')) {
    sp.unreliable = true;
    return;
  }
  for (let i = 0; i < proto.args.length; i++) {
    const regno = i + 1;
    const reg = regs[regno]!;
    if (proto.args[i]!.kind === 'scalar') {
      if (reg.type !== T.SCALAR) {
        env.verbose(`R${regno} is not a scalar`);
        sp.unreliable = true;
        return;
      }
      continue;
    }
    try {
      checkPtrOffReg(env, reg, regno, false);
    } catch (e) {
      if (!(e instanceof VerifierFail)) throw e;
      sp.unreliable = true;
      return;
    }
    if (reg.type !== T.CTX) {
      env.verbose(`arg#${i} expects pointer to ctx`);
      sp.unreliable = true;
      return;
    }
  }
}

/** check_func_call; returns the next pc. */
export function checkFuncCall(env: Env, target: number): number {
  const st = env.cur;
  const subprog = env.subprogOf[target]!;
  const caller = st.frames[st.curframe]!;
  const sp = env.subprogs[subprog]!;
  if (sp.linkage === 'global') {
    if (st.activeLocks) env.fail('EINVAL', 'global function calls are not allowed while holding a lock,\nuse static function instead');
    const ok = globalArgsMatch(env, subprog, caller.regs);
    if (!ok) env.fail('EINVAL', `Caller passes invalid args into func#${subprog} ('${sp.name}')`);
    if (sp.changesPktData) clearAllPktPointers(env);
    sp.called = true;
    env.log.trace(`Func#${subprog} ('${sp.name}') is global and assumed valid.`);
    clearCallerSaved(env, caller.regs);
    markRegUnknown(caller.regs[0]!);
    caller.regs[0]!.subregDef = 0;
    return env.insnIdx + 1;
  }
  staticArgsMatch(env, subprog, caller.regs);
  setupFuncEntry(env, subprog, env.insnIdx, st, passArgs);
  clearCallerSaved(env, caller.regs);
  env.stackLive.resetCallchain();
  logFrames(env, st, 'caller:', 'callee:');
  return sp.start;
}

/** push_callback_call: queue the callback's first instruction in a new frame; continue after the call. */
export function pushCallbackCall(env: Env, subprog: number, kind: 'loop' | 'for_each_map_elem'): number {
  const st = env.cur;
  env.subprogs[subprog]!.isCb = true;
  const cb = pushStack(env, env.subprogs[subprog]!.start, env.insnIdx, false);
  const regs = curRegs(env);
  setupFuncEntry(env, subprog, env.insnIdx, cb, (caller, callee) => {
    if (kind === 'loop') {
      callee.regs[1]!.type = T.SCALAR;
      callee.regs[2]!.assign(caller.regs[3]!);
    } else {
      callee.regs[1]!.assign(caller.regs[1]!);
      const k = callee.regs[2]!;
      k.type = T.MAP_KEY;
      markKnownZero(k);
      k.type = T.MAP_KEY;
      k.map = caller.regs[1]!.map;
      const v = callee.regs[3]!;
      v.type = T.MAP_VALUE;
      markKnownZero(v);
      v.type = T.MAP_VALUE;
      v.map = caller.regs[1]!.map;
      callee.regs[4]!.assign(caller.regs[3]!);
    }
    callee.inCallbackFn = true;
    callee.callbackRetMin = 0;
    callee.callbackRetMax = 1;
  });
  cb.callbackUnrollDepth++;
  cb.frames[cb.curframe - 1]!.callbackDepth++;
  st.frames[st.curframe]!.callbackDepth = 0;
  void regs;
  return env.insnIdx + 1;
}

/** The log's call and return blocks: each label, then the caller's or callee's frame (callee first on return). */
function logFrames(env: Env, st: VState, first: string, second: string, calleeFirst = false): void {
  if (env.log.level === 0) return;
  const ctx = { maps: env.prog.maps };
  const [a, b] = calleeFirst ? [st.curframe, st.curframe - 1] : [st.curframe - 1, st.curframe];
  env.log.trace(first);
  env.log.trace(fmtFrame(st, a, ctx));
  env.log.trace(second);
  env.log.trace(fmtFrame(st, b, ctx));
}

/** prepare_func_exit: leave the current frame; returns the caller's next pc. */
export function prepareFuncExit(env: Env): number {
  const st = env.cur;
  // bpf_update_live_stack: the callee's stack marks reach its callers before the frame goes
  env.stackLive.update(st);
  const callee = st.frames[st.curframe]!;
  const r0 = callee.regs[0]!;
  if (r0.type === T.STACK) env.fail('EINVAL', 'cannot return stack pointer to the caller');
  const caller = st.frames[st.curframe - 1]!;
  if (callee.inCallbackFn) {
    if (r0.type !== T.SCALAR) env.fail('EACCES', 'R0 not a scalar value');
    markPrecise(env, 0);
    if (!(BigInt(callee.callbackRetMin) <= r0.smin && r0.smax <= BigInt(callee.callbackRetMax))) {
      let msg = 'At callback return the register R0 has';
      if (r0.smin > S64_MIN) msg += ` smin=${snum(r0.smin)}`;
      if (r0.smax < S64_MAX) msg += ` smax=${snum(r0.smax)}`;
      if (r0.smin === S64_MIN && r0.smax === S64_MAX) msg += ' unknown scalar value';
      env.fail('EINVAL', `${msg} should have been in [${callee.callbackRetMin}, ${callee.callbackRetMax}]`);
    }
  } else {
    caller.regs[0]!.assign(r0);
  }
  const inCallback = callee.inCallbackFn;
  const next = inCallback ? callee.callsite : callee.callsite + 1;
  logFrames(env, st, 'returning from callee:', `to caller at ${next}:`, true);
  st.frames.length = st.curframe;
  st.curframe--;
  if (inCallback) {
    const prev = findPrevEntry(env, st, next);
    if (prev) widenImprecise(prev, st);
  }
  return next;
}

export { typeStr };
