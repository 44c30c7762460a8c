// The safety verifier: an abstract interpreter modelled on the Linux verifier (kernel/bpf/verifier.c,
// Linux 6.18), layered like PREVAIL:
//
//   cfg/      load (lenient decode in the kernel's order of checks), check_subprogs, check_cfg,
//             prune points, register liveness
//   domain/   tnum, scalar bounds (u64/s64/u32/s32 with reg_bounds_sync), register types, branch
//             refinement
//   state/    verifier states: frames, stack slots, references; state equivalence for pruning
//   check/    the transfer functions with the kernel's checks and messages, one concern per file
//             (ALU, memory, stack, packet, ctx, helpers, subprog calls, exits, atomics)
//   explore.ts  the path exploration (do_check) with pruning, speculative paths and limits
//   facts.ts    per-pc facts joined over every visiting state, for later passes
//
// ## Library API
//
//   verifyProgram(spec: ObjectSpec, program: ProgramSpec | string, opts?: VerifyOptions): VerifyResult
//   verifyObject(spec: ObjectSpec, opts?: VerifyOptions): VerifyResult[]   (every program)
//
// The program is verified as XDP (section `xdp`, `xdp.frags`, `xdp/devmap`, ...), loaded the way
// libbpf loads it (BTF func/line info when the object's BTF is one the kernel accepts).
// VerifyOptions: { unprivileged?, logLevel?: 0|1|2, facts? (default true), allRegs?, insnLimit?
// (default 1,000,000), withoutBtf? (a raw BPF_PROG_LOAD: no func/line info), offloaded? (loaded for a
// NIC: xdp_md.rx_queue_index becomes writable) }.
// The default is a privileged loader (root). `opts.unprivileged` applies the rules for a loader with
// only CAP_BPF + CAP_NET_ADMIN: no pointer leaks or comparisons, no uninitialised stack reads, no
// variable stack offsets, Spectre v1/v4 sanitation with speculative paths.
// Verification failures are results (accepted: false), never exceptions; verifyProgram throws only
// for a program name the object does not have.
//
// ## VerifyResult (types.ts)
//
//   { program, accepted, insnsProcessed,
//     error: { pc, code, message, insn, source: {file,line,col,text} | null, errno } | null,
//     messages: string[],   // the kernel's verbose lines on the failing path (log_level 1 context)
//     log: string,          // text at opts.logLevel (2 = per-instruction trace, `R1=ctx() R10=fp0`)
//     facts: ProgramFacts | null,
//     stats: { insnsProcessed, totalStates, peakStates, maxStatesPerInsn, timeUs } }
//
// `error.code` is a stable family id (families.ts); `error.message` is the kernel's text.
//
// ## The facts API (for the hardware-capability verifier and the cost model)
//
// ProgramFacts is collected over every non-speculative verifier state (after pruning, so each pc is
// covered by the states that prove it safe):
//
//   insns: (InsnFacts | null)[]        indexed by pc; null = unreachable or second half of lddw
//     InsnFacts { pc, subprog, visits,
//                 regs: (RegFacts | null)[11]   registers the instruction reads, before it runs,
//                                               joined over visits (allRegs: every register)
//                 mem: { reg, types, constOffset, mapIndex } | null   loads/stores/atomics: the
//                        pointer's kinds on every visit ("mixed pointer types", "atomic target is
//                        a map value") and whether its offset is a known constant on every visit
//                 zext }                        32-bit result whose upper half is later read
//     RegFacts { types: RegKind[]  (kernel reg_type_str names: 'scalar','ctx','fp','pkt',
//                                   'pkt_meta','pkt_end','map_ptr','map_value','map_value_or_null',
//                                   'map_key','sock','sock_or_null',...)
//                map: number | null (map index when all visits agree),
//                offMin/offMax (fixed pointer offset), varOff {value,mask} (joined tnum),
//                varOffConstEveryVisit, umin/umax/smin/smax: bigint, u32min/u32max/s32min/s32max,
//                range (smallest proven packet range), frameno }
//   subprogs: { index, start, end, name, linkage: 'main'|'static'|'global', stackDepth, callees,
//               writesCalleeSaved, hasTailCall }[]
//   calls: { pc, caller, callee, kind: 'bpf'|'callback' }[]          the call graph
//   helperCalls: { pc, id, name, args: (RegFacts|null)[5], map }[]    r1..r5 before each call
//   exits: { pc, r0: RegFacts }[]          every EXIT of the main program with r0's range
//   maxPktOffset                           kernel max_pkt_offset (off + umax + size - 1)
//   mapsUsed                               map indexes referenced by lddw
//   innerMaps: { index, outer }[]          map-in-map: index (>= ObjectSpec.maps.length) that
//                                          registers use for the inner-map template of map `outer`
//
// Map indexes are ObjectSpec.maps indexes (innerMaps for inner-map values). A rejected program's
// facts cover what was explored before the error. Facts of global functions (verified on their own,
// as the kernel does) are included in insns/helperCalls; exits lists the main program's only.
//
// Examples of capability rules and the facts they read (configs/README.md):
//   "multiplicand within u32"      insns[pc].regs[dst|src].umax <= 0xffffffffn
//   "divisor is a known constant"  insns[pc].regs[src].varOffConstEveryVisit && mask === 0n
//   "atomic target is a map value" insns[pc].mem.types equal to ['map_value']
//   "stack too large"              subprogs[*].stackDepth + calls (call graph)
//   "return codes > 4 possible"    exits[*].r0.umax > 4n
export type {
  ExitFacts,
  HelperCallFacts,
  InsnFacts,
  ProgramFacts,
  RegFacts,
  RegKind,
  SourceRef,
  SubprogFacts,
  VerifyError,
  VerifyOptions,
  VerifyResult,
  VerifyStats,
} from './types.ts';
export { verifyObject, verifyProgram, BPF_COMPLEXITY_LIMIT_INSNS } from './verify.ts';
export { familyOf } from './families.ts';
