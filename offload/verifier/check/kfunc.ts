// Kernel function calls (check_kfunc_call / check_kfunc_args of Linux 6.18). The callee is the call's
// BTF id looked up in the recorded kernel table (offload/btf/kfuncs.ts): its availability to XDP, its
// KF_* flags and its BTF prototype decide everything, as in the kernel:
//   - availability: "calling kernel function X is not allowed", KF_SLEEPABLE, KF_DESTRUCTIVE;
//   - arguments by their BTF type and name suffix: scalars (`__k` constants), the XDP ctx, dynptrs
//     (`__uninit` creates one), pointers to kernel structs (PTR_TO_BTF_ID: trusted or referenced, exact
//     type), memory of the pointee's size, memory + size pairs (`__sz`, `__szk` constant), `__opt` /
//     `__nullable` NULLs, `__ign`; every other pointer must not be NULL (this kernel treats every
//     kfunc's pointer arguments as trusted: bpf_dynptr_from_xdp(NULL) is "Possibly NULL pointer passed to
//     trusted arg0" though it has no KF_TRUSTED_ARGS);
//   - references: KF_ACQUIRE returns a referenced pointer, KF_RELEASE drops the argument's reference,
//     KF_RET_NULL makes the result maybe-NULL;
//   - bpf_rcu_read_lock/unlock, bpf_preempt_disable/enable regions, bpf_dynptr_slice(_rdwr) slices,
//     bpf_xdp_pull_data invalidating packet pointers.
// Kfuncs whose arguments need kernel machinery nicsim does not model (iterators, BPF-allocated objects,
// lists, rbtrees, workqueues, resilient spin locks, IRQ flags, strings, callbacks, arenas) are refused
// with ENOTSUPP and a message saying so, never silently accepted.
import { hasFlag, type Kfunc, kfuncById, type KfuncParam } from '../../btf/kfuncs.ts';
import { METADATA_KFUNCS } from '../../../firmware/kfuncs/rx-meta.ts';
import { isNullReg, markKnownZero, markNotInit } from '../domain/bounds.ts';
import { base, F, mayBeNull, type Reg, T, typeStr } from '../domain/reg.ts';
import { DYNPTR_XDP, dynptrInfo, processDynptr } from './dynptr.ts';
import type { Env } from './env.ts';
import { acquireReference, clearAllPktPointers, releaseReference } from './helper.ts';
import { checkHelperMem, checkMemSizeReg } from './helper-mem.ts';
import { VerifierFail } from './fail.ts';
import { markPtrNotNull } from './jmp.ts';
import { checkPtrOffReg } from './mem.ts';
import { markPrecise } from './precise.ts';
import { checkRegArg, curRegs, markRegUnknown } from './regs.ts';

/** bpf_dev_bound_kfunc_id: kfuncs that need a device-bound (offloaded or dev-bound) program. */
export const DEV_BOUND_KFUNCS = METADATA_KFUNCS;

/** Kfuncs that move packet data (is_kfunc_pkt_changing). */
const PKT_CHANGING = new Set(['bpf_xdp_pull_data']);

/** The kfunc a call names: by the loader's resolution at this pc, else by the BTF id in imm. */
export function kfuncAt(env: Env, pc: number): Kfunc | undefined {
  const raw = env.prog.raws[pc]!;
  if (raw.off !== 0) return undefined;
  return kfuncById(raw.imm);
}

const suffix = (p: KfuncParam, s: string): boolean => p.name.length > s.length && p.name.endsWith(s);
const isScalarParam = (p: KfuncParam | undefined): boolean => p !== undefined && p.pointee === undefined && p.scalar === true;
const isMemSize = (p: KfuncParam | undefined): boolean => p !== undefined && isScalarParam(p) && suffix(p, '__sz');
const isConstMemSize = (p: KfuncParam | undefined): boolean => p !== undefined && isScalarParam(p) && suffix(p, '__szk');
const isNullable = (p: KfuncParam): boolean => suffix(p, '__nullable') || suffix(p, '__opt');

const UNMODELLED_STRUCTS = /^(bpf_iter_|bpf_list_|bpf_rb_|bpf_wq$|bpf_res_spin_lock$|bpf_refcount$|bpf_timer$|bpf_task_work$|bpf_prog_aux$|bpf_arena|bpf_map$)/;
const UNMODELLED_SUFFIXES = ['__irq_flag', '__str', '__map', '__prog', '__aux', '__alloc', '__refcounted_kptr', '__async'];
const UNMODELLED_NAMES = new Set(['bpf_cast_to_kern_ctx', 'bpf_rdonly_cast', 'bpf_obj_new_impl', 'bpf_percpu_obj_new_impl', 'bpf_throw', 'bpf_session_cookie', 'bpf_get_kmem_cache']);

/** Why nicsim cannot verify calls of this kfunc, or null. */
export function unmodelled(k: Kfunc): string | null {
  if (UNMODELLED_NAMES.has(k.name)) return 'its return value or effect needs kernel-internal types';
  if (k.flags?.some((f) => f.startsWith('KF_ITER_'))) return 'open-coded iterators are not modelled';
  if (k.flags?.some((f) => f.startsWith('KF_ARENA_'))) return 'arenas are not modelled';
  for (const p of k.params) {
    if (UNMODELLED_SUFFIXES.some((s) => suffix(p, s))) return `argument '${p.name}' is not modelled`;
    if (p.pointee && (p.pointee.kind === 'FUNC_PROTO' || UNMODELLED_STRUCTS.test(p.pointee.name))) return `argument '${p.name}' (${p.type}) is not modelled`;
  }
  return null;
}

interface KfuncMeta {
  refObjId: number;
  releaseRegno: number;
  constFound: boolean;
  constValue: bigint;
  dynptrId: number;
  dynptrType: number;
}

/** Named structs the recorded prototypes mention and the struct at their offset 0. */
function firstMember(name: string, k: Kfunc): string | null {
  for (const p of [...k.params.map((x) => x.pointee), k.retPointee]) if (p && p.name === name) return p.firstMember;
  return null;
}

/** btf_type_ids_nocast_alias: `nf_conn` and `nf_conn___init` are the same type under two names. */
function nocastAlias(a: string, b: string): boolean {
  const stem = (s: string) => (s.includes('___') ? s.slice(0, s.indexOf('___')) : s);
  return a !== b && stem(a) === stem(b);
}

/** is_trusted_reg */
function isTrustedReg(r: Reg): boolean {
  if (r.refObjId) return true;
  const t = r.type;
  if (base(t) !== T.BTF_ID) return base(t) === T.SOCKET || base(t) === T.SOCK_COMMON || base(t) === T.TCP_SOCK || base(t) === T.XDP_SOCK;
  return (t & (F.TRUSTED | F.ALLOC)) !== 0 && (t & (F.UNTRUSTED | F.USER | F.PERCPU)) === 0;
}

/** check_func_arg_reg_off for a kfunc argument. */
function checkArgRegOff(env: Env, regno: number, release: boolean): void {
  const reg = curRegs(env)[regno]!;
  if (release && (reg.var.mask !== 0n || reg.var.value !== 0n || reg.off !== 0))
    env.fail('EINVAL', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  switch (base(reg.type)) {
    case T.STACK:
    case T.PKT:
    case T.PKT_META:
    case T.MAP_KEY:
    case T.MAP_VALUE:
    case T.MEM:
    case T.BUF:
    case T.SCALAR:
    case T.DYNPTR:
      return;
    case T.BTF_ID:
      checkPtrOffReg(env, reg, regno, true);
      return;
    default:
      checkPtrOffReg(env, reg, regno, false);
  }
}

/** check_mem_reg / check_kfunc_mem_size_reg: the memory is both read and written by the kfunc. */
function withNotNull(env: Env, reg: Reg, fn: () => void): void {
  if (!mayBeNull(reg.type)) return fn();
  const saved = reg.clone();
  markPtrNotNull(env, reg);
  try {
    fn();
  } finally {
    Object.assign(reg, saved);
  }
}

function checkKfuncArgs(env: Env, k: Kfunc, meta: KfuncMeta): void {
  const regs = curRegs(env);
  const release = hasFlag(k, 'KF_RELEASE');
  const rcu = hasFlag(k, 'KF_RCU');
  const nargs = k.params.length;
  for (let i = 0; i < nargs; i++) {
    const p = k.params[i]!;
    const regno = i + 1;
    const reg = regs[regno]!;
    if (suffix(p, '__ign')) continue;
    if (!p.pointee) {
      if (reg.type !== T.SCALAR) env.fail('EINVAL', `R${regno} is not a scalar`);
      if (suffix(p, '__k')) {
        if (reg.var.mask !== 0n) env.fail('EINVAL', `R${regno} must be a known constant`);
        markPrecise(env, regno);
        meta.constFound = true;
        meta.constValue = reg.var.value;
      }
      continue;
    }
    const pt = p.pointee;
    if ((isNullReg(reg) || mayBeNull(reg.type)) && !isNullable(p)) env.fail('EACCES', `Possibly NULL pointer passed to trusted arg${i}`);
    if (reg.refObjId) {
      meta.refObjId = reg.refObjId;
      if (release) meta.releaseRegno = regno;
    }
    // get_kfunc_ptr_arg_type
    const memSize = i + 1 < nargs && (isMemSize(k.params[i + 1]) || isConstMemSize(k.params[i + 1]));
    let kind: 'ctx' | 'null' | 'dynptr' | 'btf_id' | 'mem' | 'mem_size';
    if (pt.kind === 'STRUCT' && pt.name === 'xdp_md') kind = 'ctx';
    else if (suffix(p, '__nullable') && isNullReg(reg)) kind = 'null';
    else if (pt.kind === 'STRUCT' && pt.name === 'bpf_dynptr') kind = 'dynptr';
    else if (base(reg.type) === T.BTF_ID || base(reg.type) === T.SOCKET || base(reg.type) === T.SOCK_COMMON || base(reg.type) === T.TCP_SOCK) {
      if (pt.kind !== 'STRUCT') env.fail('EINVAL', `kernel function ${k.name} args#${i} pointer type ${pt.kind} ${pt.name} is not supported`);
      kind = 'btf_id';
    } else {
      if (!pt.scalar && !pt.scalarStruct && (memSize ? pt.kind !== 'VOID' : true)) {
        for (const line of pt.scalarStructLog) env.verbose(line);
        env.fail('EINVAL', `arg#${i} pointer type ${pt.kind} ${pt.name} must point to ${memSize ? 'void, ' : ''}scalar, or struct with scalar`);
      }
      kind = memSize ? 'mem_size' : 'mem';
    }
    if (kind === 'null') continue;
    if (kind === 'btf_id' && !isTrustedReg(reg)) {
      if (!rcu) env.fail('EINVAL', `R${regno} must be referenced or trusted`);
      if (!(reg.type & F.RCU)) env.fail('EINVAL', `R${regno} must be a rcu pointer`);
    }
    checkArgRegOff(env, regno, release && reg.refObjId !== 0);
    switch (kind) {
      case 'ctx':
        if (reg.type !== T.CTX) env.fail('EINVAL', `arg#${i} expected pointer to ctx, but got ${typeStr(reg.type)}`);
        break;
      case 'dynptr': {
        const uninit = suffix(p, '__uninit');
        processDynptr(env, regno, uninit, reg.type === T.DYNPTR, k.name === 'bpf_dynptr_from_xdp' ? DYNPTR_XDP : 0, 0);
        if (!uninit) {
          const d = dynptrInfo(env, regno);
          meta.dynptrId = d.id;
          meta.dynptrType = d.type;
        }
        break;
      }
      case 'btf_id': {
        const have = reg.btf || typeStr(base(reg.type));
        const strict = (release && reg.refObjId !== 0) || nocastAlias(have, pt.name);
        const same = have === pt.name || (!strict && reg.off === 0 && firstMember(have, k) === pt.name);
        if (!same)
          env.fail('EINVAL', `kernel function ${k.name} args#${i} expected pointer to ${pt.kind} ${pt.name} but R${regno} has a pointer to STRUCT ${have}`);
        break;
      }
      case 'mem':
        if (pt.size === null) env.fail('EINVAL', `arg#${i} reference type('${pt.kind} ${pt.name}') size cannot be determined: -22`);
        if (!isNullReg(reg))
          withNotNull(env, reg, () => {
            checkHelperMem(env, regno, pt.size!, 'read', true, null);
            checkHelperMem(env, regno, pt.size!, 'write', true, null);
          });
        break;
      case 'mem_size': {
        const sizeParam = k.params[i + 1]!;
        if (!isNullReg(reg) || !suffix(p, '__opt')) {
          try {
            withNotNull(env, reg, () => {
              const rm = { rawMode: false, accessSize: 0, regno: 0 };
              checkMemSizeReg(env, regno + 1, 'read', true, rm, { msizeMax: 0n });
              checkMemSizeReg(env, regno + 1, 'write', true, rm, { msizeMax: 0n });
            });
          } catch (e) {
            if (e instanceof VerifierFail) env.fail(e.errno, `arg#${i} arg#${i + 1} memory, len pair leads to invalid memory access`);
            throw e;
          }
        }
        if (isConstMemSize(sizeParam)) {
          const sr = regs[regno + 1]!;
          if (sr.var.mask !== 0n) env.fail('EINVAL', `R${regno + 1} must be a known constant`);
          // the NULL buffer's value and the constant decide the result: both precise
          if (isNullReg(reg)) markPrecise(env, regno);
          markPrecise(env, regno + 1);
          meta.constFound = true;
          meta.constValue = sr.var.value;
        }
        i++;
        break;
      }
    }
  }
  if (release && !meta.releaseRegno) env.fail('EINVAL', `release kernel function ${k.name} expects refcounted PTR_TO_BTF_ID`);
}

/** check_kfunc_call */
export function checkKfuncCall(env: Env): void {
  const raw = env.prog.raws[env.insnIdx]!;
  // imm 0 (an extern nothing resolved): skipped here, refused after the walk (fixup_kfunc_call)
  if (raw.imm === 0 && raw.off === 0) {
    env.unresolvedKfunc = true;
    return;
  }
  const k = kfuncAt(env, env.insnIdx);
  if (!k) env.fail('EINVAL', `kernel btf_id ${raw.imm >>> 0} is not a function`);
  if (!k.xdp) env.fail('EACCES', `calling kernel function ${k.name} is not allowed`);
  // clang emits calls of __bpf_trap for reads of uninitialised variables
  if (k.name === '__bpf_trap') env.fail('EFAULT', 'unexpected __bpf_trap() due to uninitialized variable?');
  const why = unmodelled(k);
  if (why) env.fail('ENOTSUPP', `nicsim does not verify calls of kernel function ${k.name}: ${why}`);
  if (hasFlag(k, 'KF_DESTRUCTIVE') && !env.priv.allowPtrLeaks) env.fail('EACCES', 'destructive kfunc calls require CAP_SYS_BOOT capability');
  const sleepable = hasFlag(k, 'KF_SLEEPABLE');
  if (sleepable) env.fail('EACCES', `program must be sleepable to call sleepable kfunc ${k.name}`);
  const meta: KfuncMeta = { refObjId: 0, releaseRegno: 0, constFound: false, constValue: 0n, dynptrId: 0, dynptrType: 0 };
  checkKfuncArgs(env, k, meta);
  const st = env.cur;
  if (k.name === 'bpf_rcu_read_lock' || k.name === 'bpf_rcu_read_unlock') {
    if (st.activeRcuLock) {
      if (k.name === 'bpf_rcu_read_lock') env.fail('EINVAL', `nested rcu read lock (kernel function ${k.name})`);
      st.activeRcuLock = false;
    } else if (k.name === 'bpf_rcu_read_lock') st.activeRcuLock = true;
    else env.fail('EINVAL', `unmatched rcu read unlock (kernel function ${k.name})`);
  }
  if (k.name === 'bpf_preempt_disable') st.activePreemptLocks++;
  else if (k.name === 'bpf_preempt_enable') {
    if (!st.activePreemptLocks) env.fail('EINVAL', `unmatched attempt to enable preemption (kernel function ${k.name})`);
    st.activePreemptLocks--;
  }
  const regs = curRegs(env);
  if (meta.releaseRegno && !releaseReference(env, regs[meta.releaseRegno]!.refObjId))
    env.fail('EINVAL', `kfunc ${k.name}#${k.btfId} reference has not been acquired before`);
  for (let i = 0; i <= 5; i++) {
    markNotInit(regs[i]!);
    checkRegArg(env, i, 'dst_nomark');
  }
  const r0 = regs[0]!;
  r0.subregDef = 0;
  const rp = k.retPointee;
  if (k.ret === 'void') r0.type = T.NOT_INIT;
  else if (!rp) {
    markRegUnknown(r0);
    if (k.retSize === 4) r0.subregDef = env.insnIdx + 1;
  } else if (k.name === 'bpf_dynptr_slice' || k.name === 'bpf_dynptr_slice_rdwr') {
    markKnownZero(r0);
    r0.memSize = Number(meta.constValue);
    r0.type = T.MEM | (meta.dynptrType === DYNPTR_XDP ? F.DYNPTR_XDP : 0) | (k.name === 'bpf_dynptr_slice' ? F.RDONLY : 0);
  } else if (rp.kind === 'STRUCT') {
    markKnownZero(r0);
    r0.type = T.BTF_ID;
    r0.btf = rp.name;
  } else env.fail('EINVAL', `kernel function ${k.name} returns pointer type ${rp.kind} ${rp.name} is not supported`);
  if (rp && hasFlag(k, 'KF_RET_NULL')) {
    r0.type |= F.MAYBE_NULL;
    r0.id = env.newId();
  }
  if (hasFlag(k, 'KF_ACQUIRE')) {
    if (!rp || rp.kind !== 'STRUCT') env.fail('EINVAL', 'acquire kernel function does not return PTR_TO_BTF_ID');
    const id = acquireReference(env);
    if (hasFlag(k, 'KF_RET_NULL')) r0.id = id;
    r0.refObjId = id;
  }
  if (PKT_CHANGING.has(k.name)) clearAllPktPointers(env);
}
