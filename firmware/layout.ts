// Where things are, as a program sees them: the region numbering every core shares and the 64-bit
// pointer encoding. A pointer's high word names a region (REGION_TAG + region index) and its low word
// is a byte offset inside that region; two special high words name a map object (lddw map fd) and a
// subprogram (lddw src=4, callbacks). The loader bakes these values into predecoded lddw
// instructions, so the numbering is identical on every core and on the host path: a state copied
// from one core to another keeps every pointer valid.
//
//   region 0   stack    offset = byte inside the core's stack block (STACK_BYTES, top = r10 of frame 0)
//   region 1   ctx      offset = byte of struct xdp_md
//   region 2   packet   offset = byte inside the core's 4096-byte frame
//   region 3+i map i    offset = ABSOLUTE byte offset in the arena (maps are shared by all cores)
//
// So for a Wasm engine whose memory is the arena: address(hi, lo) = base[hi - REGION_TAG] + lo, with
// base = [core stack, core ctx, core packet, 0, 0, ...] (firmware/arena.ts gives the core bases).
import type { Pair } from './vm/int64.ts';

export const REGION_TAG = 0x7f10;
/** High word of a pointer to a map object itself (lddw map fd): low word = map index. */
export const MAP_PTR_TAG = 0x7f00;
/** High word of a pointer to a subprogram (lddw src=4, callbacks): low word = its pc. */
export const FUNC_PTR_TAG = 0x7f01;

export const REGION_STACK = 0;
export const REGION_CTX = 1;
export const REGION_PACKET = 2;
/** Map i is region REGION_MAP0 + i. */
export const REGION_MAP0 = 3;

/** Bytes of stack per call frame, and the deepest call chain (the kernel's MAX_CALL_FRAMES). */
export const STACK_FRAME = 512;
export const MAX_CALL_FRAMES = 8;
/** A core's whole stack: r10 of the entry frame is STACK_BYTES; callee frames grow down. */
export const STACK_BYTES = STACK_FRAME * MAX_CALL_FRAMES;

/** High word of a pointer into region `index`. */
export const regionHi = (index: number): number => REGION_TAG + index;

/** lddw BPF_PSEUDO_MAP_FD / MAP_IDX: the map object. */
export function mapObjectPointer(mapIndex: number): Pair {
  return { lo: mapIndex, hi: MAP_PTR_TAG };
}

/** lddw BPF_PSEUDO_MAP_VALUE or a lookup result: `absOffset` is the value's byte offset in the arena. */
export function mapValuePointer(mapIndex: number, absOffset: number): Pair {
  return { lo: absOffset | 0, hi: REGION_TAG + REGION_MAP0 + mapIndex };
}

/** lddw BPF_PSEUDO_FUNC: the subprogram at `pc`. */
export function funcPointer(pc: number): Pair {
  return { lo: pc, hi: FUNC_PTR_TAG };
}

/** The frame pointer of the entry frame (r10 at pc 0). */
export function entryFramePointer(): Pair {
  return { lo: STACK_BYTES, hi: REGION_TAG + REGION_STACK };
}
