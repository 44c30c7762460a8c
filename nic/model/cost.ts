// The cost model's static half: what each instruction, memory access and helper call of one program
// costs on one profile, in cycles of the core that runs it. Everything comes from the profile's
// `cost:` and `host:` sections and from the capability verifier's translation of each instruction
// (offload/capability/translate.ts: a 64-bit ALU op on a 32-bit NIC core is two NIC instructions,
// hence twice the cycles). The runtime adds these numbers up per packet along the path the packet
// really took (PacketCost); the queueing model (simulate.ts) turns them into time.
//
// Units: cycles of the NIC core (`cores.clock_mhz`) for the device, cycles of a host core
// (`host.clock_mhz`) for the host path. Compute cycles and memory-stall cycles are kept apart because
// hardware threads hide stalls (cores.threads_per_core), not compute.
import { HELPER_NAMES, helperName } from '../../firmware/helpers/names.ts';
import type { CheckResult } from '../../offload/capability/check.ts';
import type { Profile } from '../profile/index.ts';

/** Memory regions a program accesses, in the order of `cost.memory_latency`. */
export const REGIONS = ['stack', 'ctx', 'packet', 'map_value'] as const;
export type RegionName = (typeof REGIONS)[number];

export interface CostTables {
  /** Compute cycles of the instruction at each pc on the device (0 for pcs the device never runs). */
  insn: Float64Array;
  /** Stall cycles of one access to each region (index = REGIONS order). */
  memory: Float64Array;
  /** Cycles of one call of each helper id (dense, indexed by id). */
  helper: Float64Array;
  /** Fixed cycles per packet outside the program (receive, dispatch, transmit). */
  perPacket: number;
}

export interface HostCost {
  /** Host cycles per BPF instruction (JITed). */
  cyclesPerInsn: number;
  /** Host cycles per helper call. */
  cyclesPerCall: number;
  /** Host driver cycles per packet around the program. */
  perPacket: number;
  /** Extra ns per packet handed to the network stack (XDP_PASS). */
  passNs: number;
  clockMhz: number;
  cores: number;
}

const HELPER_SLOTS = HELPER_NAMES.length + 256;

/** Cycles of one helper call: the profile's entry for its name, else `default`. */
function helperCycles(profile: Profile, id: number): number {
  const table = profile.cost.helper_cycles;
  const name = helperName(id);
  return (name !== undefined ? table[name] : undefined) ?? table.default ?? 0;
}

/**
 * Per-pc device cycles of a program from its capability result. A class with an entry in
 * `cost.cycles` costs that many cycles per BPF instruction; any other costs its NIC instruction count
 * × `cost.cpi`. VLIW bundling (`offload.translation.packing_ratio`) divides compute cycles: rows, not
 * operations, take a cycle each.
 */
export function deviceCost(profile: Profile, result: Pick<CheckResult, 'translation'>, slots: number): CostTables {
  const c = profile.cost;
  const insn = new Float64Array(slots);
  const t = result.translation;
  const packing = profile.offload.translation.packing_ratio;
  if (t) {
    for (let pc = 0; pc < slots && pc < t.nic.length; pc++) {
      const cls = t.cls[pc]!;
      if (!cls) continue;
      const base = cls.includes('.') ? cls.slice(0, cls.indexOf('.')) : cls;
      const override = (c.cycles as Record<string, number | undefined>)[base];
      insn[pc] = (override ?? t.nic[pc]! * c.cpi) / packing;
    }
  }
  const memory = Float64Array.from(REGIONS, (r) => c.memory_latency[r]);
  const helper = new Float64Array(HELPER_SLOTS);
  for (let id = 0; id < HELPER_SLOTS; id++) helper[id] = helperCycles(profile, id);
  return { insn, memory, helper, perPacket: c.per_packet_cycles };
}

/** The host path's costs (the profile's `host:` section). */
export function hostCost(profile: Profile): HostCost {
  const h = profile.host;
  return {
    cyclesPerInsn: h.cpi,
    cyclesPerCall: (h.call_ns * h.clock_mhz) / 1000,
    perPacket: h.per_packet_cycles,
    passNs: h.pass_overhead_ns,
    clockMhz: h.clock_mhz,
    cores: h.cores,
  };
}
