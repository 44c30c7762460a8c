// The resumable state of one program execution, in shared memory: an Int32Array over a core's state
// block in the arena (firmware/arena.ts). Engines keep pc and budget in locals while they run and
// write them here at every boundary (exit, punt, fault, helper call), so the block is exact whenever
// control is outside the engine. Together with the core's stack block and packet block it is
// everything needed to continue the program elsewhere: copy the three blocks to another core (or to
// the host path) and `resume` there — no instruction runs twice, every map side effect happens once.
//
// Layout (Int32 words, little-endian; a 64-bit register is lo at S_LO + r, hi at S_HI + r):
//   0..10   S_LO       r0..r10 low words
//   11..21  S_HI       r0..r10 high words
//   22      S_PC       next pc to execute (after a punt: the punt pc, not executed yet)
//   23      S_PROG     id of the program executing at S_PC (a tail call changes it)
//   24      S_DEPTH    call depth: 0 = entry frame, n = n bpf-to-bpf calls deep
//   25      S_BUDGET   instructions left in this packet's budget
//   26      S_TAIL     tail calls made so far (limit MAX_TAIL_CALLS)
//   27      S_MAYGOTO  may_goto iterations left
//   28      S_STATUS   how the last engine call ended: 0 (never ran) or an EXIT.* value
//   29      S_FAULT    after EXIT.fault: index of the fault code in FAULT_CODES (firmware/vm/fault.ts)
//   30      S_REDIR    redirect target of this packet: 0 none, 1 ifindex, 2 map
//   31      S_REDIR_A  ifindex, or map index
//   32      S_REDIR_B  map key
//   33      S_PRNG     bpf_get_prandom_u32's generator state (xorshift32), seeded per core; it moves
//                      with the execution, so a resumed program draws the numbers it would have
//   34      S_BATCH    packets of the current JIT batch that have finished (firmware/jit: batch)
//   35      S_E2BIG    map updates of this packet refused with -E2BIG (a full map; the device's
//                      map_full_errors); counted by the JIT's helpers and the device's cores
//   36..37  S_BATCH_EXEC  instructions those packets executed, an i64 (lo, hi)
//   38..39  S_CLOCK    the core's simulated CLOCK_MONOTONIC in ns, a float64 (XdpCore.clockNs;
//                      bpf_ktime_get_ns compiled into the JIT module reads it here)
//   40..    S_FRAMES   MAX_CALL_FRAMES frame records of FRAME_WORDS words, record k = the caller of
//                      depth k + 1: [return pc, program id, r6 lo, r6 hi, ..., r10 lo, r10 hi]
//   after the frames   S_BUDGET_SYNC  at a JIT punt: S_BUDGET as last written at a helper call (or
//                      the run's start), what the interpreter alone would report for a fault before
//                      its next one (then one word of padding, keeping the block's end 8-aligned)
// Total STATE_WORDS words; the arena reserves STATE_BYTES per core.
import { MAX_CALL_FRAMES } from './layout.ts';

export const S_LO = 0;
export const S_HI = 11;
export const S_PC = 22;
export const S_PROG = 23;
export const S_DEPTH = 24;
export const S_BUDGET = 25;
export const S_TAIL = 26;
export const S_MAYGOTO = 27;
export const S_STATUS = 28;
export const S_FAULT = 29;
export const S_REDIR = 30;
export const S_REDIR_A = 31;
export const S_REDIR_B = 32;
export const S_PRNG = 33;
export const S_BATCH = 34;
export const S_E2BIG = 35;
export const S_BATCH_EXEC = 36;
export const S_CLOCK = 38;
export const S_FRAMES = 40;
/** Words of one frame record: return pc, program id, r6..r10 as (lo, hi). */
export const FRAME_WORDS = 12;
export const F_RET_PC = 0;
export const F_PROG = 1;
/** r6..r10 start here in a frame record, as lo, hi pairs. */
export const F_SAVED = 2;
export const S_BUDGET_SYNC = S_FRAMES + MAX_CALL_FRAMES * FRAME_WORDS;
export const STATE_WORDS = S_BUDGET_SYNC + 2;
/** Bytes reserved per core for the state block (room to grow without moving the other blocks). */
export const STATE_BYTES = 1024;

export const REDIRECT_NONE = 0;
export const REDIRECT_IFINDEX = 1;
export const REDIRECT_MAP = 2;

/** Views of one state block: `words` is the whole block, `lo` / `hi` the register halves. */
export interface StateView {
  readonly words: Int32Array;
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/** Views of the state block at byte `offset` of `buffer` (4-aligned). */
export function stateView(buffer: ArrayBufferLike, offset: number): StateView {
  return {
    words: new Int32Array(buffer, offset, STATE_WORDS),
    lo: new Int32Array(buffer, offset + S_LO * 4, 11),
    hi: new Int32Array(buffer, offset + S_HI * 4, 11),
  };
}

/** r0 as an unsigned 64-bit BigInt (tests, reports; not for the hot path). */
export function r0Of(s: StateView): bigint {
  return (BigInt(s.hi[0]! >>> 0) << 32n) | BigInt(s.lo[0]! >>> 0);
}
