// Builds the module of one object: imports and internal functions ($resolve: region check of a
// general pointer; $ctxload: a struct xdp_md field; $punt / $saveFrame: the state block at a punt;
// $run: the export), then every program's functions through translate.ts, all in one table.
import { subprograms } from '../../offload/cfg/cfg.ts';
import {
  ACCESS, BATCH_SLOT_BYTES, MAP_TABLE, MAP_TABLE_ENTRY, MAP_TABLE_MAX, S_CLOCK, S_E2BIG, S_REDIR_A, S_REDIR_B, SLOT, SLOT_STATUS, CORE_CTX, CTX_MD_BYTES, CTX_PTR_BYTES, CORE_FRAME, CORE_STACK, CORE_STATE, CTX_DATA_END, CTX_DATA_META, F_PROG, F_RET_PC, F_SAVED, FRAME_WORDS,
  JIT_FAULT, JIT_STATUS, REGION_CTX, REGION_MAP0, REGION_PACKET, REGION_STACK, REGION_TAG, S_BUDGET, S_DEPTH, S_FRAMES, S_HI, S_LO,
  S_BATCH, S_BATCH_EXEC, S_MAYGOTO, S_PC, S_PROG, S_REDIR, S_TAIL, STACK_BYTES, STACK_FRAME, REGION_STACK as R_STACK,
} from './abi.ts';
import type { JitMap } from './translate.ts';
import { basicBlocks, JitUnsupported, structure } from './structure.ts';
import {
  emitMapSwitch,
  ADJUST_LOCALS, ADJUST_TYPE, BUFLEN_LOCALS, BUFLEN_TYPE, CSUM_LOCALS, CSUM_TYPE, emitAdjustHead, emitAdjustMeta, emitAdjustTail, emitBufLen, emitCsum,
  emitProbe, PROBE_LOCALS, PROBE_TYPE,
} from './helpers.ts';
import {
  DELETE_LOCALS, DELETE_TYPE, emitDelete, emitKtime, emitRedirect, emitRedirectMap, emitUpdate, KTIME_LOCALS, KTIME_TYPE, REDIRECT_MAP_LOCALS, REDIRECT_MAP_TYPE,
  REDIRECT_TYPE, UPDATE_LOCALS, UPDATE_TYPE,
} from './mapwrite.ts';
import {
  F_ADJUST_HEAD, F_ADJUST_META, F_ADJUST_TAIL, F_BATCH, F_BATCH_SLOTS, F_BUFLEN, F_DELETE, F_KTIME, F_REDIRECT, F_REDIRECT_MAP, F_CSUM, F_INIT, F_PROBE, F_UPDATE, F_CTXLOAD, F_FAULT, F_FIRST, F_LOOKUP, F_PUNT, F_RESOLVE, F_RUN, F_SAVEFRAME, F_START, FN_LOCALS, FN_TYPE, FunctionEmitter, G_BUDGET, G_CORE, G_CPU, G_MAYGOTO,
  G_STATUS, type JitInput, type JitOutput, loadReg64, storeReg64,
} from './translate.ts';
import { ATOMIC, type Code, type FuncType, I32, I64, ModuleBuilder, OP, type ValType } from './wasm.ts';
import { CyclePlan } from './cycles.ts';
import { emitJhash, emitKeyEqual } from './jhash.ts';
import { CTX_DATA, CTX_DIRTY_HI, CTX_DIRTY_LO, CTX_NFRAGS, MAX_LINEAR, XDP_PACKET_HEADROOM } from '../xdp/buffer.ts';

const MASK32 = 0xffffffffn;
const lo32 = (w: number) => CORE_STATE + (S_LO + w) * 4;
const hi32 = (w: number) => CORE_STATE + (S_HI + w) * 4;
const word = (w: number) => CORE_STATE + w * 4;

function storeParam64(c: Code, addrLocal: number, offset: number, l: number): void {
  c.get(addrLocal).get(l).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, offset);
  c.get(addrLocal).get(l).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, offset + 4);
}

/**
 * $resolve(v, off, size, kind, pc, reg, r10lo, prog) -> address: the interpreter's region check
 * for a pointer that is not a packet pointer (stack, ctx, maps; a bad one faults).
 */
function emitResolve(c: Code, input: JitInput): void {
  // params 0 v, 1 off, 2 size, 3 kind, 4 pc, 5 reg, 6 r10lo, 7 prog; locals 8 idx, 9 ea, 10 start, 11 end, 12 base, 13 writable
  const V = 0, OFF = 1, SIZE = 2, KIND = 3, PC = 4, REG = 5, R10 = 6, PROG = 7, IDX = 8, EA = 9, START = 10, END = 11, BASE = 12, W = 13;
  const fault = () => {
    c.get(KIND).get(PC).get(PROG).get(REG).get(OFF).get(SIZE).get(V).get(R10).idx(OP.call, F_FAULT).op(OP.unreachable);
  };
  c.get(V).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG).op(OP.i32_sub).set(IDX);
  c.get(V).i64(MASK32).op(OP.i64_and).get(OFF).op(OP.i64_extend_i32_s).op(OP.i64_add).set(EA);
  c.i32(1).set(W);
  c.get(IDX).i32(REGION_STACK).op(OP.i32_eq).open(OP.if);
  c.idx(OP.global_get, G_CORE).i32(CORE_STACK).op(OP.i32_add).set(BASE);
  c.get(R10).i32(STACK_FRAME).op(OP.i32_sub).op(OP.i64_extend_i32_u).set(START);
  c.i64(STACK_BYTES).set(END);
  c.op(OP.else);
  c.get(IDX).i32(REGION_CTX).op(OP.i32_eq).open(OP.if);
  c.idx(OP.global_get, G_CORE).i32(CORE_CTX).op(OP.i32_add).set(BASE);
  c.i64(0).set(START).i64(CTX_MD_BYTES).set(END).i32(0).set(W);
  c.op(OP.else);
  c.get(IDX).i32(REGION_PACKET).op(OP.i32_eq).open(OP.if);
  c.idx(OP.global_get, G_CORE).i32(CORE_FRAME).op(OP.i32_add).set(BASE);
  c.idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + CTX_DATA_META * 4).set(START);
  c.idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + CTX_DATA_END * 4).set(END);
  c.op(OP.else);
  // Maps: bounds compiled in (absolute arena offsets, base 0).
  c.i32(0).set(BASE);
  const n = input.maps.length;
  c.open(OP.block); // $done
  c.open(OP.block); // $bad
  for (let i = n - 1; i >= 0; i--) c.open(OP.block);
  c.get(IDX).i32(REGION_MAP0).op(OP.i32_sub);
  c.brTable(Array.from({ length: n }, (_, i) => i), n);
  input.maps.forEach((m, i) => {
    c.end();
    c.i64(m.start).set(START).i64(m.end).set(END).i32(m.writable ? 1 : 0).set(W);
    c.br(OP.br, n - i);
  });
  c.end();
  fault();
  c.op(OP.unreachable);
  c.end();
  c.end(); // if packet
  c.end(); // if ctx
  c.end(); // if stack
  c.get(EA).get(START).op(OP.i64_lt_s).get(EA).get(SIZE).op(OP.i64_extend_i32_u).op(OP.i64_add).get(END).op(OP.i64_gt_s).op(OP.i32_or);
  c.get(KIND).i32(ACCESS.load).op(OP.i32_ne).get(W).op(OP.i32_eqz).op(OP.i32_and).op(OP.i32_or);
  c.open(OP.if);
  fault();
  c.end();
  c.get(BASE).get(EA).op(OP.i32_wrap_i64).op(OP.i32_add);
}

/** $ctxload(v, off, size, pc, reg, prog) -> i64: a load from struct xdp_md. */
function emitCtxLoad(c: Code): void {
  const V = 0, OFF = 1, SIZE = 2, PC = 3, REG = 4, PROG = 5, EA = 6;
  c.get(V).i64(MASK32).op(OP.i64_and).get(OFF).op(OP.i64_extend_i32_s).op(OP.i64_add).set(EA);
  // Bounds first (as the interpreter's region check), then the field rule (4 bytes, aligned).
  c.get(EA).i64(0).op(OP.i64_lt_s).get(EA).get(SIZE).op(OP.i64_extend_i32_u).op(OP.i64_add).i64(CTX_MD_BYTES).op(OP.i64_gt_s).op(OP.i32_or);
  c.get(SIZE).i32(4).op(OP.i32_ne).op(OP.i32_or).get(EA).i64(3).op(OP.i64_and).i64(0).op(OP.i64_ne).op(OP.i32_or);
  c.open(OP.if);
  c.i32(ACCESS.load).get(PC).get(PROG).get(REG).get(OFF).get(SIZE).get(V).i32(0).idx(OP.call, F_FAULT).op(OP.unreachable);
  c.end();
  c.idx(OP.global_get, G_CORE).get(EA).op(OP.i32_wrap_i64).op(OP.i32_add).mem(OP.i64_load32_u, 2, CORE_CTX);
  // data, data_end, data_meta are packet pointers.
  c.get(EA).i64(CTX_PTR_BYTES).op(OP.i64_lt_s).open(OP.if, I64).i64(BigInt(REGION_TAG + REGION_PACKET) << 32n).op(OP.else).i64(0).end();
  c.op(OP.i64_or);
}

/** $punt(r0..r10, pc, prog): registers, pc, program and depth into the state block. */
function emitPunt(c: Code): void {
  const PC = 11, PROG = 12;
  for (let r = 0; r <= 10; r++) {
    c.idx(OP.global_get, G_CORE).get(r).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, lo32(r));
    c.idx(OP.global_get, G_CORE).get(r).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, hi32(r));
  }
  c.idx(OP.global_get, G_CORE).get(PC).mem(OP.i32_store, 2, word(S_PC));
  c.idx(OP.global_get, G_CORE).get(PROG).mem(OP.i32_store, 2, word(S_PROG));
  c.idx(OP.global_get, G_CORE).i32(STACK_BYTES).get(10).op(OP.i32_wrap_i64).op(OP.i32_sub).i32(9).op(OP.i32_shr_u).mem(OP.i32_store, 2, word(S_DEPTH));
}

/** $saveFrame(r6..r10, retPc, prog): the caller's frame record at its depth. */
function emitSaveFrame(c: Code): void {
  const RETPC = 5, PROG = 6, A = 7;
  c.idx(OP.global_get, G_CORE).i32(STACK_BYTES).get(4).op(OP.i32_wrap_i64).op(OP.i32_sub).i32(9).op(OP.i32_shr_u);
  c.i32(FRAME_WORDS * 4).op(OP.i32_mul).op(OP.i32_add).set(A);
  const rec = CORE_STATE + S_FRAMES * 4;
  c.get(A).get(RETPC).mem(OP.i32_store, 2, rec + F_RET_PC * 4);
  c.get(A).get(PROG).mem(OP.i32_store, 2, rec + F_PROG * 4);
  for (let i = 0; i < 5; i++) storeParam64(c, A, rec + (F_SAVED + 2 * i) * 4, i);
}

/** $run(tableIndex) -> status. */
function emitRun(c: Code, fnType: number): void {
  const TI = 0, R0 = 1;
  c.i32(0).idx(OP.global_set, G_STATUS);
  c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, word(S_BUDGET)).idx(OP.global_set, G_BUDGET);
  c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, word(S_MAYGOTO)).idx(OP.global_set, G_MAYGOTO);
  for (const r of [1, 2, 3, 4, 5, 10]) loadReg64(c, r);
  c.get(TI).callIndirect(fnType).set(R0);
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.punt).op(OP.i32_ne).open(OP.if);
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.early).op(OP.i32_eq).open(OP.if).i64(0).set(R0).end();
  storeReg64(c, 0, R0);
  c.end();
  c.idx(OP.global_get, G_CORE).idx(OP.global_get, G_BUDGET).mem(OP.i32_store, 2, word(S_BUDGET));
  c.idx(OP.global_get, G_CORE).idx(OP.global_get, G_MAYGOTO).mem(OP.i32_store, 2, word(S_MAYGOTO));
  c.idx(OP.global_get, G_STATUS);
}

/**
 * $lookup(r1, r2, r10lo) -> (found, r0): bpf_map_lookup_elem inline for array, percpu_array and the
 * hash maps (LRU ones included) with the key on the stack. found = 0 for anything else (another map type, a key
 * elsewhere or out of bounds, a bucket being written): the helper table does it (and faults).
 */
function emitLookup(c: Code, maps: readonly JitMap[]): void {
  const R1 = 0, R2 = 1, R10 = 2, EA = 3, KEY = 4, A = 5, B = 6, C = 7, LW = 8, SEQ = 9, E = 10, STEPS = 11, EW = 12, FOUND = 13;
  const no = () => c.i32(0).i64(0).op(OP.return);
  const found = (i: number, offset: () => void) => {
    c.i32(1);
    offset();
    c.i64(BigInt(REGION_TAG + REGION_MAP0 + i) << 32n).op(OP.i64_or).op(OP.return);
  };
  // The key pointer: `size` bytes on the stack inside [current frame, top), else not handled here.
  const keyOnStack = (size: number) => {
    c.get(R2).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG + R_STACK).op(OP.i32_ne);
    c.get(R2).i64(MASK32).op(OP.i64_and).tee(EA).get(R10).i32(STACK_FRAME).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_lt_s).op(OP.i32_or);
    c.get(EA).i64(size).op(OP.i64_add).i64(STACK_BYTES).op(OP.i64_gt_s).op(OP.i32_or).open(OP.if);
    no();
    c.end();
    c.idx(OP.global_get, G_CORE).get(EA).op(OP.i32_wrap_i64).op(OP.i32_add).i32(CORE_STACK).op(OP.i32_add).set(KEY);
  };
  emitMapSwitch(c, maps, R1, no, (m, i, notHere) => {
    if (m.array) {
      const a = m.array;
      keyOnStack(4);
      c.get(KEY).mem(OP.i32_load, 0, 0).set(A);
      c.get(A).i32(a.maxEntries).op(OP.i32_ge_u).open(OP.if);
      c.i32(1).i64(0).op(OP.return);
      c.end();
      found(i, () => {
        c.get(A).op(OP.i64_extend_i32_u).i64(a.stride).op(OP.i64_mul).i64(a.values).op(OP.i64_add);
        c.idx(OP.global_get, G_CPU).op(OP.i64_extend_i32_u).i64(a.slot).op(OP.i64_mul).op(OP.i64_add);
      });
    } else if (m.hash) {
      const h = m.hash;
      keyOnStack(h.keySize);
      emitJhash(c, KEY, h.keySize, h.seed, A, B, C);
      // bucket lock word (a sequence lock) and head: firmware/maps/hashtab.ts
      c.get(C).i32(h.mask).op(OP.i32_and).i32(8).op(OP.i32_mul).i32(h.buckets).op(OP.i32_add).set(LW);
      c.open(OP.loop); // $retry
      c.get(LW).atomic(ATOMIC.i32_load, 2).tee(SEQ).i32(1).op(OP.i32_and).open(OP.if);
      no();
      c.end();
      // heads and chain links hold an element index + 1 (0: none), so zeroed memory is an empty table
      c.i32(-1).set(FOUND).get(LW).mem(OP.i32_load, 2, 4).i32(1).op(OP.i32_sub).set(E).i32(0).set(STEPS);
      c.open(OP.block); // $walked
      c.open(OP.loop); // $walk
      c.get(E).i32(0).op(OP.i32_lt_s).get(E).i32(h.nElems).op(OP.i32_ge_s).op(OP.i32_or).get(STEPS).i32(h.nElems).op(OP.i32_gt_s).op(OP.i32_or).br(OP.br_if, 1);
      c.get(E).i32(h.elemSize).op(OP.i32_mul).i32(h.elems).op(OP.i32_add).set(EW);
      c.get(EW).mem(OP.i32_load, 2, 4).get(C).op(OP.i32_eq).open(OP.if);
      emitKeyEqual(c, EW, KEY, h.keySize, h.elemHdr);
      c.open(OP.if).get(E).set(FOUND).br(OP.br, 3).end();
      c.end();
      c.get(EW).mem(OP.i32_load, 2, 0).i32(1).op(OP.i32_sub).set(E).get(STEPS).i32(1).op(OP.i32_add).set(STEPS).br(OP.br, 0);
      c.end(); // $walk
      c.end(); // $walked
      c.get(LW).atomic(ATOMIC.i32_load, 2).get(SEQ).op(OP.i32_ne).br(OP.br_if, 0);
      c.end(); // $retry
      c.get(FOUND).i32(0).op(OP.i32_lt_s).open(OP.if);
      c.i32(1).i64(0).op(OP.return);
      c.end();
      if (h.lruRef) {
        // The LRU's reference bit (lru.ts setRef): set once, read by eviction.
        c.get(FOUND).i32(h.lruRef.stride).op(OP.i32_mul).i32(h.lruRef.base).op(OP.i32_add).tee(EW).mem(OP.i32_load, 2, 0).op(OP.i32_eqz).open(OP.if);
        c.get(EW).i32(1).mem(OP.i32_store, 2, 0);
        c.end();
      }
      found(i, () => {
        c.get(FOUND).op(OP.i64_extend_i32_u).i64(h.elemSize).op(OP.i64_mul).i64(h.elems + h.elemHdr + h.keyArea).op(OP.i64_add);
        c.idx(OP.global_get, G_CPU).op(OP.i64_extend_i32_u).i64(h.slot).op(OP.i64_mul).op(OP.i64_add);
      });
    } else if (m.lpm) {
      const t = m.lpm;
      keyOnStack(t.keySize);
      // LpmTrie.find under the trie's sequence lock: KPL = the key's prefixlen, E = node, FOUND,
      // STEPS; A, B, C, EW scratch (npl, limit / match length, data index, node address).
      c.get(KEY).mem(OP.i32_load, 0, 0).i32(t.maxPrefix).op(OP.i32_gt_u).open(OP.if);
      c.i32(1).i64(0).op(OP.return);
      c.end();
      c.open(OP.loop); // $retry
      c.i32(t.lock).atomic(ATOMIC.i32_load, 2).tee(SEQ).i32(1).op(OP.i32_and).open(OP.if);
      no();
      c.end();
      c.i32(-1).set(FOUND).i32(t.root).mem(OP.i32_load, 2, 0).set(E).i32(0).set(STEPS);
      c.open(OP.block); // $walked
      c.open(OP.loop); // $walk
      c.get(E).i32(0).op(OP.i32_lt_s).get(E).i32(t.nNodes).op(OP.i32_ge_s).op(OP.i32_or).get(STEPS).i32(t.maxPrefix + 1).op(OP.i32_gt_s).op(OP.i32_or).br(OP.br_if, 1);
      c.get(E).i32(t.nodeBytes).op(OP.i32_mul).i32(t.nodes).op(OP.i32_add).set(EW);
      // limit = min(node prefixlen, key prefixlen), both u32
      c.get(EW).mem(OP.i32_load, 2, 8).tee(A).get(KEY).mem(OP.i32_load, 0, 0).tee(B).get(A).get(B).op(OP.i32_lt_u).op(OP.select).set(B);
      // C = matched bits: byte by byte while below the limit
      c.i32(0).set(C);
      c.open(OP.block).open(OP.loop);
      c.get(C).get(B).op(OP.i32_ge_u).br(OP.br_if, 1);
      c.get(EW).get(C).i32(3).op(OP.i32_shr_u).op(OP.i32_add).mem(OP.i32_load8_u, 0, 16);
      c.get(KEY).get(C).i32(3).op(OP.i32_shr_u).op(OP.i32_add).mem(OP.i32_load8_u, 0, 4).op(OP.i32_xor).tee(LW);
      c.open(OP.if);
      c.get(C).i32(-8).op(OP.i32_and).get(LW).op(OP.i32_clz).op(OP.i32_add).i32(24).op(OP.i32_sub).set(C).br(OP.br, 2);
      c.end();
      c.get(C).i32(-8).op(OP.i32_and).i32(8).op(OP.i32_add).set(C).br(OP.br, 0);
      c.end().end();
      c.get(C).get(B).get(C).get(B).op(OP.i32_lt_u).op(OP.select).set(C);
      // a full-length match is the answer; a shorter one than the node's prefix, or a leaf, ends the walk
      c.get(C).i32(t.maxPrefix).op(OP.i32_eq).open(OP.if).get(E).set(FOUND).br(OP.br, 2).end();
      c.get(C).get(A).op(OP.i32_lt_u).get(A).i32(t.maxPrefix).op(OP.i32_ge_u).op(OP.i32_or).br(OP.br_if, 1);
      c.get(EW).mem(OP.i32_load, 2, 12).i32(t.imFlag).op(OP.i32_and).op(OP.i32_eqz).open(OP.if).get(E).set(FOUND).end();
      // the child the key's bit after the node's prefix selects
      c.get(KEY).get(A).i32(3).op(OP.i32_shr_u).op(OP.i32_add).mem(OP.i32_load8_u, 0, 4).i32(7).get(A).i32(7).op(OP.i32_and).op(OP.i32_sub).op(OP.i32_shr_u).i32(1).op(OP.i32_and);
      c.i32(2).op(OP.i32_shl).get(EW).op(OP.i32_add).mem(OP.i32_load, 2, 0).set(E);
      c.get(STEPS).i32(1).op(OP.i32_add).set(STEPS).br(OP.br, 0);
      c.end(); // $walk
      c.end(); // $walked
      c.i32(t.lock).atomic(ATOMIC.i32_load, 2).get(SEQ).op(OP.i32_ne).br(OP.br_if, 0);
      c.end(); // $retry
      c.get(FOUND).i32(0).op(OP.i32_lt_s).open(OP.if);
      c.i32(1).i64(0).op(OP.return);
      c.end();
      found(i, () => {
        c.get(FOUND).op(OP.i64_extend_i32_u).i64(t.nodeBytes).op(OP.i64_mul).i64(t.nodes + t.valueOff).op(OP.i64_add);
      });
    } else notHere();
  });
}

/** Stores an i32 into core state word `w` (the value pushed by `v`). */
function storeState(c: Code, w: number, v: () => void): void {
  c.idx(OP.global_get, G_CORE);
  v();
  c.mem(OP.i32_store, 2, word(w));
}

/** The state a fresh run starts from (the interpreter's Vm.start): status 0, the budget and may_goto
 * counts, pc 0 of program PROG in frame 0, no tail call or redirect pending (locals PROG, BUDGET). */
function emitRunReset(c: Code, PROG: number, BUDGET: number): void {
  c.i32(0).idx(OP.global_set, G_STATUS);
  c.get(BUDGET).idx(OP.global_set, G_BUDGET);
  // As Vm.start: the state block's budget is the run's (a fault reports what it was last synced to).
  storeState(c, S_BUDGET, () => c.get(BUDGET));
  c.i32(BPF_MAX_LOOPS).idx(OP.global_set, G_MAYGOTO);
  storeState(c, S_PC, () => c.i32(0));
  storeState(c, S_PROG, () => c.get(PROG));
  storeState(c, S_DEPTH, () => c.i32(0));
  storeState(c, S_TAIL, () => c.i32(0));
  storeState(c, S_REDIR, () => c.i32(0));
}

/** A program entry's arguments: r1 = ctx, r2..r5 = 0, r10 = the top of the entry frame. */
function emitEntryArgs(c: Code): void {
  c.i64(BigInt(REGION_TAG + REGION_CTX) << 32n).i64(0).i64(0).i64(0).i64(0);
  c.i64((BigInt(REGION_TAG + R_STACK) << 32n) | BigInt(STACK_BYTES));
}

/** $start(tableIndex, progId, stackDepth, budget) -> status: a fresh run (the interpreter's Vm.start, registers reset). */
function emitStart(c: Code, fnType: number, entries: readonly number[]): void {
  const TI = 0, PROG = 1, DEPTH = 2, BUDGET = 3, R0 = 4, END = 5, A = 6;
  const st = (w: number, v: () => void) => storeState(c, w, v);
  emitRunReset(c, PROG, BUDGET);
  // The entry frame's bytes the program uses are zero.
  emitDynamicClear(c, DEPTH, END, A);
  // r1 = ctx, r2..r5 = 0, r10 = the entry frame; a program's entry by a direct call (br_table on the
  // table index), any other table index through the table.
  const args = () => emitEntryArgs(c);
  const cases = [...new Set(entries)].sort((a, b) => a - b);
  const span = cases.length ? cases[cases.length - 1]! + 1 : 0;
  c.open(OP.block); // $called
  c.open(OP.block); // $indirect
  for (let i = cases.length - 1; i >= 0; i--) c.open(OP.block);
  c.get(TI).brTable(Array.from({ length: span }, (_, ti) => (cases.includes(ti) ? cases.indexOf(ti) : cases.length)), cases.length);
  cases.forEach((ti, i) => {
    c.end();
    args();
    c.idx(OP.call, F_FIRST + ti).set(R0).br(OP.br, cases.length - i);
  });
  c.end(); // $indirect
  args();
  c.get(TI).callIndirect(fnType).set(R0);
  c.end(); // $called
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.punt).op(OP.i32_ne).open(OP.if);
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.early).op(OP.i32_eq).open(OP.if).i64(0).set(R0).end();
  storeReg64(c, 0, R0);
  c.end();
  st(S_BUDGET, () => c.idx(OP.global_get, G_BUDGET));
  st(S_MAYGOTO, () => c.idx(OP.global_get, G_MAYGOTO));
  c.idx(OP.global_get, G_STATUS);
}

const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** Entry frames at least this deep are cleared with memory.fill, smaller ones by stores. */
const FILL_FROM = 128;

/**
 * $batch(tableIndex, progId, stackDepth, budget, count) -> done: `count` fresh runs (what $start does)
 * one after the other, with $start's set-up inline, each program entry's frame clear unrolled for its
 * depth and a direct call; after each, S_BATCH = packets finished and S_BATCH_EXEC += its
 * instructions. Stops at a punt (that packet is not counted as finished; its state is saved); r0,
 * budget and counter of the last run are written at the end.
 */
function emitBatch(c: Code, fnType: number, entries: readonly { ti: number; depth: number }[]): void {
  const TI = 0, PROG = 1, DEPTH = 2, BUDGET = 3, COUNT = 4, I = 5, EXEC = 6, R0 = 7, END = 8, A = 9;
  const st = (w: number, v: () => void) => storeState(c, w, v);
  c.i32(0).set(I).i64(0).set(EXEC);
  st(S_BATCH, () => c.i32(0));
  c.idx(OP.global_get, G_CORE).i64(0).mem(OP.i64_store, 3, word(S_BATCH_EXEC));
  c.open(OP.block); // $out
  c.open(OP.loop); // $next
  c.get(I).get(COUNT).op(OP.i32_ge_u).br(OP.br_if, 1);
  emitRunReset(c, PROG, BUDGET);
  emitEntryDispatch(c, fnType, entries, TI, DEPTH, R0, END, A);
  // executed = budget - max(0, budget left)
  c.get(EXEC).get(BUDGET).op(OP.i64_extend_i32_u);
  c.idx(OP.global_get, G_BUDGET).i32(0).idx(OP.global_get, G_BUDGET).i32(0).op(OP.i32_gt_s).op(OP.select).op(OP.i64_extend_i32_u);
  c.op(OP.i64_sub).op(OP.i64_add).set(EXEC);
  c.idx(OP.global_get, G_CORE).get(EXEC).mem(OP.i64_store, 3, word(S_BATCH_EXEC));
  c.idx(OP.global_get, G_STATUS).open(OP.if);
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.punt).op(OP.i32_eq).br(OP.br_if, 2);
  c.i64(0).set(R0); // early: LD_ABS / LD_IND out of range
  c.end();
  c.get(I).i32(1).op(OP.i32_add).set(I);
  st(S_BATCH, () => c.get(I));
  c.br(OP.br, 0);
  c.end(); // $next
  c.end(); // $out
  // The last finished run's r0 (a punted one saved its registers itself), budget and counter.
  c.get(I).get(COUNT).op(OP.i32_eq).get(COUNT).op(OP.i32_eqz).op(OP.i32_eqz).op(OP.i32_and).open(OP.if);
  storeReg64(c, 0, R0);
  c.end();
  st(S_BUDGET, () => c.idx(OP.global_get, G_BUDGET));
  st(S_MAYGOTO, () => c.idx(OP.global_get, G_MAYGOTO));
  c.get(I);
}

/**
 * Clears the entry frame and calls program TI's entry (locals TI, DEPTH; the result in R0; END, A
 * scratch): an entry compiled for that depth directly, with its frame clear unrolled; another table
 * index or depth through the table after a dynamic clear. Shared by $batch and $batchSlots.
 */
function emitEntryDispatch(c: Code, fnType: number, entries: readonly { ti: number; depth: number }[], TI: number, DEPTH: number, R0: number, END: number, A: number): void {
  const args = () => emitEntryArgs(c);
  const cases = [...new Map(entries.map((e) => [e.ti, e])).values()].sort((x, y) => x.ti - y.ti);
  const span = cases.length ? cases[cases.length - 1]!.ti + 1 : 0;
  c.open(OP.block); // $called
  c.open(OP.block); // $generic
  for (let i = cases.length - 1; i >= 0; i--) c.open(OP.block);
  c.get(TI).brTable(Array.from({ length: span }, (_, ti) => { const k = cases.findIndex((e) => e.ti === ti); return k >= 0 ? k : cases.length; }), cases.length);
  cases.forEach((e, i) => {
    c.end();
    // This entry, with the depth it was compiled for: its frame clear unrolled.
    c.get(DEPTH).i32(e.depth).op(OP.i32_ne).br(OP.br_if, cases.length - i - 1);
    emitFrameClear(c, e.depth, A);
    args();
    c.idx(OP.call, F_FIRST + e.ti).set(R0).br(OP.br, cases.length - i);
  });
  c.end(); // $generic: another table index or depth
  emitDynamicClear(c, DEPTH, END, A);
  args();
  c.get(TI).callIndirect(fnType).set(R0);
  c.end(); // $called
}

/** $init(): the core's map bounds table (abi.ts MAP_TABLE) from the compiled-in bounds. */
function emitInit(c: Code, maps: readonly JitMap[]): void {
  maps.forEach((m, i) => {
    const at = MAP_TABLE + i * MAP_TABLE_ENTRY;
    c.idx(OP.global_get, G_CORE).i32(m.start).mem(OP.i32_store, 2, at);
    c.idx(OP.global_get, G_CORE).i32(m.end).mem(OP.i32_store, 2, at + 4);
    c.idx(OP.global_get, G_CORE).i32(m.writable ? m.end : m.start).mem(OP.i32_store, 2, at + 8);
  });
}

/** Zeroes the `depth` bytes below the entry frame's top (a compile-time depth): unrolled stores, or memory.fill. */
function emitFrameClear(c: Code, depth: number, A: number): void {
  if (depth <= 0) return;
  const top = CORE_STACK + STACK_BYTES;
  if (depth > FILL_FROM) {
    c.idx(OP.global_get, G_CORE).i32(top - depth).op(OP.i32_add).i32(0).i32(depth).memoryFill();
    return;
  }
  c.idx(OP.global_get, G_CORE).set(A);
  let o = top;
  while (top - o + 8 <= depth) {
    o -= 8;
    c.get(A).i64(0).mem(OP.i64_store, 3, o);
  }
  while (top - o < depth) {
    o -= 1;
    c.get(A).i32(0).mem(OP.i32_store8, 0, o);
  }
}

/** Zeroes the DEPTH (a local) bytes below the entry frame's top: 8 at a time, then bytes; memory.fill when large. */
function emitDynamicClear(c: Code, DEPTH: number, END: number, A: number): void {
  c.idx(OP.global_get, G_CORE).i32(CORE_STACK + STACK_BYTES).op(OP.i32_add).tee(END).get(DEPTH).op(OP.i32_sub).set(A);
  c.get(DEPTH).i32(FILL_FROM).op(OP.i32_ge_u).open(OP.if).get(A).i32(0).get(DEPTH).memoryFill().get(A).set(END).end();
  c.open(OP.block).open(OP.loop);
  c.get(END).get(A).op(OP.i32_sub).i32(8).op(OP.i32_lt_u).br(OP.br_if, 1);
  c.get(END).i32(8).op(OP.i32_sub).tee(END).i64(0).mem(OP.i64_store, 3, 0).br(OP.br, 0);
  c.end().end();
  c.open(OP.block).open(OP.loop);
  c.get(END).get(A).op(OP.i32_le_u).br(OP.br_if, 1);
  c.get(END).i32(1).op(OP.i32_sub).tee(END).i32(0).mem(OP.i32_store8, 0, 0).br(OP.br, 0);
  c.end().end();
}

/** Translates every program of `input` into one module. Throws JitUnsupported when one cannot be. */
export function compileObject(input: JitInput): JitOutput {
  const mb = new ModuleBuilder();
  const tableMaps = Math.min(input.maps.length, MAP_TABLE_MAX);
  const fnType = mb.type(FN_TYPE);
  mb.importSharedMemory('mem', 1, 65536);
  mb.importFunc('helper', { params: [I32, I32, I32], results: [I32] });
  mb.importFunc('fault', { params: [I32, I32, I32, I32, I32, I32, I64, I32], results: [] });
  mb.importFunc('ldpkt', { params: [I32, I32, I32], results: [I32] });
  mb.importFunc('kfunc', { params: [I32, I32, I32], results: [I32] });
  mb.importGlobal('core');
  mb.importGlobal('cpu');
  mb.global(0); // status
  mb.global(0); // budget
  mb.global(0); // may_goto
  // The cost model's accumulators (cycles.ts), only when compiled with its tables.
  const cyclePlan = input.cycles ? new CyclePlan(input.cycles, input.programs) : undefined;
  cyclePlan?.declare(mb);
  const resolve = mb.func({ params: [I64, I32, I32, I32, I32, I32, I32, I32], results: [I32] }, [I32, I64, I64, I64, I32, I32]);
  const ctxload = mb.func({ params: [I64, I32, I32, I32, I32, I32], results: [I64] }, [I64]);
  const punt = mb.func({ params: [I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I32, I32], results: [] });
  const save = mb.func({ params: [I64, I64, I64, I64, I64, I32, I32], results: [] }, [I32]);
  const run = mb.func({ params: [I32], results: [I32] }, [I64]);
  const lookup = mb.func({ params: [I64, I64, I32], results: [I32, I64] }, [I64, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const start = mb.func({ params: [I32, I32, I32, I32], results: [I32] }, [I64, I32, I32]);
  const batch = mb.func({ params: [I32, I32, I32, I32, I32], results: [I32] }, [I32, I64, I64, I32, I32]);
  const init = mb.func({ params: [], results: [] });
  const probe = mb.func(PROBE_TYPE, PROBE_LOCALS);
  const csum = mb.func(CSUM_TYPE, CSUM_LOCALS);
  const adjHead = mb.func(ADJUST_TYPE, ADJUST_LOCALS);
  const adjMeta = mb.func(ADJUST_TYPE, ADJUST_LOCALS);
  const adjTail = mb.func(ADJUST_TYPE, ADJUST_LOCALS);
  const bufLen = mb.func(BUFLEN_TYPE, BUFLEN_LOCALS);
  const update = mb.func(UPDATE_TYPE, UPDATE_LOCALS);
  const del = mb.func(DELETE_TYPE, DELETE_LOCALS);
  const redirMap = mb.func(REDIRECT_MAP_TYPE, REDIRECT_MAP_LOCALS);
  const redir = mb.func(REDIRECT_TYPE, []);
  const ktime = mb.func(KTIME_TYPE, KTIME_LOCALS);
  const batchSlots = mb.func(BATCH_SLOTS_TYPE, BATCH_SLOTS_LOCALS);
  if (resolve.index !== F_RESOLVE || ctxload.index !== F_CTXLOAD || punt.index !== F_PUNT || save.index !== F_SAVEFRAME || run.index !== F_RUN || lookup.index !== F_LOOKUP || start.index !== F_START || batch.index !== F_BATCH || init.index !== F_INIT ||
    probe.index !== F_PROBE || csum.index !== F_CSUM || adjHead.index !== F_ADJUST_HEAD || adjMeta.index !== F_ADJUST_META || adjTail.index !== F_ADJUST_TAIL || bufLen.index !== F_BUFLEN || update.index !== F_UPDATE ||
    del.index !== F_DELETE || redirMap.index !== F_REDIRECT_MAP || redir.index !== F_REDIRECT || ktime.index !== F_KTIME || batchSlots.index !== F_BATCH_SLOTS)
    throw new Error('jit: internal function indices moved');
  emitResolve(resolve.code, input);
  emitCtxLoad(ctxload.code);
  emitPunt(punt.code);
  emitSaveFrame(save.code);
  emitRun(run.code, fnType);
  emitLookup(lookup.code, input.maps);
  mb.exportFunc('run', F_RUN);
  mb.exportFunc('start', F_START);
  mb.exportFunc('batch', F_BATCH);
  mb.exportFunc('init', F_INIT);
  mb.exportFunc('batchSlots', F_BATCH_SLOTS);

  // Every function of every program: index F_FIRST + k = table slot k.
  const functions = new Map<number, Map<number, number>>();
  const entry = new Map<number, number>();
  const plan: { prog: (typeof input.programs)[number]; start: number; end: number; slot: number }[] = [];
  for (const prog of input.programs) {
    const byPc = new Map<number, number>();
    for (const sp of subprograms(prog.slots)) {
      byPc.set(sp.start, plan.length);
      plan.push({ prog, start: sp.start, end: sp.end, slot: plan.length });
    }
    functions.set(prog.program.id, byPc);
    entry.set(prog.program.id, byPc.get(0)!);
  }
  for (const p of plan) {
    const f = mb.func(FN_TYPE, FN_LOCALS);
    const byPc = functions.get(p.prog.program.id)!;
    const em = new FunctionEmitter(f.code, p.prog, (pc) => {
      const slot = byPc.get(pc);
      if (slot === undefined) throw new JitUnsupported(`call target ${pc} is not a function`, pc);
      return F_FIRST + slot;
    }, fnType, input.maps.some((m) => m.array || m.hash || m.lpm), tableMaps, input.maps, cyclePlan);
    em.prologue();
    const blocks = basicBlocks(p.prog.slots, p.start, p.end, p.prog.program.puntPcs);
    em.planBudget(blocks);
    structure(blocks, {
      body: (b) => em.body(b),
      condition: (b) => em.condition(b),
      leave: (b) => em.leave(b),
      open: (k) => em.open(k),
      else: () => f.code.op(OP.else),
      close: () => f.code.end(),
      br: (d) => f.code.br(OP.br, d),
    });
    f.code.op(OP.unreachable);
    em.epilogue();
  }
  mb.setTable(plan.map((p) => F_FIRST + p.slot));
  emitStart(start.code, fnType, [...entry.values()]);
  emitInit(init.code, input.maps.slice(0, tableMaps));
  emitProbe(probe.code, tableMaps);
  emitCsum(csum.code, F_PROBE);
  emitAdjustHead(adjHead.code);
  emitAdjustMeta(adjMeta.code);
  emitAdjustTail(adjTail.code);
  emitBufLen(bufLen.code);
  emitUpdate(update.code, input.maps, F_PROBE);
  emitDelete(del.code, input.maps, F_PROBE);
  emitRedirectMap(redirMap.code, input.maps);
  emitRedirect(redir.code);
  emitKtime(ktime.code);
  const entries = input.programs.map((p) => ({ ti: entry.get(p.program.id)!, depth: p.program.stackDepth }));
  emitBatch(batch.code, fnType, entries);
  emitBatchSlots(batchSlots.code, fnType, entries);
  void JIT_FAULT;
  return { bytes: mb.build(), entry, functions, functionCount: plan.length, cycleSites: cyclePlan?.sites ?? null };
}

/**
 * $batchSlots(tableIndex, progId, stackDepth, budget, n, slots, copyOut) -> index: a run of different
 * packets, slot i at slots + i BATCH_SLOT_BYTES (abi.ts SLOT). Per slot: S_BATCH = i, the packet
 * window reset as XdpBuffer.reset does for a linear packet (the bytes the previous packet dirtied
 * cleared, the packet copied in at XDP_PACKET_HEADROOM, the ctx words), S_CLOCK from the slot,
 * S_E2BIG = 0, then what $batch runs per packet; a packet that exits gets its results in its slot.
 * Returns n, or the index of the first slot that did not exit: a multi-buffer packet (status notRun,
 * nothing changed) or a punt (status punt, its state saved as $start saves it). The last packet's r0,
 * budget and counter are written to the state block as $batch writes them.
 */
function emitBatchSlots(c: Code, fnType: number, entries: readonly { ti: number; depth: number }[]): void {
  const TI = 0, PROG = 1, DEPTH = 2, BUDGET = 3, N = 4, BASE = 5, COPY = 6, I = 7, S = 8, LEN = 9, LO = 10, HI = 11, R0 = 12, END = 13, A = 14, X = 15;
  const st = (w: number, v: () => void) => storeState(c, w, v);
  const core = () => c.idx(OP.global_get, G_CORE);
  const ctxGet = (w: number) => core().mem(OP.i32_load, 2, CORE_CTX + w * 4);
  const ctxSet = (w: number, v: () => void) => {
    core();
    v();
    c.mem(OP.i32_store, 2, CORE_CTX + w * 4);
  };
  const slotSet = (f: number, v: () => void) => {
    c.get(S);
    v();
    c.mem(OP.i32_store, 2, f);
  };
  c.i32(0).set(I);
  c.open(OP.block); // $out
  c.open(OP.loop); // $next
  c.get(I).get(N).op(OP.i32_ge_u).br(OP.br_if, 1);
  st(S_BATCH, () => c.get(I));
  c.get(BASE).get(I).i32(BATCH_SLOT_BYTES).op(OP.i32_mul).op(OP.i32_add).set(S);
  c.get(S).mem(OP.i32_load, 2, SLOT.len).tee(LEN).i32(MAX_LINEAR).op(OP.i32_gt_u).open(OP.if);
  slotSet(SLOT.status, () => c.i32(SLOT_STATUS.notRun));
  c.br(OP.br, 2);
  c.end();
  // XdpBuffer.reset: clear [min(meta, dirty_lo), headroom) and [headroom + len, max(end, dirty_hi))
  ctxGet(CTX_DIRTY_LO);
  c.set(LO);
  ctxGet(CTX_DATA_META);
  c.tee(X).get(LO).op(OP.i32_lt_s).open(OP.if).get(X).set(LO).end();
  ctxGet(CTX_DIRTY_HI);
  c.set(HI);
  ctxGet(CTX_DATA_END);
  c.tee(X).get(HI).op(OP.i32_gt_s).open(OP.if).get(X).set(HI).end();
  c.get(LO).i32(XDP_PACKET_HEADROOM).op(OP.i32_lt_s).open(OP.if);
  core().i32(CORE_FRAME).op(OP.i32_add).get(LO).op(OP.i32_add).i32(0).i32(XDP_PACKET_HEADROOM).get(LO).op(OP.i32_sub).memoryFill();
  c.end();
  c.get(LEN).i32(XDP_PACKET_HEADROOM).op(OP.i32_add).set(END);
  c.get(HI).get(END).op(OP.i32_gt_s).open(OP.if);
  core().i32(CORE_FRAME).op(OP.i32_add).get(END).op(OP.i32_add).i32(0).get(HI).get(END).op(OP.i32_sub).memoryFill();
  c.end();
  core().i32(CORE_FRAME + XDP_PACKET_HEADROOM).op(OP.i32_add).get(S).i32(SLOT.data).op(OP.i32_add).get(LEN).memoryCopy();
  for (const w of [CTX_DATA, CTX_DATA_META, CTX_DIRTY_LO]) ctxSet(w, () => c.i32(XDP_PACKET_HEADROOM));
  for (const w of [CTX_DATA_END, CTX_DIRTY_HI]) ctxSet(w, () => c.get(END));
  ctxSet(CTX_NFRAGS, () => c.i32(0));
  core().get(S).mem(OP.i64_load, 3, SLOT.clock).mem(OP.i64_store, 3, word(S_CLOCK));
  st(S_E2BIG, () => c.i32(0));
  emitRunReset(c, PROG, BUDGET);
  emitEntryDispatch(c, fnType, entries, TI, DEPTH, R0, END, A);
  // executed = budget - max(0, budget left)
  c.get(BUDGET).idx(OP.global_get, G_BUDGET).i32(0).idx(OP.global_get, G_BUDGET).i32(0).op(OP.i32_gt_s).op(OP.select).op(OP.i32_sub).set(X);
  c.idx(OP.global_get, G_STATUS).open(OP.if);
  c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.punt).op(OP.i32_eq).open(OP.if);
  slotSet(SLOT.status, () => c.i32(SLOT_STATUS.punt));
  slotSet(SLOT.insns, () => c.get(X));
  c.br(OP.br, 3);
  c.end();
  c.i64(0).set(R0); // early: LD_ABS / LD_IND out of range
  c.end();
  slotSet(SLOT.status, () => c.i32(SLOT_STATUS.exit));
  c.get(S).get(R0).mem(OP.i64_store, 3, SLOT.r0);
  slotSet(SLOT.insns, () => c.get(X));
  slotSet(SLOT.e2big, () => core().mem(OP.i32_load, 2, word(S_E2BIG)));
  slotSet(SLOT.redir, () => core().mem(OP.i32_load, 2, word(S_REDIR)));
  slotSet(SLOT.redirA, () => core().mem(OP.i32_load, 2, word(S_REDIR_A)));
  slotSet(SLOT.redirB, () => core().mem(OP.i32_load, 2, word(S_REDIR_B)));
  c.get(S).i64(0).mem(OP.i64_store, 3, SLOT.cycles);
  c.get(COPY).open(OP.if);
  // the packet as it left: [data, data_end) over the slot's bytes
  ctxGet(CTX_DATA);
  c.set(A);
  ctxGet(CTX_DATA_END);
  c.get(A).op(OP.i32_sub).set(X);
  c.get(S).i32(SLOT.data).op(OP.i32_add);
  core().i32(CORE_FRAME).op(OP.i32_add).get(A).op(OP.i32_add);
  c.get(X).memoryCopy();
  slotSet(SLOT.outLen, () => c.get(X));
  c.end();
  c.get(I).i32(1).op(OP.i32_add).set(I);
  c.br(OP.br, 0);
  c.end(); // $next
  c.end(); // $out
  c.get(I).get(N).op(OP.i32_eq).get(N).op(OP.i32_eqz).op(OP.i32_eqz).op(OP.i32_and).open(OP.if);
  storeReg64(c, 0, R0);
  c.end();
  st(S_BUDGET, () => c.idx(OP.global_get, G_BUDGET));
  st(S_MAYGOTO, () => c.idx(OP.global_get, G_MAYGOTO));
  c.get(I);
}
export const BATCH_SLOTS_TYPE: FuncType = { params: [I32, I32, I32, I32, I32, I32, I32], results: [I32] };
export const BATCH_SLOTS_LOCALS: ValType[] = [I32, I32, I32, I32, I32, I64, I32, I32, I32];
