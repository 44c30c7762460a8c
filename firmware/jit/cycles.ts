// Cycle accounting in compiled code: the cost model's CycleProfile (firmware/vm/interpreter.ts)
// accounted by a module compiled with the profile's tables, exactly as the interpreter accounts it.
// The interpreter adds, per executed instruction, cost[id][pc] to vm.cycles and acc[id][pc], and per
// memory access that passes the region's bounds check, the region's stall to vm.stall and acc[id][pc]
// (region order stack, ctx, packet, map value). Its sums are float sums in execution order (costs
// can be fractions, e.g. a VLIW packing ratio of 2.5), so a profiled module does the same additions
// in the same order: f64 globals for cycles and stall, one f64 global per accumulated pc, each
// instruction's cost added where it starts, each access's stall where its check has passed.
// Without tables nothing of this is emitted (test-run's module is unchanged).
//
// The host side (JitCycleSync) keeps the globals and the CycleProfile of the core in step: vm.cycles
// and vm.stall are copied in before a run and out after it; the acc globals are the accumulators
// while the JIT owns the core and are copied to and from profile.acc around anything that runs the
// interpreter on the same core (the budget's continuation, helper callbacks) and on flush.
import type { CycleProfile, Vm } from '../vm/interpreter.ts';
import type { Slot } from '../../offload/isa/index.ts';
import { type Code, type ModuleBuilder, OP } from './wasm.ts';

/** The cost model's tables a module is compiled with (a CycleProfile's cost and memory). */
export interface JitCycleTables {
  /** cost[id][pc]: compute cycles of the instruction at pc of program id. */
  cost: readonly (Float64Array | undefined)[];
  /** Stall cycles of one access to the stack, the ctx, the packet, a map value. */
  memory: Float64Array;
}

/** Globals of a profiled module (after the module's status, budget and may_goto globals). */
export const G_CYCLES = 5;
export const G_STALL = 6;
const G_ACC0 = 7;

/** The accumulators of a profiled module: one global per (program, pc) with a cost table. */
export class CyclePlan {
  /** (program id, pc) of accumulator k at 2k, 2k + 1. */
  readonly sites: Int32Array;
  private readonly index = new Map<number, Int32Array>();

  constructor(
    readonly tables: JitCycleTables,
    programs: readonly { program: { id: number }; slots: readonly Slot[] }[],
  ) {
    const sites: number[] = [];
    for (const p of programs) {
      const id = p.program.id;
      if (!tables.cost[id] || this.index.has(id)) continue;
      const at = new Int32Array(p.slots.length).fill(-1);
      p.slots.forEach((s, pc) => {
        if (!s) return;
        at[pc] = sites.length / 2;
        sites.push(id, pc);
      });
      this.index.set(id, at);
    }
    this.sites = Int32Array.from(sites);
  }

  /** Global of acc[id][pc], or -1 when program id has no cost table. */
  accGlobal(id: number, pc: number): number {
    const at = this.index.get(id);
    const k = at ? at[pc] ?? -1 : -1;
    return k < 0 ? -1 : G_ACC0 + k;
  }

  /** Declares the globals (their indices must be G_CYCLES, G_STALL, G_ACC0 + k) and exports them. */
  declare(mb: ModuleBuilder): void {
    const c = mb.globalF64();
    const s = mb.globalF64();
    if (c !== G_CYCLES || s !== G_STALL) throw new Error('jit: cycle globals moved');
    mb.exportGlobal('cycles', G_CYCLES);
    mb.exportGlobal('stall', G_STALL);
    for (let k = 0; k < this.sites.length / 2; k++) {
      mb.globalF64();
      mb.exportGlobal(`a${k}`, G_ACC0 + k);
    }
  }
}

/** Adds the constant v to f64 global g. */
function add(c: Code, g: number, v: number): void {
  c.idx(OP.global_get, g).f64(v).op(OP.f64_add).idx(OP.global_set, g);
}

/** The accounting one function emits (FunctionEmitter calls these at the interpreter's points). */
export class CycleEmitter {
  /** `cycles` and `stall`: the function's f64 locals holding the run's sums while it runs. */
  constructor(
    private readonly c: Code,
    private readonly plan: CyclePlan,
    private readonly id: number,
    private readonly cycles: number,
    private readonly stallLocal: number,
  ) {}

  /** The locals into their globals (before anything that reads them or may throw). */
  save(): void {
    this.c.get(this.cycles).idx(OP.global_set, G_CYCLES).get(this.stallLocal).idx(OP.global_set, G_STALL);
  }

  /** The globals into the locals (at function entry, after calls). */
  load(): void {
    this.c.idx(OP.global_get, G_CYCLES).set(this.cycles).idx(OP.global_get, G_STALL).set(this.stallLocal);
  }

  private addLocal(l: number, v: number): void {
    this.c.get(l).f64(v).op(OP.f64_add).set(l);
  }

  /** The instruction at pc starts: cycles and acc[pc] += cost[pc]. */
  insn(pc: number): void {
    const v = this.plan.tables.cost[this.id]?.[pc];
    const g = this.plan.accGlobal(this.id, pc);
    if (v === undefined || v === 0 || g < 0) return;
    this.addLocal(this.cycles, v);
    add(this.c, g, v);
  }

  /** The access at pc passed its bounds check in region `index` (0 stack, 1 ctx, 2 packet, 3+ map). */
  stall(pc: number, index: number): void {
    const lat = this.plan.tables.memory[index < 3 ? index : 3]!;
    const g = this.plan.accGlobal(this.id, pc);
    if (lat === 0 || g < 0) return;
    this.addLocal(this.stallLocal, lat);
    add(this.c, g, lat);
  }

  /** As stall, the region named by the i32 region index in local `idx` (the pointer's tag). */
  stallDynamic(pc: number, idx: number): void {
    const c = this.c;
    if (this.plan.accGlobal(this.id, pc) < 0) return;
    for (let i = 0; i < 3; i++) {
      c.get(idx).i32(i).op(OP.i32_eq).open(OP.if);
      this.stall(pc, i);
      c.op(OP.else);
    }
    this.stall(pc, 3);
    for (let i = 0; i < 3; i++) c.end();
  }
}

/** Region index of an accumulator's stall (memory[] index) for the fault import's fix-up. */
export function stallIndex(region: number): number {
  return region < 3 ? region : 3;
}

interface F64Global {
  value: number;
}

/** Keeps a profiled instance's globals and a core's CycleProfile in step (see the header). */
export class JitCycleSync {
  private readonly cycles: F64Global;
  private readonly stallG: F64Global;
  private readonly acc: F64Global[];
  private readonly accOf = new Map<number, Map<number, F64Global>>();

  constructor(
    exports: Record<string, unknown>,
    private readonly sites: Int32Array,
    private readonly profile: CycleProfile,
  ) {
    this.cycles = exports.cycles as F64Global;
    this.stallG = exports.stall as F64Global;
    this.acc = [];
    for (let k = 0; k < sites.length / 2; k++) {
      const g = exports[`a${k}`] as F64Global;
      this.acc.push(g);
      const id = sites[2 * k]!;
      let m = this.accOf.get(id);
      if (!m) this.accOf.set(id, (m = new Map()));
      m.set(sites[2 * k + 1]!, g);
    }
    this.accFromProfile();
  }

  /** Before compiled code runs: the run's cycles and stall so far. */
  enter(vm: Vm): void {
    this.cycles.value = vm.cycles;
    this.stallG.value = vm.stall;
  }

  /** After compiled code ran (also after a fault or punt). */
  leave(vm: Vm): void {
    vm.cycles = this.cycles.value;
    vm.stall = this.stallG.value;
  }

  /** profile.acc = the accumulators (before the interpreter runs on this core, or to read them). */
  accToProfile(): void {
    const s = this.sites;
    const acc = this.profile.acc;
    for (let k = 0; k < this.acc.length; k++) {
      const a = acc[s[2 * k]!];
      if (a) a[s[2 * k + 1]!] = this.acc[k]!.value;
    }
  }

  /** The accumulators = profile.acc (after the interpreter ran on this core). */
  accFromProfile(): void {
    const s = this.sites;
    const acc = this.profile.acc;
    for (let k = 0; k < this.acc.length; k++) {
      const a = acc[s[2 * k]!];
      this.acc[k]!.value = a ? a[s[2 * k + 1]!]! : 0;
    }
  }

  /** Hands the core to the interpreter (its profile exact) and back. */
  toInterpreter(vm: Vm): void {
    this.leave(vm);
    this.accToProfile();
  }

  fromInterpreter(vm: Vm): void {
    this.accFromProfile();
    this.enter(vm);
  }

  /**
   * A fault the interpreter reports after the access passed its bounds check (a store into the
   * context or a read-only map, a bad context field): the stall it charged before faulting.
   */
  faultStall(prog: number, pc: number, region: number): void {
    const lat = this.profile.memory[stallIndex(region)]!;
    if (lat === 0) return;
    const g = this.accOf.get(prog)?.get(pc);
    if (!g) return;
    this.stallG.value = this.stallG.value + lat;
    g.value = g.value + lat;
  }
}

