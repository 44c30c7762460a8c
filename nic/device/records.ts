// The two record formats of the device rings (ring.ts) and the outcome codes they carry. One source
// of truth for both ends: the main thread (nic.ts) writes packet records and reads completions, a core
// worker (worker.ts) does the opposite.
//
import { FAULT_CODES } from '../../firmware/vm/fault.ts';

// Packet record (main -> worker), Int32 words from the record start, then the frame bytes:
//   0 record bytes   1 captured length   2 wire length   3 RX queue   4 input index   5 RSS hash (-1: none)
//   6..7 float64: arrival time in ns relative to the first packet (the NIC ring model's clock)
//   8.. packet bytes (PKT_HEADER bytes in)
// Completion record (worker -> main), Int32 words, then the output frame bytes (PASS/TX/REDIRECT):
//   0 record bytes   1 input index   2 outcome   3 modeled core   4 redirect kind   5 redirect target
//   6 output length  7 NIC instructions executed   8 host instructions executed   9 fallback pc (-1: none)
//   10 fault / reason code (REASONS index)   11 fault pc (-1: none)   12 PCIe bytes   13 E2BIG map failures
//   14..15 reserved   16..21 float64 (index of the record's f64 view = (offset >> 3) + k): modeled NIC
//   compute cycles (C_COMPUTE_F64), NIC stall cycles (C_STALL_F64), host-path cycles (C_HOST_F64)
//   22..23 reserved, then output bytes (CPL_HEADER bytes in)

export const PKT_HEADER = 32;
export const CPL_HEADER = 96;

export const P_LEN = 1;
export const P_WIRE = 2;
export const P_QUEUE = 3;
export const P_INDEX = 4;
/** The Toeplitz hash RSS computed (Rss.hash; the XDP metadata kfuncs report it). */
export const P_RSS_HASH = 5;
/** Float64 index (of the record's f64 view) is (offset >> 3) + 3. */
export const P_TS_F64 = 3;

export const C_INDEX = 1;
export const C_OUTCOME = 2;
export const C_CORE = 3;
export const C_REDIRECT_KIND = 4;
export const C_REDIRECT_TARGET = 5;
export const C_OUT_LEN = 6;
export const C_NIC_INSNS = 7;
export const C_HOST_INSNS = 8;
export const C_FALLBACK_PC = 9;
export const C_REASON = 10;
export const C_FAULT_PC = 11;
export const C_PCIE_BYTES = 12;
export const C_E2BIG = 13;
/** Float64 indexes (of the record's f64 view, relative to offset >> 3): the cost model's cycles. */
export const C_COMPUTE_F64 = 8;
export const C_STALL_F64 = 9;
export const C_HOST_F64 = 10;

/** What happened to one packet; every input packet gets exactly one. */
export const Outcome = {
  aborted: 0,
  drop: 1,
  pass: 2,
  tx: 3,
  redirect: 4,
  /** Dropped by the NIC: its RX ring was full when it arrived. */
  nic_drop: 5,
} as const;
export type OutcomeName = keyof typeof Outcome;
export const OUTCOME_NAMES = Object.keys(Outcome) as OutcomeName[];

/** Where a REDIRECT went (C_REDIRECT_KIND). */
export const RedirectKind = { none: 0, ifindex: 1, devmap: 2, cpumap: 3, xsk: 4 } as const;

/**
 * Why a packet was ABORTED or left the NIC cores (C_REASON): the firmware's fault codes, then the
 * device's own reasons. Index 0 means none.
 */
export const REASONS = [
  'none',
  ...FAULT_CODES,
  'fault.other',
  /** r0 was XDP_ABORTED. */
  'xdp_aborted',
  /** r0 > XDP_REDIRECT: the kernel treats unknown codes as ABORTED (bpf_warn_invalid_xdp_action). */
  'invalid_action',
  /** The profile's offload.actions maps the returned action to ABORTED (agilio-cx: redirect). */
  'action_unsupported',
  /** REDIRECT without a valid target (bpf_redirect_map miss with no default action). */
  'redirect_failed',
] as const;
export type Reason = (typeof REASONS)[number];

export function reasonIndex(code: string): number {
  const i = (REASONS as readonly string[]).indexOf(code);
  return i < 0 ? REASONS.indexOf('fault.other') : i;
}

/** C_FALLBACK_PC of a packet that ran on the host because the whole program does (verdict `host`). */
export const HOST_PLACEMENT = -2;
