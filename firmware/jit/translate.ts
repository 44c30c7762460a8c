// eBPF -> WebAssembly: translates every program of an object into one module (abi.ts is the contract).
// Each function (a program's entry or a bpf-to-bpf subprogram) becomes a Wasm function
// (r1..r5, r10) -> r0 with r0..r10 as i64 locals; all of them sit in one funcref table so that tail
// calls and callbacks are call_indirect. Semantics are the interpreter's (firmware/vm/interpreter.ts):
// x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN, masked shifts, ALU32 zero-extension, sign-extending
// moves and loads, byte swaps, atomics as Wasm atomics on the shared memory (alignment checked
// first, as the interpreter does), load-acquire / store-release as plain accesses with a fence,
// may_goto's counter, frames of 512 bytes cleared on call, the depth limit, tail calls.
// Every memory access is checked against its region exactly as the interpreter checks it (abi.ts),
// so a hostile program faults at the same pc with the same message and never leaves the arena;
// accesses through r10 with a constant offset inside the current frame need no check.
// The instruction budget is charged per basic block (checked only at checkpoints in acyclic functions,
// structure.ts budgetPlan); a block the budget cannot pay punts at its
// first pc, so the interpreter runs the last instructions and faults where it would have.
import { assertNever, type Insn, type Slot } from '../../offload/isa/index.ts';
import type { Program } from '../vm/interpreter.ts';
import {
  ACCESS, type AccessKind, CORE_CTX, CTX_MD_BYTES, CTX_PTR_BYTES, MAP_TABLE, MAP_TABLE_ENTRY, REGION_MAP0, CORE_FRAME, CORE_STACK, CORE_STATE, CTX_DATA_END, CTX_DATA_META, JIT_FAULT, JIT_STATUS,
  MAP_PTR_TAG, REGION_CTX, REGION_PACKET, REGION_STACK, REGION_TAG, STACK_BYTES, S_BUDGET, S_HI, S_LO, S_MAYGOTO, S_PRNG, STACK_FRAME,
} from './abi.ts';
import { type Block, budgetPlan, JitUnsupported } from './structure.ts';
import type { AccessProof, AccessProofs } from './proofs.ts';
import { S_BUDGET_SYNC } from '../state.ts';
import { CycleEmitter, type CyclePlan, type JitCycleTables } from './cycles.ts';
import { HELPER_IDS } from '../helpers/names.ts';
import { ATOMIC, type Code, F64, type FuncType, I32, I64, OP, type ValType } from './wasm.ts';

export interface JitProgram {
  /** The predecoded program (id, lddw values as the loader resolved them, callee stack depths, punt pcs). */
  program: Program;
  /** Its decoded instructions. */
  slots: readonly Slot[];
  /** What the verifier proved about its memory accesses, by pc (proofs.ts); none: every access checked in full. */
  proofs?: AccessProofs;
}

/** A map region: absolute arena offsets [start, end), writable by programs or not. */
export interface JitMap {
  start: number;
  end: number;
  writable: boolean;
  /** array / percpu_array: lookups compiled inline (value of index i, CPU c at values + i * stride + c * slot). */
  array?: { maxEntries: number; values: number; stride: number; slot: number; valueSize: number };
  /**
   * hash / percpu_hash / lru_hash / lru_percpu_hash: lookups compiled inline (firmware/maps/hashtab.ts):
   * bucket b's [lock, head] at buckets + 8b, element e at elems + e * elemSize = [next, hash, key
   * (keyArea bytes) at elemHdr, values]; LRU maps mark element e referenced at lruRef.base + e * stride.
   */
  /**
   * lpm_trie: lookups compiled inline (firmware/maps/lpm.ts): the trie lock word and root index at
   * absolute offsets, node n at nodes + n * nodeBytes = [child0, child1, prefixlen, flags, data, value
   * at valueOff], nNodes nodes, keys of maxPrefix bits after the u32 prefixlen.
   */
  lpm?: { keySize: number; maxPrefix: number; lock: number; root: number; nodes: number; nodeBytes: number; nNodes: number; valueOff: number; imFlag: number };
  hash?: {
    keySize: number; seed: number; mask: number; buckets: number; nElems: number; elems: number; elemSize: number; keyArea: number; slot: number; elemHdr: number; lruRef?: { base: number; stride: number };
    /** Updates and deletes (mapwrite.ts): value size, CPUs, the map's header (absolute), its spare-element words and how many. */
    valueSize: number; cpus: number; header: number; extras: number; nExtras: number;
  };
  /**
   * bpf_redirect_map targets compiled into the module (mapwrite.ts): devmap / cpumap / xskmap slots
   * (firmware/maps/slots.ts: [primary, program id] at slots + 8 i), or devmap_hash's table
   * (devmap-hash.ts: bucket = key & mask, the element's hash is the key, the ifindex at valOff).
   */
  redirect?:
    | { kind: 'slots'; maxEntries: number; slots: number; broadcast: boolean }
    | { kind: 'hash'; mask: number; buckets: number; nElems: number; elems: number; elemSize: number; valOff: number };
}

export interface JitInput {
  programs: readonly JitProgram[];
  maps: readonly JitMap[];
  /** The cost model's tables: compile the cycle accounting in (cycles.ts); none: no accounting. */
  cycles?: JitCycleTables;
}

export interface JitOutput {
  bytes: Uint8Array;
  /** Table index of each program's entry function, by program id. */
  entry: Map<number, number>;
  /** Table index of each function, by program id and start pc (callbacks). */
  functions: Map<number, Map<number, number>>;
  /** Wasm functions emitted (one per program function). */
  functionCount: number;
  /** With cycle tables: (program id, pc) of each accumulator global (cycles.ts CyclePlan.sites). */
  cycleSites: Int32Array | null;
}

// Function indices: imports first, then the internal functions (module.ts), then the program functions.
export const F_HELPER = 0;
export const F_FAULT = 1;
export const F_LDPKT = 2;
export const F_KFUNC = 3;
export const F_RESOLVE = 4;
export const F_CTXLOAD = 5;
export const F_PUNT = 6;
export const F_SAVEFRAME = 7;
export const F_RUN = 8;
export const F_LOOKUP = 9;
export const F_START = 10;
export const F_BATCH = 11;
export const F_INIT = 12;
export const F_PROBE = 13;
export const F_CSUM = 14;
export const F_ADJUST_HEAD = 15;
export const F_ADJUST_META = 16;
export const F_ADJUST_TAIL = 17;
export const F_BUFLEN = 18;
export const F_UPDATE = 19;
// mapwrite.ts
export const F_DELETE = 20;
export const F_REDIRECT_MAP = 21;
export const F_REDIRECT = 22;
export const F_KTIME = 23;
// module.ts: the multi-packet batch export
export const F_BATCH_SLOTS = 24;
export const F_FIRST = 25;
// Globals.
export const G_CORE = 0;
export const G_CPU = 1;
export const G_STATUS = 2;
export const G_BUDGET = 3;
export const G_MAYGOTO = 4;

// Locals of a program function. Params: r1..r5, r10.
const L_R0 = 6;
const L_T0 = 11;
const L_A0 = 13;
const L_FP = 14; // core + CORE_STACK + lo(r10) - 512: the current frame's first byte
const L_A1 = 15;
// The budget left, in a local while the function runs (a global round trip per block would be a
// store-to-load chain); G_BUDGET is written before anything that reads it (calls, punts, returns).
const L_BUD = 16;
// The packet window [data_meta, data_end) of the ctx block, read at function entry and after every
// call (only helpers change it; programs cannot write the context).
const L_PMETA = 17;
const L_PEND = 18;
// The core's slot (G_CORE) and its packet frame's first byte, in locals.
const L_CORE = 19;
const L_PKT = 20;
// A failed check branches to the function's one fault tail (FunctionEmitter.epilogue) with the site
// packed in L_FSITE (faultSite) and the pointer register's value in L_FVAL.
const L_FSITE = 21;
const L_FVAL = 22;
// With cycle accounting (cycles.ts): the run's cycles and stall so far, in locals while the function
// runs (written to their globals before anything that can read them or throw: calls, punts, returns,
// the fault tail, $resolve / $ctxload; read back after calls).
const L_CYC = 23;
const L_STALL = 24;
const REG_LOCAL = [L_R0, 0, 1, 2, 3, 4, 7, 8, 9, 10, 5] as const;
export const FN_LOCALS: ValType[] = [I64, I64, I64, I64, I64, I64, I64, I32, I32, I32, I32, I64, I64, I32, I32, I64, I64, F64, F64];
export const FN_TYPE: FuncType = { params: [I64, I64, I64, I64, I64, I64], results: [I64] };

/**
 * A fault site in one i64 (the fault tail's L_FSITE): pc in bits 0-31, kind 32-35, register + 1
 * 36-39 (0: none), access size 40-43, the instruction's 16-bit offset 44-59.
 */
export function faultSite(kind: number, pc: number, r: number, off: number, size: number): bigint {
  if (kind < 0 || kind > 15 || r < -1 || r > 14 || size < 0 || size > 15 || off < -32768 || off > 32767 || pc < 0 || pc > 0xffffffff)
    throw new Error(`jit: fault site out of range (kind ${kind}, pc ${pc}, r${r}, off ${off}, size ${size})`);
  return BigInt(pc >>> 0) | (BigInt(kind) << 32n) | (BigInt(r + 1) << 36n) | (BigInt(size) << 40n) | (BigInt(off & 0xffff) << 44n);
}

const lo32 = (w: number) => CORE_STATE + (S_LO + w) * 4;
const hi32 = (w: number) => CORE_STATE + (S_HI + w) * 4;
const word = (w: number) => CORE_STATE + w * 4;
const MASK32 = 0xffffffffn;

function reg(r: number): number {
  return REG_LOCAL[r]!;
}

/** Emits a 64-bit register value from the state block's lo/hi halves. */
export function loadReg64(c: Code, r: number): void {
  c.idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, lo32(r));
  c.idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, hi32(r)).i64(32).op(OP.i64_shl).op(OP.i64_or);
}

/** Stores local `l` (i64) as the state block's halves of register r. */
export function storeReg64(c: Code, r: number, l: number): void {
  c.idx(OP.global_get, G_CORE).get(l).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, lo32(r));
  c.idx(OP.global_get, G_CORE).get(l).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).mem(OP.i32_store, 2, hi32(r));
}

const LOAD_OP = { 1: OP.i64_load8_u, 2: OP.i64_load16_u, 4: OP.i64_load32_u, 8: OP.i64_load } as const;
const LOAD_SX_OP = { 1: OP.i64_load8_s, 2: OP.i64_load16_s, 4: OP.i64_load32_s, 8: OP.i64_load } as const;
const STORE_OP = { 1: OP.i64_store8, 2: OP.i64_store16, 4: OP.i64_store32, 8: OP.i64_store } as const;

const COND64 = {
  jeq: OP.i64_eq, jne: OP.i64_ne, jgt: OP.i64_gt_u, jge: OP.i64_ge_u, jlt: OP.i64_lt_u, jle: OP.i64_le_u,
  jsgt: OP.i64_gt_s, jsge: OP.i64_ge_s, jslt: OP.i64_lt_s, jsle: OP.i64_le_s, jset: -1,
} as const;
const COND32 = {
  jeq: OP.i32_eq, jne: OP.i32_ne, jgt: OP.i32_gt_u, jge: OP.i32_ge_u, jlt: OP.i32_lt_u, jle: OP.i32_le_u,
  jsgt: OP.i32_gt_s, jsge: OP.i32_ge_s, jslt: OP.i32_lt_s, jsle: OP.i32_le_s, jset: -1,
} as const;
const BIN64 = { add: OP.i64_add, sub: OP.i64_sub, mul: OP.i64_mul, or: OP.i64_or, and: OP.i64_and, xor: OP.i64_xor, lsh: OP.i64_shl, rsh: OP.i64_shr_u, arsh: OP.i64_shr_s } as const;
const BIN32 = { add: OP.i32_add, sub: OP.i32_sub, mul: OP.i32_mul, or: OP.i32_or, and: OP.i32_and, xor: OP.i32_xor, lsh: OP.i32_shl, rsh: OP.i32_shr_u, arsh: OP.i32_shr_s } as const;
const ATOMIC64 = { add: ATOMIC.i64_rmw_add, or: ATOMIC.i64_rmw_or, and: ATOMIC.i64_rmw_and, xor: ATOMIC.i64_rmw_xor } as const;
const ATOMIC32 = { add: ATOMIC.i64_rmw32_add_u, or: ATOMIC.i64_rmw32_or_u, and: ATOMIC.i64_rmw32_and_u, xor: ATOMIC.i64_rmw32_xor_u } as const;

/** One function's translation. */
export class FunctionEmitter {
  constructor(
    private readonly c: Code,
    private readonly prog: JitProgram,
    private readonly fnIndexOfPc: (pc: number) => number,
    private readonly tableType: number,
    private readonly inlineLookup: boolean,
    /** Maps 0 .. tableMaps - 1 are in the bounds table (abi.ts MAP_TABLE). */
    private readonly tableMaps = 0,
    /** The maps (array lookups of a map known at the call are compiled at the call). */
    private readonly maps: readonly JitMap[] = [],
    /** The cost model's accounting (cycles.ts), when the module is compiled with cycle tables. */
    cycles?: CyclePlan,
  ) {
    this.puntPcs = new Set(prog.program.puntPcs);
    this.cyc = cycles ? new CycleEmitter(c, cycles, prog.program.id, L_CYC, L_STALL) : null;
  }

  private readonly cyc: CycleEmitter | null;

  /** The access at pc passed its check in region `index` (0 stack, 1 ctx, 2 packet, 3 a map): its stall. */
  private stall(pc: number, index: number): void {
    this.cyc?.stall(pc, index);
  }

  private readonly puntPcs: ReadonlySet<number>;

  /** r10 + off with `size` bytes inside the current frame: provably in bounds. */
  private frameAccess(r: number, off: number, size: number): boolean {
    return r === 10 && off >= -STACK_FRAME && off + size <= 0;
  }

  /**
   * Faults as the interpreter does at pc: the site and the pointer register's value into the fault
   * locals, then a branch to the function's fault tail (epilogue), which calls the fault import. One
   * call per function instead of one per check keeps the cold paths out of the hot code.
   */
  private fault(kind: number, pc: number, r = 0, off = 0, size = 0): void {
    this.faultSite(kind, pc, r, off, size);
    this.c.br(OP.br, this.c.depth - this.faultLevel);
  }

  /** Sets the fault locals for a fault at this site (a br / br_if to the tail follows: `toFault`). */
  private faultSite(kind: number, pc: number, r: number, off: number, size: number): void {
    const c = this.c;
    c.i64(faultSite(kind, pc, r, off, size)).set(L_FSITE);
    if (r >= 0) c.get(reg(r));
    else c.i64(0);
    c.set(L_FVAL);
  }

  /** The branch depth of the fault tail from here. */
  private toFault(): number {
    return this.c.depth - this.faultLevel;
  }

  /** Depth of the fault tail's block (opened by the prologue). */
  private faultLevel = 0;

  /** Pushes the absolute address of [reg r + off, size) for `kind`, faulting as the interpreter does. */
  /** Pushes i32 1 when register r holds a packet pointer. */
  private isPacket(r: number): void {
    this.c.get(reg(r)).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG + REGION_PACKET).op(OP.i32_eq);
  }

  /** Pushes the address of [packet pointer r + off, size), faulting outside [data_meta, data_end). */
  private packetAddress(r: number, off: number, size: number, kind: AccessKind, pc: number): void {
    const c = this.c;
    // Two branches to the fault tail (no flag materialising): below data_meta or past data_end.
    this.faultSite(kind, pc, r, off, size);
    c.get(reg(r)).i64(MASK32).op(OP.i64_and).i64(off).op(OP.i64_add).tee(L_T0);
    c.get(L_PMETA).op(OP.i64_lt_s).br(OP.br_if, this.toFault());
    c.get(L_T0).i64(size).op(OP.i64_add).get(L_PEND).op(OP.i64_gt_s).br(OP.br_if, this.toFault());
    this.stall(pc, REGION_PACKET);
    c.get(L_PKT).get(L_T0).op(OP.i32_wrap_i64).op(OP.i32_add);
  }

  /** The verifier's proof for the access at pc, if any (proofs.ts). */
  private proof(pc: number): AccessProof | undefined {
    return this.prog.proofs?.[pc];
  }

  /**
   * Pushes the address of [r + off, size) in the region the verifier proved (the packet, the stack,
   * a map's values) with that region's bounds checked as the interpreter checks them; false when
   * there is no such proof. An access whose proof were wrong stays inside the proved region.
   */
  private provenAddress(r: number, off: number, size: number, kind: AccessKind, pc: number): boolean {
    const p = this.proof(pc);
    if (!p) return false;
    const c = this.c;
    switch (p.region) {
      case 'packet':
        this.packetAddress(r, off, size, kind, pc);
        return true;
      case 'stack':
        // [r10 - 512 of the executing frame, STACK_BYTES), as the interpreter's stack region ($resolve).
        this.faultSite(kind, pc, r, off, size);
        c.get(reg(r)).i64(MASK32).op(OP.i64_and).i64(off).op(OP.i64_add).tee(L_T0);
        c.get(reg(10)).i64(MASK32).op(OP.i64_and).i64(STACK_FRAME).op(OP.i64_sub).op(OP.i64_lt_s).br(OP.br_if, this.toFault());
        c.get(L_T0).i64(size).op(OP.i64_add).i64(STACK_BYTES).op(OP.i64_gt_s).br(OP.br_if, this.toFault());
        this.stall(pc, REGION_STACK);
        c.get(L_CORE).get(L_T0).op(OP.i32_wrap_i64).op(OP.i32_add).i32(CORE_STACK).op(OP.i32_add);
        return true;
      case 'map': {
        // The map's compiled-in bounds (absolute arena offsets); a store to a read-only map faults.
        const m = this.maps[p.map];
        if (!m) return false;
        this.faultSite(kind, pc, r, off, size);
        c.get(reg(r)).i64(MASK32).op(OP.i64_and).i64(off).op(OP.i64_add).tee(L_T0);
        c.i64(m.start).op(OP.i64_lt_s).br(OP.br_if, this.toFault());
        c.get(L_T0).i64(size).op(OP.i64_add).i64(kind === ACCESS.load || m.writable ? m.end : m.start).op(OP.i64_gt_s).br(OP.br_if, this.toFault());
        this.stall(pc, REGION_MAP0 + p.map);
        c.get(L_T0).op(OP.i32_wrap_i64);
        return true;
      }
      case 'ctx':
        return false;
      default:
        assertNever(p, 'access proof');
    }
  }

  private address(r: number, off: number, size: number, kind: AccessKind, pc: number, packetChecked = false): void {
    const c = this.c;
    const v = reg(r);
    if (this.frameAccess(r, off, size)) {
      this.stall(pc, REGION_STACK);
      c.get(L_FP).i32(off + STACK_FRAME).op(OP.i32_add);
      return;
    }
    if (this.provenAddress(r, off, size, kind, pc)) return;
    c.open(OP.block, I32);
    // Packet pointers inline (the common case in XDP; a load tested it already), everything else
    // through the map table or $resolve.
    if (!packetChecked) {
      this.isPacket(r);
      c.open(OP.if);
      this.packetAddress(r, off, size, kind, pc);
      c.br(OP.br, 1);
      c.end();
    }
    if (this.tableMaps > 0) {
      // A map value: the bounds table (abi.ts MAP_TABLE); out of bounds, a store to a read-only map or
      // any other region goes to $resolve, which faults exactly.
      c.get(v).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG + REGION_MAP0).op(OP.i32_sub).tee(L_A0).i32(this.tableMaps).op(OP.i32_lt_u);
      c.open(OP.if);
      c.get(L_A0).i32(MAP_TABLE_ENTRY).op(OP.i32_mul).get(L_CORE).op(OP.i32_add).set(L_A0);
      c.open(OP.block);
      c.get(v).i64(MASK32).op(OP.i64_and).i64(off).op(OP.i64_add).tee(L_T0);
      c.get(L_A0).mem(OP.i64_load32_u, 2, MAP_TABLE).op(OP.i64_lt_s).br(OP.br_if, 0);
      c.get(L_T0).i64(size).op(OP.i64_add).get(L_A0).mem(OP.i64_load32_u, 2, MAP_TABLE + (kind === ACCESS.load ? 4 : 8)).op(OP.i64_gt_s).br(OP.br_if, 0);
      this.stall(pc, REGION_MAP0);
      c.get(L_T0).op(OP.i32_wrap_i64).br(OP.br, 2);
      c.end();
      c.end();
    }
    this.cyc?.save();
    c.get(v).i32(off).i32(size).i32(kind).i32(pc).i32(r).get(5).op(OP.i32_wrap_i64).i32(this.prog.program.id).idx(OP.call, F_RESOLVE);
    if (this.cyc) {
      // $resolve passed: the region the pointer's tag names.
      c.get(v).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG).op(OP.i32_sub).set(L_A1);
      this.cyc.stallDynamic(pc, L_A1);
    }
    c.end();
  }

  private load(dst: number, src: number, off: number, size: 1 | 2 | 4 | 8, sx: boolean, pc: number): void {
    const c = this.c;
    const op = (sx ? LOAD_SX_OP : LOAD_OP)[size];
    if (this.frameAccess(src, off, size)) {
      this.stall(pc, REGION_STACK);
      c.get(L_FP).mem(op, 0, off + STACK_FRAME).set(reg(dst));
      return;
    }
    if (this.proof(pc)?.region === 'ctx' && size === 4 && off >= 0 && off < CTX_MD_BYTES && off % 4 === 0) {
      // A struct xdp_md field of the unmodified context pointer (the verifier refuses any other):
      // the ctx block's word, data / data_end / data_meta as packet pointers.
      c.get(L_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + off);
      if (off < CTX_PTR_BYTES) c.i64(BigInt(REGION_TAG + REGION_PACKET) << 32n).op(OP.i64_or);
      if (sx) c.op(OP.i32_wrap_i64).op(OP.i64_extend_i32_s);
      c.set(reg(dst));
      this.stall(pc, REGION_CTX);
      return;
    }
    if (this.provenAddress(src, off, size, ACCESS.load, pc)) {
      c.mem(op, 0, 0).set(reg(dst));
      return;
    }
    const v = reg(src);
    c.open(OP.block, I64);
    // A packet pointer first (the usual load of an XDP program).
    this.isPacket(src);
    c.open(OP.if);
    this.packetAddress(src, off, size, ACCESS.load, pc);
    c.mem(op, 0, 0).br(OP.br, 1);
    c.end();
    // The context: struct xdp_md fields come from the ctx block (data, data_end, data_meta as pointers).
    c.get(v).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG + REGION_CTX).op(OP.i32_eq);
    c.open(OP.if);
    const ctxCall = () => {
      this.cyc?.save();
      c.get(v).i32(off).i32(size).i32(pc).i32(src).i32(this.prog.program.id).idx(OP.call, F_CTXLOAD);
    };
    if (size === 4 && off >= 0 && off < CTX_MD_BYTES && off % 4 === 0) {
      // The usual field load (the pointer's offset 0, a constant aligned field) inline; else $ctxload checks.
      c.get(v).op(OP.i32_wrap_i64).op(OP.i32_eqz).open(OP.if, I64);
      c.get(L_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + off);
      if (off < CTX_PTR_BYTES) c.i64(BigInt(REGION_TAG + REGION_PACKET) << 32n).op(OP.i64_or);
      c.op(OP.else);
      ctxCall();
      c.end();
    } else ctxCall();
    if (sx && size < 8) {
      // A sign-extending ctx load sign-extends the loaded field.
      c.op(OP.i32_wrap_i64);
      c.op(OP.i64_extend_i32_s);
      if (size === 1) c.op(OP.i64_extend8_s);
      else if (size === 2) c.op(OP.i64_extend16_s);
    }
    this.stall(pc, REGION_CTX);
    c.br(OP.br, 1);
    c.end();
    this.address(src, off, size, ACCESS.load, pc, true);
    c.mem(op, 0, 0);
    c.end();
    c.set(reg(dst));
  }

  /** Stores the i64 that `value` pushes. */
  private store(dst: number, off: number, size: 1 | 2 | 4 | 8, value: () => void, pc: number): void {
    const c = this.c;
    if (this.frameAccess(dst, off, size)) {
      this.stall(pc, REGION_STACK);
      c.get(L_FP);
      value();
      c.mem(STORE_OP[size], 0, off + STACK_FRAME);
      return;
    }
    this.address(dst, off, size, ACCESS.store, pc);
    value();
    c.mem(STORE_OP[size], 0, 0);
  }

  private atomic(insn: Extract<Insn, { kind: 'atomic' }>, pc: number): void {
    const c = this.c;
    const { size, op } = insn;
    this.address(insn.dst, insn.off, size, ACCESS.atomic, pc);
    c.tee(L_A0).i32(size - 1).op(OP.i32_and).open(OP.if);
    this.fault(JIT_FAULT.misaligned, pc, insn.dst, insn.off, size);
    c.end();
    const align = size === 8 ? 3 : 2;
    const s = reg(insn.sreg);
    switch (op) {
      case 'add':
      case 'or':
      case 'and':
      case 'xor':
        c.get(L_A0).get(s).atomic((size === 8 ? ATOMIC64 : ATOMIC32)[op], align).op(OP.drop);
        return;
      case 'fetch_add':
      case 'fetch_or':
      case 'fetch_and':
      case 'fetch_xor': {
        const base = op.slice(6) as 'add' | 'or' | 'and' | 'xor';
        c.get(L_A0).get(s).atomic((size === 8 ? ATOMIC64 : ATOMIC32)[base], align).set(s);
        return;
      }
      case 'xchg':
        c.get(L_A0).get(s).atomic(size === 8 ? ATOMIC.i64_rmw_xchg : ATOMIC.i64_rmw32_xchg_u, align).set(s);
        return;
      case 'cmpxchg':
        c.get(L_A0).get(L_R0).get(s).atomic(size === 8 ? ATOMIC.i64_rmw_cmpxchg : ATOMIC.i64_rmw32_cmpxchg_u, align).set(L_R0);
        return;
      default:
        assertNever(op, 'atomic op');
    }
  }

  /** Leaves the function after a callee stopped (punt: record this frame; early exit: nothing). */
  private afterCall(retPc: number): void {
    const c = this.c;
    c.idx(OP.global_get, G_STATUS).open(OP.if);
    c.idx(OP.global_get, G_STATUS).i32(JIT_STATUS.punt).op(OP.i32_eq).open(OP.if);
    for (const r of [6, 7, 8, 9, 10]) c.get(reg(r));
    c.i32(retPc).i32(this.prog.program.id).idx(OP.call, F_SAVEFRAME);
    c.end();
    c.i64(0).op(OP.return);
    c.end();
  }

  /** Stops before the instruction at pc: saves the registers, status punt, returns. */
  punt(pc: number): void {
    const c = this.c;
    // The budget as last synced (a helper call, the run's start): a fault on the interpreter before
    // its next helper call reports that (engine.ts), as the interpreter alone would.
    c.get(L_CORE).get(L_CORE).mem(OP.i32_load, 2, word(S_BUDGET)).mem(OP.i32_store, 2, word(S_BUDGET_SYNC));
    this.syncBudget();
    for (let r = 0; r <= 10; r++) c.get(reg(r));
    c.i32(pc).i32(this.prog.program.id).idx(OP.call, F_PUNT);
    c.i32(JIT_STATUS.punt).idx(OP.global_set, G_STATUS).i64(0).op(OP.return);
  }

  private operand64(insn: { src: 'imm' | 'reg'; imm: number; sreg: number }): void {
    if (insn.src === 'imm') this.c.i64(insn.imm);
    else this.c.get(reg(insn.sreg));
  }

  private operand32(insn: { src: 'imm' | 'reg'; imm: number; sreg: number }): void {
    if (insn.src === 'imm') this.c.i32(insn.imm);
    else this.c.get(reg(insn.sreg)).op(OP.i32_wrap_i64);
  }

  private bswap32(): void {
    // i32 on the stack -> its bytes reversed.
    const c = this.c;
    c.tee(L_A0).i32(0xff00ff00 | 0).op(OP.i32_and).i32(8).op(OP.i32_rotl);
    c.get(L_A0).i32(0x00ff00ff).op(OP.i32_and).i32(24).op(OP.i32_rotl).op(OP.i32_or);
  }

  private alu(insn: Extract<Insn, { kind: 'alu' }>): void {
    const c = this.c;
    const d = reg(insn.dst);
    const { op } = insn;
    if (insn.width === 64) {
      switch (op) {
        case 'mov':
          this.operand64(insn);
          break;
        case 'movsx8':
          c.get(reg(insn.sreg)).op(OP.i64_extend8_s);
          break;
        case 'movsx16':
          c.get(reg(insn.sreg)).op(OP.i64_extend16_s);
          break;
        case 'movsx32':
          c.get(reg(insn.sreg)).op(OP.i64_extend32_s);
          break;
        case 'neg':
          c.i64(0).get(d).op(OP.i64_sub);
          break;
        case 'add': case 'sub': case 'mul': case 'or': case 'and': case 'xor': case 'lsh': case 'rsh': case 'arsh':
          c.get(d);
          this.operand64(insn);
          c.op(BIN64[op]);
          break;
        case 'div':
          if (insn.src === 'imm') {
            if (insn.imm === 0) c.i64(0);
            else c.get(d).i64(insn.imm).op(OP.i64_div_u);
          } else {
            c.get(reg(insn.sreg)).op(OP.i64_eqz).open(OP.if, I64).i64(0).op(OP.else).get(d).get(reg(insn.sreg)).op(OP.i64_div_u).end();
          }
          break;
        case 'sdiv':
          if (insn.src === 'imm') {
            if (insn.imm === 0) c.i64(0);
            else if (insn.imm === -1) c.i64(0).get(d).op(OP.i64_sub);
            else c.get(d).i64(insn.imm).op(OP.i64_div_s);
          } else {
            const s = reg(insn.sreg);
            c.get(s).op(OP.i64_eqz).open(OP.if, I64).i64(0).op(OP.else);
            c.get(s).i64(-1).op(OP.i64_eq).open(OP.if, I64).i64(0).get(d).op(OP.i64_sub).op(OP.else).get(d).get(s).op(OP.i64_div_s).end();
            c.end();
          }
          break;
        case 'mod':
          if (insn.src === 'imm') {
            if (insn.imm === 0) c.get(d);
            else c.get(d).i64(insn.imm).op(OP.i64_rem_u);
          } else {
            c.get(reg(insn.sreg)).op(OP.i64_eqz).open(OP.if, I64).get(d).op(OP.else).get(d).get(reg(insn.sreg)).op(OP.i64_rem_u).end();
          }
          break;
        case 'smod':
          if (insn.src === 'imm') {
            if (insn.imm === 0) c.get(d);
            else c.get(d).i64(insn.imm).op(OP.i64_rem_s);
          } else {
            c.get(reg(insn.sreg)).op(OP.i64_eqz).open(OP.if, I64).get(d).op(OP.else).get(d).get(reg(insn.sreg)).op(OP.i64_rem_s).end();
          }
          break;
        default:
          assertNever(op, 'alu op');
      }
      c.set(d);
      return;
    }
    // ALU32: computed on the low words, zero-extended.
    switch (op) {
      case 'mov':
        if (insn.src === 'imm') {
          c.i64(insn.imm >>> 0).set(d);
          return;
        }
        c.get(reg(insn.sreg)).op(OP.i32_wrap_i64);
        break;
      case 'movsx8':
        c.get(reg(insn.sreg)).op(OP.i32_wrap_i64).op(OP.i32_extend8_s);
        break;
      case 'movsx16':
        c.get(reg(insn.sreg)).op(OP.i32_wrap_i64).op(OP.i32_extend16_s);
        break;
      case 'movsx32':
        c.get(reg(insn.sreg)).op(OP.i32_wrap_i64);
        break;
      case 'neg':
        c.i32(0).get(d).op(OP.i32_wrap_i64).op(OP.i32_sub);
        break;
      case 'add': case 'sub': case 'mul': case 'or': case 'and': case 'xor': case 'lsh': case 'rsh': case 'arsh':
        c.get(d).op(OP.i32_wrap_i64);
        this.operand32(insn);
        c.op(BIN32[op]);
        break;
      case 'div':
      case 'sdiv':
      case 'mod':
      case 'smod':
        this.div32(insn);
        break;
      default:
        assertNever(op, 'alu op');
    }
    c.op(OP.i64_extend_i32_u).set(d);
  }

  /** 32-bit div / sdiv / mod / smod: pushes the i32 result. */
  private div32(insn: Extract<Insn, { kind: 'alu' }>): void {
    const c = this.c;
    const d = reg(insn.dst);
    const op = insn.op;
    const a = () => c.get(d).op(OP.i32_wrap_i64);
    const ops = { div: OP.i32_div_u, sdiv: OP.i32_div_s, mod: OP.i32_rem_u, smod: OP.i32_rem_s } as const;
    const wop = ops[op as keyof typeof ops];
    if (insn.src === 'imm') {
      const b = insn.imm;
      if (b === 0) {
        if (op === 'div' || op === 'sdiv') c.i32(0);
        else a();
      } else if (b === -1 && op === 'sdiv') c.i32(0).get(d).op(OP.i32_wrap_i64).op(OP.i32_sub);
      else {
        a();
        c.i32(b).op(wop);
      }
      return;
    }
    c.get(reg(insn.sreg)).op(OP.i32_wrap_i64).tee(L_A1).op(OP.i32_eqz).open(OP.if, I32);
    if (op === 'div' || op === 'sdiv') c.i32(0);
    else a();
    c.op(OP.else);
    if (op === 'sdiv') {
      c.get(L_A1).i32(-1).op(OP.i32_eq).open(OP.if, I32).i32(0);
      a();
      c.op(OP.i32_sub).op(OP.else);
      a();
      c.get(L_A1).op(wop).end();
    } else {
      a();
      c.get(L_A1).op(wop);
    }
    c.end();
  }

  private end(insn: Extract<Insn, { kind: 'end' }>): void {
    const c = this.c;
    const d = reg(insn.dst);
    if (insn.op === 'le') {
      if (insn.bits === 64) return;
      c.get(d).i64(insn.bits === 16 ? 0xffff : 0xffffffff).op(OP.i64_and).set(d);
      return;
    }
    if (insn.bits === 16) {
      c.get(d).op(OP.i32_wrap_i64).tee(L_A0).i32(8).op(OP.i32_shl).i32(0xff00).op(OP.i32_and);
      c.get(L_A0).i32(8).op(OP.i32_shr_u).i32(0xff).op(OP.i32_and).op(OP.i32_or).op(OP.i64_extend_i32_u).set(d);
    } else if (insn.bits === 32) {
      c.get(d).op(OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u).set(d);
    } else {
      c.get(d).op(OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u).i64(32).op(OP.i64_shl);
      c.get(d).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64);
      this.bswap32();
      c.op(OP.i64_extend_i32_u).op(OP.i64_or).set(d);
    }
  }

  /** Pushes the i32 condition of a conditional terminator (non-zero: jump). */
  condition(b: Block): void {
    const t = b.term;
    if (t.kind !== 'cond') throw new Error('condition of a non-conditional block');
    const c = this.c;
    const insn = t.insn;
    if (insn.kind === 'may_goto') {
      this.mayGoto();
      return;
    }
    if (insn.kind !== 'jcond') throw new Error(`unexpected terminator ${insn.kind}`);
    if (insn.width === 64) {
      c.get(reg(insn.dst));
      this.operand64(insn);
      if (insn.op === 'jset') c.op(OP.i64_and).i64(0).op(OP.i64_ne);
      else c.op(COND64[insn.op]);
    } else {
      c.get(reg(insn.dst)).op(OP.i32_wrap_i64);
      this.operand32(insn);
      if (insn.op === 'jset') c.op(OP.i32_and);
      else c.op(COND32[insn.op]);
    }
  }

  /** may_goto: i32 1 when the loop budget is spent (jump), else 0 (fall through). */
  private mayGoto(): void {
    const c = this.c;
    c.idx(OP.global_get, G_MAYGOTO).i32(1).op(OP.i32_sub).idx(OP.global_set, G_MAYGOTO);
    c.idx(OP.global_get, G_MAYGOTO).i32(0).op(OP.i32_lt_s).open(OP.if, I32);
    c.i32(0).idx(OP.global_set, G_MAYGOTO).i32(1).op(OP.else).i32(0).end();
  }

  /** First pc of the block being translated. */
  private blockStart = 0;

  /** The function's budget checkpoints (structure.ts budgetPlan), null: a check per block. */
  private budget: { longest: Map<number, number>; checkpoint: Set<number> } | null = null;

  /** Plans the budget checks of the function's blocks (before the first body). */
  planBudget(blocks: readonly Block[]): void {
    this.budget = budgetPlan(blocks, this.prog.slots);
  }

  body(b: Block): void {
    const c = this.c;
    this.blockStart = b.start;
    // A punt pc (an instruction the device cannot run) starts its block: stop before it is charged
    // to the budget (the interpreter has counted its cycles when it meets the PUNT).
    if (this.puntPcs.has(b.start)) {
      this.cyc?.insn(b.start);
      this.punt(b.start);
    }
    const plan = this.budget;
    if (plan) {
      // Acyclic function: at a checkpoint, a budget below the longest path from here punts (the
      // interpreter runs the rest and stops where it would); past the check no block can run out
      // before the next checkpoint, so blocks are charged without a check.
      if (plan.checkpoint.has(b.id)) {
        c.get(L_BUD).i32(plan.longest.get(b.id)!).op(OP.i32_lt_s).open(OP.if);
        this.punt(b.start);
        c.end();
      }
      c.get(L_BUD).i32(b.count).op(OP.i32_sub).set(L_BUD);
    } else {
      // Charge the block's budget; a block the budget cannot pay runs on the interpreter.
      c.get(L_BUD).i32(b.count).op(OP.i32_sub).tee(L_BUD).i32(0).op(OP.i32_lt_s).open(OP.if);
      c.get(L_BUD).i32(b.count).op(OP.i32_add).set(L_BUD);
      this.punt(b.start);
      c.end();
    }
    const slots = this.prog.slots;
    let n = 0;
    for (let pc = b.start; pc < b.end; pc++) {
      const insn = slots[pc];
      if (!insn) continue;
      n++;
      this.cyc?.insn(pc);
      this.insn(insn, pc);
    }
    // The terminator (a jump or exit after the body) is the block's last instruction.
    if (this.cyc && n < b.count) {
      let pc = b.end;
      while (pc < slots.length && !slots[pc]) pc++;
      this.cyc.insn(pc);
    }
  }

  leave(b: Block): void {
    const c = this.c;
    if (b.term.kind === 'exit') {
      this.syncBudget();
      c.get(L_R0).op(OP.return);
    }
    else {
      this.fault(JIT_FAULT.falloff, b.term.kind === 'falloff' ? b.term.pc : b.start, -1);
      c.op(OP.unreachable);
    }
  }

  private insn(insn: Insn, pc: number): void {
    const c = this.c;
    switch (insn.kind) {
      case 'alu':
        this.alu(insn);
        return;
      case 'end':
        this.end(insn);
        return;
      case 'ja':
      case 'gotol':
      case 'jcond':
      case 'exit':
        return; // terminators (a jcond to its own fall-through has no effect)
      case 'may_goto':
        // Only in a body when it jumps to its own fall-through: the counter still counts.
        this.mayGoto();
        c.op(OP.drop);
        return;
      case 'lddw': {
        // The value the loader resolved, from the predecoded program.
        const code = this.prog.program.code;
        c.i64((BigInt(code[pc * 4 + 7]! >>> 0) << 32n) | BigInt(code[pc * 4 + 3]! >>> 0)).set(reg(insn.dst));
        return;
      }
      case 'ldx':
        this.load(insn.dst, insn.sreg, insn.off, insn.size, insn.sx, pc);
        return;
      case 'st':
        this.store(insn.dst, insn.off, insn.size, () => c.i64(insn.imm), pc);
        return;
      case 'stx':
        this.store(insn.dst, insn.off, insn.size, () => c.get(reg(insn.sreg)), pc);
        return;
      case 'load_acquire':
        this.load(insn.dst, insn.sreg, insn.off, insn.size, false, pc);
        c.atomic(ATOMIC.fence, 0);
        return;
      case 'store_release':
        c.atomic(ATOMIC.fence, 0);
        this.store(insn.dst, insn.off, insn.size, () => c.get(reg(insn.sreg)), pc);
        return;
      case 'atomic':
        this.atomic(insn, pc);
        return;
      case 'ldpkt': {
        c.i32(insn.size);
        if (insn.mode === 'ind') c.get(reg(insn.sreg)).op(OP.i32_wrap_i64).i32(insn.imm).op(OP.i32_add);
        else c.i32(insn.imm);
        this.cyc?.save();
        c.i32(pc).idx(OP.call, F_LDPKT).op(OP.i32_eqz).open(OP.if);
        this.syncBudget();
        c.i64(0).set(L_R0).i32(JIT_STATUS.early).idx(OP.global_set, G_STATUS).i64(0).op(OP.return);
        c.end();
        c.idx(OP.global_get, G_CORE).mem(OP.i64_load32_u, 2, lo32(0)).set(L_R0);
        return;
      }
      case 'call':
        this.call(insn, pc);
        this.loadWindow();
        return;
      case 'callx':
        // bpf_conformance's indirect call: no verified program contains it (the kernel refuses 0x8d), so
        // such a program stays on the interpreter
        throw new JitUnsupported(`callx at pc ${pc} (an indirect call) is not compiled`, pc);
      default:
        assertNever(insn, 'instruction');
    }
  }

  /**
   * A helper (or, with fn = F_KFUNC, a kfunc) through its import: the state block exact, r0 read
   * back; a tail call continues in its target (a kfunc import always returns 0).
   */
  private helperCall(id: number, pc: number, fn: number = F_HELPER): void {
    const c = this.c;
    // The state block is exact during a helper: arguments, r10, budget and may_goto counter.
    for (const r of [1, 2, 3, 4, 5, 10]) storeReg64(c, r, reg(r));
    c.idx(OP.global_get, G_CORE).get(L_BUD).mem(OP.i32_store, 2, word(S_BUDGET));
    c.idx(OP.global_get, G_CORE).idx(OP.global_get, G_MAYGOTO).mem(OP.i32_store, 2, word(S_MAYGOTO));
    this.cyc?.save();
    c.i32(id).i32(pc).i32(this.prog.program.id).idx(OP.call, fn).set(L_A0);
    this.cyc?.load();
    c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, word(S_BUDGET)).tee(L_BUD).idx(OP.global_set, G_BUDGET);
    c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, word(S_MAYGOTO)).idx(OP.global_set, G_MAYGOTO);
    c.get(L_A0).open(OP.if);
    // bpf_tail_call: continue in the target program with the same frame and registers.
    for (const r of [1, 2, 3, 4, 5, 10]) c.get(reg(r));
    c.get(L_A0).i32(1).op(OP.i32_sub).callIndirect(this.tableType).op(OP.return);
    c.end();
    loadReg64(c, 0);
    c.set(L_R0);
  }

  private call(insn: Extract<Insn, { kind: 'call' }>, pc: number): void {
    const c = this.c;
    switch (insn.callee) {
      case 'helper':
        // The interpreter writes its budget to the state block at every helper call (a later fault
        // reports the instructions counted up to there): so do the helpers compiled in.
        c.get(L_CORE).get(L_BUD).mem(OP.i32_store, 2, word(S_BUDGET));
        if (insn.imm === HELPER_IDS.map_lookup_elem && this.arrayLookupAt(pc)) return;
        if (insn.imm === HELPER_IDS.map_lookup_elem && this.inlineLookup) {
          // Array maps inline ($lookup -> found, r0 in T0); anything else (or a bad argument) goes to the helper table.
          c.get(reg(1)).get(reg(2)).get(reg(10)).op(OP.i32_wrap_i64).idx(OP.call, F_LOOKUP).set(L_T0).op(OP.i32_eqz).open(OP.if);
          this.helperCall(insn.imm, pc);
          c.op(OP.else).get(L_T0).set(L_R0).end();
          return;
        }
        if (this.inlineHelper(insn.imm, pc)) return;
        this.helperCall(insn.imm, pc);
        return;
      case 'local': {
        const target = this.fnIndexOfPc(pc + insn.imm + 1);
        // The interpreter's limit: the new frame would be the ninth (this one is the eighth: r10 is
        // the lowest frame's top, STACK_FRAME).
        c.get(reg(10)).op(OP.i32_wrap_i64).i32(STACK_FRAME).op(OP.i32_le_u).open(OP.if);
        this.fault(JIT_FAULT.depth, pc, -1);
        c.end();
        // The callee's frame is cleared, as much of it as the callee uses (the predecoded call's offset).
        const clear = this.prog.program.code[pc * 4 + 2]!;
        if (clear > 0) c.get(L_FP).i32(clear).op(OP.i32_sub).i32(0).i32(clear).memoryFill();
        this.syncBudget();
        for (const r of [1, 2, 3, 4, 5]) c.get(reg(r));
        c.get(reg(10)).i64(STACK_FRAME).op(OP.i64_sub);
        c.idx(OP.call, target).set(L_R0);
        c.idx(OP.global_get, G_BUDGET).set(L_BUD);
        this.cyc?.load();
        this.afterCall(pc + 1);
        return;
      }
      case 'kfunc':
        // kernel functions through the kfunc import (firmware/kfuncs' table, the state block exact)
        this.helperCall(insn.imm, pc, F_KFUNC);
        return;
      default:
        assertNever(insn.callee, 'call kind');
    }
  }

  /**
   * The helpers compiled into the module (helpers.ts): true when `id` is one of them. Those that
   * can decline (a pointer argument they cannot resolve, a multi-buffer tail) fall back to the import.
   */
  private inlineHelper(id: number, pc: number): boolean {
    const c = this.c;
    const orImport = (fn: number, args: () => void) => {
      args();
      c.idx(OP.call, fn).set(L_T0).op(OP.i32_eqz).open(OP.if);
      this.helperCall(id, pc);
      c.op(OP.else).get(L_T0).set(L_R0).end();
    };
    switch (id) {
      case HELPER_IDS.csum_diff:
        orImport(F_CSUM, () => {
          for (const r of [1, 2, 3, 4, 5]) c.get(reg(r));
          c.get(reg(10)).op(OP.i32_wrap_i64);
        });
        return true;
      case HELPER_IDS.xdp_adjust_head:
      case HELPER_IDS.xdp_adjust_meta:
      case HELPER_IDS.xdp_adjust_tail: {
        const fn = id === HELPER_IDS.xdp_adjust_head ? F_ADJUST_HEAD : id === HELPER_IDS.xdp_adjust_meta ? F_ADJUST_META : F_ADJUST_TAIL;
        orImport(fn, () => c.get(reg(2)).op(OP.i32_wrap_i64));
        return true;
      }
      case HELPER_IDS.map_update_elem:
        if (!this.inlineLookup) return false;
        orImport(F_UPDATE, () => {
          for (const r of [1, 2, 3, 4]) c.get(reg(r));
          c.get(reg(10)).op(OP.i32_wrap_i64);
        });
        return true;
      case HELPER_IDS.map_delete_elem:
        if (!this.inlineLookup) return false;
        orImport(F_DELETE, () => {
          for (const r of [1, 2]) c.get(reg(r));
          c.get(reg(10)).op(OP.i32_wrap_i64);
        });
        return true;
      case HELPER_IDS.redirect_map:
        if (!this.maps.some((m) => m.redirect)) return false;
        orImport(F_REDIRECT_MAP, () => {
          for (const r of [1, 2, 3]) c.get(reg(r));
        });
        return true;
      case HELPER_IDS.redirect:
        c.get(reg(1)).get(reg(2)).idx(OP.call, F_REDIRECT).set(L_R0);
        return true;
      case HELPER_IDS.ktime_get_ns:
      case HELPER_IDS.ktime_get_coarse_ns:
      case HELPER_IDS.ktime_get_tai_ns:
        orImport(F_KTIME, () => {});
        return true;
      case HELPER_IDS.xdp_get_buff_len:
        c.idx(OP.call, F_BUFLEN).set(L_R0);
        return true;
      case HELPER_IDS.get_prandom_u32: {
        // xorshift32 on the state block's S_PRNG (XdpCore.nextRandom); r0 = the new state, unsigned
        c.idx(OP.global_get, G_CORE).mem(OP.i32_load, 2, word(S_PRNG)).tee(L_A0);
        c.get(L_A0).i32(13).op(OP.i32_shl).op(OP.i32_xor).tee(L_A0);
        c.get(L_A0).i32(17).op(OP.i32_shr_u).op(OP.i32_xor).tee(L_A0);
        c.get(L_A0).i32(5).op(OP.i32_shl).op(OP.i32_xor).set(L_A0);
        c.idx(OP.global_get, G_CORE).get(L_A0).mem(OP.i32_store, 2, word(S_PRNG));
        c.get(L_A0).op(OP.i64_extend_i32_u).set(L_R0);
        return true;
      }
      default:
        return false;
    }
  }

  /**
   * bpf_map_lookup_elem right after `r1 = map` (an lddw of a map-object pointer in the same block, so
   * r1 is that map) on an array or per-CPU array: the lookup at the call site. A key not on the stack
   * goes to the helper table, as from $lookup.
   */
  private arrayLookupAt(pc: number): boolean {
    const slots = this.prog.slots;
    const ld = slots[pc - 2];
    if (pc - 2 < this.blockStart || ld?.kind !== 'lddw' || ld.dst !== 1 || slots[pc - 1] !== null) return false;
    const code = this.prog.program.code;
    if (code[(pc - 2) * 4 + 7]! !== MAP_PTR_TAG) return false;
    const i = code[(pc - 2) * 4 + 3]!;
    const a = this.maps[i]?.array;
    if (!a) return false;
    const c = this.c;
    const k = reg(2);
    // the key: 4 bytes on the stack inside [current frame, top)
    c.get(k).i64(32).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(REGION_TAG + REGION_STACK).op(OP.i32_ne);
    c.get(k).i64(MASK32).op(OP.i64_and).tee(L_T0).get(reg(10)).i64(MASK32).op(OP.i64_and).i64(STACK_FRAME).op(OP.i64_sub).op(OP.i64_lt_s).op(OP.i32_or);
    c.get(L_T0).i64(4).op(OP.i64_add).i64(STACK_BYTES).op(OP.i64_gt_s).op(OP.i32_or).open(OP.if);
    this.helperCall(HELPER_IDS.map_lookup_elem, pc);
    c.op(OP.else);
    c.get(L_CORE).get(L_T0).op(OP.i32_wrap_i64).op(OP.i32_add).mem(OP.i32_load, 0, CORE_STACK).tee(L_A0).i32(a.maxEntries).op(OP.i32_ge_u).open(OP.if, I64);
    c.i64(0);
    c.op(OP.else);
    c.get(L_A0).op(OP.i64_extend_i32_u).i64(a.stride).op(OP.i64_mul).i64(a.values).op(OP.i64_add);
    if (a.slot) c.idx(OP.global_get, G_CPU).op(OP.i64_extend_i32_u).i64(a.slot).op(OP.i64_mul).op(OP.i64_add);
    c.i64(BigInt(REGION_TAG + REGION_MAP0 + i) << 32n).op(OP.i64_or);
    c.end();
    c.set(L_R0);
    c.end();
    return true;
  }

  /** G_BUDGET = the local budget (before a call, punt or return). */
  private syncBudget(): void {
    this.cyc?.save();
    this.c.get(L_BUD).idx(OP.global_set, G_BUDGET);
  }

  /** The packet window into its locals. */
  private loadWindow(): void {
    this.c.get(L_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + CTX_DATA_META * 4).set(L_PMETA);
    this.c.get(L_CORE).mem(OP.i64_load32_u, 2, CORE_CTX + CTX_DATA_END * 4).set(L_PEND);
  }

  /**
   * Function prologue: the budget and packet window into their locals, the current frame's address;
   * opens the fault tail's block around the body (closed by `epilogue`).
   */
  prologue(): void {
    this.c.idx(OP.global_get, G_CORE).tee(L_CORE).i32(CORE_FRAME).op(OP.i32_add).set(L_PKT);
    this.loadWindow();
    this.c.idx(OP.global_get, G_BUDGET).set(L_BUD);
    this.c.idx(OP.global_get, G_CORE).get(reg(10)).op(OP.i32_wrap_i64).op(OP.i32_add).i32(CORE_STACK - STACK_FRAME).op(OP.i32_add).set(L_FP);
    this.cyc?.load();
    this.c.open(OP.block);
    this.faultLevel = this.c.depth;
  }

  /**
   * After the body (which never falls through): the fault tail every failed check branches to. It
   * unpacks the site (faultSite) and calls the fault import, which throws the interpreter's Fault.
   */
  epilogue(): void {
    const c = this.c;
    c.end();
    const field = (shift: number, mask: number) => c.get(L_FSITE).i64(shift).op(OP.i64_shr_u).op(OP.i32_wrap_i64).i32(mask).op(OP.i32_and);
    field(32, 0xf); // kind
    c.get(L_FSITE).op(OP.i32_wrap_i64); // pc
    c.i32(this.prog.program.id);
    field(36, 0xf).i32(1).op(OP.i32_sub); // reg
    field(44, 0xffff).op(OP.i32_extend16_s); // off
    field(40, 0xf); // size
    this.cyc?.save();
    c.get(L_FVAL).get(reg(10)).op(OP.i32_wrap_i64).idx(OP.call, F_FAULT).op(OP.unreachable);
  }

  open(kind: 'block' | 'loop' | 'if'): void {
    this.c.open(kind === 'block' ? OP.block : kind === 'loop' ? OP.loop : OP.if);
  }
}
