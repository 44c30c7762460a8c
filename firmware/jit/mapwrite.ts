// The map-writing and redirect helpers compiled into the module, each exactly what the helper table
// (firmware/helpers/table.ts) and the map (firmware/maps) compute over the same shared memory, with
// the same locks, so JIT and interpreter cores can run on one map at once:
//   $update(r1..r4, r10lo) -> (handled, r0)   bpf_map_update_elem: array / percpu_array
//                                             (maps/array.ts), hash / percpu_hash (maps/hashtab.ts:
//                                             bucket lock, spare element or free list under the
//                                             table lock, head insertion, count by atomic add)
//   $delete(r1, r2, r10lo) -> (handled, r0)   bpf_map_delete_elem: arrays (-EINVAL), hash / percpu_hash
//   $redirect_map(r1, r2, r3) -> (handled, r0) bpf_redirect_map on devmap / devmap_hash / cpumap / xskmap
//   $redirect(r1, r2) -> r0                   bpf_redirect
//   $ktime() -> (handled, r0)                 bpf_ktime_get_ns from the core's S_CLOCK (a float64)
// `handled` 0 means "not here": the call goes through the helper import (a pointer argument it
// cannot resolve, LRU maps, other map types, a clock outside [0, 2^53)). No function declines after
// taking a lock, so a lock word moves exactly as the table's code moves it. Locks spin (a critical
// section never blocks, so every holder releases); chain walks end at an element index outside the
// table (only a corrupted chain has one), as $lookup's do.
// An update refused with -E2BIG counts in the state block's S_E2BIG (the device's map_full_errors).
import { CORE_STATE, S_CLOCK, S_E2BIG, S_REDIR, S_REDIR_A, S_REDIR_B } from './abi.ts';
import { G_CORE, G_CPU, type JitMap } from './translate.ts';
import { emitMapSwitch } from './helpers.ts';
import { emitJhash, emitKeyEqual } from './jhash.ts';
import { H_COUNT, H_FREE, H_LOCK } from '../maps/base.ts';
import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, Errno } from '../maps/constants.ts';
import { REDIRECT_IFINDEX, REDIRECT_MAP } from '../state.ts';
import { ATOMIC, type Code, type FuncType, I32, I64, OP, type ValType } from './wasm.ts';

/** hashtab.ts header words of the free-element bump pointer and of the free elements at creation. */
const H_BUMP = 7;
const H_FREE_LIMIT = 8;
const XDP_ABORTED = 0;
const XDP_REDIRECT = 4;
/** bpf_redirect_map's flags (helpers/table.ts). */
const ACTION_MASK = 3;
const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;
/** A double with this bit pattern or above is 2^53 (integers exact below it). */
const F64_2_53 = 0x4340000000000000n;

const stateWord = (w: number) => CORE_STATE + w * 4;

/** Returns (handled = 1, r0 = the i32 local `l` sign-extended). */
function retLocal(c: Code, l: number): void {
  c.i32(1).get(l).op(OP.i64_extend_i32_s).op(OP.return);
}
function retConst(c: Code, v: number): void {
  c.i32(1).i64(v).op(OP.return);
}
function notHandled(c: Code): void {
  c.i32(0).i64(0).op(OP.return);
}

/** sync.ts lock(): spin until the even word at address L is moved to odd by our compareExchange (X: scratch). */
function lockAt(c: Code, L: number, X: number): void {
  c.open(OP.block).open(OP.loop);
  c.get(L).atomic(ATOMIC.i32_load, 2).tee(X).i32(1).op(OP.i32_and).op(OP.i32_eqz).open(OP.if);
  c.get(L).get(X).get(X).i32(1).op(OP.i32_add).atomic(ATOMIC.i32_rmw_cmpxchg, 2).get(X).op(OP.i32_eq).br(OP.br_if, 2);
  c.end();
  c.br(OP.br, 0);
  c.end().end();
}

/** sync.ts unlock(): Atomics.add(word, 1). */
function unlockAt(c: Code, L: number): void {
  c.get(L).i32(1).atomic(ATOMIC.i32_rmw_add, 2).op(OP.drop);
}

/** Pushes the absolute address of element `e` (an i32 local) of a table. */
function elemAt(c: Code, e: number, elems: number, elemSize: number): void {
  c.get(e).i32(elemSize).op(OP.i32_mul).i32(elems).op(OP.i32_add);
}

/**
 * base.ts copyIn(DST, SRC, n): up to 64 bytes copied forward byte by byte (a source overlapping the
 * destination from below sees its own copied bytes), more with TypedArray.set (memmove).
 */
function copyIn(c: Code, DST: number, SRC: number, n: number, I: number): void {
  if (n <= 0) return;
  if (n <= 64) {
    c.get(DST).get(SRC).op(OP.i32_gt_u).get(DST).get(SRC).i32(n).op(OP.i32_add).op(OP.i32_lt_u).op(OP.i32_and).open(OP.if);
    c.i32(0).set(I);
    c.open(OP.block).open(OP.loop);
    c.get(I).i32(n).op(OP.i32_ge_u).br(OP.br_if, 1);
    c.get(DST).get(I).op(OP.i32_add).get(SRC).get(I).op(OP.i32_add).mem(OP.i32_load8_u, 0, 0).mem(OP.i32_store8, 0, 0);
    c.get(I).i32(1).op(OP.i32_add).set(I).br(OP.br, 0);
    c.end().end();
    c.op(OP.else);
    c.get(DST).get(SRC).i32(n).memoryCopy();
    c.end();
    return;
  }
  c.get(DST).get(SRC).i32(n).memoryCopy();
}

/** S_E2BIG += 1. */
function countE2big(c: Code): void {
  c.idx(OP.global_get, G_CORE).idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, stateWord(S_E2BIG)).i32(1).op(OP.i32_add).mem(OP.i32_store, 2, stateWord(S_E2BIG));
}

type Hash = NonNullable<JitMap['hash']>;

/** Locals of the hash-table emitters. */
interface HashLocals {
  KEY: number; A: number; B: number; H: number; LW: number; OLD: number; E: number; X: number; P: number; PREV: number;
}

/** H = jhash(key), LW = the bucket's lock word address (its head follows). */
function bucketOf(c: Code, h: Hash, L: HashLocals): void {
  emitJhash(c, L.KEY, h.keySize, h.seed, L.A, L.B, L.H);
  c.get(L.H).i32(h.mask).op(OP.i32_and).i32(8).op(OP.i32_mul).i32(h.buckets).op(OP.i32_add).set(L.LW);
}

/** HashCore.find under the bucket lock: OLD = the element holding KEY, or -1. */
function find(c: Code, h: Hash, L: HashLocals): void {
  c.i32(-1).set(L.OLD);
  c.get(L.LW).mem(OP.i32_load, 2, 4).i32(1).op(OP.i32_sub).set(L.X);
  c.open(OP.block).open(OP.loop);
  c.get(L.X).i32(h.nElems).op(OP.i32_ge_u).br(OP.br_if, 1);
  elemAt(c, L.X, h.elems, h.elemSize);
  c.tee(L.P).mem(OP.i32_load, 2, 4).get(L.H).op(OP.i32_eq).open(OP.if);
  emitKeyEqual(c, L.P, L.KEY, h.keySize, h.elemHdr);
  c.open(OP.if).get(L.X).set(L.OLD).br(OP.br, 3).end();
  c.end();
  c.get(L.P).mem(OP.i32_load, 2, 0).i32(1).op(OP.i32_sub).set(L.X).br(OP.br, 0);
  c.end().end();
}

/** HashCore.unlink(b, OLD, count) under the bucket lock. */
function unlink(c: Code, h: Hash, L: HashLocals, count: boolean): void {
  c.i32(-1).set(L.PREV);
  c.get(L.LW).mem(OP.i32_load, 2, 4).i32(1).op(OP.i32_sub).set(L.X);
  c.open(OP.block).open(OP.loop);
  c.get(L.X).i32(h.nElems).op(OP.i32_ge_u).br(OP.br_if, 1);
  c.get(L.X).get(L.OLD).op(OP.i32_eq).open(OP.if);
  // the raw next word of OLD (its next + 1) becomes the head or the previous element's next
  elemAt(c, L.OLD, h.elems, h.elemSize);
  c.mem(OP.i32_load, 2, 0).set(L.P);
  c.get(L.PREV).i32(0).op(OP.i32_lt_s).open(OP.if);
  c.get(L.LW).get(L.P).mem(OP.i32_store, 2, 4);
  c.op(OP.else);
  elemAt(c, L.PREV, h.elems, h.elemSize);
  c.get(L.P).mem(OP.i32_store, 2, 0);
  c.end();
  if (count) c.i32(h.header + H_COUNT * 4).i32(1).atomic(ATOMIC.i32_rmw_sub, 2).op(OP.drop);
  c.br(OP.br, 2);
  c.end();
  c.get(L.X).set(L.PREV);
  elemAt(c, L.X, h.elems, h.elemSize);
  c.mem(OP.i32_load, 2, 0).i32(1).op(OP.i32_sub).set(L.X).br(OP.br, 0);
  c.end().end();
}

/** HashCore.popFree: E = the free list's head, else the next never-used element, else -1 (table lock held meanwhile). */
function popFree(c: Code, h: Hash, L: HashLocals): void {
  const hdr = h.header;
  c.i32(hdr + H_LOCK * 4).set(L.P);
  lockAt(c, L.P, L.X);
  c.i32(hdr).mem(OP.i32_load, 2, H_FREE * 4).i32(1).op(OP.i32_sub).tee(L.E).i32(0).op(OP.i32_ge_s).open(OP.if);
  c.i32(hdr);
  elemAt(c, L.E, h.elems, h.elemSize);
  c.mem(OP.i32_load, 2, 0).mem(OP.i32_store, 2, H_FREE * 4);
  c.op(OP.else);
  c.i32(hdr).mem(OP.i32_load, 2, H_BUMP * 4).tee(L.X).i32(hdr).mem(OP.i32_load, 2, H_FREE_LIMIT * 4).op(OP.i32_lt_s).open(OP.if);
  c.i32(hdr).get(L.X).i32(1).op(OP.i32_add).mem(OP.i32_store, 2, H_BUMP * 4);
  c.get(L.X).set(L.E);
  c.end();
  c.end();
  unlockAt(c, L.P);
}

/** HashCore.pushFree(OLD): onto the free list under the table lock. */
function pushFree(c: Code, h: Hash, L: HashLocals): void {
  const hdr = h.header;
  c.i32(hdr + H_LOCK * 4).set(L.P);
  lockAt(c, L.P, L.X);
  elemAt(c, L.OLD, h.elems, h.elemSize);
  c.i32(hdr).mem(OP.i32_load, 2, H_FREE * 4).mem(OP.i32_store, 2, 0);
  c.i32(hdr).get(L.OLD).i32(1).op(OP.i32_add).mem(OP.i32_store, 2, H_FREE * 4);
  unlockAt(c, L.P);
}

/** Element E at the head of the bucket (HashCore.addHead); `count`: a new element. */
function addHead(c: Code, h: Hash, L: HashLocals, count: 'yes' | 'ifNew'): void {
  elemAt(c, L.E, h.elems, h.elemSize);
  c.get(L.LW).mem(OP.i32_load, 2, 4).mem(OP.i32_store, 2, 0);
  c.get(L.LW).get(L.E).i32(1).op(OP.i32_add).mem(OP.i32_store, 2, 4);
  const add = () => c.i32(h.header + H_COUNT * 4).i32(1).atomic(ATOMIC.i32_rmw_add, 2).op(OP.drop);
  if (count === 'yes') add();
  else {
    c.get(L.OLD).i32(0).op(OP.i32_lt_s).open(OP.if);
    add();
    c.end();
  }
}

/** Calls $probe for `size` bytes of register `r` into local `into`; not handled when it cannot. */
function probeArg(c: Code, probe: number, r: number, size: number, R10: number, into: number): void {
  c.get(r).i32(size).get(R10).idx(OP.call, probe).tee(into).i32(-1).op(OP.i32_eq).open(OP.if);
  notHandled(c);
  c.end();
}

/**
 * $update(r1, r2, r3, r4, r10lo) -> (handled, r0): bpf_map_update_elem(map, key, value, flags)
 * (the table's mapUpdate: key and value resolved first, flags beyond 32 bits all ones).
 */
export function emitUpdate(c: Code, maps: readonly JitMap[], probe: number): void {
  const R1 = 0, R2 = 1, R3 = 2, R4 = 3, R10 = 4, KEY = 5, VAL = 6, FLAGS = 7, I = 8;
  const L: HashLocals = { KEY, A: 9, B: 10, H: 11, LW: 12, OLD: 13, E: 14, X: 15, P: 16, PREV: 17 };
  const RC = 18, DST = 19;
  const flags = () => c.get(R4).i64(32).op(OP.i64_shr_u).op(OP.i64_eqz).open(OP.if, I32).get(R4).op(OP.i32_wrap_i64).op(OP.else).i32(-1).end().set(FLAGS);
  emitMapSwitch(c, maps, R1, () => notHandled(c), (m, _i, notHere) => {
    const a = m.array;
    const h = m.hash;
    if (a) {
      // ArrayMap.update
      probeArg(c, probe, R2, 4, R10, KEY);
      probeArg(c, probe, R3, a.valueSize, R10, VAL);
      flags();
      c.get(FLAGS).i32(~BPF_F_LOCK).op(OP.i32_and).i32(BPF_EXIST).op(OP.i32_gt_u).open(OP.if);
      retConst(c, -Errno.EINVAL);
      c.end();
      c.get(KEY).mem(OP.i32_load, 0, 0).tee(I).i32(a.maxEntries).op(OP.i32_ge_u).open(OP.if);
      countE2big(c);
      retConst(c, -Errno.E2BIG);
      c.end();
      c.get(FLAGS).i32(3).op(OP.i32_and).i32(BPF_NOEXIST).op(OP.i32_eq).open(OP.if);
      retConst(c, -Errno.EEXIST);
      c.end();
      c.get(FLAGS).i32(BPF_F_LOCK).op(OP.i32_and).open(OP.if);
      retConst(c, -Errno.EINVAL);
      c.end();
      c.get(I).i32(a.stride).op(OP.i32_mul).i32(a.values).op(OP.i32_add).idx(OP.global_get, G_CPU).i32(a.slot).op(OP.i32_mul).op(OP.i32_add).set(DST);
      copyIn(c, DST, VAL, a.valueSize, I);
      retConst(c, 0);
      return;
    }
    if (!h || h.lruRef) {
      notHere();
      return;
    }
    const percpu = h.slot !== 0;
    probeArg(c, probe, R2, h.keySize, R10, KEY);
    probeArg(c, probe, R3, h.valueSize, R10, VAL);
    flags();
    // badFlags (and, for a hash map, BPF_F_LOCK: its values hold no bpf_spin_lock): -EINVAL
    c.get(FLAGS).i32(BPF_EXIST).op(OP.i32_gt_u).open(OP.if);
    retConst(c, -Errno.EINVAL);
    c.end();
    bucketOf(c, h, L);
    lockAt(c, L.LW, L.X);
    find(c, h, L);
    // checkFlags
    c.i32(0).set(RC);
    c.get(FLAGS).i32(3).op(OP.i32_and).set(L.X);
    c.get(L.OLD).i32(0).op(OP.i32_ge_s).get(L.X).i32(BPF_NOEXIST).op(OP.i32_eq).op(OP.i32_and).open(OP.if).i32(-Errno.EEXIST).set(RC).end();
    c.get(L.OLD).i32(0).op(OP.i32_lt_s).get(L.X).i32(BPF_EXIST).op(OP.i32_eq).op(OP.i32_and).open(OP.if).i32(-Errno.ENOENT).set(RC).end();
    c.get(RC).open(OP.if);
    unlockAt(c, L.LW);
    retLocal(c, RC);
    c.end();
    const valOf = (e: number, cpuSlot: boolean) => {
      elemAt(c, e, h.elems, h.elemSize);
      c.i32(h.elemHdr + h.keyArea).op(OP.i32_add);
      if (cpuSlot) c.idx(OP.global_get, G_CPU).i32(h.slot).op(OP.i32_mul).op(OP.i32_add);
      c.set(DST);
    };
    const keyInto = () => {
      elemAt(c, L.E, h.elems, h.elemSize);
      c.i32(h.elemHdr).op(OP.i32_add).set(DST);
      copyIn(c, DST, KEY, h.keySize, I);
    };
    if (!percpu) {
      c.get(L.OLD).i32(0).op(OP.i32_ge_s).open(OP.if);
      // swapSpare(cpu, OLD): the updating CPU's spare element takes the new value
      c.idx(OP.global_get, G_CPU).i32(4).op(OP.i32_mul).i32(h.extras).op(OP.i32_add).tee(L.P).mem(OP.i32_load, 2, 0).set(L.E);
      c.get(L.E).i32(1).op(OP.i32_sub).i32(h.nElems - h.nExtras).idx(OP.global_get, G_CPU).op(OP.i32_add).get(L.E).op(OP.select).set(L.E);
      c.get(L.P).get(L.OLD).i32(1).op(OP.i32_add).mem(OP.i32_store, 2, 0);
      c.op(OP.else);
      popFree(c, h, L);
      c.get(L.E).i32(0).op(OP.i32_lt_s).open(OP.if);
      unlockAt(c, L.LW);
      countE2big(c);
      retConst(c, -Errno.E2BIG);
      c.end();
      c.end();
      keyInto();
      valOf(L.E, false);
      copyIn(c, DST, VAL, h.valueSize, I);
      elemAt(c, L.E, h.elems, h.elemSize);
      c.get(L.H).mem(OP.i32_store, 2, 4);
      addHead(c, h, L, 'ifNew');
      c.get(L.OLD).i32(0).op(OP.i32_ge_s).open(OP.if);
      unlink(c, h, L, false);
      c.end();
      unlockAt(c, L.LW);
      retConst(c, 0);
      return;
    }
    // percpuUpdate: in place, or a new element with the other CPUs' values zeroed (pcpu_init_value)
    c.get(L.OLD).i32(0).op(OP.i32_ge_s).open(OP.if);
    valOf(L.OLD, true);
    copyIn(c, DST, VAL, h.valueSize, I);
    c.op(OP.else);
    popFree(c, h, L);
    c.get(L.E).i32(0).op(OP.i32_lt_s).open(OP.if);
    c.i32(-Errno.E2BIG).set(RC);
    countE2big(c);
    c.op(OP.else);
    keyInto();
    for (let cpu = 0; cpu < h.cpus; cpu++) {
      elemAt(c, L.E, h.elems, h.elemSize);
      c.i32(h.elemHdr + h.keyArea + cpu * h.slot).op(OP.i32_add).set(DST);
      c.idx(OP.global_get, G_CPU).i32(cpu).op(OP.i32_eq).open(OP.if);
      copyIn(c, DST, VAL, h.valueSize, I);
      c.op(OP.else);
      if (h.valueSize > 0) c.get(DST).i32(0).i32(h.valueSize).memoryFill();
      c.end();
    }
    elemAt(c, L.E, h.elems, h.elemSize);
    c.get(L.H).mem(OP.i32_store, 2, 4);
    addHead(c, h, L, 'yes');
    c.end();
    c.end();
    unlockAt(c, L.LW);
    retLocal(c, RC);
  });
}
export const UPDATE_TYPE: FuncType = { params: [I64, I64, I64, I64, I32], results: [I32, I64] };
export const UPDATE_LOCALS: ValType[] = Array.from({ length: 15 }, () => I32);

/** $delete(r1, r2, r10lo) -> (handled, r0): bpf_map_delete_elem (ArrayMap.delete, HashMap.delete of a non-LRU map). */
export function emitDelete(c: Code, maps: readonly JitMap[], probe: number): void {
  const R1 = 0, R2 = 1, R10 = 2;
  const L: HashLocals = { KEY: 3, A: 4, B: 5, H: 6, LW: 7, OLD: 8, E: 9, X: 10, P: 11, PREV: 12 };
  emitMapSwitch(c, maps, R1, () => notHandled(c), (m, _i, notHere) => {
    if (m.array) {
      probeArg(c, probe, R2, 4, R10, L.KEY);
      retConst(c, -Errno.EINVAL);
      return;
    }
    const h = m.hash;
    if (!h || h.lruRef) {
      notHere();
      return;
    }
    probeArg(c, probe, R2, h.keySize, R10, L.KEY);
    bucketOf(c, h, L);
    lockAt(c, L.LW, L.X);
    find(c, h, L);
    c.get(L.OLD).i32(0).op(OP.i32_ge_s).open(OP.if);
    unlink(c, h, L, true);
    c.end();
    unlockAt(c, L.LW);
    c.get(L.OLD).i32(0).op(OP.i32_lt_s).open(OP.if);
    retConst(c, -Errno.ENOENT);
    c.end();
    pushFree(c, h, L);
    retConst(c, 0);
  });
}
export const DELETE_TYPE: FuncType = { params: [I64, I64, I32], results: [I32, I64] };
export const DELETE_LOCALS: ValType[] = Array.from({ length: 10 }, () => I32);

/** Stores the i32 `v` pushes into state word `w`. */
function setState(c: Code, w: number, v: () => void): void {
  c.idx(OP.global_get, G_CORE);
  v();
  c.mem(OP.i32_store, 2, stateWord(w));
}

/** $redirect_map(r1, r2, r3) -> (handled, r0): the table's redirectMap on the maps that are redirect targets. */
export function emitRedirectMap(c: Code, maps: readonly JitMap[]): void {
  const R1 = 0, R2 = 1, R3 = 2, FLAGS = 3, KEY = 4, T = 5, LW = 6, X = 7, P = 8;
  emitMapSwitch(c, maps, R1, () => notHandled(c), (m, i, notHere) => {
    const r = m.redirect;
    if (!r) {
      notHere();
      return;
    }
    const broadcast = r.kind === 'hash' || r.broadcast;
    const allowed = broadcast ? ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : ACTION_MASK;
    c.get(R3).op(OP.i32_wrap_i64).set(FLAGS);
    c.get(R3).i64(32).op(OP.i64_shr_u).op(OP.i64_eqz).op(OP.i32_eqz).get(FLAGS).i32(~allowed).op(OP.i32_and).op(OP.i32_or).open(OP.if);
    retConst(c, XDP_ABORTED);
    c.end();
    c.get(R2).op(OP.i32_wrap_i64).set(KEY);
    const target = () => {
      if (r.kind === 'slots') {
        // SlotMap.target: the slot's primary word (Atomics.load), 0 past the end
        c.get(KEY).i32(r.maxEntries).op(OP.i32_lt_u).open(OP.if, I32);
        c.get(KEY).i32(8).op(OP.i32_mul).atomic(ATOMIC.i32_load, 2, r.slots);
        c.op(OP.else).i32(0).end().set(T);
        return;
      }
      // DevMapHash.target: under the bucket lock, the element whose hash is the key
      c.get(KEY).i32(r.mask).op(OP.i32_and).i32(8).op(OP.i32_mul).i32(r.buckets).op(OP.i32_add).set(LW);
      lockAt(c, LW, X);
      c.i32(0).set(T);
      c.get(LW).mem(OP.i32_load, 2, 4).i32(1).op(OP.i32_sub).set(X);
      c.open(OP.block).open(OP.loop);
      c.get(X).i32(r.nElems).op(OP.i32_ge_u).br(OP.br_if, 1);
      elemAt(c, X, r.elems, r.elemSize);
      c.tee(P).mem(OP.i32_load, 2, 4).get(KEY).op(OP.i32_eq).open(OP.if);
      c.get(P).mem(OP.i32_load, 2, r.valOff).set(T).br(OP.br, 2);
      c.end();
      c.get(P).mem(OP.i32_load, 2, 0).i32(1).op(OP.i32_sub).set(X).br(OP.br, 0);
      c.end().end();
      unlockAt(c, LW);
    };
    if (broadcast) {
      c.get(FLAGS).i32(BPF_F_BROADCAST).op(OP.i32_and).open(OP.if).i32(1).set(T).op(OP.else);
      target();
      c.end();
    } else target();
    c.get(T).op(OP.i32_eqz).open(OP.if);
    c.i32(1).get(FLAGS).i32(ACTION_MASK).op(OP.i32_and).op(OP.i64_extend_i32_u).op(OP.return);
    c.end();
    setState(c, S_REDIR, () => c.i32(REDIRECT_MAP));
    setState(c, S_REDIR_A, () => c.i32(i));
    setState(c, S_REDIR_B, () => c.get(KEY));
    retConst(c, XDP_REDIRECT);
  });
}
export const REDIRECT_MAP_TYPE: FuncType = { params: [I64, I64, I64], results: [I32, I64] };
export const REDIRECT_MAP_LOCALS: ValType[] = Array.from({ length: 6 }, () => I32);

/** $redirect(r1, r2) -> r0: bpf_redirect(ifindex, flags); any flag aborts. */
export function emitRedirect(c: Code): void {
  const R1 = 0, R2 = 1;
  c.get(R2).i64(0).op(OP.i64_ne).open(OP.if).i64(XDP_ABORTED).op(OP.return).end();
  setState(c, S_REDIR, () => c.i32(REDIRECT_IFINDEX));
  setState(c, S_REDIR_A, () => c.get(R1).op(OP.i32_wrap_i64));
  setState(c, S_REDIR_B, () => c.i32(0));
  c.i64(XDP_REDIRECT);
}
export const REDIRECT_TYPE: FuncType = { params: [I64, I64], results: [I64] };

/**
 * $ktime() -> (handled, r0): the table's clock(false) = XdpCore.nowNs(false) = S_CLOCK as the u64
 * (t mod 2^32, floor(t / 2^32)), which is trunc(t) for 0 <= t < 2^53 (a double's bits compare as
 * integers there); other clocks (negative, -0, huge, NaN) go to the table.
 */
export function emitKtime(c: Code): void {
  c.idx(OP.global_get, G_CORE).mem(OP.i64_load, 3, stateWord(S_CLOCK)).tee(0).i64(0).op(OP.i64_lt_s).get(0).i64(F64_2_53).op(OP.i64_ge_s).op(OP.i32_or).open(OP.if);
  notHandled(c);
  c.end();
  c.i32(1).idx(OP.global_get, G_CORE).mem(OP.f64_load, 3, stateWord(S_CLOCK)).op(OP.i64_trunc_f64_s);
}
export const KTIME_TYPE: FuncType = { params: [], results: [I32, I64] };
export const KTIME_LOCALS: ValType[] = [I64];
