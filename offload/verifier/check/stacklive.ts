// Stack slot liveness as Linux 6.18 computes it (kernel/bpf/liveness.c): a call-chain-sensitive
// analysis fed by the walk. Each (call chain, instruction) keeps, per frame of the chain, the slots
// the instruction may read (union over visits) and the slots it surely overwrote whole (intersection
// over visits); a backward dataflow over the function's instructions, run only when a path ends or
// a subprogram returns (bpf_update_live_stack), turns them into `live_before`. A callee's reads of
// its callers' frames and its certain writes move to the call instruction of the caller's chain
// when the callee's chain is updated. Finished checkpoints forget the slots that are not live
// (clean_func_state), so states differing only in dead stack data prune each other. The answers
// are those of the marks recorded so far, stale in the same places as the kernel's.
import type { RawInsn } from '../../isa/index.ts';
import { successors } from '../cfg/raw.ts';
import type { VState } from '../state/state.ts';
import { fmtStackMask } from './logtext.ts';

/** Fields of one (frame, instruction) entry, stored as 32-bit halves of the kernel's u64 masks. */
const MAY_READ = 0;
const MUST_WRITE = 2;
const MUST_WRITE_ACC = 4;
const LIVE_BEFORE = 6;
const STRIDE = 8;

/** What the analysis needs of the program and the verifier. */
export interface LivenessProgram {
  raws: RawInsn[];
  isSlot(i: number): boolean;
  /** Start of every subprogram, ascending. */
  subprogStarts: number[];
  /** Subprogram index of each pc. */
  subprogOf: ArrayLike<number>;
  pruneP(pc: number): boolean;
  callsCallback(pc: number): boolean;
  /** Level-2 log line, or null when the log is below level 2. */
  trace2: ((line: string) => void) | null;
}

/** struct func_instance: the marks of one call chain's function. */
class FuncInstance {
  /** Call sites of frames 0..curframe-1, then the function's first instruction. */
  readonly callsites: number[];
  readonly start: number;
  readonly curframe: number;
  readonly frames: (Int32Array | null)[];
  readonly mustWriteSet: Uint8Array;
  updated = false;
  mustWriteDropped = false;

  constructor(callsites: number[], readonly n: number) {
    this.callsites = callsites;
    this.curframe = callsites.length - 1;
    this.start = callsites[this.curframe]!;
    this.frames = new Array(this.curframe + 1).fill(null);
    this.mustWriteSet = new Uint8Array(n);
  }

  frame(f: number): Int32Array {
    let a = this.frames[f];
    if (!a) a = this.frames[f] = new Int32Array(this.n * STRIDE);
    return a;
  }
}

const fmtChain = (c: number[]): string => `(${c.join(',')})`;

export class StackLiveness {
  private readonly instances = new Map<string, FuncInstance>();
  /** Instance of the current state's innermost frame (cur_instance), null after a call or exit. */
  private cur: FuncInstance | null = null;
  /** Writes of the instruction being verified, per frame (write_masks_acc). */
  private readonly writeLo = new Int32Array(8);
  private readonly writeHi = new Int32Array(8);
  private writeIdx = 0;
  /** Intraprocedural successors: count, first, second per pc. */
  private readonly succ: Int32Array;
  /** Instructions of each subprogram in postorder (compute_postorder). */
  private readonly postorder: Int32Array[];

  constructor(private readonly p: LivenessProgram) {
    const n = p.raws.length;
    this.succ = new Int32Array(n * 3);
    for (let i = 0; i < n; i++) {
      if (!p.isSlot(i)) continue;
      const s = successors(p.raws[i]!, i);
      this.succ[i * 3] = s.length;
      for (let k = 0; k < s.length; k++) this.succ[i * 3 + 1 + k] = s[k]!;
    }
    this.postorder = this.computePostorder();
  }

  /** Depth-first from each subprogram's start, fall-through pushed before the jump target. */
  private computePostorder(): Int32Array[] {
    const n = this.p.raws.length;
    const state = new Uint8Array(n);
    const stack = new Int32Array(n + 1);
    return this.p.subprogStarts.map((start) => {
      const out: number[] = [];
      stack[0] = start;
      let sz = 1;
      do {
        const top = stack[sz - 1]!;
        state[top] |= 1;
        if (state[top]! & 2) {
          out.push(top);
          sz--;
          continue;
        }
        const cnt = this.succ[top * 3]!;
        for (let k = 0; k < cnt; k++) {
          const s = this.succ[top * 3 + 1 + k]!;
          if (s < 0 || s >= n || !this.p.isSlot(s)) continue;
          if (!state[s]) {
            stack[sz++] = s;
            state[s] |= 1;
          }
        }
        state[top] |= 2;
      } while (sz);
      return Int32Array.from(out);
    });
  }

  private subprogEnd(start: number): number {
    const starts = this.p.subprogStarts;
    const i = this.p.subprogOf[start]!;
    return i + 1 < starts.length ? starts[i + 1]! : this.p.raws.length;
  }

  /** compute_callchain + lookup_instance for frame `frameno` of `st`. */
  private lookup(st: VState, frameno: number): FuncInstance {
    const chain: number[] = [];
    for (let i = 0; i < frameno; i++) chain.push(st.frames[i + 1]!.callsite);
    chain.push(this.p.subprogStarts[st.frames[frameno]!.subprogno]!);
    return this.lookupChain(chain);
  }

  private lookupChain(chain: number[]): FuncInstance {
    const key = chain.join(',');
    let inst = this.instances.get(key);
    if (!inst) {
      const start = chain[chain.length - 1]!;
      inst = new FuncInstance(chain, this.subprogEnd(start) - start);
      this.instances.set(key, inst);
    }
    return inst;
  }

  private ensureCur(st: VState): FuncInstance {
    if (!this.cur) this.cur = this.lookup(st, st.curframe);
    return this.cur;
  }

  /** bpf_reset_live_stack_callchain: the current state entered a subprogram. */
  resetCallchain(): void {
    this.cur = null;
  }

  /** bpf_mark_stack_read: the instruction at pc of the current state reads slots [spiLo, spiHi] of frame `frameno`. */
  markRead(st: VState, frameno: number, pc: number, spiLo: number, spiHi: number): void {
    if (spiHi < spiLo) return;
    const inst = this.ensureCur(st);
    let lo = 0;
    let hi = 0;
    for (let spi = Math.max(0, spiLo); spi <= Math.min(63, spiHi); spi++) {
      if (spi < 32) lo |= 1 << spi;
      else hi |= 1 << (spi - 32);
    }
    this.readMask(inst, frameno, pc, lo, hi);
  }

  private readMask(inst: FuncInstance, frameno: number, pc: number, lo: number, hi: number): void {
    if (!(lo | hi)) return;
    const a = inst.frame(frameno);
    const o = (pc - inst.start) * STRIDE;
    const nlo = a[o + MAY_READ]! | lo;
    const nhi = a[o + MAY_READ + 1]! | hi;
    if ((nlo !== a[o + MAY_READ] || nhi !== a[o + MAY_READ + 1]) && ((nlo | a[o + LIVE_BEFORE]!) !== a[o + LIVE_BEFORE] || (nhi | a[o + LIVE_BEFORE + 1]!) !== a[o + LIVE_BEFORE + 1]))
      inst.updated = true;
    a[o + MAY_READ] = nlo;
    a[o + MAY_READ + 1] = nhi;
  }

  /** bpf_reset_stack_write_marks before an instruction is verified. */
  beginInsn(st: VState, pc: number): void {
    this.ensureCur(st);
    this.resetWrites(pc);
  }

  private resetWrites(pc: number): void {
    this.writeIdx = pc;
    this.writeLo.fill(0);
    this.writeHi.fill(0);
  }

  /** bpf_mark_stack_write: the instruction overwrote all 8 bytes of slot spi of frame `frameno`. */
  markWrite(frameno: number, spi: number): void {
    if (spi < 0 || spi >= 64) return;
    if (spi < 32) this.writeLo[frameno]! |= 1 << spi;
    else this.writeHi[frameno]! |= 1 << (spi - 32);
  }

  /** bpf_commit_stack_write_marks after the instruction (nothing when it entered or left a call). */
  commitInsn(): void {
    if (this.cur) this.commitWrites(this.cur);
  }

  private commitWrites(inst: FuncInstance): void {
    const idx = this.writeIdx - inst.start;
    const o = idx * STRIDE;
    for (let f = 0; f <= inst.curframe; f++) {
      let lo = this.writeLo[f]!;
      let hi = this.writeHi[f]!;
      if (!(lo | hi) && !inst.mustWriteSet[idx]) continue;
      const a = inst.frame(f);
      const oldLo = a[o + MUST_WRITE]!;
      const oldHi = a[o + MUST_WRITE + 1]!;
      if (inst.mustWriteSet[idx]) {
        lo &= oldLo;
        hi &= oldHi;
      }
      if (oldLo !== lo || oldHi !== hi) {
        a[o + MUST_WRITE] = lo;
        a[o + MUST_WRITE + 1] = hi;
        inst.updated = true;
      }
      if (oldLo & ~lo || oldHi & ~hi) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
    this.writeIdx = 0;
  }

  /** bpf_update_live_stack: bring every chain of `st` up to date, callees first. */
  update(st: VState): void {
    this.cur = null;
    for (let f = st.curframe; f >= 0; f--) {
      const inst = this.lookup(st, f);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  private updateInstance(inst: FuncInstance): void {
    if (inst.mustWriteDropped)
      for (const a of inst.frames) {
        if (!a) continue;
        for (let i = 0; i < inst.n; i++) a[i * STRIDE + MUST_WRITE_ACC] = a[i * STRIDE + MUST_WRITE_ACC + 1] = 0;
      }
    const order = this.postorder[this.p.subprogOf[inst.start]!]!;
    let cnt = 0;
    let changed: boolean;
    do {
      cnt++;
      changed = false;
      for (let f = 0; f <= inst.curframe; f++) {
        const a = inst.frames[f];
        if (!a) continue;
        for (let k = 0; k < order.length; k++) if (this.updateInsn(inst, f, a, order[k]!)) changed = true;
      }
    } while (changed);
    this.p.trace2?.(`${fmtChain(inst.callsites)} live stack update done in ${cnt} iterations`);
    if (inst.curframe > 0) this.propagateToOuter(inst);
  }

  private updateInsn(inst: FuncInstance, f: number, a: Int32Array, pc: number): boolean {
    const sc = this.succ[pc * 3]!;
    if (sc === 0) return false;
    const o = (pc - inst.start) * STRIDE;
    let afterLo = 0;
    let afterHi = 0;
    let accLo = -1;
    let accHi = -1;
    for (let k = 0; k < sc; k++) {
      const so = (this.succ[pc * 3 + 1 + k]! - inst.start) * STRIDE;
      afterLo |= a[so + LIVE_BEFORE]!;
      afterHi |= a[so + LIVE_BEFORE + 1]!;
      accLo &= a[so + MUST_WRITE_ACC]!;
      accHi &= a[so + MUST_WRITE_ACC + 1]!;
    }
    const mwLo = a[o + MUST_WRITE]!;
    const mwHi = a[o + MUST_WRITE + 1]!;
    const mrLo = a[o + MAY_READ]!;
    const mrHi = a[o + MAY_READ + 1]!;
    accLo |= mwLo;
    accHi |= mwHi;
    const beforeLo = (afterLo & ~mwLo) | mrLo;
    const beforeHi = (afterHi & ~mwHi) | mrHi;
    const oldBLo = a[o + LIVE_BEFORE]!;
    const oldBHi = a[o + LIVE_BEFORE + 1]!;
    const oldALo = a[o + MUST_WRITE_ACC]!;
    const oldAHi = a[o + MUST_WRITE_ACC + 1]!;
    const changed = beforeLo !== oldBLo || beforeHi !== oldBHi || accLo !== oldALo || accHi !== oldAHi;
    if (this.p.trace2 && (mrLo | mrHi | mwLo | mwHi || pc === inst.start || this.p.pruneP(pc))) {
      this.logChange(inst, 'live', f, pc, oldBLo, oldBHi, beforeLo, beforeHi);
      this.logChange(inst, 'written', f, pc, oldALo, oldAHi, accLo, accHi);
    }
    a[o + LIVE_BEFORE] = beforeLo;
    a[o + LIVE_BEFORE + 1] = beforeHi;
    a[o + MUST_WRITE_ACC] = accLo;
    a[o + MUST_WRITE_ACC + 1] = accHi;
    return changed;
  }

  /** log_mask_change */
  private logChange(inst: FuncInstance, what: string, f: number, pc: number, oLo: number, oHi: number, nLo: number, nHi: number): void {
    const cLo = oLo ^ nLo;
    const cHi = oHi ^ nHi;
    if (!(cLo | cHi)) return;
    let line = `${fmtChain(inst.callsites)} frame ${f} insn ${pc} `;
    if (nLo & cLo || nHi & cHi) line += `+${what} ${fmtStackMask(nLo & cLo, nHi & cHi)} `;
    if (~nLo & cLo || ~nHi & cHi) line += `-${what} ${fmtStackMask(~nLo & cLo, ~nHi & cHi)}`;
    this.p.trace2!(line);
  }

  /** propagate_to_outer_instance: the callee's entry marks become the call instruction's. */
  private propagateToOuter(inst: FuncInstance): void {
    const chain = inst.callsites.slice(0, inst.curframe);
    const callsite = chain[chain.length - 1]!;
    chain[chain.length - 1] = this.p.subprogStarts[this.p.subprogOf[callsite]!]!;
    const outer = this.lookupChain(chain);
    this.resetWrites(callsite);
    for (let f = 0; f < inst.curframe; f++) {
      const a = inst.frames[f];
      if (!a) continue;
      this.writeLo[f]! |= a[MUST_WRITE_ACC]!;
      this.writeHi[f]! |= a[MUST_WRITE_ACC + 1]!;
      this.readMask(outer, f, callsite, a[LIVE_BEFORE]!, a[LIVE_BEFORE + 1]!);
    }
    this.commitWrites(outer);
  }

  /**
   * bpf_live_stack_query_init + bpf_stack_slot_alive for every slot of frame `frameno` of the
   * checkpoint `st`: the slots possibly read later (at its pc in its own frame, or after the calls
   * of the frames above it), as [low 32 slots, high 32 slots] in `out`.
   */
  liveSlots(st: VState, frameno: number, out: Int32Array): void {
    const top = this.lookup(st, st.curframe);
    this.orLiveBefore(top, st.insnIdx, frameno, out, true);
    for (let i = frameno; i < st.curframe; i++) {
      const callsite = top.callsites[i]!;
      this.orLiveBefore(this.lookup(st, i), this.p.callsCallback(callsite) ? callsite : callsite + 1, frameno, out, false);
    }
  }

  private orLiveBefore(inst: FuncInstance, pc: number, frameno: number, out: Int32Array, first: boolean): void {
    const a = inst.frames[frameno];
    const o = (pc - inst.start) * STRIDE + LIVE_BEFORE;
    const lo = a ? a[o]! : 0;
    const hi = a ? a[o + 1]! : 0;
    out[0] = first ? lo : out[0]! | lo;
    out[1] = first ? hi : out[1]! | hi;
  }
}
