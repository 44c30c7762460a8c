// The cost model as `nicsim run` uses it: the cycle tables the cores' interpreters account with
// (firmware/vm CycleProfile), the time a packet occupies its core (the NIC ring model's service time),
// and RunModel, which turns the per-packet numbers of a run into the `model` section of the result.
import type { CheckResult } from '../../offload/capability/check.ts';
import type { ProgramSpec } from '../../offload/elf/index.ts';
import type { Slot } from '../../offload/isa/index.ts';
import type { Profile } from '../profile/index.ts';
import { hotLines } from './attribution.ts';
import { deviceCost, hostCost } from './cost.ts';
import type { HotLine } from './report.ts';
import { type ModelResult, type PacketCost, ThroughputModel } from './throughput.ts';

/** What the cores of a run account with: per program id, cycles per pc on the NIC and on the host path. */
export interface CycleTables {
  nic: (Float64Array | undefined)[];
  host: (Float64Array | undefined)[];
  /** Stall cycles per access: stack, ctx, packet, map value (the NIC's; the host path has none). */
  memory: Float64Array;
  /** Fixed cycles per packet on the NIC and on the host path. */
  nicPerPacket: number;
  /** Extra NIC cycles by the action carried out, indexed by XDP action (aborted, drop, pass, tx, redirect). */
  action: Float64Array;
  hostPerPacket: number;
  threads: number;
  clockMhz: number;
}

const isHelperCall = (s: Slot | undefined): s is Extract<Slot, { kind: 'call' }> => s?.kind === 'call' && s.callee === 'helper';

/**
 * Cycle tables of a run. The entry program is priced from its capability translation (what each
 * instruction becomes on the NIC); programs it reaches by tail call were not translated, so each of
 * their instructions costs `cost.cpi` there. Helper calls add their `cost.helper_cycles`. On the host
 * path every instruction costs `host.cpi` and a helper call `host.call_ns`.
 */
export function cycleTables(profile: Profile, check: CheckResult, programs: readonly { id: number; slots: readonly Slot[] }[], entry: number): CycleTables {
  const h = hostCost(profile);
  const nic: (Float64Array | undefined)[] = [];
  const host: (Float64Array | undefined)[] = [];
  // memory latencies and helper cycles do not depend on the program: one table for all
  const t = deviceCost(profile, { translation: null }, 0);
  for (const p of programs) {
    const n = p.slots.length;
    const dev = p.id === entry ? deviceCost(profile, check, n) : null;
    const nicCost = new Float64Array(n);
    const hostCostTable = new Float64Array(n);
    for (let pc = 0; pc < n; pc++) {
      const s = p.slots[pc];
      if (!s) continue;
      const helper = isHelperCall(s) ? (t.helper[s.imm] ?? 0) : 0;
      nicCost[pc] = (dev ? dev.insn[pc]! : profile.cost.cpi) + helper;
      hostCostTable[pc] = h.cyclesPerInsn + (isHelperCall(s) ? h.cyclesPerCall : 0);
    }
    nic[p.id] = nicCost;
    host[p.id] = hostCostTable;
  }
  const a = profile.cost.action_cycles;
  const action = Float64Array.from([a.aborted, a.drop, a.pass, a.tx, a.redirect]);
  return { nic, host, memory: t.memory, action, nicPerPacket: profile.cost.per_packet_cycles, hostPerPacket: h.perPacket, threads: Math.max(1, profile.cores.threads_per_core), clockMhz: profile.cores.clock_mhz };
}

/** Nanoseconds a packet occupies its NIC core: threads hide stalls, not compute. */
export function occupancyNs(t: Pick<CycleTables, 'threads' | 'clockMhz'>, compute: number, stall: number): number {
  return (Math.max(compute, (compute + stall) / t.threads) * 1000) / t.clockMhz;
}

/** The `model` section of `nicsim run --json`. */
export interface RunModelJson {
  mpps: number;
  gbps: number;
  offered_mpps: number;
  capacity_mpps: number;
  bottleneck: string;
  bottleneck_detail: string;
  per_core_utilization: number[];
  latency_ns: { p50: number; p90: number; p99: number };
  nic_drops: number;
  hot_lines: HotLine[];
}

/** Collects a run's per-packet costs (per core, in arrival order) and cycles per pc, then models it. */
export class RunModel {
  private readonly model: ThroughputModel;
  private readonly acc: Float64Array[] = [];
  private result: ModelResult | null = null;

  constructor(
    profile: Profile,
    private readonly program: ProgramSpec,
    private readonly entry: number,
    cores: number,
    ringDepth: number,
  ) {
    this.model = new ThroughputModel(profile, { cores, ringDepth });
  }

  add(core: number, p: PacketCost): void {
    this.model.add(core, p);
  }

  /** add() with the cost's fields as arguments (ThroughputModel.addPacket). */
  addPacket(core: number, arrivalNs: number, wireBytes: number, queue: number, compute: number, stall: number, hostCycles: number, pcieBytes: number, pass: boolean, dropped: number): void {
    this.model.addPacket(core, arrivalNs, wireBytes, queue, compute, stall, hostCycles, pcieBytes, pass, dropped);
  }

  /** Adds one worker's cycles per pc of program `id` (NIC and host path together). */
  addCycles(id: number, cycles: ArrayLike<number>): void {
    let a = this.acc[id];
    if (!a) a = this.acc[id] = new Float64Array(cycles.length);
    for (let i = 0; i < cycles.length && i < a.length; i++) a[i] = a[i]! + cycles[i]!;
  }

  finish(): { model: ModelResult; json: RunModelJson; hot: HotLine[] } {
    const m = (this.result ??= this.model.finish());
    const hot = this.acc[this.entry] ? hotLines(this.program, this.acc[this.entry]!) : [];
    return {
      model: m,
      hot,
      json: {
        mpps: m.mpps,
        gbps: m.gbps,
        offered_mpps: m.offered_mpps,
        capacity_mpps: m.capacity_mpps,
        bottleneck: m.bottleneck.resource,
        bottleneck_detail: m.bottleneck.detail,
        per_core_utilization: m.per_core_utilization,
        latency_ns: { p50: m.latency_ns.p50, p90: m.latency_ns.p90, p99: m.latency_ns.p99 },
        nic_drops: m.nic_drops,
        hot_lines: hot,
      },
    };
  }
}
