// What a helper implementation may touch: the small host interface the helper table
// (firmware/helpers/table.ts) is written against. A core (firmware/xdp/core.ts) implements it for
// the interpreter and the host path; a Wasm engine implements it for its helper imports. Arguments
// are read from r1..r5 in `lo` / `hi` and the result is written to r0 there.
import type { BpfMap } from '../maps/index.ts';
import type { Region } from '../vm/memory.ts';
import type { XdpBuffer } from '../xdp/buffer.ts';

export interface HelperHost {
  /** Register halves r0..r10 (the state block's views). */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** This core's CPU number (per-CPU maps, bpf_get_smp_processor_id). */
  readonly cpu: number;
  /** The packet: frame, fragments, data / data_end / data_meta. */
  readonly buf: XdpBuffer;
  /** xdp_md.ingress_ifindex of the packet. */
  readonly ingressIfindex: number;

  /** A pointer argument (lo, hi) as `size` accessible bytes: the region, with `lastEa` the offset in it; faults otherwise. */
  resolveAddr(lo: number, hi: number, size: number, pc: number, what: string): Region;
  /** Offset inside the region of the last resolveAddr. */
  readonly lastEa: number;
  /** Index of the map a map-pointer argument names; faults when it is not a map pointer. */
  mapIndex(lo: number, hi: number, pc: number, what: string): number;
  /** The device's maps (ObjectSpec order). */
  readonly maps: readonly BpfMap[];
  /** Per map: 1 when a lookup yields an inner map (array_of_maps, hash_of_maps), else 0; fixed at load. */
  readonly mapOfMaps: Uint8Array;
  /** Re-reads the packet window after the buffer changed (adjust_head / meta / tail). */
  syncPacket(): void;

  /** Simulated clock in ns: CLOCK_MONOTONIC, or CLOCK_BOOTTIME when `boot`. */
  nowNs(boot: boolean): number;
  /** bpf_get_prandom_u32: the core's seeded generator. */
  nextRandom(): number;
  /** Appends a bpf_trace_printk output line to the packet's trace. */
  printk(msg: string): void;
  /** A bpf_perf_event_output record for slot `index` (the running CPU's event): the data and the packet sample (null: none asked). */
  perfOutput(index: number, data: Uint8Array, sample: Uint8Array | null): void;
  /** Records the packet's redirect target (state block S_REDIR*): kind REDIRECT_IFINDEX or REDIRECT_MAP. */
  setRedirect(kind: number, a: number, b: number): void;
  /** bpf_tail_call to program `id`: true when the jump will happen (program present, limit not reached). */
  tailCall(id: number): boolean;
  /** MTU of an interface the program may name (bpf_check_mtu), or undefined. */
  mtuOf(ifindex: number): number | undefined;
  /** Runs the subprogram at `fnPc` of the executing program as a callback (bpf_loop); returns r0's low word. */
  callback(fnPc: number, callerPc: number): number;
}

/** A helper: reads its arguments from host.lo / host.hi r1..r5, writes r0, may fault. */
export type HelperImpl = (host: HelperHost, pc: number) => void;
