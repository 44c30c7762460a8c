// State equivalence for pruning (states_equal and friends): an explored state "covers" the current
// one when every live register and used stack slot of the old state is at least as general. With
// EXACT (infinite-loop detection) everything must match; RANGE_WITHIN compares imprecise scalars by
// range too.
import { rangeWithin } from '../domain/bounds.ts';
import { ADD_CONST, base, idFlags, Reg, T } from '../domain/reg.ts';
import { tnumIn } from '../domain/tnum.ts';
import { ST } from './stack.ts';
import type { FuncState, VState } from './state.ts';

export const NOT_EXACT = 0;
export const EXACT = 1;
export const RANGE_WITHIN = 2;
export type Exact = 0 | 1 | 2;

/** check_ids with a scratch map from old ids to current ids. */
export class IdMap {
  private old: number[] = [];
  private cur: number[] = [];
  tmp = 0;

  reset(idGen: number): void {
    this.old.length = 0;
    this.cur.length = 0;
    this.tmp = idGen;
  }

  check(o: number, c: number): boolean {
    if (!o !== !c) return false;
    if (o === 0) return true;
    for (let i = 0; i < this.old.length; i++) {
      if (this.old[i] === o) return this.cur[i] === c;
      if (this.cur[i] === c) return false;
    }
    this.old.push(o);
    this.cur.push(c);
    return true;
  }

  checkScalar(o: number, c: number): boolean {
    if (!o) return true;
    return this.check(o, c ? c : ++this.tmp);
  }
}

function unionEqual(a: Reg, b: Reg): boolean {
  return (
    a.range === b.range &&
    a.map === b.map &&
    a.mapUid === b.mapUid &&
    a.memSize === b.memSize &&
    a.btf === b.btf &&
    a.subprogno === b.subprogno &&
    a.dynptrType === b.dynptrType &&
    a.dynptrFirst === b.dynptrFirst
  );
}

function valuesEqual(a: Reg, b: Reg): boolean {
  return (
    a.var.value === b.var.value &&
    a.var.mask === b.var.mask &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max
  );
}

/** Everything before `id` in struct bpf_reg_state is equal. */
function headEqual(a: Reg, b: Reg): boolean {
  return a.type === b.type && a.off === b.off && unionEqual(a, b) && valuesEqual(a, b);
}

function regsExact(o: Reg, c: Reg, ids: IdMap): boolean {
  return headEqual(o, c) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
}

export interface EqualCtx {
  ids: IdMap;
  exploreAluLimits: boolean;
  allowUninitStack: boolean;
}

/** regsafe: rold being safe implies rcur is safe. */
export function regsafe(o: Reg, c: Reg, exact: Exact, ctx: EqualCtx): boolean {
  if (exact === EXACT) return regsExact(o, c, ctx.ids);
  if (o.type === T.NOT_INIT) return true;
  if (o.type !== c.type) return false;
  switch (base(o.type)) {
    case T.SCALAR: {
      if (ctx.exploreAluLimits) return headEqual(o, c) && ctx.ids.checkScalar(o.id, c.id);
      if (!o.precise && exact === NOT_EXACT) return true;
      if (o.id && idFlags(o.id) !== idFlags(c.id)) return false;
      if (o.id >= ADD_CONST && o.off !== c.off) return false;
      if (!ctx.ids.checkScalar(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.var, c.var);
    }
    case T.MAP_KEY:
    case T.MAP_VALUE:
    case T.MEM:
    case T.BUF:
    case T.TP_BUFFER:
      return (
        o.off === c.off &&
        unionEqual(o, c) &&
        rangeWithin(o, c) &&
        tnumIn(o.var, c.var) &&
        ctx.ids.check(o.id, c.id) &&
        ctx.ids.check(o.refObjId, c.refObjId)
      );
    case T.PKT_META:
    case T.PKT:
      // AT_PKT_END / BEYOND_PKT_END (negative) only cover themselves (a 6.18 stable fix)
      if (o.range < 0 || c.range < 0) {
        if (o.range !== c.range) return false;
      } else if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!ctx.ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.var, c.var);
    case T.STACK:
      return regsExact(o, c, ctx.ids) && o.frameno === c.frameno;
    default:
      return regsExact(o, c, ctx.ids);
  }
}

const UNBOUND = (() => {
  const r = new Reg();
  r.type = T.SCALAR;
  return r;
})();

function scalarRegForStack(f: FuncState, spi: number, allowUninit: boolean): Reg | null {
  const s = f.slot(spi);
  if (s.types === 0o11111111 * ST.SPILL && s.spilled!.type === T.SCALAR) return s.spilled!;
  for (let i = 0; i < 8; i++) {
    const t = s.typeAt(i);
    if (t === ST.MISC || (t === ST.INVALID && allowUninit)) continue;
    return null;
  }
  return UNBOUND;
}

/** stacksafe */
function stacksafe(o: FuncState, c: FuncState, exact: Exact, ctx: EqualCtx): boolean {
  for (let i = 0; i < o.allocated; i++) {
    const spi = i >> 3;
    const b = i & 7;
    const os = o.slot(spi);
    const ot = os.typeAt(b);
    if (exact === EXACT && (i >= c.allocated || ot !== c.slot(spi).typeAt(b))) return false;
    if (ot === ST.INVALID) continue;
    if (ctx.allowUninitStack && ot === ST.MISC) continue;
    if (i >= c.allocated) return false;
    const oreg = scalarRegForStack(o, spi, ctx.allowUninitStack);
    const creg = oreg ? scalarRegForStack(c, spi, ctx.allowUninitStack) : null;
    if (oreg && creg) {
      if (!regsafe(oreg, creg, exact, ctx)) return false;
      i += 7 - b;
      continue;
    }
    const cs = c.slot(spi);
    const ct = cs.typeAt(b);
    if (ot === ST.MISC && ct === ST.ZERO) continue;
    if (ot !== ct) return false;
    if (b !== 7) continue;
    switch (os.typeAt(7)) {
      case ST.SPILL:
        if (!regsafe(os.spilled!, cs.spilled!, exact, ctx)) return false;
        break;
      case ST.DYNPTR: {
        const a = os.spilled!;
        const d = cs.spilled!;
        if (a.dynptrType !== d.dynptrType || a.dynptrFirst !== d.dynptrFirst || !ctx.ids.check(a.refObjId, d.refObjId)) return false;
        break;
      }
      case ST.MISC:
      case ST.ZERO:
      case ST.INVALID:
        continue;
      default:
        return false;
    }
  }
  return true;
}

function refsafe(o: VState, c: VState, ids: IdMap): boolean {
  if (o.refs.length !== c.refs.length) return false;
  if (o.activeLocks !== c.activeLocks) return false;
  if (o.activeRcuLock !== c.activeRcuLock || o.activePreemptLocks !== c.activePreemptLocks) return false;
  if (!ids.check(o.activeLockId, c.activeLockId) || o.activeLockPtr !== c.activeLockPtr) return false;
  for (let i = 0; i < o.refs.length; i++) {
    const a = o.refs[i]!;
    const b = c.refs[i]!;
    if (!ids.check(a.id, b.id) || a.kind !== b.kind) return false;
    if (a.kind === 'lock' && a.ptr !== b.ptr) return false;
  }
  return true;
}

/** The pc of frame i of a state (frame_insn_idx). */
export function frameInsnIdx(st: VState, i: number): number {
  return i === st.curframe ? st.insnIdx : st.frames[i + 1]!.callsite;
}

/** states_equal; `live(pc)` gives the live registers before pc. */
export function statesEqual(o: VState, c: VState, exact: Exact, ctx: EqualCtx, live: ArrayLike<number>, idGen: number): boolean {
  if (o.curframe !== c.curframe) return false;
  ctx.ids.reset(idGen);
  if (o.speculative && !c.speculative) return false;
  if (!refsafe(o, c, ctx.ids)) return false;
  for (let i = 0; i <= o.curframe; i++) {
    const fo = o.frames[i]!;
    const fc = c.frames[i]!;
    if (fo.callsite !== fc.callsite) return false;
    if (fo.callbackDepth > fc.callbackDepth) return false;
    const liveRegs = live[frameInsnIdx(o, i)]!;
    for (let r = 0; r < 11; r++) if (liveRegs & (1 << r) && !regsafe(fo.regs[r]!, fc.regs[r]!, exact, ctx)) return false;
    if (!stacksafe(fo, fc, exact, ctx)) return false;
  }
  return true;
}

/** states_maybe_looping: the current frame's registers are byte-identical. */
export function statesMaybeLooping(o: VState, c: VState): boolean {
  const fr = c.curframe;
  if (o.curframe !== fr) return false;
  const fo = o.frames[fr]!;
  const fc = c.frames[fr]!;
  for (let i = 0; i < 11; i++) {
    const a = fo.regs[i]!;
    const b = fc.regs[i]!;
    if (!headEqual(a, b) || a.id !== b.id || a.refObjId !== b.refObjId) return false;
  }
  return true;
}
