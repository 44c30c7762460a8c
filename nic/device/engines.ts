// The engines a modeled core can run, chosen by name (`nicsim run --engine NAME`), and the core
// runner that drives one modeled core: its NIC core (arena slot c, the device copy of the program
// with PUNT at the capability verifier's punt pcs) and its host-path core (slot cores + c, the full
// program). A punted packet's state (registers, pc, frame chain, budget, stack, packet) is copied to
// the host-path core, which resumes it with the full program: no instruction runs twice and every map
// side effect happens once (maps are shared). Results are left in the runner's fields (no object per
// packet). The interpreter accounts the cost model's cycles as it runs (firmware/vm CycleProfile); a
// JIT module compiled with the cost tables (the device's, nic/device/image.ts) accounts the same numbers.
import { UsageError } from '../../offload/errors.ts';
import type { Arena } from '../../firmware/arena.ts';
import { EXIT, type Engine } from '../../firmware/engine.ts';
import { HELPER_IDS } from '../../firmware/helpers/names.ts';
import { S_E2BIG, S_PC, S_REDIR, S_REDIR_A, S_REDIR_B } from '../../firmware/state.ts';
import { BATCH_SLOT_BYTES, BATCH_SLOTS, CORE_BATCH } from '../../firmware/arena.ts';
import { SLOT, SLOT_STATUS } from '../../firmware/jit/abi.ts';
import { MAX_LINEAR } from '../../firmware/xdp/buffer.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import type { CycleProfile, Program, Vm } from '../../firmware/vm/interpreter.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { type BatchEngine, jitEngine, type JitCode } from '../../firmware/jit/engine.ts';
import type { CycleTables } from '../model/device-model.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';
import { KernelSide } from '../../firmware/kfuncs/kernel.ts';
import { reasonIndex } from './records.ts';

export const ENGINE_NAMES = ['interp', 'jit'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** How a packet's run ended (CoreRunner.run's return value). */
export const RunEnd = { exit: 0, fault: 1 } as const;

const E2BIG = -7;

/** The engine called `name`; `jit` needs the run's compiled code (an object it cannot compile runs on the interpreter). */
export function engineByName(name: string, jit?: JitCode | null): Engine {
  switch (name) {
    case 'interp':
      return interpreter;
    case 'jit':
      return jit ? jitEngine(jit) : interpreter;
    default:
      throw new UsageError(`--engine ${name}: unknown engine (engines: ${ENGINE_NAMES.join(', ')})`);
  }
}

/**
 * XdpCore that counts map updates refused with -E2BIG (a full map never grows) in its state block's
 * S_E2BIG word, where the JIT's module and helper import count them too.
 */
class CountingCore extends XdpCore {
  get e2big(): number {
    return this.blocks.state.words[S_E2BIG]!;
  }
  set e2big(n: number) {
    this.blocks.state.words[S_E2BIG] = n;
  }
  override helper(vm: Vm, id: number, pc: number): void {
    super.helper(vm, id, pc);
    if (id === HELPER_IDS.map_update_elem && this.lo[0] === E2BIG && this.hi[0] === -1) this.e2big++;
  }
}

export interface RunnerOptions {
  arena: Arena;
  /** Modeled core (its CPU number) and the number of modeled cores. */
  cpu: number;
  cores: number;
  readonly: boolean[];
  programs: Program[];
  entry: number;
  /** Where the entry program runs: NIC cores, NIC cores with punts, the host path only. */
  placement: 'nic' | 'partial' | 'host';
  puntPcs: readonly number[];
  seed: number;
  engine: string;
  jit?: JitCode | null;
  budget?: number;
  /** The cost model's cycle tables; the runner accounts cycles per packet and per pc with them. */
  cycles?: CycleTables;
  /** kfuncs' kernel side of this modeled core (shared conntrack table, receive metadata). */
  kernel?: KernelSide;
}

/** One modeled core: a NIC core and its host-path core. */
export class CoreRunner {
  readonly nic: CountingCore;
  readonly host: CountingCore;
  /** The core holding the packet after the last run (the host core after a punt or on the host path). */
  last: CountingCore;
  r0 = 0;
  nicInsns = 0;
  hostInsns = 0;
  /** pc where the last packet left the NIC core (-1: it did not). */
  puntPc = -1;
  /** The cost model's cycles of the last packet: NIC compute (fixed cost included), NIC stall, host path. */
  compute = 0;
  stall = 0;
  hostCycles = 0;
  /** Cycles per pc, by program id, summed over every packet (NIC and host path). */
  private readonly nicAcc: CycleProfile | null;
  readonly hostProfile: CycleProfile | null;
  faultReason = 0;
  faultPc = -1;
  faultMessage = '';
  e2big = 0;
  /** Per-packet results of the last runBatch. */
  readonly batch = new BatchResults();
  private readonly engine: Engine;
  /** The NIC core's batch slots (firmware/arena.ts CORE_BATCH) and views of the arena over them. */
  private readonly slotsBase: number;
  private readonly slotView: DataView;
  private readonly slotBytes: Uint8Array;
  private readonly hostEngine: Engine;
  private readonly arena: Arena;
  private readonly entry: number;
  private readonly onHost: boolean;
  private readonly tables: CycleTables | null;
  /**
   * Under the JIT with a module compiled without the cost tables (no accounting in the module): mean
   * NIC cycles per instruction of the entry program, the estimate such a run uses. The device always
   * compiles with them (nic/device/image.ts), so its JIT cores account exactly as the interpreter.
   */
  private readonly jitCyclesPerInsn: number;
  /** The JIT module accounts cycles itself (then runBatch runs packet by packet: see there). */
  private readonly jitAccounts: boolean;

  constructor(o: RunnerOptions) {
    this.arena = o.arena;
    this.engine = engineByName(o.engine, o.jit);
    this.hostEngine = interpreter;
    this.tables = o.cycles ?? null;
    const seed = (o.seed ^ Math.imul(o.cpu + 1, 0x9e3779b1)) >>> 0 || 1;
    const opts = { cpu: o.cpu, seed, ...(o.budget !== undefined ? { budget: o.budget } : {}) };
    this.nic = new CountingCore(o.arena, o.cpu, opts);
    this.host = new CountingCore(o.arena, o.cores + o.cpu, opts);
    for (const c of [this.nic, this.host]) o.readonly.forEach((r, i) => c.setMapReadonly(i, r));
    // one kernel side per modeled core: a punt carries the kernel objects the program holds along
    this.nic.kernel = this.host.kernel = o.kernel ?? new KernelSide();
    for (const p of o.programs) {
      this.host.programs[p.id] = p;
      this.nic.programs[p.id] = o.placement === 'partial' && p.id === o.entry && o.puntPcs.length ? withPunts(p, o.puntPcs) : p;
    }
    this.entry = o.entry;
    this.onHost = o.placement === 'host';
    this.last = this.nic;
    const t = this.tables;
    const acc = (costs: (Float64Array | undefined)[]) => costs.map((c) => (c ? new Float64Array(c.length) : undefined));
    this.nicAcc = t ? { cost: t.nic, acc: acc(t.nic), memory: t.memory } : null;
    this.hostProfile = t ? { cost: t.host, acc: acc(t.host), memory: new Float64Array(4) } : null;
    // the interpreter accounts as it runs; a JIT module compiled with the cost tables does the same
    // (firmware/jit/cycles.ts) once the core has the profile before its first run
    this.jitAccounts = this.engine !== interpreter && !!o.jit?.cycleSites;
    this.nic.vm.profile = this.engine === interpreter || this.jitAccounts ? this.nicAcc : null;
    this.host.vm.profile = this.hostProfile;
    let sum = 0;
    let n = 0;
    for (const c of t?.nic[o.entry] ?? []) if (c > 0) (sum += c), n++;
    this.jitCyclesPerInsn = n ? sum / n : 0;
    this.slotsBase = this.nic.blocks.base + CORE_BATCH;
    this.slotView = new DataView(o.arena.sab);
    this.slotBytes = new Uint8Array(o.arena.sab);
  }

  /**
   * The NIC core's cycles per pc so far (under a JIT that accounts them, its module's counters are
   * moved into the profile first: read this after the packets, not per packet).
   */
  get nicProfile(): CycleProfile | null {
    if (this.jitAccounts) (this.engine as BatchEngine).flushCycles(this.nic);
    return this.nicAcc;
  }

  /** Loads `frame` and runs the entry program; returns a RunEnd. */
  run(frame: Uint8Array, queue: number, clockNs: number): number {
    const first = this.onHost ? this.host : this.nic;
    first.buf.reset(frame);
    first.rxQueueIndex = queue;
    first.clockNs = clockNs;
    this.beginPacket(first);
    const k = first.start(this.onHost ? this.hostEngine : this.engine, this.entry);
    if (this.onHost) this.hostInsns = first.executed;
    else this.nicInsns = first.executed;
    return this.finish(k, first, clockNs);
  }

  /** Per-packet counters reset before a packet runs. */
  private beginPacket(first: CountingCore): void {
    first.e2big = 0;
    this.nicInsns = 0;
    this.hostInsns = 0;
    this.puntPc = -1;
    this.nic.vm.cycles = this.nic.vm.stall = this.host.vm.cycles = this.host.vm.stall = 0;
  }

  /**
   * NIC cycles of a packet that ran `insns` instructions on the NIC core: what the interpreter or an
   * accounting JIT module counted, or the estimate for a JIT module without accounting.
   */
  private nicCycles(insns: number): number {
    return this.nic.vm.profile === null ? insns * this.jitCyclesPerInsn : this.nic.vm.cycles;
  }

  /** After the first engine call ended with `k` on `first`: the host path after a punt, the results. */
  private finish(k: number, first: CountingCore, clockNs: number): number {
    this.e2big = first.e2big;
    let core = first;
    if (k === EXIT.punt) {
      const host = this.host;
      this.puntPc = this.nic.vm.words[S_PC]!;
      this.arena.copyCore(this.nic.blocks.index, host.blocks.index);
      host.clockNs = clockNs;
      host.e2big = 0;
      k = host.resume(this.hostEngine);
      this.hostInsns = host.executed;
      this.e2big += host.e2big;
      core = host;
    }
    this.last = core;
    core.kernel.endPacket();
    const t = this.tables;
    if (t) {
      this.compute = this.onHost ? 0 : this.nicCycles(this.nicInsns) + t.nicPerPacket;
      this.stall = this.onHost ? 0 : this.nic.vm.stall;
      this.hostCycles = this.hostInsns > 0 || this.onHost ? this.host.vm.cycles + t.hostPerPacket : 0;
    }
    if (k === EXIT.fault) {
      const f = core.fault!;
      this.faultReason = reasonIndex(f.faultCode);
      this.faultPc = f.pc;
      this.faultMessage = f.reason;
      return RunEnd.fault;
    }
    this.r0 = core.action;
    return RunEnd.exit;
  }

  /**
   * Runs the entry program on `frames[0..count)` (packets of RX queue `queue`, packet i at clock
   * `clocks[i]`), one after the other exactly as `run` would, and leaves packet i's results in
   * `batch` at index i (the fields `run` leaves, plus the redirect words and, with `outputs`, the
   * packet as it left). Processes at most BATCH_SLOTS packets and returns how many it did; call again
   * for the rest. Under the JIT the packets go through the module's batchSlots export (one JS -> Wasm
   * call for a run of packets); a packet that punts, faults, runs out of budget in the module or has
   * fragments is finished here as `run` would finish it, and the batch goes on after it. On the
   * interpreter, or on the host path, it calls `run` per packet. `last` is the core of the last packet.
   */
  runBatch(frames: readonly Uint8Array[], count: number, queue: number, clocks: ArrayLike<number>, outputs = false): number {
    const n = Math.min(count, BATCH_SLOTS);
    const out = this.batch;
    const eng = this.engine as Engine & Partial<Pick<BatchEngine, 'runSlots'>>;
    // (a module that accounts cycles is read packet by packet: its batchSlots does not split them per slot)
    if (this.onHost || !eng.runSlots || this.jitAccounts) {
      for (let i = 0; i < n; i++) this.recordRun(i, this.run(frames[i]!, queue, clocks[i]!), outputs);
      return n;
    }
    const nic = this.nic;
    const dv = this.slotView;
    const base = this.slotsBase;
    for (let i = 0; i < n; i++) {
      const f = frames[i]!;
      const s = base + i * BATCH_SLOT_BYTES;
      dv.setInt32(s + SLOT.len, f.length, true);
      dv.setFloat64(s + SLOT.clock, clocks[i]!, true);
      if (f.length <= MAX_LINEAR) this.slotBytes.set(f, s + SLOT.data);
    }
    nic.rxQueueIndex = queue;
    const t = this.tables;
    let from = 0;
    while (from < n) {
      const stop = from + eng.runSlots(nic, this.entry, base + from * BATCH_SLOT_BYTES, n - from, outputs);
      for (let i = from; i < stop; i++) {
        const s = base + i * BATCH_SLOT_BYTES;
        const insns = dv.getInt32(s + SLOT.insns, true);
        out.end[i] = RunEnd.exit;
        out.r0[i] = dv.getUint32(s + SLOT.r0, true);
        out.nicInsns[i] = insns;
        out.hostInsns[i] = 0;
        out.puntPc[i] = -1;
        out.e2big[i] = dv.getInt32(s + SLOT.e2big, true);
        out.redirectKind[i] = dv.getInt32(s + SLOT.redir, true);
        out.redirectA[i] = dv.getInt32(s + SLOT.redirA, true);
        out.redirectB[i] = dv.getInt32(s + SLOT.redirB, true);
        out.compute[i] = t ? this.nicCycles(insns) + t.nicPerPacket : 0;
        out.stall[i] = 0;
        out.hostCycles[i] = 0;
        out.faultReason[i] = 0;
        out.faultPc[i] = -1;
        out.faultMessage[i] = '';
        out.outputs[i] = outputs ? this.slotBytes.subarray(s + SLOT.data, s + SLOT.data + dv.getInt32(s + SLOT.outLen, true)) : EMPTY;
      }
      if (stop > from) {
        nic.kernel.endPacket();
        this.last = nic;
      }
      if (stop === n) break;
      const s = base + stop * BATCH_SLOT_BYTES;
      const status = dv.getInt32(s + SLOT.status, true);
      let end: number;
      if (status === SLOT_STATUS.notRun) end = this.run(frames[stop]!, queue, clocks[stop]!);
      else {
        // stopped at a punt pc, or faulted: finish it as `run` does after the engine call
        const e2big = nic.e2big;
        this.beginPacket(nic);
        this.nicInsns = dv.getInt32(s + SLOT.insns, true);
        nic.e2big = e2big;
        end = this.finish(status === SLOT_STATUS.punt ? EXIT.punt : EXIT.fault, nic, clocks[stop]!);
      }
      this.recordRun(stop, end, outputs);
      from = stop + 1;
    }
    return n;
  }

  /** Packet i's batch results from the runner's fields after `run` / `finish`. */
  private recordRun(i: number, end: number, outputs: boolean): void {
    const out = this.batch;
    const w = this.last.blocks.state.words;
    out.end[i] = end;
    out.r0[i] = this.r0;
    out.nicInsns[i] = this.nicInsns;
    out.hostInsns[i] = this.hostInsns;
    out.puntPc[i] = this.puntPc;
    out.e2big[i] = this.e2big;
    out.compute[i] = this.compute;
    out.stall[i] = this.stall;
    out.hostCycles[i] = this.hostCycles;
    out.redirectKind[i] = w[S_REDIR]!;
    out.redirectA[i] = w[S_REDIR_A]!;
    out.redirectB[i] = w[S_REDIR_B]!;
    out.faultReason[i] = end === RunEnd.fault ? this.faultReason : 0;
    out.faultPc[i] = end === RunEnd.fault ? this.faultPc : -1;
    out.faultMessage[i] = end === RunEnd.fault ? this.faultMessage : '';
    out.outputs[i] = outputs && end === RunEnd.exit ? this.last.buf.output() : EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Per-packet results of CoreRunner.runBatch, packet i at index i: how it ended (RunEnd), r0 (the
 * action), instructions on the NIC and the host path, the punt pc (-1: none), -E2BIG updates, the cost
 * model's cycles (NIC compute, NIC stall, host path), the fault (reason index, pc, message), the
 * redirect words (S_REDIR, S_REDIR_A, S_REDIR_B: kind 0 = none) and, when asked, the packet as it left
 * (a view valid until the next runBatch).
 */
export class BatchResults {
  readonly end = new Uint8Array(BATCH_SLOTS);
  readonly r0 = new Uint32Array(BATCH_SLOTS);
  readonly nicInsns = new Float64Array(BATCH_SLOTS);
  readonly hostInsns = new Float64Array(BATCH_SLOTS);
  readonly puntPc = new Int32Array(BATCH_SLOTS);
  readonly e2big = new Int32Array(BATCH_SLOTS);
  readonly compute = new Float64Array(BATCH_SLOTS);
  readonly stall = new Float64Array(BATCH_SLOTS);
  readonly hostCycles = new Float64Array(BATCH_SLOTS);
  readonly faultReason = new Int32Array(BATCH_SLOTS);
  readonly faultPc = new Int32Array(BATCH_SLOTS);
  readonly faultMessage: string[] = Array.from({ length: BATCH_SLOTS }, () => '');
  readonly redirectKind = new Int32Array(BATCH_SLOTS);
  readonly redirectA = new Int32Array(BATCH_SLOTS);
  readonly redirectB = new Int32Array(BATCH_SLOTS);
  readonly outputs: Uint8Array[] = Array.from({ length: BATCH_SLOTS }, () => EMPTY);
}
