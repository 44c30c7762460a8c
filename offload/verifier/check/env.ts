// The verifier environment (struct bpf_verifier_env): the program, the privilege flags, per-insn
// auxiliary data, subprogram info, the current state and the exploration stack, counters and the log.
import type { LineInfo, MapSpec } from '../../elf/index.ts';
import type { Btf } from '../../btf/index.ts';
import type { RawInsn } from '../../isa/index.ts';
import type { Slot as VSlot } from '../cfg/insn.ts';
import { VerifierLog, type LogMark } from '../log.ts';
import { type HistEntry, type VState } from '../state/state.ts';
import { type Errno, VerifierFail } from './fail.ts';
import type { FactsCollector } from '../facts.ts';
import type { SccVisit } from '../explore.ts';
import { StackLiveness } from './stacklive.ts';

export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
export const BPF_COMPLEXITY_LIMIT_STATES = 64;

export interface SubprogInfo {
  start: number;
  /** One past the last slot. */
  end: number;
  name: string;
  linkage: 'main' | 'static' | 'global';
  /** BTF FUNC type id (global functions), 0 if none. */
  btfTypeId: number;
  stackDepth: number;
  hasTailCall: boolean;
  hasLdAbs: boolean;
  tailCallReachable: boolean;
  isCb: boolean;
  changesPktData: boolean;
  /** A global function that something calls (verified after the main program). */
  called: boolean;
  writesCalleeSaved: boolean;
  /** A call's arguments did not match the BTF prototype (func_info_aux[].unreliable): not checked again. */
  unreliable: boolean;
}

export interface InsnAux {
  /** Pointer type the load/store used (save_aux_ptr_type), 0 = none yet. */
  ptrType: number;
  nospec: boolean;
  nospecResult: boolean;
  aluState: number;
  aluLimit: number;
  seen: boolean;
  pruneP: boolean;
  jmpP: boolean;
  forceCheckpoint: boolean;
  callsCallback: boolean;
  /** Registers live before the instruction (bit i = ri). */
  liveRegs: number;
  /** Map seen by a helper call (record_func_map), -1 none, -2 different maps. */
  mapIdx: number;
  /** Tail-call key state (record_func_key): undefined unseen, -1 poisoned, else the key. */
  mapKey: number | undefined;
  zextDst: boolean;
  /** bpf_loop inlining state (update_loop_inline_state). */
  loopInlineInit: boolean;
  loopInlineOk: boolean;
  loopCallback: number;
}

export interface ProgramView {
  name: string;
  /** Slots by pc; null = second half of an lddw. */
  slots: (VSlot | null)[];
  /** Raw fields of every slot (including lddw second halves). */
  raws: RawInsn[];
  len: number;
  /** The object's maps, then the inner-map templates of map-in-map maps (see innerOf). */
  maps: MapSpec[];
  /** Index in `maps` of the inner map of each outer map-in-map (-1 otherwise). */
  innerOf: number[];
  gpl: boolean;
  xdpFrags: boolean;
  /** Expected attach type: plain XDP, or a program attached to a DEVMAP/CPUMAP entry. */
  attach: 'xdp' | 'devmap' | 'cpumap';
  lineInfo: LineInfo[];
  btf: Btf | undefined;
  /** The object's BTF, which describes map keys and values (maps keep it even for a raw load). */
  mapBtf: Btf | undefined;
  /** kfunc names by call pc. */
  kfuncs: Map<number, string>;
  /** Function info (subprogram boundaries and BTF linkage) as the kernel sees it. */
  funcInfo: { pc: number; name: string; linkage: 'static' | 'global'; btfTypeId: number }[];
  hasFuncInfo: boolean;
}

export interface Privileges {
  bpfCapable: boolean;
  allowPtrLeaks: boolean;
  allowUninitStack: boolean;
  bypassSpecV1: boolean;
  bypassSpecV4: boolean;
}

export interface StackElem {
  st: VState;
  insnIdx: number;
  prevInsnIdx: number;
  log: LogMark;
}

export class Env {
  readonly log: VerifierLog;
  readonly aux: InsnAux[];
  subprogs: SubprogInfo[] = [];
  /** Subprogram index of each pc. */
  subprogOf: Int32Array;
  idGen = 0;
  cur!: VState;
  insnIdx = 0;
  prevInsnIdx = -1;
  insnProcessed = 0;
  jmpsProcessed = 0;
  prevInsnProcessed = 0;
  prevJmpsProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  exploredSize = 0;
  /** Evicted checkpoints still referenced (free_list_size) and pending loop backedges (num_backedges). */
  freeListSize = 0;
  numBackedges = 0;
  maxStatesPerInsn = 0;
  /** Exploration stack (DFS), top at the end. */
  stack: StackElem[] = [];
  /**
   * Explored checkpoints, in the kernel's hash table: bucket (pc ^ callsite of the current frame)
   * mod program length, most recent first. A bucket can hold states of other instructions (they
   * still count towards max_states_per_insn) and the same pc under another callsite lives elsewhere.
   */
  explored: (VState[] | undefined)[];
  maxPktOffset = 0;
  exploreAluLimits = false;
  /** During a helper or kfunc call at log level >= 1: stack slots it wrote through a raw-mode argument or used as a dynptr (the log's state line shows them). */
  logScratch: Set<number> | null = null;
  /** The program is loaded for a NIC (bpf_prog_is_offloaded): rx_queue_index is writable. */
  offloaded = false;
  /** The program is bound to a device (bpf_prog_is_dev_bound: BPF_F_XDP_DEV_BOUND_ONLY, or offloaded). */
  devBound = false;
  /** Verifying a global subprogram on its own (subprog index), or 0 for main. */
  verifyingSubprog = 0;
  facts: FactsCollector | null = null;
  /** SCC id per slot (0 = not on a loop). */
  sccOf: Int32Array;
  /** Loop visits by call chain (bpf_scc_visit). */
  sccVisits = new Map<string, SccVisit>();
  /** Cached facts read masks per pc (-1 = not computed). */
  readMasks: Int32Array;
  /** Registers live before each instruction (copied from aux after liveness analysis). */
  liveRegs: Int32Array;
  /** Stack slot liveness for cleaning finished checkpoints (set up once the subprograms are known). */
  stackLive!: StackLiveness;
  /** A kfunc call with imm 0 was walked: the kernel refuses it after verification. */
  unresolvedKfunc = false;
  /** Line info of the last `; source` trace line. */
  prevLinfo: LineInfo | null = null;
  private linfoByPc: (LineInfo | null)[] | null = null;

  constructor(
    readonly prog: ProgramView,
    readonly priv: Privileges,
    logLevel: 0 | 1 | 2,
    readonly insnLimit: number,
    logSize = Infinity,
  ) {
    this.log = new VerifierLog(logLevel, logSize);
    this.aux = Array.from({ length: prog.len }, () => ({
      ptrType: 0,
      nospec: false,
      nospecResult: false,
      aluState: 0,
      aluLimit: 0,
      seen: false,
      pruneP: false,
      jmpP: false,
      forceCheckpoint: false,
      callsCallback: false,
      liveRegs: 0x7ff,
      mapIdx: -1,
      mapKey: undefined,
      zextDst: false,
      loopInlineInit: false,
      loopInlineOk: false,
      loopCallback: -1,
    }));
    this.subprogOf = new Int32Array(prog.len);
    this.explored = new Array(prog.len);
    this.sccOf = new Int32Array(prog.len);
    this.readMasks = new Int32Array(prog.len).fill(-1);
    this.liveRegs = new Int32Array(prog.len).fill(0x7ff);
  }

  /** Sets up the stack liveness analysis (after check_cfg: subprograms, prune points, callbacks). */
  initStackLiveness(): void {
    const { prog, aux, log } = this;
    this.stackLive = new StackLiveness({
      raws: prog.raws,
      isSlot: (i) => prog.slots[i] !== null,
      subprogStarts: this.subprogs.map((sp) => sp.start),
      subprogOf: this.subprogOf,
      pruneP: (pc) => aux[pc]!.pruneP,
      callsCallback: (pc) => aux[pc]!.callsCallback,
      trace2: log.level > 1 ? (line) => log.trace2(line) : null,
    });
  }

  get unpriv(): boolean {
    return !this.priv.allowPtrLeaks;
  }

  /** The line info entry covering pc, if any. */
  lineAt(pc: number): LineInfo | null {
    if (!this.linfoByPc) {
      const a: (LineInfo | null)[] = new Array(this.prog.len).fill(null);
      const li = [...this.prog.lineInfo].sort((x, y) => x.pc - y.pc);
      for (let k = 0; k < li.length; k++) {
        const end = k + 1 < li.length ? li[k + 1]!.pc : this.prog.len;
        for (let p = li[k]!.pc; p < end && p < a.length; p++) a[p] = li[k]!;
      }
      this.linfoByPc = a;
    }
    return this.linfoByPc[pc] ?? null;
  }

  verbose(line: string): void {
    this.log.verbose(line);
  }

  /** Log `line` and fail with `errno` at the current instruction. */
  fail(errno: Errno, line?: string): never {
    if (line !== undefined) this.log.verbose(line);
    throw new VerifierFail(errno, this.insnIdx);
  }

  /** Fail naming an explicit pc (or none). */
  failAt(pc: number | null, errno: Errno, line: string): never {
    this.log.verbose(line);
    throw new VerifierFail(errno, pc);
  }

  newId(): number {
    return ++this.idGen;
  }

  /** explored_state(): the bucket for pc as seen from the current state's innermost frame. */
  exploredBucket(pc: number): VState[] {
    const cur = this.cur;
    const callsite = cur.frames[cur.curframe]!.callsite;
    const key = ((pc ^ callsite) >>> 0) % this.explored.length;
    let list = this.explored[key];
    if (!list) list = this.explored[key] = [];
    return list;
  }

  /** The history entry of the instruction being verified (push_jmp_history merges into it). */
  curHist: HistEntry | null = null;

  /** push_jmp_history for the current instruction of `st`. */
  pushHistory(st: VState, stackAccess: number, flags: number, linked: number[] | null): void {
    if (st.historyShared) {
      st.history = st.history.slice();
      st.historyShared = false;
    }
    const h = this.curHist;
    if (h && st.history.length && st.history[st.history.length - 1] === h) {
      const merged: HistEntry = {
        idx: h.idx,
        prevIdx: h.prevIdx,
        stackAccess: h.stackAccess || stackAccess,
        flags: h.flags | flags,
        linked: linked ?? h.linked,
      };
      st.history[st.history.length - 1] = merged;
      this.curHist = merged;
      return;
    }
    const e: HistEntry = { idx: this.insnIdx, prevIdx: this.prevInsnIdx, stackAccess, flags, linked };
    st.history.push(e);
    this.curHist = e;
  }
}
