// Helper calls (check_helper_call): availability for XDP and the loader's privileges, GPL-only
// helpers, argument checks, map compatibility, reference acquire/release, return types, clobbered
// argument registers, packet pointers invalidated by helpers that move packet data, tail calls.
import { BPF_FUNC_MAX_ID, funcIdName, type HelperProto, xdpHelperProto } from '../../../firmware/helpers/protos.ts';
import type { CallInsn } from '../../isa/index.ts';
import { boundsSync, isNullReg, isRegConst, markKnownZero, markNotInit } from '../domain/bounds.ts';
import { F, isPktPointerAny, mayBeNull, T } from '../domain/reg.ts';
import { updateRegs } from '../state/state.ts';
import type { Env } from './env.ts';
import { mapFlags } from './region.ts';
import { checkFuncArg, newCallMeta } from './helper-args.ts';
import { checkMemAccess } from './mem.ts';
import { markPrecise } from './precise.ts';
import { checkRegArg, curRegs, markRegInvalid, markRegUnknown } from './regs.ts';
import { mapCompatible } from './mapcompat.ts';
import { checkResourceLeak } from './leaks.ts';
import { spinLockOffset } from './region.ts';
import { pushCallbackCall, prepareFuncExit } from './calls.ts';
import { pushStack } from './branches.ts';

const RDONLY_PROG = 1 << 7;
const MAP_WRITERS = new Set([2, 3, 87, 88]);
const RECORD_MAP = new Set([12, 1, 2, 3, 87, 88, 89, 164, 51, 195]);

/** clear_all_pkt_pointers */
export function clearAllPktPointers(env: Env): void {
  updateRegs(
    env.cur,
    (r) => isPktPointerAny(r.type) || (r.type & 0xff) === T.MEM && (r.type & F.DYNPTR_XDP) !== 0,
    (r) => markRegInvalid(env, r),
  );
}

/** release_reference: drop the reference and invalidate every register holding it. */
export function releaseReference(env: Env, refObjId: number): boolean {
  const st = env.cur;
  const i = st.refs.findIndex((r) => r.kind === 'ptr' && r.id === refObjId);
  if (i < 0) return false;
  st.refs.splice(i, 1);
  updateRegs(
    st,
    (r) => r.refObjId === refObjId,
    (r) => markRegInvalid(env, r),
  );
  return true;
}

export function acquireReference(env: Env): number {
  const id = env.newId();
  env.cur.refs.push({ kind: 'ptr', id, insnIdx: env.insnIdx, ptr: -1 });
  return id;
}

/** record_func_map: read-only maps refuse writers; the instruction remembers its map. */
function recordFuncMap(env: Env, funcId: number, map: number): void {
  if (!RECORD_MAP.has(funcId)) return;
  const m = env.prog.maps[map];
  if (!m) env.fail('EFAULT', 'verifier internal error: expected map for helper call');
  if (mapFlags(m) & RDONLY_PROG && MAP_WRITERS.has(funcId)) env.fail('EACCES', 'write into map forbidden');
  const aux = env.aux[env.insnIdx]!;
  if (aux.mapIdx === -1) aux.mapIdx = map;
  else if (aux.mapIdx !== map) aux.mapIdx = -2;
}

/** record_func_key: the tail call's map must be a PROG_ARRAY (the key is remembered). */
function recordFuncKey(env: Env, funcId: number, map: number): void {
  if (funcId !== 12) return;
  const m = env.prog.maps[map];
  if (!m || m.typeName !== 'prog_array') {
    env.log.verbose('expected prog array map for tail call', true); // the kernel's message has no newline
    env.fail('EINVAL');
  }
  const r3 = curRegs(env)[3]!;
  const aux = env.aux[env.insnIdx]!;
  if (!(isRegConst(r3, false) && r3.var.value < BigInt(m.maxEntries))) {
    aux.mapKey = -1;
    return;
  }
  markPrecise(env, 3);
  const v = Number(r3.var.value);
  if (aux.mapKey === undefined) aux.mapKey = v;
  else if (aux.mapKey !== v) aux.mapKey = -1;
}

/** The prototype an XDP program gets, or the kernel's refusal. */
export function helperProto(env: Env, id: number): HelperProto {
  if (id < 0 || id >= BPF_FUNC_MAX_ID) env.fail('EINVAL', `invalid func ${funcIdName(id)}#${id}`);
  const proto = xdpHelperProto(id, env.priv.allowPtrLeaks);
  if (!proto) env.fail('EINVAL', `program of this type cannot use helper ${funcIdName(id)}#${id}`);
  return proto;
}

/** check_helper_call; returns the next pc (callbacks and tail calls from subprogs may redirect). */
export function checkHelperCall(env: Env, insn: CallInsn): number {
  const id = insn.imm;
  const proto = helperProto(env, id);
  if (!env.prog.gpl && proto.gplOnly) env.fail('EINVAL', 'cannot call GPL-restricted function from non-GPL compatible program');
  if (proto.mightSleep) env.fail('EINVAL', 'helper call might sleep in a non-sleepable prog');
  const meta = newCallMeta(proto);
  for (let i = 0; i < 5; i++) checkFuncArg(env, i, meta, proto);
  recordFuncMap(env, id, meta.map);
  recordFuncKey(env, id, meta.map);
  for (let i = 0; i < meta.accessSize; i++) checkMemAccess(env, meta.regno, i, 1, 'write', -1, false, false);
  if (env.logScratch && meta.accessSize > 0) {
    // the log shows the stack slots an uninitialised-memory argument wrote
    const p = curRegs(env)[meta.regno]!;
    if (p.type === T.STACK && p.var.mask === 0n && p.frameno === env.cur.curframe) {
      const base = p.off + Number(BigInt.asIntN(64, p.var.value));
      for (let b = base; b < base + meta.accessSize; b++) if (b < 0) env.logScratch.add((-b - 1) >> 3);
    }
  }
  const regs = curRegs(env);
  if (meta.releaseRegno) {
    let ok = false;
    if (proto.args[meta.releaseRegno - 1]?.type === 'ptr_to_dynptr') ok = true;
    else if (meta.refObjId) ok = releaseReference(env, meta.refObjId);
    else if (isNullReg(regs[meta.releaseRegno]!)) ok = true;
    if (!ok) env.fail('EINVAL', `func ${funcIdName(id)}#${id} reference has not been acquired before`);
  }
  let next = env.insnIdx + 1;
  switch (id) {
    case 12:
      checkResourceLeak(env, false, true, 'tail_call');
      break;
    case 181: {
      updateLoopInlineState(env, meta.subprogno);
      // bpf_loop: the verifier relies on r1's value to decide when iteration stops.
      markPrecise(env, 1);
      const f = env.cur.frames[env.cur.curframe]!;
      if (BigInt(f.callbackDepth) < regs[1]!.umax) next = pushCallbackCall(env, meta.subprogno, 'loop');
      else {
        f.callbackDepth = 0;
        if (env.log.level > 1) env.log.trace2(`frame${env.cur.curframe} bpf_loop iteration limit reached`);
      }
      break;
    }
    case 164:
      next = pushCallbackCall(env, meta.subprogno, 'for_each_map_elem');
      break;
    default:
      break;
  }
  for (let i = 0; i <= 5; i++) {
    markNotInit(regs[i]!);
    checkRegArg(env, i, 'dst_nomark');
  }
  const r0 = regs[0]!;
  r0.subregDef = 0;
  switch (proto.ret) {
    case 'integer':
      markRegUnknown(r0);
      break;
    case 'void':
      r0.type = T.NOT_INIT;
      break;
    case 'map_value_or_null': {
      markKnownZero(r0);
      const m = env.prog.maps[meta.map]!;
      let flag = F.MAYBE_NULL;
      if (id === 1 && (m.typeName === 'array' || m.typeName === 'percpu_array') && meta.constMapKey >= 0n && meta.constMapKey < BigInt(m.maxEntries))
        flag = 0;
      r0.map = meta.map;
      r0.mapUid = meta.mapUid;
      r0.type = T.MAP_VALUE | flag;
      if (!flag && spinLockOffset(env, m) >= 0) r0.id = env.newId();
      break;
    }
    case 'socket_or_null':
      markKnownZero(r0);
      r0.type = T.SOCKET | F.MAYBE_NULL;
      break;
    case 'sock_common_or_null':
      markKnownZero(r0);
      r0.type = T.SOCK_COMMON | F.MAYBE_NULL;
      break;
    case 'tcp_sock_or_null':
      markKnownZero(r0);
      r0.type = T.TCP_SOCK | F.MAYBE_NULL;
      break;
    case 'ringbuf_mem_or_null':
      markKnownZero(r0);
      r0.type = T.MEM | F.RINGBUF | F.MAYBE_NULL;
      r0.memSize = meta.memSize;
      break;
    case 'dynptr_mem_or_null':
      markKnownZero(r0);
      r0.type = T.MEM | F.MAYBE_NULL;
      r0.memSize = meta.memSize;
      break;
    case 'btf_id_or_null':
      markKnownZero(r0);
      r0.type = T.BTF_ID | F.MAYBE_NULL;
      r0.btf = proto.name.startsWith('skc_to_') ? proto.name.slice(7) : 'task_struct';
      break;
    case 'btf_id_trusted':
      markKnownZero(r0);
      r0.type = T.BTF_ID | F.TRUSTED;
      r0.btf = 'task_struct';
      break;
    default:
      markKnownZero(r0);
      r0.type = T.MEM | F.RDONLY | (proto.ret === 'mem_or_btf_id_or_null_rdonly' ? F.MAYBE_NULL : 0);
      break;
  }
  if (mayBeNull(r0.type)) r0.id = env.newId();
  if (proto.acquires || (id === 1 && isSockMap(env, meta.map))) {
    const ref = acquireReference(env);
    r0.id = ref;
    r0.refObjId = ref;
  }
  if (proto.retRange === 'cpu_id') {
    const ncpu = BigInt(cpuCount() - 1);
    r0.umax = ncpu;
    r0.u32max = Number(ncpu);
    r0.smax = ncpu;
    r0.s32max = Number(ncpu);
    r0.umin = 0n;
    r0.u32min = 0;
    r0.smin = 0n;
    r0.s32min = 0;
    boundsSync(r0);
  }
  mapCompatible(env, meta.map, id);
  let changesData = proto.changesPktData ?? false;
  if (id === 12) {
    if (env.cur.curframe) {
      // A tail call from a subprogram: the path that does not jump returns normally.
      pushStack(env, env.insnIdx + 1, env.insnIdx, false);
      clearAllPktPointers(env);
      markRegUnknown(regs[0]!);
      next = prepareFuncExit(env);
    } else changesData = false;
  }
  if (changesData) clearAllPktPointers(env);
  return next;
}

function isSockMap(env: Env, map: number): boolean {
  const t = env.prog.maps[map]?.typeName;
  return t === 'sockmap' || t === 'sockhash';
}

/** nr_cpu_ids the recordings were made with (get_smp_processor_id's range). */
function cpuCount(): number {
  return 2;
}

/**
 * update_loop_inline_state: the kernel inlines bpf_loop when every visit passes flags 0 and the same
 * callback; checking "flags is 0" makes r4 precise (loop_flag_is_zero).
 */
function updateLoopInlineState(env: Env, subprog: number): void {
  const aux = env.aux[env.insnIdx]!;
  const flagZero = (): boolean => {
    const r4 = curRegs(env)[4]!;
    const zero = r4.type === T.SCALAR && r4.var.mask === 0n && r4.var.value === 0n;
    if (zero) markPrecise(env, 4);
    return zero;
  };
  if (!aux.loopInlineInit) {
    aux.loopInlineInit = true;
    aux.loopInlineOk = flagZero();
    aux.loopCallback = subprog;
    return;
  }
  if (!aux.loopInlineOk) return;
  aux.loopInlineOk = flagZero() && aux.loopCallback === subprog;
}
