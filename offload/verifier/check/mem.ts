// check_mem_access: loads and stores through every pointer type, with alignment, and the
// instruction-level wrappers (check_load_mem, check_store_reg) that remember which pointer type an
// instruction uses (save_aux_ptr_type).
import { coerceRegToSize, coerceRegToSizeSx, markKnownZero, setKnownBounds } from '../domain/bounds.ts';
import { base, F, isPktPointer, isSkPointer, mayBeNull, Reg, T, typeStr } from '../domain/reg.ts';
import { tnumAdd, tnumConst, tnumIsAligned } from '../domain/tnum.ts';
import { xdpCtxAccess } from './ctx.ts';
import type { Env } from './env.ts';
import { checkMapAccess, checkMapAccessType, checkMemRegion, checkPacketAccess, mapOf } from './region.ts';
import { checkRegArg, curRegs, isPointerValue, markRegUnknown } from './regs.ts';
import { checkStackBounds, checkStackRead, checkStackWrite } from './stack.ts';

export type AccessType = 'read' | 'write';

/** The var_off of a pointer as the alignment messages print it. */
function varOffStr(r: Reg): string {
  return r.var.mask === 0n ? BigInt.asIntN(64, r.var.value).toString() : r.var.toString();
}

/** check_ptr_alignment; `off` is the instruction offset (reg->off is added here). */
function checkAlignment(env: Env, reg: Reg, off: number, size: number, strictOnce: boolean): void {
  let strict = strictOnce;
  let desc = '';
  switch (reg.type) {
    case T.PKT:
    case T.PKT_META:
      if (!strict || size === 1) return;
      if (!tnumIsAligned(tnumAdd(reg.var, tnumConst(BigInt(2 + reg.off + off) & 0xffff_ffff_ffff_ffffn)), size))
        env.fail('EACCES', `misaligned packet access off 2+${varOffStr(reg)}+${reg.off}+${off} size ${size}`);
      return;
    case T.FLOW_KEYS:
      desc = 'flow keys ';
      break;
    case T.MAP_KEY:
      desc = 'key ';
      break;
    case T.MAP_VALUE:
      desc = 'value ';
      break;
    case T.CTX:
      desc = 'context ';
      break;
    case T.STACK:
      desc = 'stack ';
      strict = true;
      break;
    case T.SOCKET:
      desc = 'sock ';
      break;
    case T.SOCK_COMMON:
      desc = 'sock_common ';
      break;
    case T.TCP_SOCK:
      desc = 'tcp_sock ';
      break;
    case T.XDP_SOCK:
      desc = 'xdp_sock ';
      break;
    default:
      break;
  }
  if (!strict || size === 1) return;
  const regOff = tnumAdd(reg.var, tnumConst(BigInt.asUintN(64, BigInt(reg.off + off))));
  if (!tnumIsAligned(regOff, size)) env.fail('EACCES', `misaligned ${desc}access off ${varOffStr(reg)}+${reg.off}+${off} size ${size}`);
}

/** __check_ptr_off_reg */
export function checkPtrOffReg(env: Env, reg: Reg, regno: number, fixedOffOk: boolean): void {
  if (reg.var.mask !== 0n) env.fail('EACCES', `variable ${typeStr(reg.type)} access var_off=${reg.var.toString()} disallowed`);
  if (reg.off < 0) env.fail('EACCES', `negative offset ${typeStr(reg.type)} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off !== 0) env.fail('EACCES', `dereference of modified ${typeStr(reg.type)} ptr R${regno} off=${reg.off} disallowed`);
}

/**
 * check_mem_access. `valueRegno` is the register loaded into (read) or stored from (write), -1 for
 * none; `imm` is a stored immediate (BPF_ST).
 */
export function checkMemAccess(
  env: Env,
  regno: number,
  insnOff: number,
  size: number,
  t: AccessType,
  valueRegno: number,
  strictOnce: boolean,
  isLdsx: boolean,
  imm: number | null = null,
): void {
  const regs = curRegs(env);
  const reg = regs[regno]!;
  checkAlignment(env, reg, insnOff, size, strictOnce);
  const off = insnOff + reg.off;

  if (reg.type === T.MAP_KEY) {
    if (t === 'write') env.fail('EACCES', `write to change key R${regno} not allowed`);
    checkMemRegion(env, regno, off, size, mapOf(env, reg.map).keySize, false);
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!);
  } else if (reg.type === T.MAP_VALUE) {
    if (t === 'write' && valueRegno >= 0) checkLeak(env, regs[valueRegno]!, valueRegno, 'map');
    checkMapAccessType(env, regno, off, size, t);
    checkMapAccess(env, regno, off, size, false, true);
    if (t === 'read' && valueRegno >= 0) {
      const map = mapOf(env, reg.map);
      const dst = regs[valueRegno]!;
      if (reg.var.mask === 0n && map.frozen && map.readonly && map.initial && map.typeName !== 'percpu_array') {
        const mapOff = off + Number(reg.var.value);
        dst.type = T.SCALAR;
        markKnownZero(dst);
        setKnownBounds(dst, readValue(map.initial, mapOff, size, isLdsx));
        dst.type = T.SCALAR;
      } else markRegUnknown(dst);
    }
  } else if (base(reg.type) === T.MEM) {
    if (mayBeNull(reg.type)) env.fail('EACCES', `R${regno} invalid mem access '${typeStr(reg.type)}'`);
    const rdonly = (reg.type & F.RDONLY) !== 0;
    if (t === 'write' && rdonly) env.fail('EACCES', `R${regno} cannot write into ${typeStr(reg.type)}`);
    if (t === 'write' && valueRegno >= 0) checkLeak(env, regs[valueRegno]!, valueRegno, 'mem');
    checkMemRegion(env, regno, off, size, reg.memSize, false);
    if (valueRegno >= 0 && (t === 'read' || rdonly)) markRegUnknown(regs[valueRegno]!);
  } else if (reg.type === T.CTX) {
    if (t === 'write' && valueRegno >= 0) checkLeak(env, regs[valueRegno]!, valueRegno, 'ctx');
    checkPtrOffReg(env, reg, regno, false);
    const rt = xdpCtxAccess(env, off, size, t, isLdsx);
    if (rt === null) env.fail('EACCES', `invalid bpf_context access off=${off} size=${size}`);
    if (t === 'read' && valueRegno >= 0) {
      const dst = regs[valueRegno]!;
      if (rt === T.SCALAR) markRegUnknown(dst);
      else {
        markKnownZero(dst);
        dst.subregDef = 0;
      }
      dst.type = rt;
      if (rt !== T.SCALAR) {
        dst.precise = false;
        dst.range = 0;
      }
    }
  } else if (reg.type === T.STACK) {
    checkStackBounds(env, regno, off, size, t);
    if (t === 'read') checkStackRead(env, regno, off, size, valueRegno);
    else checkStackWrite(env, regno, off, size, valueRegno, imm);
  } else if (isPktPointer(reg.type)) {
    if (t === 'write' && valueRegno >= 0) checkLeak(env, regs[valueRegno]!, valueRegno, 'packet');
    checkPacketAccess(env, regno, off, size, false);
    if (t === 'read' && valueRegno >= 0) markRegUnknown(regs[valueRegno]!);
  } else if (isSkPointer(reg.type)) {
    if (t === 'write') env.fail('EACCES', `R${regno} cannot write into ${typeStr(reg.type)}`);
    checkSockAccess(env, regno, off, size);
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!);
  } else if (base(reg.type) === T.BTF_ID && !mayBeNull(reg.type)) {
    if (!env.priv.allowPtrLeaks)
      env.fail('EPERM', `'struct ${reg.btf}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
    if (t !== 'read') env.fail('EACCES', 'only read is supported');
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!);
  } else if (reg.type === T.MAP_PTR) {
    const tname = mapStructName(mapOf(env, reg.map).typeName);
    if (!env.priv.allowPtrLeaks) env.fail('EPERM', `'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
    if (off < 0) env.fail('EACCES', `R${regno} is ${tname} invalid negative access: off=${off}`);
    if (t !== 'read') env.fail('EACCES', `only read from ${tname} is supported`);
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!);
  } else {
    env.fail('EACCES', `R${regno} invalid mem access '${typeStr(reg.type)}'`);
  }

  if (size < 8 && valueRegno >= 0 && t === 'read' && regs[valueRegno]!.type === T.SCALAR) {
    if (!isLdsx) coerceRegToSize(regs[valueRegno]!, size);
    else coerceRegToSizeSx(regs[valueRegno]!, size);
  }
}

function readValue(bytes: Uint8Array, off: number, size: number, sx: boolean): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  if (sx && size < 8) v = BigInt.asIntN(size * 8, v);
  return v;
}

/** The kernel struct behind a map pointer (map->ops->map_btf_id). */
function mapStructName(typeName: string): string {
  switch (typeName) {
    case 'hash':
    case 'percpu_hash':
    case 'lru_hash':
    case 'lru_percpu_hash':
    case 'hash_of_maps':
      return 'bpf_htab';
    case 'array':
    case 'percpu_array':
    case 'prog_array':
    case 'perf_event_array':
    case 'cgroup_array':
    case 'array_of_maps':
      return 'bpf_array';
    case 'lpm_trie':
      return 'lpm_trie';
    case 'devmap':
    case 'devmap_hash':
      return 'bpf_dtab';
    case 'cpumap':
      return 'bpf_cpu_map';
    case 'xskmap':
      return 'xsk_map';
    case 'ringbuf':
      return 'bpf_ringbuf_map';
    default:
      return 'bpf_map';
  }
}

/** bpf_sock_common / bpf_sock / bpf_tcp_sock / bpf_xdp_sock read access (field-precise in the kernel). */
function checkSockAccess(env: Env, regno: number, off: number, size: number): void {
  const reg = curRegs(env)[regno]!;
  if (reg.smin < 0n) env.fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const limit = reg.type === T.XDP_SOCK ? 4 : reg.type === T.TCP_SOCK ? 112 : 80;
  if (off < 0 || off + size > limit || off % size !== 0)
    env.fail('EACCES', `R${regno} invalid ${typeStr(reg.type)} access off=${off} size=${size}`);
}

/** A pointer stored into memory the program or user space can read back. */
function checkLeak(env: Env, value: Reg, valueRegno: number, what: string): void {
  if (isPointerValue(env, value)) env.fail('EACCES', `R${valueRegno} leaks addr into ${what}`);
}

/** save_aux_ptr_type: one instruction must not see ctx/socket pointers on one path and others on another. */
export function saveAuxPtrType(env: Env, type: number): void {
  const aux = env.aux[env.insnIdx]!;
  if (aux.ptrType === 0) {
    aux.ptrType = type === 0 ? -1 : type;
    return;
  }
  const prev = aux.ptrType === -1 ? 0 : aux.ptrType;
  if (type !== prev && (!mismatchOk(type) || !mismatchOk(prev))) env.fail('EINVAL', 'same insn cannot be used with different pointers');
}
function mismatchOk(t: number): boolean {
  const b = base(t);
  return !(b === T.CTX || b === T.SOCKET || b === T.SOCK_COMMON || b === T.TCP_SOCK || b === T.XDP_SOCK || b === T.BTF_ID);
}

/** check_load_mem (LDX) */
export function checkLoad(env: Env, dst: number, src: number, off: number, size: number, sx: boolean, strictOnce: boolean): void {
  checkRegArg(env, src, 'src');
  checkRegArg(env, dst, 'dst_nomark', size === 8 || sx);
  const srcType = curRegs(env)[src]!.type;
  checkMemAccess(env, src, off, size, 'read', dst, strictOnce, sx);
  saveAuxPtrType(env, srcType);
}

/** check_store_reg (STX) */
export function checkStore(env: Env, dst: number, src: number, off: number, size: number, strictOnce: boolean): void {
  checkRegArg(env, src, 'src', size === 8);
  checkRegArg(env, dst, 'src');
  const dstType = curRegs(env)[dst]!.type;
  checkMemAccess(env, dst, off, size, 'write', src, strictOnce, false);
  saveAuxPtrType(env, dstType);
}

/** BPF_ST: store an immediate. */
export function checkStoreImm(env: Env, dst: number, off: number, size: number, imm: number): void {
  checkRegArg(env, dst, 'src');
  const dstType = curRegs(env)[dst]!.type;
  checkMemAccess(env, dst, off, size, 'write', -1, false, false, imm);
  saveAuxPtrType(env, dstType);
}
