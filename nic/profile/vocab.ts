// Closed vocabularies of the profile format: the words a profile may use as keys or values, each a
// fact about the eBPF ISA or the XDP hook. The JSON Schema (schema.ts) and the Profile type (types.ts)
// are both derived from these lists, so a new class or field is added in one place.

/**
 * BPF instruction classes for translation counts (NIC instructions emitted per BPF instruction) and
 * for cycle costs. Each names a group of opcodes that a NIC translator treats alike.
 */
export const INSN_CLASSES = [
  'alu32', // 32-bit ADD SUB AND OR XOR LSH RSH ARSH NEG, register or small immediate
  'alu64', // the same, 64-bit
  'mov32', // 32-bit MOV (also MOVSX 32)
  'mov64', // 64-bit MOV (also MOVSX 64)
  'shift64_reg', // 64-bit shift by a register whose value is not a known constant
  'mul16', // MUL where both operands are proven <= 0xffff
  'mul32', // MUL where both operands are proven <= 0xffffffff
  'mul64', // any other MUL
  'div_const', // DIV/SDIV by an immediate or a register proven constant
  'div_reg', // DIV/SDIV by a register of unknown value
  'mod', // MOD/SMOD
  'end16', // byte swap of 16 bits (BPF_END or BSWAP)
  'end32',
  'end64',
  'imm_wide', // extra per 32-bit immediate half that does not fit the NIC instruction's operand field
  'zext', // extra when a 32-bit result must be zero-extended (the kernel's zext_dst mark)
  'lddw', // 64-bit immediate load (two BPF slots), incl. map pseudo loads
  'ld_abs', // legacy LD_ABS
  'ld_ind', // legacy LD_IND
  'ldx_ctx', // load of an xdp_md field
  'atomic', // an atomic read-modify-write on memory
  'ja', // unconditional jump (JA, gotol)
  'jcond32', // conditional jump, JMP32 class
  'jcond64', // conditional jump, JMP class
  'call_helper', // a helper call (helpers.supported.NAME.nic_instructions overrides it)
  'call_bpf', // a bpf-to-bpf call
  'exit', // EXIT of the main program
  'exit_subprog', // EXIT of a subprogram (return)
] as const;
export type InsnClass = (typeof INSN_CLASSES)[number];

/** Memory access sizes, by BPF size field. */
export const ACCESS_SIZES = ['b', 'h', 'w', 'dw'] as const;
export type AccessSize = (typeof ACCESS_SIZES)[number];

/** Atomic operations (BPF_STX | BPF_ATOMIC, by `imm`). */
export const ATOMIC_OPS = [
  'add',
  'or',
  'and',
  'xor',
  'fetch_add',
  'fetch_or',
  'fetch_and',
  'fetch_xor',
  'xchg',
  'cmpxchg',
] as const;
export type AtomicOp = (typeof ATOMIC_OPS)[number];

/** Memory regions a pointer can point into, as the safety verifier types them. */
export const REGIONS = ['stack', 'packet', 'map_value', 'ctx'] as const;
export type Region = (typeof REGIONS)[number];

/** XDP return codes, in `enum xdp_action` order (0..4). */
export const XDP_ACTIONS = ['aborted', 'drop', 'pass', 'tx', 'redirect'] as const;
export type XdpAction = (typeof XDP_ACTIONS)[number];

/** Fields of `struct xdp_md`, in layout order (offset = 4 × index). */
export const XDP_MD_FIELDS = [
  'data',
  'data_end',
  'data_meta',
  'ingress_ifindex',
  'rx_queue_index',
  'egress_ifindex',
] as const;
export type XdpMdField = (typeof XDP_MD_FIELDS)[number];

/** Where the XDP program runs for a profile. */
export const PROFILE_KINDS = ['offload', 'native', 'driver'] as const;
export type ProfileKind = (typeof PROFILE_KINDS)[number];
