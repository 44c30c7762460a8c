// Helper arguments (check_func_arg): the register type each argument type accepts
// (compatible_reg_types, with the kernel's "R1 type=ctx expected=map_ptr" message), offsets,
// references handed to release functions, and the per-type memory checks.
import type { ArgSpec, HelperProto } from '../../../firmware/helpers/protos.ts';
import { isNullReg, isRegConst } from '../domain/bounds.ts';
import { base, F, isPktPointer, T, typeStr } from '../domain/reg.ts';
import { checkPtrOffReg } from './mem.ts';
import { processDynptr, DYNPTR_LOCAL, DYNPTR_RINGBUF, DYNPTR_XDP } from './dynptr.ts';
import type { Env } from './env.ts';
import { checkHelperMem, checkMemSizeReg, type SizeMeta } from './helper-mem.ts';
import { processSpinLock } from './lock.ts';
import { markPrecise, markPreciseSlot } from './precise.ts';
import { checkRegArg, curRegs, isPointerValue } from './regs.ts';
import type { RawModeMeta } from './stack.ts';
import { frameOf } from './stack.ts';
import { ST } from '../state/stack.ts';

const MEM_TYPES = [T.STACK, T.PKT, T.PKT_META, T.MAP_KEY, T.MAP_VALUE, T.MEM, T.MEM | F.RINGBUF, T.BUF, T.BTF_ID | F.TRUSTED];
const SOCK_TYPES = [T.SOCK_COMMON, T.SOCKET, T.TCP_SOCK, T.XDP_SOCK];
const BTF_SOCK_COMMON_TYPES = [T.SOCK_COMMON, T.SOCKET, T.TCP_SOCK, T.XDP_SOCK, T.BTF_ID, T.BTF_ID | F.TRUSTED];

const COMPATIBLE: Record<ArgSpec['type'], number[]> = {
  anything: [T.SCALAR],
  const_map_ptr: [T.MAP_PTR],
  ptr_to_map_key: MEM_TYPES,
  ptr_to_map_value: MEM_TYPES,
  ptr_to_mem: MEM_TYPES,
  const_size: [T.SCALAR],
  const_size_or_zero: [T.SCALAR],
  const_alloc_size_or_zero: [T.SCALAR],
  ptr_to_ctx: [T.CTX],
  ptr_to_sock_common: SOCK_TYPES,
  ptr_to_btf_id_sock_common: BTF_SOCK_COMMON_TYPES,
  ptr_to_socket: [T.SOCKET],
  ptr_to_btf_id: [T.BTF_ID, T.BTF_ID | F.TRUSTED, T.BTF_ID | F.RCU],
  ptr_to_percpu_btf_id: [T.BTF_ID | F.PERCPU, T.BTF_ID | F.PERCPU | F.RCU, T.BTF_ID | F.PERCPU | F.TRUSTED],
  ptr_to_spin_lock: [T.MAP_VALUE, T.BTF_ID | F.ALLOC],
  ptr_to_func: [T.FUNC],
  ptr_to_stack: [T.STACK],
  ptr_to_ringbuf_mem: [T.MEM | F.RINGBUF],
  ptr_to_dynptr: [T.STACK, T.DYNPTR],
  ptr_to_const_str: [T.MAP_VALUE],
  ptr_to_timer: [T.MAP_VALUE],
  kptr_xchg_dest: [T.MAP_VALUE, T.BTF_ID | F.ALLOC],
};

export interface CallMeta extends RawModeMeta, SizeMeta {
  funcId: number;
  pktAccess: boolean;
  map: number;
  mapUid: number;
  releaseRegno: number;
  refObjId: number;
  memSize: number;
  constMapKey: bigint;
  subprogno: number;
}

export function newCallMeta(proto: HelperProto): CallMeta {
  return {
    funcId: proto.id,
    pktAccess: proto.pktAccess ?? false,
    map: -1,
    mapUid: 0,
    releaseRegno: 0,
    refObjId: 0,
    memSize: 0,
    constMapKey: -1n,
    subprogno: -1,
    rawMode: false,
    accessSize: 0,
    regno: 0,
    msizeMax: 0n,
  };
}

/** check_reg_type */
function checkRegType(env: Env, regno: number, arg: ArgSpec): void {
  const reg = curRegs(env)[regno]!;
  let type = reg.type;
  if (arg.rdonly) type &= ~F.RDONLY;
  if (arg.maybeNull) type &= ~F.MAYBE_NULL;
  if (arg.type === 'ptr_to_mem') type &= ~F.DYNPTR_XDP;
  const compat = COMPATIBLE[arg.type];
  if (compat.includes(type)) {
    if (base(reg.type) === T.BTF_ID && compat === MEM_TYPES && !arg.rdonly)
      env.fail('EACCES', `helper may write into memory pointed by R${regno} type=${typeStr(reg.type)}`);
    if (base(reg.type) === T.BTF_ID && arg.type === 'ptr_to_btf_id_sock_common') {
      if ((reg.type & F.MAYBE_NULL) && (!arg.maybeNull || arg.release)) env.fail('EACCES', `Possibly NULL pointer passed to helper arg${regno}`);
      checkPtrOffReg(env, reg, regno, true);
    }
    return;
  }
  env.fail('EACCES', `R${regno} type=${typeStr(reg.type)} expected=${compat.map(typeStr).join(', ')}`);
}

/** check_func_arg_reg_off */
function checkArgRegOff(env: Env, regno: number, arg: ArgSpec): void {
  const reg = curRegs(env)[regno]!;
  if (arg.release) {
    if (arg.type === 'ptr_to_dynptr' && reg.type === T.STACK) return;
    if (reg.var.mask !== 0n || reg.var.value !== 0n || reg.off !== 0)
      env.fail('EINVAL', `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
  }
  switch (reg.type) {
    case T.STACK:
    case T.PKT:
    case T.PKT_META:
    case T.MAP_KEY:
    case T.MAP_VALUE:
    case T.MEM:
    case T.MEM | F.RDONLY:
    case T.MEM | F.RINGBUF:
    case T.BUF:
    case T.BUF | F.RDONLY:
    case T.SCALAR:
      return;
    case T.BTF_ID:
    case T.BTF_ID | F.ALLOC:
    case T.BTF_ID | F.TRUSTED:
    case T.BTF_ID | F.RCU:
      checkPtrOffReg(env, reg, regno, true);
      return;
    default:
      checkPtrOffReg(env, reg, regno, false);
  }
}

/** get_constant_map_key: a constant array-map key on the stack (for NULL-check elision). */
function constantMapKey(env: Env, regno: number, keySize: number): bigint {
  const key = curRegs(env)[regno]!;
  if (!env.priv.bpfCapable || key.type !== T.STACK || key.var.mask !== 0n) return -1n;
  const stackOff = Number(BigInt.asIntN(64, key.var.value)) + key.off;
  const slot = -stackOff - 1;
  const spi = slot >> 3;
  const off = slot % 8;
  const f = frameOf(env, key);
  const s = f.slot(spi);
  let zero = 0;
  for (let i = off; i >= 0 && s.typeAt(i) === ST.ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (!s.isSpilled() || s.spilled!.type !== T.SCALAR) return -1n;
  let spill = 0;
  for (let i = off; i >= 0 && s.typeAt(i) === ST.SPILL; i--) spill++;
  if (spill !== keySize) return -1n;
  if (s.spilled!.var.mask !== 0n) return -1n;
  markPreciseSlot(env, key.frameno, spi);
  return s.spilled!.var.value;
}

const CAN_ELIDE_NULL = new Set(['array', 'percpu_array']);

/** check_func_arg for argument `arg` (0-based) of `proto`. */
export function checkFuncArg(env: Env, arg: number, meta: CallMeta, proto: HelperProto): void {
  const regno = arg + 1;
  const spec = proto.args[arg];
  if (!spec) return;
  checkRegArg(env, regno, 'src');
  const regs = curRegs(env);
  const reg = regs[regno]!;
  if (spec.type === 'anything') {
    if (isPointerValue(env, reg)) env.fail('EACCES', `R${regno} leaks addr into helper function`);
    return;
  }
  if (isPktPointer(reg.type) && !meta.pktAccess) env.fail('EACCES', 'helper access to the packet is not allowed');
  let argSpec = spec;
  if (spec.type === 'ptr_to_map_value') {
    const mt = env.prog.maps[meta.map]?.typeName;
    if (mt === 'sockmap' || mt === 'sockhash') argSpec = { ...spec, type: 'ptr_to_btf_id_sock_common' };
  }
  if (!(isNullReg(reg) && argSpec.maybeNull)) {
    checkRegType(env, regno, argSpec);
    checkArgRegOff(env, regno, argSpec);
  } else {
    // a NULL for a pointer that may be NULL: the zero is what makes it safe (this kernel build)
    markPrecise(env, regno);
  }
  if (argSpec.release) {
    if (argSpec.type === 'ptr_to_dynptr') {
      // released below via the dynptr's reference
    } else if (!reg.refObjId && !isNullReg(reg)) env.fail('EINVAL', `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) {
    if (meta.refObjId) env.fail('EACCES', `more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    meta.refObjId = reg.refObjId;
  }
  switch (argSpec.type) {
    case 'const_map_ptr':
      meta.map = reg.map;
      meta.mapUid = reg.mapUid;
      break;
    case 'ptr_to_map_key': {
      const keySize = env.prog.maps[meta.map]!.keySize;
      checkHelperMem(env, regno, keySize, 'read', false, null);
      if (CAN_ELIDE_NULL.has(env.prog.maps[meta.map]!.typeName)) meta.constMapKey = constantMapKey(env, regno, keySize);
      break;
    }
    case 'ptr_to_map_value':
      if (argSpec.maybeNull && isNullReg(reg)) return;
      meta.rawMode = argSpec.uninit ?? false;
      checkHelperMem(env, regno, env.prog.maps[meta.map]!.valueSize, argSpec.write ? 'write' : 'read', false, meta);
      break;
    case 'ptr_to_spin_lock':
      processSpinLock(env, regno, meta.funcId === 93);
      break;
    case 'ptr_to_func':
      meta.subprogno = reg.subprogno;
      break;
    case 'ptr_to_mem':
      meta.rawMode = argSpec.uninit ?? false;
      if (argSpec.fixedSize !== undefined) checkHelperMem(env, regno, argSpec.fixedSize, argSpec.write ? 'write' : 'read', false, meta);
      break;
    case 'const_size':
    case 'const_size_or_zero':
      checkMemSizeReg(env, regno, proto.args[arg - 1]?.write ? 'write' : 'read', argSpec.type === 'const_size_or_zero', meta, meta);
      break;
    case 'ptr_to_dynptr': {
      const kind = argSpec.dynptr === 'local' ? DYNPTR_LOCAL : argSpec.dynptr === 'ringbuf' ? DYNPTR_RINGBUF : argSpec.dynptr === 'xdp' ? DYNPTR_XDP : 0;
      processDynptr(env, regno, argSpec.uninit ?? false, argSpec.rdonly ?? false, kind, 0);
      break;
    }
    case 'const_alloc_size_or_zero':
      if (!isRegConst(reg, false)) env.fail('EACCES', `R${regno} is not a known constant'`);
      meta.memSize = Number(reg.var.value);
      markPrecise(env, regno);
      break;
    case 'ptr_to_const_str':
      if (reg.type !== T.MAP_VALUE) env.fail('EINVAL');
      break;
    default:
      break;
  }
}
