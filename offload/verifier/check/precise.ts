// Scalar precision tracking (mark_chain_precision / backtrack_insn). A scalar is "precise" in a
// checkpoint when some later decision depended on its exact range; only precise scalars are
// compared by range when pruning. When a decision uses a scalar, the instructions since the last
// checkpoint are walked backwards (through the jump history) to find every register and spilled
// stack slot it was computed from, then the same continues in each parent checkpoint.
import type { RawInsn } from '../../isa/index.ts';
import { T } from '../domain/reg.ts';
import { Slot } from '../state/stack.ts';
import type { HistEntry, VState } from '../state/state.ts';
import { fmtFrame } from '../state/print.ts';
import type { Env } from './env.ts';
import { fmtRegMask, fmtStackMask, logInsnText } from './logtext.ts';

/** History flags (INSN_F_*): stack access slot is encoded separately. */
export const HF_SRC_REG_STACK = 1;
export const HF_DST_REG_STACK = 2;

/** A history entry's stack access: (frame << 8) | (spi + 1), 0 for none. */
export const stackAccess = (frame: number, spi: number): number => (frame << 8) | (spi + 1);

const ARGS_MASK = 0b111110; // r1-r5

class Backtrack {
  frame = 0;
  regs = new Int32Array(8);
  /** Stack slot masks per frame: low and high 32 slots. */
  lo = new Int32Array(8);
  hi = new Int32Array(8);

  reset(): void {
    this.regs.fill(0);
    this.lo.fill(0);
    this.hi.fill(0);
  }
  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] || this.lo[i] || this.hi[i]) return false;
    return true;
  }
  isReg(r: number): boolean {
    return (this.regs[this.frame]! & (1 << r)) !== 0;
  }
  setReg(r: number): void {
    this.regs[this.frame]! |= 1 << r;
  }
  clearReg(r: number): void {
    this.regs[this.frame]! &= ~(1 << r);
  }
  setFrameReg(f: number, r: number): void {
    this.regs[f]! |= 1 << r;
  }
  isSlot(f: number, spi: number): boolean {
    return spi < 32 ? (this.lo[f]! & (1 << spi)) !== 0 : (this.hi[f]! & (1 << (spi - 32))) !== 0;
  }
  setSlot(f: number, spi: number): void {
    if (spi < 32) this.lo[f]! |= 1 << spi;
    else this.hi[f]! |= 1 << (spi - 32);
  }
  clearSlot(f: number, spi: number): void {
    if (spi < 32) this.lo[f]! &= ~(1 << spi);
    else this.hi[f]! &= ~(1 << (spi - 32));
  }
}

class NotSupported extends Error {}

function histEntry(st: VState, end: number, idx: number): HistEntry | null {
  if (end > 0 && st.history[end - 1]!.idx === idx) return st.history[end - 1]!;
  return null;
}

function syncLinked(bt: Backtrack, hist: HistEntry | null): void {
  if (!hist || !hist.linked) return;
  let some = false;
  for (const e of hist.linked) {
    const f = e >> 8;
    const isReg = (e & 0x80) !== 0;
    const n = e & 0x7f;
    if ((isReg && (bt.regs[f]! & (1 << n)) !== 0) || (!isReg && bt.isSlot(f, n))) {
      some = true;
      break;
    }
  }
  if (!some) return;
  for (const e of hist.linked) {
    const f = e >> 8;
    const isReg = (e & 0x80) !== 0;
    const n = e & 0x7f;
    if (isReg) bt.setFrameReg(f, n);
    else bt.setSlot(f, n);
  }
}

/** backtrack_insn: what insn `idx` needs precise before it, given what is needed after it. */
function backtrackInsn(env: Env, idx: number, subseq: number, hist: HistEntry | null, bt: Backtrack): void {
  const raw: RawInsn = env.prog.raws[idx]!;
  if (raw.code === 0) return;
  if (env.log.level > 1)
    env.log.trace2(
      `mark_precise: frame${bt.frame}: regs=${fmtRegMask(bt.regs[bt.frame]!)} stack=${fmtStackMask(bt.lo[bt.frame]!, bt.hi[bt.frame]!)} before ${idx}: ${logInsnText(env, idx)}`,
    );
  syncLinked(bt, hist);
  const cls = raw.code & 7;
  const op = raw.code & 0xf0;
  const x = (raw.code & 8) !== 0;
  const d = raw.dst;
  const s = raw.src;
  if (cls === 4 || cls === 7) {
    if (!bt.isReg(d)) return;
    if (op === 0xd0 || op === 0x80) return; // END, NEG
    if (op === 0xb0) {
      bt.clearReg(d);
      if (x && s !== 10) bt.setReg(s);
    } else if (x && s !== 10) bt.setReg(s);
  } else if (cls === 1 || (cls === 3 && (raw.code & 0xe0) === 0xc0 && raw.imm === 0x100)) {
    if (!bt.isReg(d)) return;
    bt.clearReg(d);
    if (!hist || !hist.stackAccess) return;
    bt.setSlot(hist.stackAccess >> 8, (hist.stackAccess & 0xff) - 1);
  } else if (cls === 3 || cls === 2) {
    if (bt.isReg(d)) throw new NotSupported();
    if (!hist || !hist.stackAccess) return;
    const fr = hist.stackAccess >> 8;
    const spi = (hist.stackAccess & 0xff) - 1;
    if (!bt.isSlot(fr, spi)) return;
    bt.clearSlot(fr, spi);
    if (cls === 3) bt.setReg(s);
  } else if (cls === 5 || cls === 6) {
    if (raw.code === 0x85 && s === 1) {
      const sub = env.subprogOf[idx + raw.imm + 1]!;
      if (env.subprogs[sub]!.linkage === 'global') {
        bt.clearReg(0);
        return;
      }
      for (let i = 1; i <= 5; i++) {
        if (bt.isReg(i)) {
          bt.clearReg(i);
          bt.setFrameReg(bt.frame - 1, i);
        }
      }
      bt.frame--;
      return;
    }
    if (raw.code === 0x85 && env.aux[idx]!.callsCallback && idx !== subseq - 1) {
      for (let i = 1; i <= 5; i++) bt.clearReg(i);
      bt.frame--;
      return;
    }
    if (op === 0x80) {
      if (s === 2 && raw.imm === 0) throw new NotSupported();
      bt.clearReg(0);
      if (s === 0 && raw.imm === 12 && subseq - idx !== 1) bt.frame++;
      return;
    }
    if (op === 0x90) {
      if (subseq >= 0 && env.aux[subseq]!.callsCallback) for (let i = 1; i <= 5; i++) bt.clearReg(i);
      const prev = subseq - 1 >= 0 ? env.prog.raws[subseq - 1]! : null;
      const r0 = prev !== null && prev.code === 0x85 && prev.src === 1 && bt.isReg(0);
      bt.clearReg(0);
      bt.frame++;
      bt.regs[bt.frame] = 0;
      bt.lo[bt.frame] = 0;
      bt.hi[bt.frame] = 0;
      if (r0) bt.setReg(0);
      return;
    }
    if (x && op !== 0x00) {
      if (!bt.isReg(d) && !bt.isReg(s)) return;
      const flags = hist?.flags ?? 0;
      if (!(flags & HF_SRC_REG_STACK)) bt.setReg(s);
      if (!(flags & HF_DST_REG_STACK)) bt.setReg(d);
    }
  } else if (cls === 0) {
    if (!bt.isReg(d)) return;
    bt.clearReg(d);
    const mode = raw.code & 0xe0;
    if (mode === 0x20 || mode === 0x40) throw new NotSupported();
  }
  syncLinked(bt, hist);
}

function prevInsnIdx(st: VState, i: number, hist: { n: number }): number {
  const cnt = hist.n;
  if (i === st.firstInsnIdx) {
    if (cnt === 0) return -1;
    if (cnt === 1 && st.history[0]!.idx === i) return -1;
  }
  if (cnt && st.history[cnt - 1]!.idx === i) {
    hist.n--;
    return st.history[cnt - 1]!.prevIdx;
  }
  return i - 1;
}

/** mark_all_scalars_precise: the fallback when backtracking cannot follow the data flow. */
export function markAllScalarsPrecise(st: VState, env?: Env): void {
  env?.log.trace2(`mark_precise: frame${st.curframe}: falling back to forcing all scalars precise`);
  for (let p = st.parent; p; p = p.parent) {
    for (let fi = 0; fi <= p.curframe; fi++) {
      const f = p.frames[fi]!;
      for (let j = 0; j < 10; j++) {
        const r = f.regs[j]!;
        if (r.type !== T.SCALAR || r.precise) continue;
        r.precise = true;
        if (env && env.log.level > 1) env.log.trace2(`force_precise: frame${fi}: forcing r${j} to be precise`);
      }
      for (let j = 0; j < f.stack.length; j++) {
        const sl = f.stack[j];
        if (!sl?.isSpilled() || sl.spilled!.type !== T.SCALAR || sl.spilled!.precise) continue;
        const c = sl.spilled!.clone();
        c.precise = true;
        f.stack[j] = new Slot(sl.types, c);
        if (env && env.log.level > 1) env.log.trace2(`force_precise: frame${fi}: forcing fp${-(j + 1) * 8} to be precise`);
      }
    }
  }
}

/** mark_all_scalars_imprecise (when a checkpoint is created). */
export function markAllScalarsImprecise(st: VState): void {
  for (let fi = 0; fi <= st.curframe; fi++) {
    const f = st.frames[fi]!;
    for (let j = 0; j < 10; j++) {
      const r = f.regs[j]!;
      if (r.type === T.SCALAR) r.precise = false;
    }
    for (let j = 0; j < f.stack.length; j++) {
      const sl = f.stack[j];
      if (!sl?.isSpilled() || sl.spilled!.type !== T.SCALAR || !sl.spilled!.precise) continue;
      const c = sl.spilled!.clone();
      c.precise = false;
      f.stack[j] = new Slot(sl.types, c);
    }
  }
}

const BT = new Backtrack();

/**
 * __mark_chain_precision from `start` for register `regno` of its current frame (or -1 with
 * `seed` filling the masks). Returns whether a mark changed.
 */
function markChain(env: Env, start: VState, regno: number, seed: ((bt: Backtrack) => void) | null): boolean {
  const bt = BT;
  bt.reset();
  bt.frame = start.curframe;
  let changed = false;
  if (regno >= 0) {
    if (start.frames[bt.frame]!.regs[regno]!.type !== T.SCALAR) return false;
    bt.setReg(regno);
  }
  if (seed) seed(bt);
  if (bt.empty()) return false;
  let st: VState | null = start;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = start.insnIdx;
  let subseq = -1;
  let skipFirst = true;
  try {
    for (;;) {
      const hist = { n: st.history.length };
      if (env.log.level > 1) env.log.trace2(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseq} `);
      if (lastIdx < 0) {
        // Entry of a global function verified on its own: arguments r1-r5 become precise there.
        const f0 = st.frames[0]!;
        if (st.curframe === 0 && f0.subprogno > 0 && bt.lo[0] === 0 && bt.hi[0] === 0 && (bt.regs[0]! & ~ARGS_MASK) === 0) {
          for (let i = 1; i <= 5; i++) {
            if (bt.regs[0]! & (1 << i)) {
              const r = f0.regs[i]!;
              if (r.type === T.SCALAR && !r.precise) {
                r.precise = true;
                changed = true;
              }
            }
          }
          return changed;
        }
        throw new NotSupported();
      }
      for (let i = lastIdx; ; ) {
        if (skipFirst) skipFirst = false;
        else backtrackInsn(env, i, subseq, histEntry(st, hist.n, i), bt);
        if (bt.empty()) return changed;
        subseq = i;
        i = prevInsnIdx(st, i, hist);
        if (i < 0) break;
      }
      st = st.parent;
      if (!st) break;
      for (let fr = bt.frame; fr >= 0; fr--) {
        const f = st.frames[fr];
        if (!f) {
          bt.regs[fr] = 0;
          bt.lo[fr] = 0;
          bt.hi[fr] = 0;
          continue;
        }
        for (let i = 0; i < 11; i++) {
          if (!(bt.regs[fr]! & (1 << i))) continue;
          const r = f.regs[i]!;
          if (r.type !== T.SCALAR || r.precise) bt.regs[fr]! &= ~(1 << i);
          else {
            r.precise = true;
            changed = true;
          }
        }
        for (let i = 0; i < 64; i++) {
          if (!bt.isSlot(fr, i)) continue;
          const sl = f.stack[i];
          if (!sl?.isSpilled() || sl.spilled!.type !== T.SCALAR) {
            bt.clearSlot(fr, i);
            continue;
          }
          if (sl.spilled!.precise) bt.clearSlot(fr, i);
          else {
            const c = sl.spilled!.clone();
            c.precise = true;
            f.stack[i] = new Slot(sl.types, c);
            changed = true;
          }
        }
        if (env.log.level > 1)
          env.log.trace2(
            `mark_precise: frame${fr}: parent state regs=${fmtRegMask(bt.regs[fr]!)} stack=${fmtStackMask(bt.lo[fr]!, bt.hi[fr]!)}: ${fmtFrame(st, fr, { maps: env.prog.maps })}`,
          );
      }
      if (bt.empty()) return changed;
      subseq = firstIdx;
      lastIdx = st.lastInsnIdx;
      firstIdx = st.firstInsnIdx;
    }
  } catch (e) {
    if (!(e instanceof NotSupported)) throw e;
    markAllScalarsPrecise(start, env);
    bt.reset();
    return true;
  }
  // Reaching the first state with marks left is fine: they belong to registers set before it.
  bt.reset();
  return changed;
}

/** mark_chain_precision(env, regno) for the current state. */
export function markPrecise(env: Env, regno: number): void {
  if (!env.priv.bpfCapable) return;
  markChain(env, env.cur, regno, null);
}

/** Precision for a spilled stack slot of a frame (get_constant_map_key). */
export function markPreciseSlot(env: Env, frame: number, spi: number): void {
  markChain(env, env.cur, -1, (bt) => bt.setSlot(frame, spi));
}

/** propagate_precision: after a prune, cur needs the old state's precise marks. */
export function propagatePrecision(env: Env, old: VState, cur: VState): boolean {
  return markChain(env, cur, -1, (bt) => {
    for (let fr = old.curframe; fr >= 0; fr--) {
      const f = old.frames[fr]!;
      const names: string[] | null = env.log.level > 1 ? [] : null;
      for (let i = 0; i < 10; i++) {
        const r = f.regs[i]!;
        if (r.type === T.SCALAR && r.precise) {
          bt.setFrameReg(fr, i);
          names?.push(`r${i}`);
        }
      }
      for (let i = 0; i < f.allocated / 8; i++) {
        const sl = f.stack[i];
        if (sl?.isSpilled() && sl.spilled!.type === T.SCALAR && sl.spilled!.precise) {
          bt.setSlot(fr, i);
          names?.push(`fp${-(i + 1) * 8}`);
        }
      }
      if (names?.length) env.log.trace2(`frame ${fr}: propagating ${names.join(',')}`);
    }
  });
}
