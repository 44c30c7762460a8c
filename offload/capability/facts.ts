// What the capability pass needs to know about a program beyond its instructions: the safety
// verifier's per-pc facts, joined over every verifier state that reaches a pc (the nfp driver
// accumulates them the same way: meta->umin/umax and meta->ptr across visits).
// The capability rules read facts only through this interface; safety.ts builds it from the safety
// verifier (offload/verifier/), tests may build it from a table.

/** Register types, as the kernel's verifier names them (enum bpf_reg_type), lower case. */
export const REG_KINDS = ['scalar', 'ctx', 'map_ptr', 'map_value', 'map_key', 'stack', 'packet_meta', 'packet', 'packet_end', 'other'] as const;
export type RegKind = (typeof REG_KINDS)[number];

/**
 * The number the kernel gives each type in `enum bpf_reg_type` (include/linux/bpf.h): the nfp driver
 * prints it with %d ("ptr type changed for instruction %d -> %d", "atomic add not to a map value
 * pointer: %d") and pins scalar 1, map value 4, stack 6, packet 8 in fw.h. `other` has no single
 * number; -1 marks it.
 */
export const REG_TYPE_NUMBER: Record<RegKind, number> = {
  scalar: 1, // SCALAR_VALUE
  ctx: 2, // PTR_TO_CTX
  map_ptr: 3, // CONST_PTR_TO_MAP
  map_value: 4, // PTR_TO_MAP_VALUE
  map_key: 5, // PTR_TO_MAP_KEY
  stack: 6, // PTR_TO_STACK
  packet_meta: 7, // PTR_TO_PACKET_META
  packet: 8, // PTR_TO_PACKET
  packet_end: 9, // PTR_TO_PACKET_END
  other: -1,
};

/** A tristate number: bits in `mask` are unknown, the others are `value` (the kernel's tnum). */
export interface Tnum {
  value: bigint;
  mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MAX };

export function tnumConst(v: bigint): Tnum {
  return { value: BigInt.asUintN(64, v), mask: 0n };
}
export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}
/** The smallest tnum holding both (tnum_union in the kernel's sense of "either"). */
export function tnumJoin(a: Tnum, b: Tnum): Tnum {
  const mask = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mask, mask };
}
/** Can the tnum hold `v`? */
export function tnumContains(t: Tnum, v: bigint): boolean {
  return (BigInt.asUintN(64, v) & ~t.mask) === t.value;
}

/**
 * One register before the instruction at a pc executes, joined over every verifier state that
 * reaches the pc. For a scalar, `var` and the bounds describe its value; for a pointer, its variable
 * offset (the kernel's var_off and bounds) while `off` is the fixed offset (reg->off).
 */
export interface RegView {
  /** Distinct types over every visit, in the order first seen. */
  kinds: RegKind[];
  /** map_ptr / map_value: index into ObjectSpec.maps of each visit, distinct. */
  maps: number[];
  /** Pointer fixed offsets (reg->off), min and max over visits; 0 for scalars. */
  offMin: number;
  offMax: number;
  /** The variable part joined over visits. */
  var: Tnum;
  /** The variable part was a known constant on every visit (it may differ between visits). */
  varConstEveryVisit: boolean;
  /**
   * Optional: the distinct constant values the variable part took, in visit order (when
   * varConstEveryVisit). Only needed to quote two of the nfp driver's messages exactly.
   */
  varValues?: bigint[];
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

/** Everything the capability rules ask about a program. */
export interface CapabilityFacts {
  /** Some verifier state reaches the instruction (the kernel removes the others as dead code). */
  reachable(pc: number): boolean;
  /** Register `reg` before `pc` executes; undefined if no state reaching pc has it initialised. */
  reg(pc: number, reg: number): RegView | undefined;
  /** Stack depth in bytes of the subprogram starting at `start` (the kernel's subprog_info[].stack_depth). */
  stackDepth(start: number): number;
  /** The kernel's max_pkt_offset: the largest off + umax + size - 1 over packet accesses (last byte index). */
  maxPacketOffset: number;
  /**
   * Optional: the stack bytes at [r10 + off, r10 + off + size) of the current frame are known to be
   * zero in every state at `pc` (the nfp rule that map_update_elem must write 0 into atomic counters).
   */
  stackZero?(pc: number, off: number, size: number): boolean | undefined;
  /** Optional: the kernel's zext_dst mark (a 32-bit result whose upper half is read later). */
  zext?(pc: number): boolean;
  /**
   * Optional: how many times the safety verifier processed pc outside speculative paths. Every
   * execution of pc on one concrete path is covered by a distinct processed visit (bounded loops
   * are unrolled, pruned paths continue in an explored state's subtree), so it bounds loop
   * iterations for the worst-case path (nic/model/bound.ts).
   */
  visits?(pc: number): number;
}

/** Convenience: the register's single kind if every visit agrees. */
export function onlyKind(r: RegView | undefined): RegKind | undefined {
  return r && r.kinds.length === 1 ? r.kinds[0] : undefined;
}

/** The value (or pointer variable offset) of a register that is the same known constant on every visit. */
export function constValue(r: RegView | undefined): bigint | undefined {
  if (!r || !r.varConstEveryVisit || r.var.mask !== 0n) return undefined;
  return r.var.value;
}
