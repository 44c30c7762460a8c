// Path exploration (do_check / is_state_visited / update_branch_counts / pop_stack): walk every
// path of the program depth-first, one instruction at a time, queueing the other side of each
// branch. At prune points the current state is compared with the checkpoints already taken there;
// a state covered by a finished (or, in loops, an equivalent in-progress) checkpoint stops.
import { HELPER_PROTOS } from '../../firmware/helpers/protos.ts';
import { flowOf, isExit, isHelperCall, isKfuncCall, isPseudoCall } from './cfg/raw.ts';
import { logInsnText } from './check/logtext.ts';
import type { Env } from './check/env.ts';
import { recoverableWithNospec, VerifierFail } from './check/fail.ts';
import { checkInsn } from './check/insn.ts';
import { markAllScalarsImprecise, markAllScalarsPrecise, propagatePrecision } from './check/precise.ts';
import { T } from './domain/reg.ts';
import { readMask } from './facts.ts';
import { EXACT, frameInsnIdx, IdMap, NOT_EXACT, RANGE_WITHIN, type Exact, statesEqual, statesMaybeLooping } from './state/equal.ts';
import { fmtFrame } from './state/print.ts';
import type { VState } from './state/state.ts';
import { EMPTY_SLOT, ST } from './state/stack.ts';
import { markNotInit } from './domain/bounds.ts';
import { sameCallsites } from './check/widen.ts';

const MAX_BACKEDGE_ITERS = 64;

/** One entry of a loop (SCC) under a given call chain, with the states that looped back into it. */
export interface SccVisit {
  entry: VState;
  backedges: { st: VState; equal: VState }[];
}

const IDS = new IdMap();

const CTX = { ids: IDS, exploreAluLimits: false, allowUninitStack: false };

function equal(env: Env, o: VState, c: VState, exact: Exact): boolean {
  CTX.exploreAluLimits = env.exploreAluLimits;
  CTX.allowUninitStack = env.priv.allowUninitStack;
  return statesEqual(o, c, exact, CTX, env.liveRegs, env.idGen);
}

/** compute_scc_callchain: call sites down to the outermost frame that is inside a loop. */
function sccCallchain(env: Env, st: VState): string | null {
  let key = '';
  for (let i = 0; i <= st.curframe; i++) {
    const pc = frameInsnIdx(st, i);
    const scc = env.sccOf[pc]!;
    if (scc) return `${key}#${scc}`;
    if (i < st.curframe) key += `${pc},`;
    else return null;
  }
  return null;
}

/** format_callchain: `(callsite,...,scc)`. */
const fmtCallchain = (key: string): string => `(${key.replace('#', '')})`;

function maybeEnterScc(env: Env, st: VState): void {
  const key = sccCallchain(env, st);
  if (key === null || env.sccVisits.has(key)) return;
  env.sccVisits.set(key, { entry: st, backedges: [] });
  if (env.log.level > 1) env.log.trace2(`SCC enter ${fmtCallchain(key)}`);
}

function maybeExitScc(env: Env, st: VState): void {
  const key = sccCallchain(env, st);
  if (key === null) return;
  const visit = env.sccVisits.get(key);
  if (!visit || visit.entry !== st) return;
  if (env.log.level > 1) env.log.trace2(`SCC exit ${fmtCallchain(key)}`);
  env.numBackedges -= visit.backedges.length;
  updatePeakStates(env);
  propagateBackedges(env, visit);
  env.sccVisits.delete(key);
}

/** propagate_backedges: precision marks flow around the loop until nothing changes. */
function propagateBackedges(env: Env, visit: SccVisit): void {
  for (let i = 0; ; i++) {
    if (i > MAX_BACKEDGE_ITERS) {
      for (const b of visit.backedges) markAllScalarsPrecise(b.st, env);
      break;
    }
    let changed = false;
    for (const b of visit.backedges) if (propagatePrecision(env, b.equal, b.st)) changed = true;
    if (!changed) break;
  }
  visit.backedges = [];
}

/** update_peak_states: checkpoints in the table, evicted ones not yet freed, pending loop backedges. */
function updatePeakStates(env: Env): void {
  const n = env.exploredSize + env.freeListSize + env.numBackedges;
  if (n > env.peakStates) env.peakStates = n;
}

/** maybe_free_verifier_state: an evicted checkpoint is freed once nothing refers to it. */
function maybeFreeState(env: Env, st: VState): void {
  if (!st.evicted || st.freed || st.branches || incompleteMarks(env, st)) return;
  st.freed = true;
  env.freeListSize--;
}

/** incomplete_read_marks: the checkpoint is inside a loop whose exploration is still pending. */
function incompleteMarks(env: Env, st: VState): boolean {
  const key = sccCallchain(env, st);
  if (key === null) return false;
  const v = env.sccVisits.get(key);
  return !!v && v.backedges.length > 0;
}

/** update_branch_counts */
export function updateBranchCounts(env: Env, st: VState | null): void {
  while (st) {
    const br = --st.branches;
    if (br) break;
    maybeExitScc(env, st);
    maybeFreeState(env, st);
    st = st.parent;
  }
}

const LIVE = new Int32Array(2);

/** clean_verifier_state: a finished checkpoint forgets dead registers and dead stack slots. */
function cleanState(env: Env, st: VState): void {
  st.cleaned = true;
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frames[i]!;
    const ip = frameInsnIdx(st, i);
    const live = env.aux[ip]!.liveRegs;
    for (let r = 0; r < 10; r++) if (!(live & (1 << r)) && f.regs[r]!.type !== T.NOT_INIT) markNotInit(f.regs[r]!);
    env.stackLive.liveSlots(st, i, LIVE);
    const lo = LIVE[0]!;
    const hi = LIVE[1]!;
    for (let spi = 0; spi < f.allocated / 8; spi++) {
      const alive = spi >= 64 || (spi < 32 ? lo & (1 << spi) : hi & (1 << (spi - 32)));
      if (f.stack[spi] !== EMPTY_SLOT && !alive) f.stack[spi] = EMPTY_SLOT;
    }
  }
}

function isMayGoto(env: Env, pc: number): boolean {
  return env.prog.raws[pc]!.code === 0xe5;
}

/** is_state_visited: true when the current state is covered and the path can stop. */
function isStateVisited(env: Env, pc: number): boolean {
  const cur = env.cur;
  const aux = env.aux[pc]!;
  const force = aux.forceCheckpoint || cur.history.length > 40;
  let addNew = force || (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.insnProcessed - env.prevInsnProcessed >= 8);
  const list = env.exploredBucket(pc);
  for (const sl of list)
    if (!sl.branches && !sl.cleaned && sl.insnIdx === pc && sameCallsites(sl, cur) && !incompleteMarks(env, sl)) cleanState(env, sl);
  let statesCnt = 0;
  for (let k = 0; k < list.length; k++) {
    const sl = list[k]!;
    statesCnt++;
    if (sl.insnIdx !== pc) continue;
    let hit = false;
    let loop = false;
    if (sl.branches) {
      let checkLoop = true;
      if (isMayGoto(env, pc) && sl.mayGotoDepth !== cur.mayGotoDepth && equal(env, sl, cur, RANGE_WITHIN)) {
        hit = loop = true;
      } else if (aux.callsCallback) {
        if (equal(env, sl, cur, RANGE_WITHIN)) hit = loop = true;
        checkLoop = false;
      }
      if (!hit && checkLoop && statesMaybeLooping(sl, cur) && equal(env, sl, cur, EXACT)) {
        if (sl.mayGotoDepth === cur.mayGotoDepth && sl.callbackUnrollDepth === cur.callbackUnrollDepth) {
          lineInfoTrace(env, pc);
          env.verbose(`infinite loop detected at insn ${pc}`);
          const ctx = { maps: env.prog.maps };
          env.verbose(`cur state:${fmtFrame(cur, cur.curframe, ctx)}`);
          env.verbose(`old state:${fmtFrame(sl, cur.curframe, ctx)}`);
          throw new VerifierFail('EINVAL', pc);
        }
      }
      if (!hit && !force && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.insnProcessed - env.prevInsnProcessed < 100)
        addNew = false;
    } else {
      loop = incompleteMarks(env, sl);
      hit = equal(env, sl, cur, loop ? RANGE_WITHIN : NOT_EXACT);
    }
    if (hit) {
      sl.hitCnt++;
      if (aux.jmpP) env.pushHistory(cur, 0, 0, null);
      propagatePrecision(env, sl, cur);
      if (loop) {
        const key = sccCallchain(env, sl);
        const visit = key === null ? undefined : env.sccVisits.get(key);
        if (visit) {
          const b = cur.clone();
          b.insnIdx = pc;
          if (env.log.level > 1) env.log.trace2(`SCC backedge ${fmtCallchain(key!)}`);
          visit.backedges.push({ st: b, equal: sl });
          env.numBackedges++;
          updatePeakStates(env);
        }
      }
      return true;
    }
    if (addNew) sl.missCnt++;
    const n = aux.forceCheckpoint && sl.branches > 0 ? 64 : 3;
    if (sl.missCnt > sl.hitCnt * n + n) {
      sl.evicted = true;
      list.splice(k, 1);
      k--;
      env.exploredSize--;
      env.freeListSize++;
      maybeFreeState(env, sl);
    }
  }
  if (env.maxStatesPerInsn < statesCnt) env.maxStatesPerInsn = statesCnt;
  if (!env.priv.bpfCapable && statesCnt > 64) return false;
  if (!addNew) return false;
  env.totalStates++;
  env.exploredSize++;
  updatePeakStates(env);
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.insnProcessed;
  if (env.priv.bpfCapable) markAllScalarsImprecise(cur);
  // (6.18 has no clear_singular_ids: single-holder scalar ids stay in checkpoints)
  const nw = cur.clone();
  nw.insnIdx = pc;
  nw.branches = 1;
  maybeEnterScc(env, nw);
  cur.parent = nw;
  cur.firstInsnIdx = pc;
  cur.dfsDepth = nw.dfsDepth + 1;
  cur.history = [];
  cur.historyShared = false;
  list.unshift(nw);
  return false;
}

/** verbose_linfo: `; source text @ file:line` when the line changes. */
function lineInfoTrace(env: Env, pc: number): void {
  const li = env.lineAt(pc);
  if (!li || li === env.prevLinfo) return;
  // Entries differing only in the column print once (the log has no columns).
  if (env.prevLinfo && env.prevLinfo.file === li.file && env.prevLinfo.line === li.line) return;
  env.prevLinfo = li;
  env.log.trace(`; ${li.text.trimStart()} @ ${li.file.replace(/^.*\//, '')}:${li.line}`);
}


/** Registers read by the instruction at pc (facts), cached. */
function readMaskAt(env: Env, pc: number): number {
  const m = env.readMasks[pc]!;
  if (m >= 0) return m;
  const s = env.prog.slots[pc]!;
  const args = s.insn.kind === 'call' && s.insn.callee === 'helper' ? (HELPER_PROTOS[s.insn.imm]?.args.length ?? 5) : 5;
  const v = readMask(s.insn, args);
  env.readMasks[pc] = v;
  return v;
}

/** do_check from the current state; throws VerifierFail on the first unsafe path. */
export function doCheck(env: Env): void {
  const { prog, log } = env;
  const ctx = { maps: prog.maps };
  let prevInsnIdx = -1;
  let printState = false;
  let allScratched = true;
  let pending: { regMask: number; slots: boolean | ((spi: number) => boolean) } | null = null;
  let insnLine = -1;
  for (;;) {
    env.curHist = null;
    env.prevInsnIdx = prevInsnIdx;
    const pc = env.insnIdx;
    const st = env.cur;
    if (pc >= prog.len || pc < 0) env.failAt(pc, 'EFAULT', `invalid insn idx ${pc} insn_cnt ${prog.len}`);
    const slot = prog.slots[pc];
    if (!slot) env.failAt(pc, 'EFAULT', `invalid insn idx ${pc} insn_cnt ${prog.len}`);
    const aux = env.aux[pc]!;
    if (++env.insnProcessed > env.insnLimit)
      env.failAt(prevInsnIdx >= 0 ? prevInsnIdx : null, 'E2BIG', `BPF program is too large. Processed ${env.insnProcessed} insn`);
    st.lastInsnIdx = prevInsnIdx;
    st.insnIdx = pc;
    let exit = false;
    if (aux.pruneP && isStateVisited(env, pc)) {
      if (log.level > 0) {
        if (printState) log.trace(`\nfrom ${prevInsnIdx} to ${pc}${st.speculative ? ' (speculative execution)' : ''}: safe`);
        else log.trace(`${pc}: safe`);
      }
      exit = true;
    }
    if (!exit) {
      if (aux.jmpP) env.pushHistory(st, 0, 0, null);
      if (log.level > 1 && printState) {
        log.trace2(`\nfrom ${prevInsnIdx} to ${pc}${st.speculative ? ' (speculative execution)' : ''}:${fmtFrame(st, st.curframe, ctx)}`);
        printState = false;
      }
      if (log.level > 0) {
        // print_insn_state for what the previous instruction touched (every register and slot
        // at the start and after a pop), printed once this instruction is known not to be pruned
        if (allScratched) pending = { regMask: 0x7ff, slots: true };
        if (pending) printInsnState(log, insnLine, pc, fmtFrame(st, st.curframe, ctx, pending.regMask, pending.slots), pending.regMask !== 0 || pending.slots !== false);
        pending = null;
        allScratched = false;
        lineInfoTrace(env, pc);
        insnLine = log.lineCount;
        log.trace(`${pc}: ${logInsnText(env, pc)}`);
      }
      aux.seen = true;
      prevInsnIdx = pc;
      if (st.speculative && aux.nospec) exit = true;
    }
    if (!exit) {
      if (env.facts && !st.speculative) env.facts.visit(pc, readMaskAt(env, pc), st.frames[st.curframe]!.regs);
      let next: number;
      const raw = slot.raw;
      const touched = log.level > 0 ? stackSlotsTouched(env, pc) : null;
      // helper and kfunc calls report the stack slots they write or whose dynptr they use
      env.logScratch = log.level > 0 && (isHelperCall(raw) || isKfuncCall(raw)) ? new Set<number>() : null;
      env.stackLive.beginInsn(st, pc);
      try {
        next = checkInsn(env, slot.insn);
        env.stackLive.commitInsn();
      } catch (e) {
        if (e instanceof VerifierFail && st.speculative && recoverableWithNospec(e)) {
          env.stackLive.commitInsn();
          aux.nospec = true;
          aux.aluState = 0;
          next = -2;
        } else throw e;
      }
      const leaving = isExit(raw.code);
      // leaving a subprogram: the kernel prints the caller's state with the next instruction
      if (leaving && next >= 0) printState = true;
      if (log.level > 0 && next !== -2 && !leaving) {
        // print_insn_state: the registers the instruction touched, after it ran
        const c = env.cur;
        // entering a subprogram: the callee's whole frame (arguments and r10) is new
        const entered = isPseudoCall(raw) && next === pc + raw.imm + 1;
        // a helper that queues a callback (bpf_loop, for_each_map_elem) sets up a frame over the
        // caller's: r10 and the whole stack count as touched
        const callback = isHelperCall(raw) && (raw.imm === 181 || raw.imm === 164);
        const regMask = entered ? 0x7ff : readMaskAt(env, pc) | writeMaskOf(env, pc) | (callback ? 1 << 10 : 0);
        const t = env.logScratch ?? touched;
        const slots = callback ? true : t && t.size ? (spi: number) => t.has(spi) : false;
        // a conditional jump prints its state itself, numbered with its own index (may_goto does
        // not); anything else at the top of the next instruction (not at all if that is pruned)
        if (flowOf(raw) === 'cond' && raw.code !== 0xe5) printInsnState(log, insnLine, pc, fmtFrame(c, c.curframe, ctx, regMask, slots), regMask !== 0 || slots !== false);
        else pending = { regMask, slots };
      }
      if (next >= 0) {
        env.insnIdx = next;
        if (env.cur !== st) throw new Error('state switched during an instruction');
        if (!(st.speculative && aux.nospecResult)) continue;
      }
    }
    // process_bpf_exit: this path is done; continue with the most recent queued branch.
    updateBranchCounts(env, env.cur);
    env.stackLive.update(env.cur);
    const elem = env.stack.pop();
    if (!elem) break;
    env.cur = elem.st;
    env.insnIdx = elem.insnIdx;
    prevInsnIdx = elem.prevInsnIdx;
    log.reset(elem.log);
    printState = true;
    allScratched = true;
    pending = null;
    insnLine = -1;
  }
}

/** print_insn_state; `touched`: something was scratched (the kernel prints `;` even if it shows nothing). */
function printInsnState(log: Env['log'], insnLine: number, pc: number, state: string, touched = true): void {
  // verifier_state_scratched: nothing touched, nothing printed (not even `refs=`)
  if (!touched) return;
  const last = insnLine >= 0 && insnLine === log.lineCount - 1 ? log.lastLine() : undefined;
  if (last !== undefined) log.setLastLine(withStateColumn(last, state));
  else log.trace(`${pc}:${state}`);
}

/**
 * The state after the instruction on its line: the kernel pads to a column (vlog_alignment: at
 * least 40, in steps of 8, from the line's length plus its newline) and writes ';'.
 */
function withStateColumn(line: string, state: string): string {
  const pos = line.length + 1;
  const pad = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
  return `${line}${' '.repeat(Math.max(pad, 1))};${state}`;
}

/** Stack slots of the current frame a load or store at a constant stack offset touches (scratched). */
function stackSlotsTouched(env: Env, pc: number): Set<number> | null {
  const raw = env.prog.raws[pc]!;
  const cls = raw.code & 7;
  if (cls !== 1 && cls !== 2 && cls !== 3) return null;
  const acquire = cls === 3 && (raw.code & 0xe0) === 0xc0 && raw.imm === 0x100;
  const base = cls === 1 || acquire ? raw.src : raw.dst;
  const st = env.cur;
  const f = st.frames[st.curframe]!;
  // an invalid register number (>= 11) is rejected by checkInsn; the log just touches nothing
  const r = f.regs[base];
  if (!r || r.type !== T.STACK || r.frameno !== st.curframe) return null;
  const size = [4, 2, 1, 8][(raw.code >> 3) & 3]!;
  const lo = r.off + raw.off + (r.var.mask === 0n ? Number(BigInt.asIntN(64, r.var.value)) : Number(r.smin));
  const hi = r.off + raw.off + (r.var.mask === 0n ? Number(BigInt.asIntN(64, r.var.value)) : Number(r.smax)) + size;
  if (hi - lo > 1024) return null;
  const out = new Set<number>();
  for (let b = lo; b < hi; b++) {
    if (b >= 0 || b < -512) continue;
    const spi = (-b - 1) >> 3;
    out.add(spi);
    // a variable-offset write touches every slot it can reach; a read (mark_reg_stack_read) stops
    // at the first byte that is not known zero
    if (r.var.mask !== 0n && cls === 1 && f.slot(spi).typeAt((-b - 1) & 7) !== ST.ZERO) break;
  }
  return out;
}

/** Registers an instruction writes (for the trace). */
function writeMaskOf(env: Env, pc: number): number {
  const i = env.prog.slots[pc]!.insn;
  switch (i.kind) {
    case 'alu':
    case 'end':
    case 'ldx':
    case 'lddw':
    case 'load_acq':
      return 1 << i.dst;
    case 'call':
      return 1;
    case 'atomic':
      return i.op === 'cmpxchg' ? 1 : i.op === 'xchg' || i.op.startsWith('fetch_') ? 1 << i.sreg : 0;
    default:
      return 0;
  }
}
