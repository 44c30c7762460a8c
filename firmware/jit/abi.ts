// The contract between a compiled module and the host that runs it: what the module imports, where
// it finds things in the arena (firmware/arena.ts, firmware/state.ts, firmware/layout.ts), its fault
// kinds and exit statuses.
//
// Imports (module "env"):
//   mem                 the arena's shared WebAssembly.Memory
//   core  (global i32)  byte offset of the core's slot in the arena (state, stack, ctx, frame at fixed offsets)
//   cpu   (global i32)  the core's CPU number (per-CPU array lookups inline)
//   helper(id, pc, prog) -> i32         a helper call: r1-r5 and r10 are in the state block, r0 is read back
//                                  from it; returns 0, or 1 + the table index of a tail-call target
//   fault(kind, pc, prog, reg, off, size, value:i64, r10lo)   throws the interpreter's Fault for that case
//   ldpkt(size, offset, pc) -> i32 legacy LD_ABS/LD_IND: 1 with the value in state r0, or 0 (out of range)
//   kfunc(btfId, pc, prog) -> i32   a kfunc call (firmware/kfuncs' table), the state block as for helper; returns 0
// Exports: start(tableIndex, programId, stackDepth, budget) -> JIT_STATUS: a fresh run (what the
// interpreter's Vm.start sets up: pc 0, no tail calls, full may_goto counter, the entry frame's used
// bytes zeroed, r1 = ctx, r10 = the frame pointer); run(tableIndex) -> JIT_STATUS: runs with r1-r5, r10,
// budget and counter from the state block. Both write r0, budget and counter back.
// batch(tableIndex, programId, stackDepth, budget, count) -> done: `count` fresh runs in a row on the
// core's packet buffer (test_run's repeat: each sees the previous one's output), one JS -> Wasm call;
// stops early at a punt (packet `done` punted, its state saved as start's). S_BATCH counts the finished
// packets and S_BATCH_EXEC (i64) their instructions, updated after every packet (so also after a fault).
//
// Regions as the interpreter checks them (no table in memory): stack = [r10 of the executing frame -
// 512, STACK_BYTES) at core + CORE_STACK; ctx = struct xdp_md words of the ctx block (data, data_end,
// data_meta read as packet pointers); packet = [data_meta, data_end) of the ctx block at core +
// CORE_FRAME; map i = [its offset, offset + bytes) at absolute arena addresses, bounds compiled in.
export { FRAME_WORDS, F_PROG, F_RET_PC, F_SAVED, S_BATCH, S_BATCH_EXEC, S_BUDGET, S_CLOCK, S_E2BIG, S_REDIR_A, S_REDIR_B, S_DEPTH, S_FRAMES, S_HI, S_LO, S_MAYGOTO, S_PC, S_PRNG, S_PROG, S_REDIR, S_TAIL } from '../state.ts';
export { FUNC_PTR_TAG, MAP_PTR_TAG, MAX_CALL_FRAMES, REGION_CTX, REGION_MAP0, REGION_PACKET, REGION_STACK, REGION_TAG, STACK_BYTES, STACK_FRAME } from '../layout.ts';
export { BATCH_SLOT_BYTES, BATCH_SLOTS, CORE_BATCH, CORE_CTX, CORE_FRAME, CORE_STACK, CORE_STATE } from '../arena.ts';
import { CORE_STATE } from '../arena.ts';
import { STATE_BYTES, STATE_WORDS } from '../state.ts';
export { CTX_DATA, CTX_DATA_END, CTX_DATA_META, CTX_FRAG_LEN, CTX_NFRAGS } from '../xdp/buffer.ts';
import { CTX_EGRESS_IFINDEX, CTX_INGRESS_IFINDEX } from '../xdp/buffer.ts';
/** sizeof(struct xdp_md) (its last field is egress_ifindex). */
export const CTX_MD_BYTES = (CTX_EGRESS_IFINDEX + 1) * 4;
/** Its fields below ingress_ifindex (data, data_end, data_meta) read as packet pointers. */
export const CTX_PTR_BYTES = CTX_INGRESS_IFINDEX * 4;

/**
 * The map bounds table the module writes into the core's state block past the state words (export
 * init, called once per core): map i at MAP_TABLE + 12 i = [start, end, end if writable else start]
 * (absolute arena offsets, the compiled-in bounds), so a map value access is checked inline; maps
 * beyond MAP_TABLE_MAX go through $resolve. Programs cannot address the state block.
 */
export const MAP_TABLE = CORE_STATE + STATE_WORDS * 4;
export const MAP_TABLE_ENTRY = 12;
export const MAP_TABLE_MAX = Math.floor((STATE_BYTES - STATE_WORDS * 4) / MAP_TABLE_ENTRY);

/** How run() ended. */
export const JIT_STATUS = {
  exit: 0,
  /** Stopped before the instruction at state S_PC (registers, frames saved): continue on another engine. */
  punt: 1,
  /** LD_ABS/LD_IND out of range: the program ended with r0 = 0. */
  early: 2,
} as const;

/** What a memory access does (the fault import's kind for memory faults). */
export const ACCESS = { load: 1, store: 2, atomic: 3 } as const;
export type AccessKind = (typeof ACCESS)[keyof typeof ACCESS];

/** Other fault kinds the module reports through the fault import. */
export const JIT_FAULT = {
  /** bpf-to-bpf call deeper than MAX_CALL_FRAMES. */
  depth: 5,
  /** Execution ran past the end of the function. */
  falloff: 6,
  /** kfunc call (imm in `off`). */
  kfunc: 7,
  /** Misaligned atomic (after the region checks passed). */
  misaligned: 8,
} as const;

/**
 * One slot of the batchSlots export (a packet of a run of different packets; slots are
 * BATCH_SLOT_BYTES apart, in the core's CORE_BATCH block or anywhere in the arena). In: the packet's
 * length and bytes, its clock (a float64, the core's S_CLOCK for that packet). Out, for a packet that
 * ran to its exit: status exit, r0, instructions, S_E2BIG, the redirect words S_REDIR..S_REDIR_B and,
 * when asked, the packet as it left ([data, data_end) over the input bytes, its length in outLen).
 * `cycles` is the cost model's NIC cycles of the packet, for when the module accounts them
 * (per-block accounting in translate.ts); the module writes 0 there until then.
 */
export const SLOT = { len: 0, status: 4, clock: 8, r0: 16, insns: 24, e2big: 28, redir: 32, redirA: 36, redirB: 40, outLen: 44, cycles: 48, data: 64 } as const;
/** A slot's status after batchSlots: exit (results written), punt (stopped before S_PC, state saved: the
 * batch returned its index), notRun (a multi-buffer packet: the caller runs it; the batch returned its index). */
export const SLOT_STATUS = { exit: 0, punt: 1, notRun: 2, fault: 3 } as const;
