// Helpers compiled into the module (the hot ones of XDP programs), each exactly what the helper table
// (firmware/helpers/table.ts) computes over the same memory:
//   $probe(v, size, r10lo) -> address | -1   a pointer argument's bytes, if they are on the stack, in
//                                            the packet or in a map (else the helper table resolves it)
//   $csum(r1..r5, r10lo) -> (handled, r0)    bpf_csum_diff (firmware/xdp/csum.ts)
//   $adjust_head / _meta / _tail(delta) -> (handled, r0)   firmware/xdp/buffer.ts adjustHead /
//                                            adjustMeta / adjustTail on the ctx block's words (tail:
//                                            linear frames only)
//   $buflen() -> r0                          bpf_xdp_get_buff_len
// (map updates, deletes and redirects: mapwrite.ts)
// `handled` 0 means "not here": the call goes through the helper import, which faults where the table
// would (a pointer it cannot resolve) or takes the rare path (multi-buffer tails).
import {
  CORE_CTX, CORE_FRAME, CORE_STACK, CTX_DATA, CTX_DATA_END, CTX_DATA_META, CTX_FRAG_LEN, CTX_NFRAGS, MAP_TABLE, MAP_TABLE_ENTRY,
  REGION_MAP0, REGION_PACKET, REGION_STACK, REGION_TAG, STACK_BYTES, STACK_FRAME,
} from './abi.ts';
import { CTX_DIRTY_HI, CTX_DIRTY_LO, ETH_HLEN, FRAME_SIZE, META_MAX, SHARED_INFO, XDP_FRAME_SIZE } from '../xdp/buffer.ts';
import { G_CORE } from './translate.ts';
import { MAP_PTR_TAG } from '../layout.ts';
import { type Code, type FuncType, I32, I64, OP, type ValType } from './wasm.ts';
import type { JitMap } from './translate.ts';

const EINVAL = -22;
const EACCES = -13;
/** bpf_csum_diff's limit on from_size + to_size. */
const CSUM_MAX = 512;

const ctxWord = (w: number) => CORE_CTX + w * 4;

/** Pushes ctx word `w` (i32). */
function ctxGet(c: Code, w: number): void {
  c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, ctxWord(w));
}

/** ctx word `w` = the i32 `value` pushes. */
function ctxSet(c: Code, w: number, value: () => void): void {
  c.idx(OP.global_get, G_CORE);
  value();
  c.mem(OP.i32_store, 2, ctxWord(w));
}

/**
 * $probe(v, size, r10lo) -> i32: the address of `size` bytes at pointer v as the helper table's
 * resolveAddr sees them (offset = the low word, unsigned), or -1 when they are not in the current
 * stack frame chain, the packet or a map of the bounds table.
 */
export function emitProbe(c: Code, tableMaps: number): void {
  const V = 0, SIZE = 1, R10 = 2, EA = 3, HI = 4, T = 5;
  c.get(V).i64(0xffffffffn).op(OP.i64_and).set(EA);
  c.get(V).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).set(HI);
  // stack: [r10 - 512, STACK_BYTES)
  c.get(HI).i32(REGION_TAG + REGION_STACK).op(OP.i32_eq).open(OP.if);
  c.get(EA).get(R10).i32(STACK_FRAME).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_lt_u);
  c.get(EA).get(SIZE).op(OP.i64_extend_i32_u).op(OP.i64_add).i64(STACK_BYTES).op(OP.i64_gt_u).op(OP.i32_or);
  c.open(OP.if).i32(-1).op(OP.return).end();
  c.idx(OP.global_get, G_CORE).i32(CORE_STACK).op(OP.i32_add).get(EA).op(OP.i32_wrap_i64).op(OP.i32_add).op(OP.return);
  c.end();
  // packet: [data_meta, data_end)
  c.get(HI).i32(REGION_TAG + REGION_PACKET).op(OP.i32_eq).open(OP.if);
  c.get(EA).idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, ctxWord(CTX_DATA_META)).op(OP.i64_lt_u);
  c.get(EA).get(SIZE).op(OP.i64_extend_i32_u).op(OP.i64_add).idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, ctxWord(CTX_DATA_END)).op(OP.i64_gt_u).op(OP.i32_or);
  c.open(OP.if).i32(-1).op(OP.return).end();
  c.idx(OP.global_get, G_CORE).i32(CORE_FRAME).op(OP.i32_add).get(EA).op(OP.i32_wrap_i64).op(OP.i32_add).op(OP.return);
  c.end();
  // maps: absolute offsets inside [start, end) of the bounds table
  c.get(HI).i32(REGION_TAG + REGION_MAP0).op(OP.i32_sub).tee(T).i32(tableMaps).op(OP.i32_lt_u).open(OP.if);
  c.get(T).i32(MAP_TABLE_ENTRY).op(OP.i32_mul).idx(OP.global_get, G_CORE).op(OP.i32_add).set(T);
  c.get(EA).get(T).mem(OP.i64_load32_u, 2, MAP_TABLE).op(OP.i64_lt_u);
  c.get(EA).get(SIZE).op(OP.i64_extend_i32_u).op(OP.i64_add).get(T).mem(OP.i64_load32_u, 2, MAP_TABLE + 4).op(OP.i64_gt_u).op(OP.i32_or);
  c.open(OP.if).i32(-1).op(OP.return).end();
  c.get(EA).op(OP.i32_wrap_i64).op(OP.return);
  c.end();
  c.i32(-1);
}
export const PROBE_TYPE: FuncType = { params: [I64, I32, I32], results: [I32] };
export const PROBE_LOCALS: ValType[] = [I64, I32, I32];

/**
 * $csum(r1, r2, r3, r4, r5, r10lo) -> (handled, r0): bpf_csum_diff(from, from_size, to, to_size, seed).
 * The words are u32 little-endian, summed with end-around carry (deferred: the same one's complement
 * sum), folded with csum_from32to16.
 */
export function emitCsum(c: Code, probe: number): void {
  const R1 = 0, R2 = 1, R3 = 2, R4 = 3, R5 = 4, R10 = 5, FS = 6, TS = 7, FA = 8, TA = 9, I = 10, SUM = 11, FROM = 12;
  c.get(R2).op(OP.i32_wrap_i64).set(FS).get(R4).op(OP.i32_wrap_i64).set(TS);
  // (from_size | to_size) & 3, or from_size + to_size > 512 (u32 sizes, as the table reads them)
  c.get(FS).get(TS).op(OP.i32_or).i32(3).op(OP.i32_and);
  c.get(FS).op(OP.i64_extend_i32_u).get(TS).op(OP.i64_extend_i32_u).op(OP.i64_add).i64(CSUM_MAX).op(OP.i64_gt_u).op(OP.i32_or);
  c.open(OP.if).i32(1).i64(EINVAL).op(OP.return).end();
  const resolve = (R: number, S: number, A: number) => {
    c.get(S).open(OP.if);
    c.get(R).get(S).get(R10).idx(OP.call, probe).tee(A).i32(-1).op(OP.i32_eq).open(OP.if).i32(0).i64(0).op(OP.return).end();
    c.end();
  };
  resolve(R1, FS, FA);
  resolve(R3, TS, TA);
  // sum of the u32 words at A, count bytes S, on top of the i64 the caller pushed (in SUM)
  const partial = (S: number, A: number) => {
    c.i32(0).set(I);
    c.open(OP.block).open(OP.loop);
    c.get(I).get(S).op(OP.i32_ge_u).br(OP.br_if, 1);
    c.get(SUM).get(A).get(I).op(OP.i32_add).mem(OP.i64_load32_u, 0, 0).op(OP.i64_add).set(SUM);
    c.get(I).i32(4).op(OP.i32_add).set(I).br(OP.br, 0);
    c.end().end();
    // fold the carries back in (end-around carry)
    c.open(OP.block).open(OP.loop);
    c.get(SUM).i64(32).op(OP.i64_shr_u).op(OP.i64_eqz).br(OP.br_if, 1);
    c.get(SUM).i64(0xffffffffn).op(OP.i64_and).get(SUM).i64(32).op(OP.i64_shr_u).op(OP.i64_add).set(SUM).br(OP.br, 0);
    c.end().end();
  };
  const seed = () => c.get(R5).i64(0xffffffffn).op(OP.i64_and);
  const not32 = () => c.i64(0xffffffffn).op(OP.i64_xor);
  // SUM (a 32-bit value in an i64) -> handled, csum_from32to16(SUM)
  const fold16 = () => {
    c.i32(1);
    c.get(SUM).op(OP.i32_wrap_i64).tee(I).get(I).i32(16).op(OP.i32_rotl).op(OP.i32_add).i32(16).op(OP.i32_shr_u).op(OP.i64_extend_i32_u);
    c.op(OP.return);
  };
  c.get(FS).op(OP.i32_eqz).get(TS).op(OP.i32_eqz).op(OP.i32_or).op(OP.i32_eqz).open(OP.if);
  // to and from: csum_sub(partial(to, seed), partial(from, 0)) = add32(partial(to, seed), ~partial(from, 0))
  c.i64(0).set(SUM);
  partial(FS, FA);
  c.get(SUM).set(FROM);
  seed();
  c.set(SUM);
  partial(TS, TA);
  c.get(SUM).get(FROM);
  not32();
  c.op(OP.i64_add).set(SUM);
  c.get(SUM).i64(32).op(OP.i64_shr_u).get(SUM).i64(0xffffffffn).op(OP.i64_and).op(OP.i64_add).set(SUM);
  fold16();
  c.end();
  c.get(TS).open(OP.if);
  seed();
  c.set(SUM);
  partial(TS, TA);
  fold16();
  c.end();
  c.get(FS).open(OP.if);
  // ~partial(from, ~seed)
  seed();
  not32();
  c.set(SUM);
  partial(FS, FA);
  c.get(SUM);
  not32();
  c.set(SUM);
  fold16();
  c.end();
  seed();
  c.set(SUM);
  fold16();
}
export const CSUM_TYPE: FuncType = { params: [I64, I64, I64, I64, I64, I32], results: [I32, I64] };
export const CSUM_LOCALS: ValType[] = [I32, I32, I32, I32, I32, I64, I64];

/** (handled = 1, r0 = the i32 result sign-extended), as the table's ret(h, v) for a return code. */
function done(c: Code, v: number): void {
  c.i32(1).i64(v).op(OP.return);
}

/** $adjust_head(delta) -> (1, r0): XdpBuffer.adjustHead. */
export function emitAdjustHead(c: Code): void {
  const D = 0, DATA = 1, META = 2, NEW = 3;
  ctxGet(c, CTX_DATA);
  c.set(DATA);
  ctxGet(c, CTX_DATA_META);
  c.set(META);
  c.get(DATA).get(D).op(OP.i32_add).set(NEW);
  // data + delta < XDP_FRAME_SIZE + metalen, or > data_end - ETH_HLEN
  c.get(NEW).i32(XDP_FRAME_SIZE).get(DATA).op(OP.i32_add).get(META).op(OP.i32_sub).op(OP.i32_lt_s);
  c.get(NEW);
  ctxGet(c, CTX_DATA_END);
  c.i32(ETH_HLEN).op(OP.i32_sub).op(OP.i32_gt_s).op(OP.i32_or).open(OP.if);
  done(c, EINVAL);
  c.end();
  // the metadata moves with data
  c.get(DATA).get(META).op(OP.i32_ne).open(OP.if);
  c.idx(OP.global_get, G_CORE).i32(CORE_FRAME).op(OP.i32_add).get(META).op(OP.i32_add).get(D).op(OP.i32_add);
  c.idx(OP.global_get, G_CORE).i32(CORE_FRAME).op(OP.i32_add).get(META).op(OP.i32_add);
  c.get(DATA).get(META).op(OP.i32_sub).memoryCopy();
  c.end();
  c.get(META).get(D).op(OP.i32_add).set(META);
  ctxSet(c, CTX_DATA_META, () => c.get(META));
  ctxSet(c, CTX_DATA, () => c.get(NEW));
  lowerDirty(c, META);
  done(c, 0);
}
export const ADJUST_TYPE: FuncType = { params: [I32], results: [I32, I64] };
export const ADJUST_LOCALS: ValType[] = [I32, I32, I32];

/** CTX_DIRTY_LO = min(CTX_DIRTY_LO, local L). */
function lowerDirty(c: Code, L: number): void {
  c.get(L);
  ctxGet(c, CTX_DIRTY_LO);
  c.op(OP.i32_lt_s).open(OP.if);
  ctxSet(c, CTX_DIRTY_LO, () => c.get(L));
  c.end();
}

/** $adjust_meta(delta) -> (1, r0): XdpBuffer.adjustMeta. */
export function emitAdjustMeta(c: Code): void {
  const D = 0, DATA = 1, META = 2, LEN = 3;
  ctxGet(c, CTX_DATA);
  c.set(DATA);
  ctxGet(c, CTX_DATA_META);
  c.get(D).op(OP.i32_add).set(META);
  c.get(DATA).get(META).op(OP.i32_sub).set(LEN);
  c.get(META).i32(XDP_FRAME_SIZE).op(OP.i32_lt_s).get(META).get(DATA).op(OP.i32_gt_s).op(OP.i32_or).open(OP.if);
  done(c, EINVAL);
  c.end();
  c.get(LEN).i32(3).op(OP.i32_and).get(LEN).i32(META_MAX).op(OP.i32_gt_s).op(OP.i32_or).open(OP.if);
  done(c, EACCES);
  c.end();
  ctxSet(c, CTX_DATA_META, () => c.get(META));
  lowerDirty(c, META);
  done(c, 0);
}

/** $adjust_tail(delta) -> (handled, r0): XdpBuffer.adjustTail of a linear frame (fragments: not handled). */
export function emitAdjustTail(c: Code): void {
  const D = 0, END = 1, NEW = 2, T = 3;
  ctxGet(c, CTX_NFRAGS);
  c.open(OP.if).i32(0).i64(0).op(OP.return).end();
  ctxGet(c, CTX_DATA_END);
  c.tee(END).get(D).op(OP.i32_add).set(NEW);
  c.get(NEW).i32(FRAME_SIZE - SHARED_INFO).op(OP.i32_gt_s).open(OP.if);
  done(c, EINVAL);
  c.end();
  c.get(NEW);
  ctxGet(c, CTX_DATA);
  c.i32(ETH_HLEN).op(OP.i32_add).op(OP.i32_lt_s).open(OP.if);
  done(c, EINVAL);
  c.end();
  // growing: the new bytes are zero
  c.get(D).i32(0).op(OP.i32_gt_s).open(OP.if);
  c.idx(OP.global_get, G_CORE).i32(CORE_FRAME).op(OP.i32_add).get(END).op(OP.i32_add).i32(0).get(D).memoryFill();
  c.end();
  ctxSet(c, CTX_DATA_END, () => c.get(NEW));
  ctxGet(c, CTX_DIRTY_HI);
  c.set(T);
  c.get(NEW).get(T).op(OP.i32_gt_s).open(OP.if);
  ctxSet(c, CTX_DIRTY_HI, () => c.get(NEW));
  c.end();
  done(c, 0);
}

/** $buflen() -> i64: linear bytes plus every fragment's (XdpBuffer.totalLen). */
export function emitBufLen(c: Code): void {
  const N = 0, I = 1, SUM = 2;
  ctxGet(c, CTX_DATA_END);
  ctxGet(c, CTX_DATA);
  c.op(OP.i32_sub).set(SUM);
  ctxGet(c, CTX_NFRAGS);
  c.set(N);
  c.i32(0).set(I);
  c.open(OP.block).open(OP.loop);
  c.get(I).get(N).op(OP.i32_ge_s).br(OP.br_if, 1);
  c.get(SUM).idx(OP.global_get, G_CORE).get(I).i32(4).op(OP.i32_mul).op(OP.i32_add).mem(OP.i32_load, 2, ctxWord(CTX_FRAG_LEN)).op(OP.i32_add).set(SUM);
  c.get(I).i32(1).op(OP.i32_add).set(I).br(OP.br, 0);
  c.end().end();
  c.get(SUM).op(OP.i64_extend_i32_u);
}
export const BUFLEN_TYPE: FuncType = { params: [], results: [I64] };
export const BUFLEN_LOCALS: ValType[] = [I32, I32, I32];

/**
 * The map dispatch of an inline map helper: `notHandled` (which returns) unless local R1 holds a map
 * pointer (MAP_PTR_TAG in its high word); then one case per map by its index (a br_table), where
 * `body(map, i, notHere)` emits that map's code and calls `notHere()` for a map it does not handle;
 * a case that falls through, and an index past the table, end in `notHandled` too.
 */
export function emitMapSwitch(c: Code, maps: readonly JitMap[], R1: number, notHandled: () => void, body: (m: JitMap, i: number, notHere: () => void) => void): void {
  c.get(R1).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(MAP_PTR_TAG).op(OP.i32_ne).open(OP.if);
  notHandled();
  c.end();
  const n = maps.length;
  c.open(OP.block); // $no
  for (let i = n - 1; i >= 0; i--) c.open(OP.block);
  c.get(R1).op(OP.i32_wrap_i64);
  c.brTable(Array.from({ length: n }, (_, i) => i), n);
  maps.forEach((m, i) => {
    c.end();
    body(m, i, () => c.br(OP.br, n - 1 - i));
  });
  c.end();
  notHandled();
}
