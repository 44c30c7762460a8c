// The JIT as an Engine (firmware/engine.ts). `compileJit` translates an object's programs once into a
// WebAssembly.Module (cloneable: post it to workers with the device image); `jitEngine` instantiates
// it once per core on the arena's memory and runs packets with one JS -> Wasm call each.
//   - helpers are imports calling the helper table with the core as HelperHost (state block exact);
//   - a fault comes back as the interpreter's Fault (faults.ts), with the core and program site;
//   - a punt at a punt pc returns EXIT.punt with the state saved; a punt because the budget cannot pay
//     a block continues on the core's interpreter, which runs the remaining instructions and faults
//     exactly where it would have;
//   - `resume` runs on the interpreter (the host path's engine);
//   - a program the translator cannot structure makes the whole object run on the interpreter, and
//     `unsupported` says why.
import type { Slot } from '../../offload/isa/index.ts';
import { EXIT, type Engine, type EngineCore, type ExitKind } from '../engine.ts';
import { callHelper, type HelperHost } from '../helpers/table.ts';
import { HELPER_IDS } from '../helpers/names.ts';
import { callKfunc } from '../kfuncs/table.ts';
import type { KfuncHost } from '../kfuncs/host.ts';
import { REGION_CTX, REGION_MAP0, REGION_PACKET, REGION_STACK, STACK_BYTES, STACK_FRAME } from '../layout.ts';
import { S_BATCH, S_BATCH_EXEC, S_BUDGET, S_BUDGET_SYNC, S_E2BIG, S_FAULT, S_REDIR, S_REDIR_A, S_REDIR_B, S_PC, S_PROG, S_STATUS } from '../state.ts';
import { interpreter } from '../vm/engine.ts';
import { Fault } from '../vm/fault.ts';
import type { Program } from '../vm/interpreter.ts';
import { BATCH_SLOT_BYTES as SLOT_BYTES, CTX_DATA, CTX_DATA_END, JIT_STATUS, SLOT, SLOT_STATUS } from './abi.ts';
import { type FaultRegion, jitFault } from './faults.ts';
import { compileObject } from './module.ts';
import type { JitMap } from './translate.ts';
import { H_LOCK, H_ROOT, HEADER_BYTES } from '../maps/base.ts';
import { IM as LPM_IM, LpmTrie, NODE_HDR as LPM_NODE_HDR } from '../maps/lpm.ts';
import { MapFlag } from '../maps/constants.ts';
import { ELEM_HDR, hashLayout } from '../maps/hashtab.ts';
import { NODE_WORDS as LRU_NODE_WORDS, REF as LRU_REF } from '../maps/lru.ts';
import { JitUnsupported } from './structure.ts';
import type { AccessProofs } from './proofs.ts';
import { type JitCycleTables, JitCycleSync } from './cycles.ts';
import { HELPER_PROTOS } from '../helpers/protos.ts';
import { wasm } from './raw.ts';

/** An object's compiled programs: cloneable (module + plain data). */
export interface JitCode {
  module: object | null;
  /** Table index of each program's entry, by program id. */
  entry: Map<number, number>;
  /** Why the object runs on the interpreter (module null), or null. */
  unsupported: string | null;
  /** Compile time in ms (translation + WebAssembly.Module). */
  compileMs: number;
  /** eBPF instructions compiled. */
  insns: number;
  /** Compiled with the cost model's cycle accounting (cycles.ts): its accumulators' (program id, pc), else null. */
  cycleSites: Int32Array | null;
}

/** A map as the JIT sees it: bounds (absolute arena offsets), writability, array geometry for inline lookups. */
export type JitMapBounds = JitMap;

/** Compiles `programs` (all programs a core can reach: entry, tail-call targets) for an arena with `maps`. */
/**
 * Compiles `programs` (all programs a core can reach: entry, tail-call targets) for an arena with
 * `maps`. With `opts.cycles` (a CycleProfile's cost and memory tables) the module accounts cycles
 * exactly as the interpreter does into the core's vm.profile (cycles.ts).
 */
export function compileJit(programs: readonly { program: Program; slots: readonly Slot[]; proofs?: AccessProofs }[], maps: readonly JitMapBounds[], opts: { cycles?: JitCycleTables } = {}): JitCode {
  const t0 = performance.now();
  let insns = 0;
  for (const p of programs) for (const s of p.slots) if (s) insns++;
  try {
    const out = compileObject({ programs, maps, ...(opts.cycles ? { cycles: opts.cycles } : {}) });
    const module = new wasm.Module(out.bytes);
    return { module, entry: out.entry, unsupported: null, compileMs: performance.now() - t0, insns, cycleSites: out.cycleSites };
  } catch (e) {
    if (!(e instanceof JitUnsupported)) throw e;
    return { module: null, entry: new Map(), unsupported: e.message, compileMs: performance.now() - t0, insns, cycleSites: null };
  }
}

/** The map bounds of a core's arena and region table (read-only maps included). */
export function mapBoundsOf(core: EngineCore): JitMapBounds[] {
  return core.arena.maps.map((m, i) => {
    const b: JitMap = { start: m.base, end: m.base + m.byteLength, writable: core.vm.regions[REGION_MAP0 + i]!.writable };
    if (m.type === 'array' || m.type === 'percpu_array') {
      // firmware/maps/array.ts: value of index i, CPU c at base + HEADER_BYTES + i * stride + c * slot.
      const slot = (m.valueSize + 7) & ~7;
      b.array = { maxEntries: m.maxEntries, values: m.base + HEADER_BYTES, stride: m.percpu ? slot * m.cpus : slot, slot: m.percpu ? slot : 0, valueSize: m.valueSize };
    } else if (m.type === 'lpm_trie') {
      // firmware/maps/lpm.ts: the header's lock and root words, the node pool after the header.
      const nodeBytes = LpmTrie.nodeSize(m.geometry);
      b.lpm = {
        keySize: m.keySize,
        maxPrefix: (m.keySize - 4) * 8,
        lock: m.base + H_LOCK * 4,
        root: m.base + H_ROOT * 4,
        nodes: m.base + HEADER_BYTES,
        nodeBytes,
        nNodes: 2 * m.maxEntries + 1,
        valueOff: LPM_NODE_HDR + ((m.keySize - 4 + 7) & ~7),
        imFlag: LPM_IM,
      };
    } else if (m.type === 'hash' || m.type === 'percpu_hash' || m.type === 'lru_hash' || m.type === 'lru_percpu_hash') {
      // firmware/maps/hashtab.ts: the layout, and the seed jhash uses (0 under BPF_F_ZERO_SEED).
      const L = hashLayout(m.geometry);
      const slot = (m.valueSize + 7) & ~7;
      b.hash = {
        keySize: m.keySize,
        seed: m.geometry.flags & MapFlag.ZERO_SEED ? 0 : m.describe().hashSeed >>> 0,
        mask: L.nBuckets - 1,
        buckets: m.base + L.bucketsOff,
        nElems: L.nElems,
        elems: m.base + L.elemsOff,
        elemSize: L.elemSize,
        keyArea: (m.keySize + 7) & ~7,
        slot: m.percpu ? slot : 0,
        elemHdr: ELEM_HDR,
        valueSize: m.valueSize,
        cpus: m.cpus,
        header: m.base,
        extras: m.base + L.extrasOff,
        nExtras: L.extras,
        ...(m.type.startsWith('lru') ? { lruRef: { base: m.base + L.lruOff + LRU_REF * 4, stride: LRU_NODE_WORDS * 4 } } : {}),
      };
    } else if (m.type === 'devmap' || m.type === 'cpumap' || m.type === 'xskmap') {
      // firmware/maps/slots.ts: slot i = [primary, program id] after the header
      b.redirect = { kind: 'slots', maxEntries: m.maxEntries, slots: m.base + HEADER_BYTES, broadcast: m.type === 'devmap' };
    } else if (m.type === 'devmap_hash') {
      // firmware/maps/devmap-hash.ts: the hash table layout with an 8-byte value area
      const L = hashLayout(m.geometry, 8);
      b.redirect = { kind: 'hash', mask: L.nBuckets - 1, buckets: m.base + L.bucketsOff, nElems: L.nElems, elems: m.base + L.elemsOff, elemSize: L.elemSize, valOff: ELEM_HDR + ((m.keySize + 7) & ~7) };
    }
    return b;
  });
}

// Hot-path copies of imported constants (module-level constants, never mutated): read through an
// import binding they cost a getter call per use under a CommonJS-style transform.
const W_PC = S_PC;
const W_PROG = S_PROG;
const W_STATUS = S_STATUS;
const W_BUDGET = S_BUDGET;
const W_E2BIG = S_E2BIG;
const ID_UPDATE = HELPER_IDS.map_update_elem;
const E2BIG = -7;
const FRAME = STACK_FRAME;
const ST_PUNT = JIT_STATUS.punt;
const K_EXIT = EXIT.exit;
const K_PUNT = EXIT.punt;

interface Bound {
  start: (tableIndex: number, programId: number, stackDepth: number, budget: number) => number;
  batch: (tableIndex: number, programId: number, stackDepth: number, budget: number, count: number) => number;
  /** A module with cycle accounting on a core with a CycleProfile: the globals kept in step with it. */
  sync: JitCycleSync | null;
  batchSlots: (tableIndex: number, programId: number, stackDepth: number, budget: number, n: number, slots: number, copyOut: number) => number;
}

/** An engine that also runs a batch of fresh runs of one program in one call (firmware/jit's batch export). */
export interface BatchEngine extends Engine {
  /**
   * Runs program `programId` `count` times in a row on the core's packet buffer (each run sees the
   * previous one's output, as test_run's repeat), as `run` would one after the other. Returns how many
   * ended with EXIT.exit; when fewer than `count`, the next one ended with the state block's S_STATUS
   * (EXIT.punt: resume it on the host path; EXIT.fault: core.fault) and the batch stopped there.
   * `core.executed` is the instructions of all of them; `core.trace` collects every run's messages.
   */
  runBatch(core: EngineCore, programId: number, count: number): number;
  /**
   * A module compiled with cycle tables keeps each pc's accumulated cycles in its instance while it
   * runs packets: this writes them into the core's vm.profile.acc (call before reading acc). The
   * per-packet vm.cycles and vm.stall are always current after run / runBatch.
   */
  flushCycles(core: EngineCore): void;
  /**
   * Runs program `programId` on the packets of `n` batch slots at arena offset `slots` (abi.ts SLOT,
   * BATCH_SLOT_BYTES apart), each a fresh run on its own packet and clock as `run` after
   * `buf.reset(packet)` and `clockNs = clock`; every packet that exits gets its results in its slot
   * (the packet as it left too when `copyOut`). A packet the budget cannot finish in the module is
   * finished by the interpreter, its results written the same way. Returns n, or the index of the
   * first slot the caller must finish, by its status: punt (stopped at a punt pc, state saved, S_STATUS
   * EXIT.punt: resume it on the host path), fault (core.fault, S_STATUS EXIT.fault; instructions in the
   * slot), notRun (a multi-buffer packet: run it with `run`). Continue with the slots after it.
   * `core.trace` collects the messages of all of them.
   */
  runSlots(core: EngineCore, programId: number, slots: number, n: number, copyOut: boolean): number;
}

function bind(code: JitCode, core: EngineCore & HelperHost): Bound {
  const vm = core.vm;
  const w = core.blocks.state.words;
  const lo = core.blocks.state.lo;
  const hi = core.blocks.state.hi;
  const tableOf = new Map<Program, number>();
  const programs = core.programs;
  for (const [id, ti] of code.entry) if (programs[id]) tableOf.set(programs[id]!, ti);
  const regionNow = (i: number, r10: number): FaultRegion | undefined => {
    const r = vm.regions[i];
    if (!r) return undefined;
    if (i === REGION_STACK) return { name: r.name, start: r10 - STACK_FRAME, end: STACK_BYTES, writable: true, ctx: false };
    if (i === REGION_PACKET) core.syncPacket();
    return { name: r.name, start: r.start, end: r.size, writable: r.writable, ctx: i === REGION_CTX };
  };
  const faultCtx = {
    region: regionNow,
    program: (id: number) => {
      const p = programs[id]!;
      return { name: p.name, slots: p.slots };
    },
  };
  // Cycle accounting (a profiled module on a core with a profile): helpers that run callbacks run
  // them on the interpreter, which accounts into the profile directly.
  let sync: JitCycleSync | null = null;
  const env = {
    mem: core.arena.memory,
    core: core.blocks.base,
    cpu: core.cpu,
    helper: (id: number, pc: number, prog: number): number => {
      vm.current = programs[prog] ?? null;
      vm.stack.start = (lo[10]! >>> 0) - FRAME;
      core.syncPacket();
      if (sync !== null && HELPER_PROTOS[id]?.callback) {
        sync.toInterpreter(vm);
        try {
          callHelper(core, id, pc);
        } finally {
          sync.fromInterpreter(vm);
        }
      } else callHelper(core, id, pc);
      // an update refused because the map is full counts, as the module's own updates count it
      if (id === ID_UPDATE && lo[0] === E2BIG && hi[0] === -1) w[W_E2BIG]!++;
      const t = vm.tailTarget;
      if (t === null) return 0;
      vm.tailTarget = null;
      const ti = tableOf.get(t);
      if (ti === undefined) throw new Fault('fault.tail_call', `tail call target ${t.name} is not compiled`, pc);
      return ti + 1;
    },
    kfunc: (btfId: number, pc: number, prog: number): number => {
      vm.current = programs[prog] ?? null;
      vm.stack.start = (lo[10]! >>> 0) - FRAME;
      core.syncPacket();
      callKfunc(core as EngineCore & KfuncHost, btfId, pc);
      return 0;
    },
    fault: (kind: number, pc: number, prog: number, reg: number, off: number, size: number, value: bigint, r10lo: number): never => {
      const f = jitFault(faultCtx, kind, pc, prog, reg, off, size, value, r10lo, sync === null ? undefined : (region) => sync!.faultStall(prog, pc, region));
      w[W_PROG] = prog;
      throw f;
    },
    ldpkt: (_size: number, _offset: number, pc: number): number => {
      throw new Fault('fault.mem', 'legacy packet access (LD_ABS/LD_IND) without a packet', pc);
    },
  };
  const inst = new wasm.Instance(code.module!, { env });
  (inst.exports.init as () => void)();
  if (code.cycleSites && vm.profile) sync = new JitCycleSync(inst.exports as Record<string, unknown>, code.cycleSites, vm.profile);
  return { start: inst.exports.start as Bound['start'], batch: inst.exports.batch as Bound['batch'], batchSlots: inst.exports.batchSlots as Bound['batchSlots'], sync };
}

/** A slot's results from the core after a packet that exited outside the module (what $batchSlots writes). */
function writeSlot(core: EngineCore, dv: DataView, s: number, copyOut: boolean): void {
  const st = core.blocks.state;
  const w = st.words;
  dv.setInt32(s + SLOT.status, SLOT_STATUS.exit, true);
  dv.setInt32(s + SLOT.r0, st.lo[0]!, true);
  dv.setInt32(s + SLOT.r0 + 4, st.hi[0]!, true);
  dv.setInt32(s + SLOT.e2big, w[S_E2BIG]!, true);
  dv.setInt32(s + SLOT.redir, w[S_REDIR]!, true);
  dv.setInt32(s + SLOT.redirA, w[S_REDIR_A]!, true);
  dv.setInt32(s + SLOT.redirB, w[S_REDIR_B]!, true);
  dv.setFloat64(s + SLOT.cycles, 0, true);
  if (copyOut) {
    const ctx = core.blocks.ctx;
    const data = ctx[CTX_DATA]!;
    const len = ctx[CTX_DATA_END]! - data;
    new Uint8Array(core.arena.sab, s + SLOT.data, len).set(core.blocks.frame.subarray(data, data + len));
    dv.setInt32(s + SLOT.outLen, len, true);
  }
}

/** Builds the JIT engine for one compiled object. */
export function jitEngine(code: JitCode): BatchEngine & { readonly code: JitCode } {
  const bound = new WeakMap<EngineCore, Bound>();
  // The core of the previous packet (a run of packets on one core skips the WeakMap).
  let lastCore: EngineCore | null = null;
  let lastBound: Bound | undefined;
  const finishFault = (core: EngineCore, e: unknown, id: number, interpreted: boolean): ExitKind => {
    if (!(e instanceof Fault)) throw e;
    const w = core.blocks.state.words;
    const prog = (interpreted ? core.vm.current : core.programs[w[S_PROG]!]) ?? core.programs[id];
    e.site = { core: core.blocks.index, programId: prog?.id ?? id, program: prog?.name ?? `#${id}` };
    core.fault = e;
    w[S_STATUS] = EXIT.fault;
    w[S_FAULT] = e.codeIndex;
    return EXIT.fault;
  };
  const boundOf = (core: EngineCore): Bound => {
    let b = core === lastCore ? lastBound : bound.get(core);
    if (!b) {
      b = bind(code, core as EngineCore & HelperHost);
      bound.set(core, b);
    }
    lastCore = core;
    lastBound = b;
    return b;
  };
  const batchExec = (w: Int32Array) => (w[S_BATCH_EXEC]! >>> 0) + (w[S_BATCH_EXEC + 1]! >>> 0) * 4294967296;
  return {
    name: 'jit',
    code,
    runBatch(core: EngineCore, programId: number, count: number): number {
      if (!code.module) {
        let exec = 0;
        let done = 0;
        for (; done < count; done++) {
          const k = interpreter.run(core, programId);
          exec += core.executed;
          if (k !== K_EXIT) break;
        }
        core.executed = exec;
        return done;
      }
      const prog = core.programs[programId];
      const ti = code.entry.get(programId);
      if (!prog || ti === undefined) throw new RangeError(`no compiled program with id ${programId} on core ${core.blocks.index}`);
      const b = boundOf(core);
      core.beginPacket();
      const sync = b.sync;
      if (sync === null) return batchOn(core, b, ti, prog, programId, count);
      sync.enter(core.vm);
      try {
        return batchOn(core, b, ti, prog, programId, count);
      } finally {
        sync.leave(core.vm);
      }
    },
    run(core: EngineCore, programId: number): ExitKind {
      if (!code.module) return interpreter.run(core, programId);
      const prog = core.programs[programId];
      const ti = code.entry.get(programId);
      if (!prog || ti === undefined) throw new RangeError(`no compiled program with id ${programId} on core ${core.blocks.index}`);
      const b = boundOf(core);
      core.beginPacket();
      const sync = b.sync;
      if (sync === null) return runOn(core, b, ti, prog, programId);
      sync.enter(core.vm);
      try {
        return runOn(core, b, ti, prog, programId);
      } finally {
        sync.leave(core.vm);
      }
    },
    runSlots(core: EngineCore, programId: number, slots: number, n: number, copyOut: boolean): number {
      const w = core.blocks.state.words;
      const dv = new DataView(core.arena.sab);
      const b = code.module ? boundOf(core) : null;
      if (b === null || b.sync !== null) {
        // no module, or one accounting cycles (per-packet cycles are read after each run): every
        // packet is the caller's (it runs them with `run`)
        if (n > 0) dv.setInt32(slots + SLOT.status, SLOT_STATUS.notRun, true);
        return 0;
      }
      const prog = core.programs[programId];
      const ti = code.entry.get(programId);
      if (!prog || ti === undefined) throw new RangeError(`no compiled program with id ${programId} on core ${core.blocks.index}`);
      core.beginPacket();
      const budget0 = core.budget;
      const depth = prog.stackDepth;
      const copy = copyOut ? 1 : 0;
      let from = 0;
      while (from < n) {
        let i: number;
        try {
          i = from + b.batchSlots(ti, programId, depth, budget0, n - from, slots + from * SLOT_BYTES, copy);
        } catch (e) {
          i = from + w[S_BATCH]!;
          finishFault(core, e, programId, false);
          const s = slots + i * SLOT_BYTES;
          dv.setInt32(s + SLOT.status, SLOT_STATUS.fault, true);
          dv.setInt32(s + SLOT.insns, budget0 - Math.max(0, w[W_BUDGET]!), true);
          return i;
        }
        if (i === n) break;
        const s = slots + i * SLOT_BYTES;
        if (dv.getInt32(s + SLOT.status, true) === SLOT_STATUS.notRun) return i;
        const at = core.programs[w[W_PROG]!];
        if (at && at.puntPcs.includes(w[W_PC]!)) {
          w[W_STATUS] = K_PUNT;
          return i;
        }
        // The budget could not pay a block: the interpreter finishes the packet.
        const left = Math.max(0, w[W_BUDGET]!);
        const synced = w[S_BUDGET_SYNC]!;
        const ran = dv.getInt32(s + SLOT.insns, true);
        let k: ExitKind;
        try {
          (core as EngineCore & HelperHost).syncPacket();
          k = core.vm.continue();
        } catch (e) {
          k = finishFault(core, e, programId, true);
          unsyncedFault(core, left, synced);
        }
        dv.setInt32(s + SLOT.insns, ran + left - Math.max(0, w[W_BUDGET]!), true);
        if (k !== K_EXIT) {
          w[W_STATUS] = k;
          dv.setInt32(s + SLOT.status, k === K_PUNT ? SLOT_STATUS.punt : SLOT_STATUS.fault, true);
          return i;
        }
        writeSlot(core, dv, s, copyOut);
        from = i + 1;
      }
      w[W_STATUS] = K_EXIT;
      return n;
    },
    flushCycles(core: EngineCore): void {
      bound.get(core)?.sync?.accToProfile();
    },
    resume(core: EngineCore): ExitKind {
      return interpreter.resume(core);
    },
  };
  /**
   * After the interpreter finished a run the budget could not pay on the JIT and it faulted: when it
   * wrote no budget since (no helper call, not exhausted), the state block's budget is what the run
   * had synced last before the JIT stopped (S_BUDGET_SYNC), as the interpreter alone would leave it.
   */
  function unsyncedFault(core: EngineCore, left: number, synced: number): void {
    const w = core.blocks.state.words;
    if (core.fault?.faultCode !== 'fault.budget' && w[W_BUDGET] === left) w[W_BUDGET] = synced;
  }
  /** runBatch on a bound core (cycle globals entered by the caller). */
  function batchOn(core: EngineCore, b: Bound, ti: number, prog: Program, programId: number, count: number): number {
      const w = core.blocks.state.words;
      const budget0 = core.budget;
      const depth = prog.stackDepth;
      let done = 0;
      let exec = 0;
      while (done < count) {
        let n: number;
        try {
          n = b.batch(ti, programId, depth, budget0, count - done);
        } catch (e) {
          // A fault in packet S_BATCH of this call: the finished ones, then that one's instructions.
          exec += batchExec(w) + budget0 - Math.max(0, w[W_BUDGET]!);
          done += w[S_BATCH]!;
          finishFault(core, e, programId, false);
          core.executed = exec;
          return done;
        }
        exec += batchExec(w);
        done += n;
        if (done === count) break;
        // Packet `done` stopped: at a punt pc (the host path continues it), or the budget could not
        // pay a block (the interpreter finishes it, then the batch goes on).
        const at = core.programs[w[W_PROG]!];
        if (at && at.puntPcs.includes(w[W_PC]!)) {
          w[W_STATUS] = K_PUNT;
          core.executed = exec;
          return done;
        }
        const left = Math.max(0, w[W_BUDGET]!);
        let k: ExitKind;
        b.sync?.toInterpreter(core.vm);
        const synced = w[S_BUDGET_SYNC]!;
        try {
          (core as EngineCore & HelperHost).syncPacket();
          k = core.vm.continue();
        } catch (e) {
          k = finishFault(core, e, programId, true);
          unsyncedFault(core, left, synced);
        }
        b.sync?.fromInterpreter(core.vm);
        exec += left - Math.max(0, w[W_BUDGET]!);
        if (k !== K_EXIT) {
          w[W_STATUS] = k;
          core.executed = exec;
          return done;
        }
        done++;
      }
      w[W_STATUS] = K_EXIT;
      core.executed = exec;
      return done;
  }
  /** run on a bound core (cycle globals entered by the caller). */
  function runOn(core: EngineCore, b: Bound, ti: number, prog: Program, programId: number): ExitKind {
      const w = core.blocks.state.words;
      const budget0 = core.budget;
      let k: ExitKind;
      let interpreted = false;
      let left = 0;
      let synced = 0;
      try {
        const status = b.start(ti, programId, prog.stackDepth, budget0);
        if (status !== ST_PUNT) k = K_EXIT;
        else {
          const at = core.programs[w[W_PROG]!];
          if (at && at.puntPcs.includes(w[W_PC]!)) k = K_PUNT;
          else {
            // The budget could not pay a block: the interpreter finishes (and faults where it would).
            interpreted = true;
            b.sync?.toInterpreter(core.vm);
            left = w[W_BUDGET]!;
            synced = w[S_BUDGET_SYNC]!;
            (core as EngineCore & HelperHost).syncPacket();
            k = core.vm.continue();
          }
        }
        w[W_STATUS] = k;
      } catch (e) {
        k = finishFault(core, e, programId, interpreted);
        if (interpreted) unsyncedFault(core, left, synced);
      }
      if (interpreted) b.sync?.fromInterpreter(core.vm);
      core.executed = budget0 - Math.max(0, w[W_BUDGET]!);
      return k;
  }
}
