// Verifier states (struct bpf_verifier_state / bpf_func_state): the call frames with their registers
// and stack, acquired references, lock state and the exploration bookkeeping (parent checkpoint,
// branch count, jump history for precision backtracking).
import { markNotInit } from '../domain/bounds.ts';
import { Reg, T } from '../domain/reg.ts';
import { EMPTY_SLOT, Slot } from './stack.ts';

export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export class FuncState {
  regs: Reg[];
  /** Stack slots by spi; entries beyond allocated/8 are undefined. */
  stack: Slot[];
  /** Bytes of stack the state knows about (multiple of 8). */
  allocated = 0;
  /** Index of the call instruction that created this frame (-1 for the main frame). */
  callsite = -1;
  frameno = 0;
  subprogno = 0;
  inCallbackFn = false;
  callbackRetMin = 0;
  callbackRetMax = 0;
  callbackDepth = 0;

  constructor(regs?: Reg[]) {
    this.regs = regs ?? Array.from({ length: 11 }, () => new Reg());
    this.stack = [];
  }

  clone(): FuncState {
    const regs = new Array<Reg>(11);
    for (let i = 0; i < 11; i++) regs[i] = new Reg(this.regs[i]);
    const f = new FuncState(regs);
    f.stack = this.stack.slice();
    f.allocated = this.allocated;
    f.callsite = this.callsite;
    f.frameno = this.frameno;
    f.subprogno = this.subprogno;
    f.inCallbackFn = this.inCallbackFn;
    f.callbackRetMin = this.callbackRetMin;
    f.callbackRetMax = this.callbackRetMax;
    f.callbackDepth = this.callbackDepth;
    return f;
  }

  slot(spi: number): Slot {
    return this.stack[spi] ?? EMPTY_SLOT;
  }

  /** grow_stack_state: make `size` bytes (rounded up to 8) addressable. */
  grow(size: number): void {
    const n = Math.ceil(size / 8) * 8;
    if (n <= this.allocated) return;
    for (let i = this.allocated / 8; i < n / 8; i++) this.stack[i] = EMPTY_SLOT;
    this.allocated = n;
  }
}

export function newFrame(callsite: number, frameno: number, subprogno: number): FuncState {
  const f = new FuncState();
  for (const r of f.regs) markNotInit(r);
  f.callsite = callsite;
  f.frameno = frameno;
  f.subprogno = subprogno;
  // r10 is the frame pointer of this frame.
  const fp = f.regs[10]!;
  fp.type = T.STACK;
  fp.frameno = frameno;
  fp.var = fp.var; // var_off (0; 0) set by the caller via markKnownZero
  return f;
}

export type RefKind = 'ptr' | 'lock';

/** An acquired reference or held lock (struct bpf_reference_state). */
export interface RefState {
  kind: RefKind;
  id: number;
  insnIdx: number;
  /** Lock: the map index (or -1) the lock lives in. */
  ptr: number;
}

/** One jump-history entry (struct bpf_jmp_history_entry) for precision backtracking. */
export interface HistEntry {
  idx: number;
  prevIdx: number;
  /** Stack access by the instruction: (frame << 8) | (spi + 1), or 0. */
  stackAccess: number;
  /** INSN_F_SRC_REG_STACK / INSN_F_DST_REG_STACK of a conditional jump. */
  flags: number;
  /** Linked scalars that gained range at this jump: (frame << 8) | (isReg ? 0x80 : 0) | reg-or-spi. */
  linked: number[] | null;
}

export class VState {
  frames: FuncState[];
  curframe = 0;
  refs: RefState[] = [];
  activeLocks = 0;
  activeLockId = 0;
  activeLockPtr = -1;
  /** Inside bpf_rcu_read_lock() (active_rcu_lock). */
  activeRcuLock = false;
  /** bpf_preempt_disable() depth (active_preempt_locks). */
  activePreemptLocks = 0;
  speculative = false;
  /** Outstanding explorations below this state (checkpoints only). */
  branches = 1;
  /** The checkpoint this state descends from. */
  parent: VState | null = null;
  insnIdx = 0;
  firstInsnIdx = 0;
  lastInsnIdx = -1;
  mayGotoDepth = 0;
  callbackUnrollDepth = 0;
  dfsDepth = 0;
  history: HistEntry[] = [];
  /** The history array is shared with a copy: copy it before changing it. */
  historyShared = false;
  /** Checkpoint bookkeeping (explored list). */
  hitCnt = 0;
  missCnt = 0;
  /** The checkpoint was removed from its explored list. */
  evicted = false;
  /** An evicted checkpoint that maybe_free_verifier_state released. */
  freed = false;
  /** Dead registers and stack slots were forgotten (clean_verifier_state). */
  cleaned = false;

  constructor(frames: FuncState[]) {
    this.frames = frames;
  }

  get cur(): FuncState {
    return this.frames[this.curframe]!;
  }

  /** copy_verifier_state: a deep copy sharing nothing mutable (stack slots are immutable). */
  clone(): VState {
    const frames = new Array<FuncState>(this.curframe + 1);
    for (let i = 0; i <= this.curframe; i++) frames[i] = this.frames[i]!.clone();
    const s = new VState(frames);
    s.curframe = this.curframe;
    s.refs = this.refs.slice();
    s.activeLocks = this.activeLocks;
    s.activeLockId = this.activeLockId;
    s.activeLockPtr = this.activeLockPtr;
    s.activeRcuLock = this.activeRcuLock;
    s.activePreemptLocks = this.activePreemptLocks;
    s.speculative = this.speculative;
    s.branches = this.branches;
    s.parent = this.parent;
    s.insnIdx = this.insnIdx;
    s.firstInsnIdx = this.firstInsnIdx;
    s.lastInsnIdx = this.lastInsnIdx;
    s.mayGotoDepth = this.mayGotoDepth;
    s.callbackUnrollDepth = this.callbackUnrollDepth;
    s.dfsDepth = this.dfsDepth;
    s.history = this.history;
    s.historyShared = this.historyShared = true;
    return s;
  }
}

/**
 * bpf_for_each_reg_in_vstate with an update: every register of every frame and every spilled
 * register that `match` selects is passed to `update` (spilled registers are copied first, since
 * stack slots are shared between states).
 */
export function updateRegs(st: VState, match: (r: Reg) => boolean, update: (r: Reg) => void): void {
  for (let fi = 0; fi <= st.curframe; fi++) {
    const f = st.frames[fi]!;
    for (const r of f.regs) if (match(r)) update(r);
    for (let i = 0; i < f.stack.length; i++) {
      const s = f.stack[i];
      if (!s || !s.spilled || !match(s.spilled)) continue;
      const copy = s.spilled.clone();
      update(copy);
      f.stack[i] = new Slot(s.types, copy);
    }
  }
}

/** Every register and spilled register, read-only. */
export function someReg(st: VState, pred: (r: Reg, frame: FuncState) => boolean): boolean {
  for (let fi = 0; fi <= st.curframe; fi++) {
    const f = st.frames[fi]!;
    for (const r of f.regs) if (pred(r, f)) return true;
    for (const s of f.stack) if (s?.spilled && pred(s.spilled, f)) return true;
  }
  return false;
}
