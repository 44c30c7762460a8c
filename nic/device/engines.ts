// The engines a modeled core can run, chosen by name (`nicsim run --engine NAME`), and the core
// runner that drives one modeled core: its NIC core (arena slot c, the device copy of the program
// with PUNT at the capability verifier's punt pcs) and its host-path core (slot cores + c, the full
// program). A punted packet's state (registers, pc, frame chain, budget, stack, packet) is copied to
// the host-path core, which resumes it with the full program: no instruction runs twice and every map
// side effect happens once (maps are shared). Results are left in the runner's fields (no object per
// packet). The interpreter accounts the cost model's cycles as it runs (firmware/vm CycleProfile); the
// JIT does not, so under `jit` a packet's NIC cycles are its instruction count times the entry
// program's mean cycles per instruction (an estimate, said so in the run's model section).
import { UsageError } from '../../offload/errors.ts';
import type { Arena } from '../../firmware/arena.ts';
import { EXIT, type Engine } from '../../firmware/engine.ts';
import { HELPER_IDS } from '../../firmware/helpers/names.ts';
import { S_E2BIG, S_PC } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import type { CycleProfile, Program, Vm } from '../../firmware/vm/interpreter.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { jitEngine, type JitCode } from '../../firmware/jit/engine.ts';
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
  readonly nicProfile: CycleProfile | null;
  readonly hostProfile: CycleProfile | null;
  faultReason = 0;
  faultPc = -1;
  faultMessage = '';
  e2big = 0;
  private readonly engine: Engine;
  private readonly hostEngine: Engine;
  private readonly arena: Arena;
  private readonly entry: number;
  private readonly onHost: boolean;
  private readonly tables: CycleTables | null;
  /** Under the JIT: mean NIC cycles per instruction of the entry program (no per-instruction accounting). */
  private readonly jitCyclesPerInsn: number;

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
    this.nicProfile = t ? { cost: t.nic, acc: acc(t.nic), memory: t.memory } : null;
    this.hostProfile = t ? { cost: t.host, acc: acc(t.host), memory: new Float64Array(4) } : null;
    this.nic.vm.profile = this.engine === interpreter ? this.nicProfile : null;
    this.host.vm.profile = this.hostProfile;
    let sum = 0;
    let n = 0;
    for (const c of t?.nic[o.entry] ?? []) if (c > 0) (sum += c), n++;
    this.jitCyclesPerInsn = n ? sum / n : 0;
  }

  /** Loads `frame` and runs the entry program; returns a RunEnd. */
  run(frame: Uint8Array, queue: number, clockNs: number): number {
    const first = this.onHost ? this.host : this.nic;
    first.buf.reset(frame);
    first.rxQueueIndex = queue;
    first.clockNs = clockNs;
    first.e2big = 0;
    this.nicInsns = 0;
    this.hostInsns = 0;
    this.puntPc = -1;
    this.nic.vm.cycles = this.nic.vm.stall = this.host.vm.cycles = this.host.vm.stall = 0;
    let k = first.start(this.onHost ? this.hostEngine : this.engine, this.entry);
    if (this.onHost) this.hostInsns = first.executed;
    else this.nicInsns = first.executed;
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
      const nicCycles = this.nic.vm.profile === null ? this.nicInsns * this.jitCyclesPerInsn : this.nic.vm.cycles;
      this.compute = this.onHost ? 0 : nicCycles + t.nicPerPacket;
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
}
