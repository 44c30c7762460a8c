// Conditional jumps (check_cond_jmp_op): branch prediction, refinement of both branches, NULL
// checks of maybe-NULL pointers (every copy with the same id), packet ranges from comparisons
// against data_end / data, linked scalars, may_goto, and the speculative paths an unprivileged
// loader must also verify.
import type { JcondInsn } from '../../isa/index.ts';
import { boundsSane, boundsSync, zext32to64, isNullReg, markConstZero, markKnownZero, markUnbounded, setKnownBounds } from '../domain/bounds.ts';
import { type Cond, isBranchTaken, refineCond, revCond } from '../domain/branch.ts';
import { ADD_CONST, ADD_CONST32, AT_PKT_END, idBase, idFlags, BEYOND_PKT_END, base, F, isPktPointerAny, mayBeNull, Reg, T } from '../domain/reg.ts';
import { tnumAdd } from '../domain/tnum.ts';
import { addS32, addS64, addU32, addU64, S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX } from '../domain/u64.ts';
import { updateRegs, type VState } from '../state/state.ts';
import { frameInsnIdx } from '../state/equal.ts';
import { pushSpeculative, pushStack } from './branches.ts';
import type { Env } from './env.ts';
import { markPrecise } from './precise.ts';
import { checkRegArg, curRegs, isPointerValue } from './regs.ts';
import { spinLockOffset } from './region.ts';
import { widenImprecise, findPrevEntry } from './widen.ts';

const MAX_PACKET_OFF = 0xffff;

/** find_good_pkt_pointers: every pointer with dst's id and type gains the proven range. */
function findGoodPktPointers(st: VState, dst: Reg, type: number, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  const id = dst.id;
  updateRegs(
    st,
    (r) => r.type === type && r.id === id && r.range < newRange,
    (r) => {
      r.range = newRange;
    },
  );
}

/** mark_pkt_end: the branch knows this pointer is at / beyond the packet end. */
function markPktEnd(st: VState, regno: number, rangeOpen: boolean): void {
  const r = st.frames[st.curframe]!.regs[regno]!;
  if (r.type !== T.PKT) return;
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

/**
 * reg_is_init_pkt_pointer: the packet pointer as loaded from the context (no id, no fixed or variable
 * offset). A pkt_meta range is learned only from a comparison with it: `meta + 8 > data + 8` proves
 * nothing about meta + 8 <= data.
 */
const initPkt = (r: Reg, which: number): boolean => r.type === which && r.id === 0 && r.off === 0 && r.var.mask === 0n && r.var.value === 0n;

/** try_match_pkt_pointers */
function tryMatchPkt(insn: JcondInsn, dst: Reg, src: Reg, thisBr: VState, other: VState): boolean {
  if (insn.src !== 'reg' || insn.width === 32) return false;
  const dstFirst = (dst.type === T.PKT && src.type === T.PKT_END) || (dst.type === T.PKT_META && initPkt(src, T.PKT));
  const srcFirst = (dst.type === T.PKT_END && src.type === T.PKT) || (initPkt(dst, T.PKT) && src.type === T.PKT_META);
  switch (insn.op) {
    case 'jgt':
      if (dstFirst) {
        findGoodPktPointers(thisBr, dst, dst.type, false);
        markPktEnd(other, insn.dst, true);
      } else if (srcFirst) {
        findGoodPktPointers(other, src, src.type, true);
        markPktEnd(thisBr, insn.sreg, false);
      } else return false;
      return true;
    case 'jlt':
      if (dstFirst) {
        findGoodPktPointers(other, dst, dst.type, true);
        markPktEnd(thisBr, insn.dst, false);
      } else if (srcFirst) {
        findGoodPktPointers(thisBr, src, src.type, false);
        markPktEnd(other, insn.sreg, true);
      } else return false;
      return true;
    case 'jge':
      if (dstFirst) {
        findGoodPktPointers(thisBr, dst, dst.type, true);
        markPktEnd(other, insn.dst, false);
      } else if (srcFirst) {
        findGoodPktPointers(other, src, src.type, false);
        markPktEnd(thisBr, insn.sreg, true);
      } else return false;
      return true;
    case 'jle':
      if (dstFirst) {
        findGoodPktPointers(other, dst, dst.type, false);
        markPktEnd(thisBr, insn.dst, true);
      } else if (srcFirst) {
        findGoodPktPointers(thisBr, src, src.type, true);
        markPktEnd(other, insn.sreg, false);
      } else return false;
      return true;
    default:
      return false;
  }
}

/** mark_ptr_not_null_reg */
export function markPtrNotNull(env: Env, r: Reg): void {
  if (base(r.type) === T.MAP_VALUE) {
    const map = env.prog.maps[r.map]!;
    const inner = env.prog.innerOf[r.map] ?? -1;
    if (inner >= 0) {
      r.type = T.MAP_PTR;
      r.map = inner;
    } else if (map.typeName === 'xskmap') r.type = T.XDP_SOCK;
    else if (map.typeName === 'sockmap' || map.typeName === 'sockhash') r.type = T.SOCKET;
    else r.type = T.MAP_VALUE;
    return;
  }
  r.type &= ~F.MAYBE_NULL;
}

/** mark_ptr_or_null_regs: resolve every copy of a maybe-NULL pointer after `reg == 0`. */
function markPtrOrNullRegs(env: Env, st: VState, regno: number, isNull: boolean): void {
  const reg = st.frames[st.curframe]!.regs[regno]!;
  const refObjId = reg.refObjId;
  const id = reg.id;
  if (refObjId && refObjId === id && isNull) {
    const i = st.refs.findIndex((x) => x.kind === 'ptr' && x.id === id);
    if (i >= 0) st.refs.splice(i, 1);
  }
  updateRegs(
    st,
    (r) => mayBeNull(r.type) && r.id === id,
    (r) => {
      if (isNull) {
        markKnownZero(r);
        r.type = T.SCALAR;
        return;
      }
      markPtrNotNull(env, r);
      const lock = base(r.type) === T.MAP_VALUE && spinLockOffset(env, env.prog.maps[r.map]!) >= 0;
      if (!lock) r.id = 0;
    },
  );
}

interface LinkedPos {
  frame: number;
  isReg: boolean;
  idx: number;
}

function hasPos(out: LinkedPos[], frame: number, isReg: boolean, idx: number): boolean {
  for (const p of out) if (p.frame === frame && p.isReg === isReg && p.idx === idx) return true;
  return false;
}

/** collect_linked_regs: scalars sharing `id` (at most 6; the others lose their id). */
function collectLinked(env: Env, st: VState, id: number, out: LinkedPos[]): void {
  const b = idBase(id);
  for (let fi = st.curframe; fi >= 0; fi--) {
    const f = st.frames[fi]!;
    // only registers live at this frame's instruction
    const live = env.liveRegs[frameInsnIdx(st, fi)]!;
    for (let j = 0; j < 10; j++) {
      if (!(live & (1 << j))) continue;
      const r = f.regs[j]!;
      if (r.type !== T.SCALAR || idBase(r.id) !== b) continue;
      if (hasPos(out, fi, true, j)) continue;
      if (out.length < 6) out.push({ frame: fi, isReg: true, idx: j });
      else r.id = 0;
    }
    for (let j = 0; j < f.stack.length; j++) {
      const s = f.stack[j];
      if (!s?.isSpilled()) continue;
      const r = s.spilled!;
      if (r.type !== T.SCALAR || idBase(r.id) !== b) continue;
      if (hasPos(out, fi, false, j)) continue;
      if (out.length < 6) out.push({ frame: fi, isReg: false, idx: j });
      else {
        const c = r.clone();
        c.id = 0;
        f.stack[j] = new (s.constructor as new (t: number, r: Reg) => typeof s)(s.types, c);
      }
    }
  }
}

function addConst(reg: Reg, delta: bigint): void {
  const k = new Reg();
  k.type = T.SCALAR;
  setKnownBounds(k, delta);
  const a = addS32(reg.s32min, k.s32min);
  const b = addS32(reg.s32max, k.s32max);
  if (a.o || b.o) {
    reg.s32min = S32_MIN;
    reg.s32max = S32_MAX;
  } else {
    reg.s32min = a.v;
    reg.s32max = b.v;
  }
  const c = addU32(reg.u32min, k.u32min);
  const d = addU32(reg.u32max, k.u32max);
  reg.u32min = c.v;
  reg.u32max = d.v;
  if (!c.o && d.o) {
    reg.u32min = 0;
    reg.u32max = U32_MAX;
  }
  const e = addS64(reg.smin, k.smin);
  const f = addS64(reg.smax, k.smax);
  if (e.o || f.o) {
    reg.smin = S64_MIN;
    reg.smax = S64_MAX;
  } else {
    reg.smin = e.v;
    reg.smax = f.v;
  }
  const g = addU64(reg.umin, k.umin);
  const h = addU64(reg.umax, k.umax);
  reg.umin = g.v;
  reg.umax = h.v;
  if (!g.o && h.o) {
    reg.umin = 0n;
    reg.umax = U64_MAX;
  }
  reg.var = tnumAdd(reg.var, k.var);
}

/** sync_linked_regs: copy known's new bounds into every linked scalar (adjusted by the delta). */
function syncLinked(st: VState, known: Reg, linked: LinkedPos[]): void {
  for (const p of linked) {
    const f = st.frames[p.frame]!;
    let reg: Reg;
    let slotWrite: ((r: Reg) => void) | null = null;
    if (p.isReg) reg = f.regs[p.idx]!;
    else {
      const s = f.stack[p.idx];
      if (!s?.spilled) continue;
      reg = s.spilled.clone();
      slotWrite = (r) => {
        f.stack[p.idx] = new (s.constructor as new (t: number, r: Reg) => typeof s)(s.types, r);
      };
    }
    if (reg.type !== T.SCALAR || reg === known) continue;
    if (idBase(reg.id) !== idBase(known.id)) continue;
    const subregDef = reg.subregDef;
    if ((reg.id < ADD_CONST && known.id < ADD_CONST) || reg.off === known.off) {
      reg.assign(known);
      reg.subregDef = subregDef;
    } else {
      const savedOff = reg.off;
      const savedId = reg.id;
      const delta = BigInt((savedOff | 0) - (known.off | 0));
      reg.assign(known);
      reg.off = savedOff;
      reg.id = savedId;
      reg.subregDef = subregDef;
      addConst(reg, delta);
      if (idFlags(known.id) === ADD_CONST32) zext32to64(reg);
      boundsSync(reg);
    }
    if (slotWrite) slotWrite(reg);
  }
}

/** reg_set_min_max: refine both scalar operands in each branch. */
function regSetMinMax(t1: Reg, t2: Reg, f1: Reg, f2: Reg, op: Cond, is32: boolean): void {
  if (f1.type !== T.SCALAR || f2.type !== T.SCALAR) return;
  refineCond(f1, f2, revCond(op), is32);
  boundsSync(f1);
  boundsSync(f2);
  refineCond(t1, t2, op, is32);
  boundsSync(t1);
  boundsSync(t2);
  for (const r of [t1, t2, f1, f2]) if (!boundsSane(r)) markUnbounded(r);
}

/** BPF_JMP | BPF_JCOND (may_goto): fall through later with a deeper budget; jump now. */
export function checkMayGoto(env: Env, off: number): number {
  const idx = env.insnIdx;
  const prev = findPrevEntry(env, env.cur.parent, idx);
  const queued = pushStack(env, idx + 1, idx, false);
  queued.mayGotoDepth++;
  if (prev) widenImprecise(prev, queued);
  return idx + off + 1;
}

/** check_cond_jmp_op; returns the next pc of the current path. */
export function checkCondJmp(env: Env, insn: JcondInsn): number {
  const thisBr = env.cur;
  const regs = curRegs(env);
  const idx = env.insnIdx;
  const is32 = insn.width === 32;
  const op: Cond = insn.op;
  checkRegArg(env, insn.dst, 'src', !is32);
  const dst = regs[insn.dst]!;
  let src: Reg;
  if (insn.src === 'reg') {
    checkRegArg(env, insn.sreg, 'src', !is32);
    src = regs[insn.sreg]!;
    if (!(isPktPointerAny(dst.type) && isPktPointerAny(src.type)) && isPointerValue(env, src))
      env.fail('EACCES', `R${insn.sreg} pointer comparison prohibited`);
  } else {
    src = new Reg();
    src.type = T.SCALAR;
    setKnownBounds(src, BigInt(insn.imm));
  }
  const target = idx + insn.off + 1;
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) {
    if (dst.type === T.SCALAR) markPrecise(env, insn.dst);
    if (insn.src === 'reg' && src.type === T.SCALAR) markPrecise(env, insn.sreg);
  }
  const specRegs = insn.src === 'reg' ? [insn.dst, insn.sreg] : [insn.dst];
  if (pred === 1) {
    if (!env.priv.bypassSpecV1) pushSpeculative(env, idx + 1, idx, specRegs);
    return target;
  }
  if (pred === 0) {
    if (!env.priv.bypassSpecV1) pushSpeculative(env, target, idx, specRegs);
    return idx + 1;
  }
  const linked: LinkedPos[] = [];
  if (insn.src === 'reg' && src.type === T.SCALAR && src.id) collectLinked(env, thisBr, src.id, linked);
  if (dst.type === T.SCALAR && dst.id) collectLinked(env, thisBr, dst.id, linked);
  // Recorded in the jump history before the other branch is made, so both paths share it:
  // backtracking makes every linked scalar precise once one of them is.
  if (linked.length > 1)
    env.pushHistory(
      thisBr,
      0,
      0,
      linked.map((p) => (p.frame << 8) | (p.isReg ? 0x80 : 0) | p.idx),
    );

  const other = pushStack(env, target, idx, false);
  const oregs = other.frames[other.curframe]!.regs;
  if (insn.src === 'reg') {
    regSetMinMax(oregs[insn.dst]!, oregs[insn.sreg]!, dst, src, op, is32);
  } else {
    const fake1 = src.clone();
    regSetMinMax(oregs[insn.dst]!, src, dst, fake1, op, is32);
  }
  if (insn.src === 'reg' && src.type === T.SCALAR && src.id) {
    syncLinked(thisBr, src, linked);
    syncLinked(other, oregs[insn.sreg]!, linked);
  }
  if (dst.type === T.SCALAR && dst.id) {
    syncLinked(thisBr, dst, linked);
    syncLinked(other, oregs[insn.dst]!, linked);
  }
  // A maybe-NULL pointer compared with a non-NULL one is non-NULL where they are equal.
  if (
    !is32 &&
    insn.src === 'reg' &&
    src.type !== T.SCALAR &&
    dst.type !== T.SCALAR &&
    mayBeNull(src.type) !== mayBeNull(dst.type) &&
    base(src.type) !== T.BTF_ID &&
    base(dst.type) !== T.BTF_ID
  ) {
    const eq = op === 'jeq' ? oregs : op === 'jne' ? regs : null;
    if (eq) markPtrNotNull(env, mayBeNull(src.type) ? eq[insn.sreg]! : eq[insn.dst]!);
  }
  if (!is32 && insn.src === 'imm' && insn.imm === 0 && (op === 'jeq' || op === 'jne') && mayBeNull(dst.type)) {
    markPtrOrNullRegs(env, thisBr, insn.dst, op === 'jne');
    markPtrOrNullRegs(env, other, insn.dst, op === 'jeq');
  } else if (!tryMatchPkt(insn, dst, insn.src === 'reg' ? src : regs[insn.sreg]!, thisBr, other) && isPointerValue(env, dst)) {
    env.fail('EACCES', `R${insn.dst} pointer comparison prohibited`);
  }
  return idx + 1;
}

export { isNullReg, markConstZero };
