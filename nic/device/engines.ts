// The engines a modeled core can run, chosen by name (`nicsim run --engine NAME`). A core runner
// loads one frame, runs the device copy of the program and leaves the result in its fields (no
// object per packet). Today the interpreter is the only engine; `jit` is looked up when asked for
// and refused with a clear message until firmware/jit exists.
import { UsageError } from '../../offload/errors.ts';
import { Fault } from '../../firmware/vm/fault.ts';
import type { Vm } from '../../firmware/vm/interpreter.ts';
import type { Program } from '../../firmware/vm/interpreter.ts';
import { HELPER_IDS } from '../../firmware/helpers/names.ts';
import { type BpfMap } from '../../firmware/maps/index.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';
import { reasonIndex } from './records.ts';

export const ENGINE_NAMES = ['interp', 'jit'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** How a run ended (CoreRunner.run's return value). */
export const RunEnd = { exit: 0, fault: 1, punt: 2 } as const;

const E2BIG = -7;

/** One modeled core: its engine, its maps and programs, and the result fields of the last run. */
export interface CoreRunner {
  readonly core: XdpCore;
  /** r0 (an XDP action) after RunEnd.exit. */
  r0: number;
  /** Instructions the last run executed. */
  insns: number;
  /** REASONS index and pc after RunEnd.fault; the fault's message. */
  faultReason: number;
  faultPc: number;
  faultMessage: string;
  /** Helper calls of the last run that a full map answered with -E2BIG. */
  e2big: number;
  /** Loads `frame` and runs the entry program; returns a RunEnd. */
  run(frame: Uint8Array, queue: number, clockNs: number): number;
}

export interface RunnerOptions {
  cpu: number;
  maps: BpfMap[];
  readonly: boolean[];
  programs: { id: number; program: Program }[];
  entry: number;
  seed: number;
  /** Per-run instruction budget (default: the interpreter's). */
  budget?: number;
}

/** XdpCore that counts map updates refused with -E2BIG (a full map never grows). */
class CountingCore extends XdpCore {
  e2big = 0;
  override helper(vm: Vm, id: number, pc: number): void {
    super.helper(vm, id, pc);
    if (id === HELPER_IDS.map_update_elem && vm.lo[0] === E2BIG && vm.hi[0] === -1) this.e2big++;
  }
}

class InterpRunner implements CoreRunner {
  readonly core: CountingCore;
  r0 = 0;
  insns = 0;
  faultReason = 0;
  faultPc = -1;
  faultMessage = '';
  e2big = 0;
  private readonly entry: Program;

  constructor(o: RunnerOptions) {
    this.core = new CountingCore({ cpu: o.cpu, seed: (o.seed ^ Math.imul(o.cpu + 1, 0x9e3779b1)) >>> 0 || 1 });
    this.core.setMaps(o.maps);
    o.readonly.forEach((r, i) => this.core.setMapReadonly(i, r));
    for (const p of o.programs) this.core.programs.set(p.id, p.program);
    const entry = o.programs.find((p) => p.id === o.entry);
    if (!entry) throw new Error(`device image has no program ${o.entry}`);
    this.entry = entry.program;
    if (o.budget !== undefined) this.core.vm.budget = o.budget;
  }

  run(frame: Uint8Array, queue: number, clockNs: number): number {
    const core = this.core;
    core.buf.reset(frame);
    core.rxQueueIndex = queue;
    core.clockNs = clockNs;
    core.e2big = 0;
    try {
      this.r0 = core.runLoaded(this.entry);
      this.insns = core.vm.executed;
      this.e2big = core.e2big;
      return RunEnd.exit;
    } catch (e) {
      this.insns = core.vm.executed;
      this.e2big = core.e2big;
      if (!(e instanceof Fault)) throw e;
      this.faultReason = reasonIndex(e.code);
      this.faultPc = e.loc.pc ?? -1;
      this.faultMessage = e.reason;
      return RunEnd.fault;
    }
  }
}

/** A runner for the named engine. */
export function makeRunner(name: string, o: RunnerOptions): CoreRunner {
  switch (name) {
    case 'interp':
      return new InterpRunner(o);
    case 'jit':
      throw new UsageError(`--engine jit: the JIT engine (firmware/jit) is not part of this build; use --engine interp`);
    default:
      throw new UsageError(`--engine ${name}: unknown engine (engines: ${ENGINE_NAMES.join(', ')})`);
  }
}
