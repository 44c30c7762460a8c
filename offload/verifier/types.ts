// Public data types of the safety verifier: options, the result, the error, and the per-pc facts
// that later passes (the hardware-capability verifier, the cost model) read. Pure data; 64-bit
// quantities are BigInt (u64 values in [0, 2^64), s64 values in [-2^63, 2^63)), 32-bit ones numbers.

export interface VerifyOptions {
  /** Apply the rules for a loader without CAP_PERFMON/CAP_SYS_ADMIN (CAP_BPF + CAP_NET_ADMIN only). */
  unprivileged?: boolean;
  /** 0: no log; 1: the kernel-like failure context (verbose lines); 2: per-instruction state trace. */
  logLevel?: 0 | 1 | 2;
  /** Collect per-pc facts (default true). */
  facts?: boolean;
  /** Join every register into the per-pc facts, not only the ones the instruction reads (slower). */
  allRegs?: boolean;
  /**
   * Size of the log buffer in bytes (log_size; default: unlimited). As in the kernel's rotating mode
   * the log keeps its last logSize - 1 bytes and `logTruncated` is set (the kernel's ENOSPC).
   */
  logSize?: number;
  /** Processed-instruction limit (kernel: 1,000,000). */
  insnLimit?: number;
  /** Load without BTF func/line info, as a raw BPF_PROG_LOAD would (global functions become static). */
  withoutBtf?: boolean;
  /**
   * Load for a NIC (BPF_PROG_LOAD with prog_ifindex, bpf_prog_is_offloaded): xdp_is_valid_access()
   * then lets the program write xdp_md.rx_queue_index (4-byte store of a scalar) to pick the RX queue.
   * The driver's own checks are the capability verifier's (offload/capability).
   */
  offloaded?: boolean;
  /**
   * Load bound to a device without offloading it (BPF_F_XDP_DEV_BOUND_ONLY with prog_ifindex,
   * bpf_prog_is_dev_bound): the XDP metadata kfuncs may be called. An offloaded program is bound too,
   * but the kernel refuses them there ("metadata kfuncs can't be offloaded", bpf_dev_bound_kfunc_check).
   */
  devBound?: boolean;
}

/** Kernel-style name of a register type (reg_type_str): 'scalar', 'ctx', 'fp', 'pkt', 'map_value_or_null', ... */
export type RegKind = string;

export interface SourceRef {
  file: string;
  line: number;
  col: number;
  text: string;
}

export interface VerifyError {
  /** Instruction (slot) the kernel would name; null for whole-program errors (e.g. stack depth). */
  pc: number | null;
  /** Stable error family id (see families.ts), e.g. 'packet_bounds', 'ctx_access', 'ref_leak'. */
  code: string;
  /** The kernel's final error line, e.g. `R1 offset is outside of the packet`. */
  message: string;
  /** llvm-objdump text of the instruction at pc, or null. */
  insn: string | null;
  /** C source line of pc from BTF line info, or null. */
  source: SourceRef | null;
  /** The bpf(BPF_PROG_LOAD) errno the kernel returns for this error. */
  errno: 'EACCES' | 'EINVAL' | 'E2BIG' | 'EPERM' | 'EFAULT' | 'ENOTSUPP' | 'EBADF';
}

/** Joined knowledge about one register over every (non-speculative) verifier state visiting a pc. */
export interface RegFacts {
  /** Every type seen, sorted; more than one means the instruction sees mixed pointer types. */
  types: RegKind[];
  /** Map index (ObjectSpec.maps) for map_ptr/map_value(/_or_null)/map_key registers when all visits agree, else null. */
  map: number | null;
  /** Fixed pointer offset range (reg->off) over the visits; 0..0 for scalars. */
  offMin: number;
  offMax: number;
  /** Variable part (pointers) or value (scalars): tnum joined over the visits. */
  varOff: { value: bigint; mask: bigint };
  /** True when var_off was a known constant on every visit (same constant or not). */
  varOffConstEveryVisit: boolean;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: number;
  u32max: number;
  s32min: number;
  s32max: number;
  /** Smallest proven packet range over the visits (pkt/pkt_meta registers), else null. */
  range: number | null;
  /** Stack frame the pointer points into (fp registers), when all visits agree. */
  frameno: number | null;
}

export interface InsnFacts {
  pc: number;
  /** Index into ProgramFacts.subprogs. */
  subprog: number;
  /** Number of non-speculative verifier visits (after pruning). */
  visits: number;
  /**
   * Registers the instruction reads, before it executes, joined over the visits (indexed r0..r10;
   * null when not read). ALU: dst (unless mov) and src; loads: the pointer; stores: pointer and
   * value; atomics: pointer, value (and r0 for cmpxchg); conditional jumps: both operands; helper
   * and bpf-to-bpf calls: r1..r5 per the prototype/argument count; exit: r0. With
   * `allRegs`, every initialised register.
   */
  regs: (RegFacts | null)[];
  /** Memory instructions: the pointer register's kinds on every visit and whether its offset is constant. */
  mem: { reg: number; types: RegKind[]; constOffset: boolean; mapIndex: number | null } | null;
  /** 32-bit ALU results whose upper half a later instruction reads (kernel zext_dst). */
  zext: boolean;
}

export interface HelperCallFacts {
  pc: number;
  id: number;
  name: string;
  /** r1..r5 before the call (same objects as InsnFacts.regs[1..5]); null for unused arguments. */
  args: (RegFacts | null)[];
  /** Map index of the ARG_CONST_MAP_PTR argument when all visits agree. */
  map: number | null;
}

export interface SubprogFacts {
  index: number;
  start: number;
  end: number;
  name: string;
  /** Verified on its own against its BTF prototype ('global') or in the caller's context ('static'). */
  linkage: 'main' | 'static' | 'global';
  /** Deepest stack byte used (kernel stack_depth, before rounding). */
  stackDepth: number;
  /** Subprogram indexes this one calls (bpf-to-bpf calls and callbacks). */
  callees: number[];
  /** The subprogram writes one of r6-r9 (callee-saved registers the NIC must preserve). */
  writesCalleeSaved: boolean;
  hasTailCall: boolean;
}

export interface ExitFacts {
  pc: number;
  /** r0 joined over the visits of this exit of the main program. */
  r0: RegFacts;
}

export interface ProgramFacts {
  /** Indexed by pc; null for unreached slots and the second half of lddw. */
  insns: (InsnFacts | null)[];
  subprogs: SubprogFacts[];
  /** Call graph edges: caller subprog -> callee subprog at pc. */
  calls: { pc: number; caller: number; callee: number; kind: 'bpf' | 'callback' }[];
  helperCalls: HelperCallFacts[];
  /** Exits of the main program (frame 0) with their r0 range. */
  exits: ExitFacts[];
  /** Kernel max_pkt_offset: max over packet accesses of off + umax + size - 1. */
  maxPktOffset: number;
  /** Map indexes the program references (lddw). */
  mapsUsed: number[];
  /**
   * Map-in-map: values looked up in an outer map point into its inner map, which has no entry of its
   * own in ObjectSpec.maps; such registers carry the index `index` (>= ObjectSpec.maps.length) of the
   * outer map `outer`'s inner-map template (ObjectSpec.maps[outer].inner).
   */
  innerMaps: { index: number; outer: number }[];
}

export interface VerifyStats {
  insnsProcessed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  /** Wall-clock time of the verification in microseconds. */
  timeUs: number;
}

export interface VerifyResult {
  program: string;
  accepted: boolean;
  insnsProcessed: number;
  error: VerifyError | null;
  /** Every verbose line of the failing (or last) path, like the kernel's log_level 1 messages. */
  messages: string[];
  /** The log text at the requested level ('' at level 0); with logSize, at most its last logSize - 1 bytes. */
  log: string;
  /** The log did not fit in logSize bytes: the kernel fails such a load with ENOSPC. */
  logTruncated?: boolean;
  /** The buffer size the whole log needed (the kernel's log_true_size; 0 without a log). */
  logTrueSize: number;
  /** Per-pc facts (when requested); on rejection they cover what was explored before the error. */
  facts: ProgramFacts | null;
  stats: VerifyStats;
}
