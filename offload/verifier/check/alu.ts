// ALU instructions (check_alu_op): register moves, scalar arithmetic, pointer arithmetic with the
// kernel's rules and messages (adjust_ptr_min_max_vals), linked scalars (rX = rY; rX += K), and the
// Spectre v1 sanitation an unprivileged loader gets (sanitize_ptr_alu, sanitize_check_bounds).
import type { AluInsn, AluOp, EndInsn } from '../../isa/index.ts';
import { scalarAlu, scalarByteSwap } from '../domain/alu.ts';
import {
  boundsSane,
  boundsSync,
  coerceRegToSizeSx,
  coerceSubregToSizeSx,
  isRegConst,
  mark32Unbounded,
  markKnown,
  markKnown32,
  markUnbounded,
  markUnknown,
  regConstValue,
  setKnownBounds,
  zext32to64,
} from '../domain/bounds.ts';
import { ADD_CONST, ADD_CONST32, ADD_CONST64, base, F, isPktPointer, Reg, T, typeStr } from '../domain/reg.ts';
import { tnumAdd, tnumSub } from '../domain/tnum.ts';
import { addS64, addU64, fls64, S64_MAX, S64_MIN, subS64, U64_MAX } from '../domain/u64.ts';
import type { Env } from './env.ts';
import { checkMapAccess } from './region.ts';
import { checkRegArg, curRegs, isPointerValue, markRegUnknown } from './regs.ts';
import { assignScalarIdBeforeMov, BPF_MAX_VAR_OFF } from './stack.ts';
import { pushSpeculative, pushStack } from './branches.ts';
import { markPrecise } from './precise.ts';

const ALU_STR: Record<AluOp, string> = {
  add: '+=',
  sub: '-=',
  mul: '*=',
  div: '/=',
  sdiv: '/=',
  or: '|=',
  and: '&=',
  lsh: '<<=',
  rsh: '>>=',
  neg: 'neg',
  mod: '%=',
  smod: '%=',
  xor: '^=',
  mov: '=',
  movsx8: '=',
  movsx16: '=',
  movsx32: '=',
  arsh: 's>>=',
};

// insn_aux_data.alu_state bits
const ALU_SANITIZE_SRC = 1;
const ALU_SANITIZE_DST = 2;
const ALU_NEG_VALUE = 4;
const ALU_NON_POINTER = 8;
const ALU_IMMEDIATE = 16;

const REASON_BOUNDS = -1;
const REASON_TYPE = -2;
const REASON_PATHS = -3;
const REASON_LIMIT = -4;

function knownBad(off: Reg): boolean {
  const known = off.var.mask === 0n;
  return (known && (off.smin !== off.smax || off.umin !== off.umax)) || off.smin > off.smax || off.umin > off.umax;
}

/** check_reg_sane_offset */
function saneOffset(env: Env, reg: Reg, type: number): boolean {
  const known = reg.var.mask === 0n;
  const val = BigInt.asIntN(64, reg.var.value);
  const max = BigInt(BPF_MAX_VAR_OFF);
  if (known && (val >= max || val <= -max)) {
    env.verbose(`math between ${typeStr(type)} pointer and ${val} is not allowed`);
    return false;
  }
  if (reg.off >= BPF_MAX_VAR_OFF || reg.off <= -BPF_MAX_VAR_OFF) {
    env.verbose(`${typeStr(type)} pointer offset ${reg.off} is not allowed`);
    return false;
  }
  if (reg.smin === S64_MIN) {
    env.verbose(`math between ${typeStr(type)} pointer and register with unbounded min value is not allowed`);
    return false;
  }
  if (reg.smin >= max || reg.smin <= -max) {
    env.verbose(`value ${reg.smin} makes ${typeStr(type)} pointer be out of bounds`);
    return false;
  }
  return true;
}

function canSkipSanitation(env: Env, insn: AluInsn): boolean {
  return env.priv.bypassSpecV1 || insn.src === 'imm' || env.aux[env.insnIdx]!.nospec;
}

interface SanitizeInfo {
  aluState: number;
  aluLimit: number;
  maskToLeft: boolean;
}

function retrievePtrLimit(ptr: Reg, maskToLeft: boolean, mapValueSize: number): number {
  let max: number;
  let limit: number;
  if (ptr.type === T.STACK) {
    max = 512 + (maskToLeft ? 1 : 0);
    limit = -(Number(BigInt.asIntN(64, ptr.var.value)) + ptr.off);
  } else if (ptr.type === T.MAP_VALUE) {
    max = mapValueSize;
    limit = Number(maskToLeft ? ptr.smin : ptr.umax) + ptr.off;
  } else return REASON_TYPE;
  const u = limit >>> 0 === limit ? limit : limit < 0 ? limit + 2 ** 32 : limit;
  if (u >= max) return REASON_LIMIT;
  return u;
}

function updateAluSanitationState(target: { aluState: number; aluLimit: number }, state: number, limit: number): number {
  if (target.aluState && (target.aluState !== state || target.aluLimit !== limit)) return REASON_PATHS;
  target.aluState = state;
  target.aluLimit = limit;
  return 0;
}

/** sanitize_ptr_alu; returns 0 or a REASON_*. */
function sanitizePtrAlu(
  env: Env,
  insn: AluInsn,
  ptr: Reg,
  offReg: Reg,
  dstReg: Reg,
  info: SanitizeInfo,
  commit: boolean,
  ptrIsDst: boolean,
): number {
  if (canSkipSanitation(env, insn)) return 0;
  const offIsImm = offReg.var.mask === 0n;
  const offIsNeg = offReg.smin < 0n;
  if (!env.cur.speculative) {
    if (!commit) {
      if (!offIsImm && offReg.smin < 0n !== offReg.smax < 0n) return REASON_BOUNDS;
      info.maskToLeft = (insn.op === 'add' && offIsNeg) || (insn.op === 'sub' && !offIsNeg);
    }
    const mapSize = ptr.type === T.MAP_VALUE ? env.prog.maps[ptr.map]!.valueSize : 0;
    const limit = retrievePtrLimit(ptr, info.maskToLeft, mapSize);
    if (limit < 0) return limit;
    let state: number;
    let lim: number;
    if (commit) {
      state = info.aluState;
      lim = Math.abs(info.aluLimit - limit);
    } else {
      state = (offIsNeg ? ALU_NEG_VALUE : 0) | (offIsImm ? ALU_IMMEDIATE : 0) | (ptrIsDst ? ALU_SANITIZE_SRC : ALU_SANITIZE_DST);
      lim = limit;
      if (!offIsImm) env.exploreAluLimits = true;
    }
    const err = updateAluSanitationState(commit ? env.aux[env.insnIdx]! : info, state, lim);
    if (err < 0) return err;
  }
  if (commit || offIsImm) return 0;
  // Simulate the masked (zero) offset on a speculative path: dst holds the unmoved pointer.
  const saved = ptrIsDst ? null : dstReg.clone();
  if (!ptrIsDst) dstReg.assign(ptr);
  pushSpeculative(env, env.insnIdx + 1, env.insnIdx, null);
  if (saved) dstReg.assign(saved);
  return 0;
}

function sanitizeErr(env: Env, insn: AluInsn, reason: number, offIsDst: boolean): never {
  const err = 'pointer arithmetic with it prohibited for !root';
  const op = insn.op === 'add' ? 'add' : 'sub';
  const dst = insn.dst;
  const src = insn.sreg;
  switch (reason) {
    case REASON_BOUNDS:
      env.fail('EACCES', `R${offIsDst ? dst : src} has unknown scalar with mixed signed bounds, ${err}`);
      break;
    case REASON_TYPE:
      env.fail('EACCES', `R${offIsDst ? src : dst} has pointer with unsupported alu operation, ${err}`);
      break;
    case REASON_PATHS:
      env.fail('EACCES', `R${dst} tried to ${op} from different maps, paths or scalars, ${err}`);
      break;
    case REASON_LIMIT:
      env.fail('EACCES', `R${dst} tried to ${op} beyond pointer bounds, ${err}`);
      break;
    default:
      env.fail('EFAULT', `R${dst} could not be pushed for speculative verification, ${err}`);
  }
  throw new Error('unreachable');
}

/** sanitize_check_bounds: unprivileged pointers must stay in bounds. 0 ok, 1 unsupported type. */
function sanitizeCheckBounds(env: Env, dstno: number, dst: Reg): number {
  if (env.priv.bypassSpecV1) return 0;
  if (dst.type === T.STACK) {
    const off = dst.off + Number(BigInt.asIntN(64, dst.var.value));
    if (dst.var.mask !== 0n)
      env.fail('EACCES', `R${dstno} variable stack access prohibited for !root, var_off=${dst.var.toString()} off=${off}`);
    if (off >= 0 || off < -512)
      env.fail('EACCES', `R${dstno} stack pointer arithmetic goes out of range, prohibited for !root; off=${off}`);
    return 0;
  }
  if (dst.type === T.MAP_VALUE) {
    try {
      checkMapAccess(env, dstno, dst.off, 1, false, false);
    } catch (e) {
      env.fail('EACCES', `R${dstno} pointer arithmetic of map value goes out of range, prohibited for !root`);
      void e;
    }
    return 0;
  }
  return 1;
}

/** adjust_ptr_min_max_vals: dst = ptr op off. */
function adjustPtr(env: Env, insn: AluInsn, ptr: Reg, off: Reg): void {
  const regs = curRegs(env);
  const dstno = insn.dst;
  const dst = regs[dstno]!;
  const known = off.var.mask === 0n;
  const sminVal = off.smin;
  const smaxVal = off.smax;
  const uminVal = off.umin;
  const umaxVal = off.umax;
  const sminPtr = ptr.smin;
  const smaxPtr = ptr.smax;
  const uminPtr = ptr.umin;
  const umaxPtr = ptr.umax;
  const op = insn.op;
  if (knownBad(off)) {
    markRegUnknown(dst);
    return;
  }
  if (insn.width !== 64) {
    if (op === 'sub' && env.priv.allowPtrLeaks) {
      markRegUnknown(dst);
      return;
    }
    env.fail('EACCES', `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.type & F.MAYBE_NULL)
    env.fail('EACCES', `R${dstno} pointer arithmetic on ${typeStr(ptr.type)} prohibited, null-check it first`);
  switch (base(ptr.type)) {
    case T.CTX:
    case T.MAP_VALUE:
    case T.MAP_KEY:
    case T.STACK:
    case T.PKT_META:
    case T.PKT:
    case T.TP_BUFFER:
    case T.BTF_ID:
    case T.MEM:
    case T.BUF:
    case T.FUNC:
    case T.DYNPTR:
      break;
    case T.MAP_PTR:
      if (known && sminVal === 0n && op === 'add') break;
      env.fail('EACCES', `R${dstno} pointer arithmetic on ${typeStr(ptr.type)} prohibited`);
      break;
    default:
      env.fail('EACCES', `R${dstno} pointer arithmetic on ${typeStr(ptr.type)} prohibited`);
  }
  const ptrIsDst = ptr === dst;
  const ptrSnap = ptrIsDst ? ptr.clone() : ptr;
  const offSnap = off === dst ? off.clone() : off;
  dst.type = ptrSnap.type;
  dst.id = ptrSnap.id;
  if (!saneOffset(env, offSnap, ptrSnap.type) || !saneOffset(env, ptrSnap, ptrSnap.type)) env.fail('EINVAL');
  mark32Unbounded(dst);
  const info: SanitizeInfo = { aluState: 0, aluLimit: 0, maskToLeft: false };
  if (op === 'add' || op === 'sub') {
    const r = sanitizePtrAlu(env, insn, ptrSnap, offSnap, dst, info, false, ptrIsDst);
    if (r < 0) sanitizeErr(env, insn, r, off === dst);
  }
  switch (op) {
    case 'add': {
      const sum = ptrSnap.off + Number(sminVal);
      if (known && sum === (sum | 0)) {
        dst.smin = sminPtr;
        dst.smax = smaxPtr;
        dst.umin = uminPtr;
        dst.umax = umaxPtr;
        dst.var = ptrSnap.var;
        dst.off = sum;
        copyRaw(dst, ptrSnap);
        break;
      }
      const a = addS64(sminPtr, sminVal);
      const b = addS64(smaxPtr, smaxVal);
      if (a.o || b.o) {
        dst.smin = S64_MIN;
        dst.smax = S64_MAX;
      } else {
        dst.smin = a.v;
        dst.smax = b.v;
      }
      const c = addU64(uminPtr, uminVal);
      const d = addU64(umaxPtr, umaxVal);
      if (c.o || d.o) {
        dst.umin = 0n;
        dst.umax = U64_MAX;
      } else {
        dst.umin = c.v;
        dst.umax = d.v;
      }
      dst.var = tnumAdd(ptrSnap.var, offSnap.var);
      dst.off = ptrSnap.off;
      copyRaw(dst, ptrSnap);
      if (isPktPointer(ptrSnap.type)) {
        dst.id = env.newId();
        dst.range = 0;
      }
      break;
    }
    case 'sub': {
      if (dst === off) env.fail('EACCES', `R${dstno} tried to subtract pointer from scalar`);
      if (ptrSnap.type === T.STACK) env.fail('EACCES', `R${dstno} subtraction from stack pointer prohibited`);
      const diff = ptrSnap.off - Number(sminVal);
      if (known && diff === (diff | 0)) {
        dst.smin = sminPtr;
        dst.smax = smaxPtr;
        dst.umin = uminPtr;
        dst.umax = umaxPtr;
        dst.var = ptrSnap.var;
        dst.id = ptrSnap.id;
        dst.off = diff;
        copyRaw(dst, ptrSnap);
        break;
      }
      const a = subS64(sminPtr, smaxVal);
      const b = subS64(smaxPtr, sminVal);
      if (a.o || b.o) {
        dst.smin = S64_MIN;
        dst.smax = S64_MAX;
      } else {
        dst.smin = a.v;
        dst.smax = b.v;
      }
      if (uminPtr < umaxVal) {
        dst.umin = 0n;
        dst.umax = U64_MAX;
      } else {
        dst.umin = uminPtr - umaxVal;
        dst.umax = umaxPtr - uminVal;
      }
      dst.var = tnumSub(ptrSnap.var, offSnap.var);
      dst.off = ptrSnap.off;
      copyRaw(dst, ptrSnap);
      if (isPktPointer(ptrSnap.type)) {
        dst.id = env.newId();
        if (sminVal < 0n) dst.range = 0;
      }
      break;
    }
    case 'and':
    case 'or':
    case 'xor':
      env.fail('EACCES', `R${dstno} bitwise operator ${ALU_STR[op]} on pointer prohibited`);
      break;
    default:
      env.fail('EACCES', `R${dstno} pointer arithmetic with ${ALU_STR[op]} operator prohibited`);
  }
  if (!saneOffset(env, dst, ptrSnap.type)) env.fail('EINVAL');
  boundsSync(dst);
  const boundsRet = sanitizeCheckBounds(env, dstno, dst);
  if (op === 'add' || op === 'sub') {
    const r = sanitizePtrAlu(env, insn, dst, offSnap, dst, info, true, true);
    if (r < 0) sanitizeErr(env, insn, r, off === dst);
  }
  void boundsRet;
}

/** The pointer-specific union (map, range, mem size, ...) follows the pointer. */
function copyRaw(dst: Reg, ptr: Reg): void {
  dst.range = ptr.range;
  dst.map = ptr.map;
  dst.mapUid = ptr.mapUid;
  dst.memSize = ptr.memSize;
  dst.frameno = ptr.frameno;
  dst.btf = ptr.btf;
  dst.subprogno = ptr.subprogno;
  dst.refObjId = ptr.refObjId;
  dst.dynptrType = ptr.dynptrType;
}

/** sanitize_val_alu: scalar add/sub on an insn that moved a pointer on another path. */
function sanitizeValAlu(env: Env, insn: AluInsn): void {
  if (canSkipSanitation(env, insn)) return;
  const r = updateAluSanitationState(env.aux[env.insnIdx]!, ALU_NON_POINTER, 0);
  if (r < 0) sanitizeErr(env, insn, r, false);
}

/** adjust_reg_min_max_vals: every ALU op but mov/neg/end. */
function adjustReg(env: Env, insn: AluInsn): void {
  const regs = curRegs(env);
  const dst = regs[insn.dst]!;
  const alu32 = insn.width === 32;
  const ptr = dst.type !== T.SCALAR ? dst : null;
  let src: Reg;
  if (insn.src === 'reg') {
    src = regs[insn.sreg]!;
    if (src.type !== T.SCALAR) {
      if (dst.type !== T.SCALAR) {
        if (insn.op === 'sub' && env.priv.allowPtrLeaks) {
          markRegUnknown(dst);
          return;
        }
        env.fail('EACCES', `R${insn.dst} pointer ${ALU_STR[insn.op]} pointer prohibited`);
      }
      markPrecise(env, insn.dst);
      adjustPtr(env, insn, src, dst);
      return;
    } else if (ptr) {
      markPrecise(env, insn.sreg);
      adjustPtr(env, insn, dst, src);
      return;
    } else if (dst.precise) {
      markPrecise(env, insn.sreg);
    }
  } else {
    src = new Reg();
    src.type = T.SCALAR;
    setKnownBounds(src, BigInt(insn.imm));
    if (ptr) {
      adjustPtr(env, insn, ptr, src);
      return;
    }
  }
  if (insn.op === 'add' || insn.op === 'sub') sanitizeValAlu(env, insn);
  const srcSnap = src === dst ? src.clone() : src;
  if ((insn.op === 'and' || insn.op === 'or') && srcSnap.var.mask === 0n) maybeForkScalars(env, insn, dst);
  // alu32 linking looks at the value before the operation (which zero-extends it).
  const dstUmax = dst.umax;
  scalarAlu(dst, srcSnap, insn.op, alu32, false);
  // Linked scalars: remember rX = rY + K (or - K) so that a later bound on rY also bounds rX.
  if (env.priv.bpfCapable && (insn.op === 'add' || insn.op === 'sub') && dst.id && isRegConst(srcSnap, alu32)) {
    const val = regConstValue(srcSnap, alu32);
    const sval = BigInt.asIntN(64, val);
    let off = Number(BigInt.asIntN(32, val));
    let clear = (!alu32 && (sval < -0x8000_0000n || sval > 0x7fff_ffffn)) || (alu32 && dstUmax > 0xffff_ffffn);
    if (!clear && insn.op === 'sub') {
      if (off === -0x8000_0000) clear = true;
      else off = -off;
    }
    if (clear || dst.id >= ADD_CONST) {
      dst.off = 0;
      dst.id = 0;
    } else {
      dst.id += alu32 ? ADD_CONST32 : ADD_CONST64;
      dst.off = off;
    }
  } else {
    // clear_scalar_id: the link and its delta go together
    dst.id = 0;
    dst.off = 0;
  }
}

/**
 * maybe_fork_scalars: a value in [-1, 0] (the result of `x s>>= 63`) masked or or-ed with a constant
 * is explored as exactly -1 here and as 0 on a queued path that re-runs this instruction.
 */
function maybeForkScalars(env: Env, insn: AluInsn, dst: Reg): void {
  let alu32: boolean;
  if (dst.smin === -1n && dst.smax === 0n) alu32 = false;
  else if (dst.s32min === -1 && dst.s32max === 0) alu32 = true;
  else return;
  const branch = pushStack(env, env.insnIdx, env.insnIdx, false);
  const other = branch.frames[branch.curframe]!.regs[insn.dst]!;
  if (alu32) {
    markKnown32(other, 0n);
    markKnown32(dst, 0xffff_ffffn);
  } else {
    markKnown(other, 0n);
    markKnown(dst, -1n);
  }
}

/** reg_bounds_sanity_check: the kernel logs a verifier bug and forgets the bounds. */
function sanityCheck(reg: Reg): void {
  if (reg.type === T.SCALAR && !boundsSane(reg)) {
    markUnbounded(reg);
  }
}

/** check_alu_op */
export function checkAlu(env: Env, insn: AluInsn | EndInsn): void {
  const regs = curRegs(env);
  if (insn.kind === 'end' || insn.op === 'neg') {
    const d = insn.dst;
    checkRegArg(env, d, 'src');
    if (isPointerValue(env, regs[d]!)) env.fail('EACCES', `R${d} pointer arithmetic prohibited`);
    if (insn.kind === 'alu' && regs[d]!.type === T.SCALAR) {
      checkRegArg(env, d, 'dst_nomark', insn.width === 64);
      scalarAlu(regs[d]!, regs[d]!.clone(), 'neg', insn.width === 32, false);
      regs[d]!.id = 0;
      regs[d]!.off = 0;
    } else if (insn.kind === 'end' && regs[d]!.type === T.SCALAR) {
      checkRegArg(env, d, 'dst_nomark', insn.bits === 64);
      scalarByteSwap(regs[d]!, insn.bits, insn.op !== 'le');
    } else {
      checkRegArg(env, d, 'dst', insn.kind === 'end' ? insn.bits === 64 : insn.width === 64);
    }
    sanityCheck(regs[d]!);
    return;
  }
  const alu = insn;
  const is64 = alu.width === 64;
  if (alu.op === 'mov' || alu.op.startsWith('movsx')) {
    if (alu.src === 'reg') checkRegArg(env, alu.sreg, 'src', is64);
    checkRegArg(env, alu.dst, 'dst_nomark', is64);
    const dst = regs[alu.dst]!;
    if (alu.src === 'reg') {
      const src = regs[alu.sreg]!;
      const sx = alu.op === 'movsx8' ? 8 : alu.op === 'movsx16' ? 16 : alu.op === 'movsx32' ? 32 : 0;
      if (is64) {
        if (sx === 0) {
          assignScalarIdBeforeMov(env, src);
          dst.assign(src);
          dst.subregDef = 0;
        } else if (isPointerValue(env, src)) {
          env.fail('EACCES', `R${alu.sreg} sign-extension part of pointer`);
        } else if (src.type === T.SCALAR) {
          const noSext = src.umax < 1n << BigInt(sx - 1);
          if (noSext) assignScalarIdBeforeMov(env, src);
          dst.assign(src);
          if (!noSext) {
            dst.id = 0;
            dst.off = 0;
          }
          coerceRegToSizeSx(dst, sx / 8);
          dst.subregDef = 0;
        } else markRegUnknown(dst);
      } else {
        if (isPointerValue(env, src)) env.fail('EACCES', `R${alu.sreg} partial copy of pointer`);
        else if (src.type === T.SCALAR) {
          if (sx === 0) {
            const u32 = fls64(src.umax) <= 32;
            if (u32) assignScalarIdBeforeMov(env, src);
            dst.assign(src);
            if (!u32) {
              dst.id = 0;
              dst.off = 0;
            }
            dst.subregDef = env.insnIdx + 1;
          } else {
            const noSext = src.umax < 1n << BigInt(sx - 1);
            if (noSext) assignScalarIdBeforeMov(env, src);
            dst.assign(src);
            if (!noSext) {
            dst.id = 0;
            dst.off = 0;
          }
            dst.subregDef = env.insnIdx + 1;
            coerceSubregToSizeSx(dst, sx / 8);
          }
        } else markRegUnknown(dst);
        dst.type = T.SCALAR;
        zext32to64(dst);
        boundsSync(dst);
      }
    } else {
      markUnknown(dst, false);
      dst.type = T.SCALAR;
      setKnownBounds(dst, is64 ? BigInt(alu.imm) : BigInt(alu.imm >>> 0));
    }
    sanityCheck(dst);
    return;
  }
  if (alu.src === 'reg') checkRegArg(env, alu.sreg, 'src', is64);
  checkRegArg(env, alu.dst, 'src', is64);
  if ((alu.op === 'mod' || alu.op === 'div' || alu.op === 'smod' || alu.op === 'sdiv') && alu.src === 'imm' && alu.imm === 0)
    env.fail('EINVAL', 'div by zero');
  if ((alu.op === 'lsh' || alu.op === 'rsh' || alu.op === 'arsh') && alu.src === 'imm') {
    const size = is64 ? 64 : 32;
    if (alu.imm < 0 || alu.imm >= size) env.fail('EINVAL', `invalid shift ${alu.imm}`);
  }
  checkRegArg(env, alu.dst, 'dst_nomark', is64);
  adjustReg(env, alu);
  sanityCheck(regs[alu.dst]!);
}
