// The reference interpreter: executes pre-decoded programs with the Linux kernel's semantics.
//  - 64-bit registers as pairs of int32 halves (no BigInt on the common paths, nothing allocated per
//    instruction); 32-bit ALU results are zero-extended; shift counts are masked; x / 0 = 0,
//    x % 0 = x (truncated to 32 bits for ALU32); INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
//  - registers, pc, program, call frames, budget and counters live in a state block in shared memory
//    (firmware/state.ts): exact whenever control is outside `exec`, so a run can stop at a punt pc and
//    continue on another core (`resume`).
//  - bpf-to-bpf calls get their own 512-byte stack frame; r6-r9 and r10 are restored on return.
//  - every memory access goes through the region table (memory.ts) and is bounds-checked.
//  - a per-run instruction budget turns a runaway program into a typed fault, not a hang.
// The opcode enumeration below lives in this file so that its values are inlined as literals into
// the dispatch switch (a dense jump table); the tables mapping the ISA's operations to it are typed
// `Record<op, ...>` over the ISA's own lists, so an operation the ISA gains is a compile error here.
import { assertNever, type AluOp, type AtomicOp, type Insn, type JmpCond, type Slot } from '../../offload/isa/index.ts';
import { EXIT, type ExitKind } from '../engine.ts';
import { MAX_CALL_FRAMES, REGION_STACK, REGION_TAG, STACK_BYTES, STACK_FRAME } from '../layout.ts';
import { F_PROG, F_RET_PC, F_SAVED, FRAME_WORDS, S_BUDGET, S_DEPTH, S_FRAMES, S_MAYGOTO, S_PC, S_PROG, S_TAIL, stateView, STATE_WORDS, type StateView } from '../state.ts';
import { Fault } from './fault.ts';
import { bswap16, bswap32, mul64, type Pair, sdivmod64, udivmod64 } from './int64.ts';
import { makeRegion, type Region, RegionKind } from './memory.ts';

export { MAX_CALL_FRAMES, STACK_FRAME } from '../layout.ts';

const enum Op {
  // ALU64, immediate (0..14) and register (15..31)
  ADD64_K, SUB64_K, MUL64_K, DIV64_K, SDIV64_K, OR64_K, AND64_K, LSH64_K, RSH64_K, NEG64, MOD64_K, SMOD64_K, XOR64_K, MOV64_K, ARSH64_K,
  ADD64_X, SUB64_X, MUL64_X, DIV64_X, SDIV64_X, OR64_X, AND64_X, LSH64_X, RSH64_X, MOD64_X, SMOD64_X, XOR64_X, MOV64_X, ARSH64_X,
  MOVSX8_64, MOVSX16_64, MOVSX32_64,
  // ALU32
  ADD32_K, SUB32_K, MUL32_K, DIV32_K, SDIV32_K, OR32_K, AND32_K, LSH32_K, RSH32_K, NEG32, MOD32_K, SMOD32_K, XOR32_K, MOV32_K, ARSH32_K,
  ADD32_X, SUB32_X, MUL32_X, DIV32_X, SDIV32_X, OR32_X, AND32_X, LSH32_X, RSH32_X, MOD32_X, SMOD32_X, XOR32_X, MOV32_X, ARSH32_X,
  MOVSX8_32, MOVSX16_32,
  // byte swaps
  LE16, LE32, LE64, BSWAP16, BSWAP32, BSWAP64,
  // jumps
  JA, JEQ64_K, JGT64_K, JGE64_K, JSET64_K, JNE64_K, JSGT64_K, JSGE64_K, JLT64_K, JLE64_K, JSLT64_K, JSLE64_K,
  JEQ64_X, JGT64_X, JGE64_X, JSET64_X, JNE64_X, JSGT64_X, JSGE64_X, JLT64_X, JLE64_X, JSLT64_X, JSLE64_X,
  JEQ32_K, JGT32_K, JGE32_K, JSET32_K, JNE32_K, JSGT32_K, JSGE32_K, JLT32_K, JLE32_K, JSLT32_K, JSLE32_K,
  JEQ32_X, JGT32_X, JGE32_X, JSET32_X, JNE32_X, JSGT32_X, JSGE32_X, JLT32_X, JLE32_X, JSLT32_X, JSLE32_X,
  MAY_GOTO, CALL_HELPER, CALL_LOCAL, CALL_KFUNC, EXIT,
  LDDW,
  // memory
  LDX1, LDX2, LDX4, LDX8, LDXS1, LDXS2, LDXS4,
  ST1, ST2, ST4, ST8, STX1, STX2, STX4, STX8,
  ATOMIC, LDABS, LDIND, LDACQ, STREL,
  /** Placed after the last slot: execution fell off the end of the program. */
  FELL_OFF,
  /** Patched over a punt pc in a NIC core's copy of a program (withPunts): stop before it. */
  PUNT,
  /** An operand combination the ISA does not have (never produced by the decoder). */
  INVALID,
}

/** Per ALU operation: its opcode as [64-bit imm, 64-bit reg, 32-bit imm, 32-bit reg]. */
const ALU_OP = {
  add: [Op.ADD64_K, Op.ADD64_X, Op.ADD32_K, Op.ADD32_X],
  sub: [Op.SUB64_K, Op.SUB64_X, Op.SUB32_K, Op.SUB32_X],
  mul: [Op.MUL64_K, Op.MUL64_X, Op.MUL32_K, Op.MUL32_X],
  div: [Op.DIV64_K, Op.DIV64_X, Op.DIV32_K, Op.DIV32_X],
  sdiv: [Op.SDIV64_K, Op.SDIV64_X, Op.SDIV32_K, Op.SDIV32_X],
  or: [Op.OR64_K, Op.OR64_X, Op.OR32_K, Op.OR32_X],
  and: [Op.AND64_K, Op.AND64_X, Op.AND32_K, Op.AND32_X],
  lsh: [Op.LSH64_K, Op.LSH64_X, Op.LSH32_K, Op.LSH32_X],
  rsh: [Op.RSH64_K, Op.RSH64_X, Op.RSH32_K, Op.RSH32_X],
  neg: [Op.NEG64, Op.INVALID, Op.NEG32, Op.INVALID],
  mod: [Op.MOD64_K, Op.MOD64_X, Op.MOD32_K, Op.MOD32_X],
  smod: [Op.SMOD64_K, Op.SMOD64_X, Op.SMOD32_K, Op.SMOD32_X],
  xor: [Op.XOR64_K, Op.XOR64_X, Op.XOR32_K, Op.XOR32_X],
  mov: [Op.MOV64_K, Op.MOV64_X, Op.MOV32_K, Op.MOV32_X],
  movsx8: [Op.INVALID, Op.MOVSX8_64, Op.INVALID, Op.MOVSX8_32],
  movsx16: [Op.INVALID, Op.MOVSX16_64, Op.INVALID, Op.MOVSX16_32],
  movsx32: [Op.INVALID, Op.MOVSX32_64, Op.INVALID, Op.INVALID],
  arsh: [Op.ARSH64_K, Op.ARSH64_X, Op.ARSH32_K, Op.ARSH32_X],
} as const satisfies Record<AluOp, readonly [Op, Op, Op, Op]>;
/** Per jump condition: [64-bit imm, 64-bit reg, 32-bit imm, 32-bit reg]. */
const JMP_OP = {
  jeq: [Op.JEQ64_K, Op.JEQ64_X, Op.JEQ32_K, Op.JEQ32_X],
  jgt: [Op.JGT64_K, Op.JGT64_X, Op.JGT32_K, Op.JGT32_X],
  jge: [Op.JGE64_K, Op.JGE64_X, Op.JGE32_K, Op.JGE32_X],
  jset: [Op.JSET64_K, Op.JSET64_X, Op.JSET32_K, Op.JSET32_X],
  jne: [Op.JNE64_K, Op.JNE64_X, Op.JNE32_K, Op.JNE32_X],
  jsgt: [Op.JSGT64_K, Op.JSGT64_X, Op.JSGT32_K, Op.JSGT32_X],
  jsge: [Op.JSGE64_K, Op.JSGE64_X, Op.JSGE32_K, Op.JSGE32_X],
  jlt: [Op.JLT64_K, Op.JLT64_X, Op.JLT32_K, Op.JLT32_X],
  jle: [Op.JLE64_K, Op.JLE64_X, Op.JLE32_K, Op.JLE32_X],
  jslt: [Op.JSLT64_K, Op.JSLT64_X, Op.JSLT32_K, Op.JSLT32_X],
  jsle: [Op.JSLE64_K, Op.JSLE64_X, Op.JSLE32_K, Op.JSLE32_X],
} as const satisfies Record<JmpCond, readonly [Op, Op, Op, Op]>;
/** Column of ALU_OP / JMP_OP for an instruction's width and source. */
const column = (width: 32 | 64, src: 'imm' | 'reg'): 0 | 1 | 2 | 3 => ((width === 64 ? 0 : 2) + (src === 'imm' ? 0 : 1)) as 0 | 1 | 2 | 3;
/** Offset of a size's opcode from the 1-byte opcode of the same family (LDX1, ST1, STX1, LDXS1). */
const SIZE_INDEX = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;
/** The atomic operation's number in the ATOMIC case of the dispatch (| 0x100 for 64-bit). */
const ATOMIC_CODE = { add: 0, or: 1, and: 2, xor: 3, fetch_add: 4, fetch_or: 5, fetch_and: 6, fetch_xor: 7, xchg: 8, cmpxchg: 9 } as const satisfies Record<AtomicOp, number>;

/** The value an lddw loads, after the loader has resolved its pseudo source (map references...). */
export type LddwResolver = (insn: Extract<Insn, { kind: 'lddw' }>, pc: number) => Pair;

/**
 * A program ready to run: 4 int32 per slot (op, dst | src << 4, off, imm). Plain data (the code is an
 * Int32Array), so it can be posted to a worker thread as is.
 */
export interface Program {
  /** Program id (ObjectSpec order + 1; 0 for a bare program): frame records and tail calls name it. */
  id: number;
  name: string;
  code: Int32Array;
  slots: number;
  /** Bytes of stack the entry frame uses (zeroed on entry); 512 when unknown. */
  stackDepth: number;
  /** The pcs patched to PUNT (withPunts), empty for a full program. */
  puntPcs: readonly number[];
}

export interface PredecodeOptions {
  id?: number;
  /** Stack bytes a bpf-to-bpf callee starting at `pc` uses (zeroed on each call); 512 when unknown. */
  calleeDepth?: (pc: number) => number | undefined;
}

const plainLddw: LddwResolver = (insn, pc) => {
  if (insn.pseudo !== 0) throw new Fault('fault.mem', `lddw pseudo source ${insn.pseudo} needs a loader to resolve it`, pc);
  return { lo: insn.imm, hi: insn.imm2 };
};

/** Pre-decodes a slot array into the interpreter's compact form. */
export function predecode(slots: readonly Slot[], name = 'prog', resolve: LddwResolver = plainLddw, stackDepth = STACK_FRAME, opts: PredecodeOptions = {}): Program {
  // One extra slot at the end catches execution falling off the program (no per-instruction pc check).
  const code = new Int32Array((slots.length + 1) * 4);
  code[slots.length * 4] = Op.FELL_OFF;
  for (let pc = 0; pc < slots.length; pc++) {
    const insn = slots[pc];
    if (!insn) continue;
    const o = pc * 4;
    let op: number;
    let dst = 0;
    let src = 0;
    let off = 0;
    let imm = 0;
    switch (insn.kind) {
      case 'alu': {
        dst = insn.dst;
        src = insn.sreg;
        imm = insn.imm;
        op = ALU_OP[insn.op][column(insn.width, insn.src)];
        break;
      }
      case 'end':
        dst = insn.dst;
        op = (insn.op === 'le' ? Op.LE16 : Op.BSWAP16) + (insn.bits === 16 ? 0 : insn.bits === 32 ? 1 : 2);
        break;
      case 'ja':
        op = Op.JA;
        off = insn.off;
        break;
      case 'gotol':
        op = Op.JA;
        off = insn.imm;
        break;
      case 'may_goto':
        op = Op.MAY_GOTO;
        off = insn.off;
        break;
      case 'jcond': {
        dst = insn.dst;
        src = insn.sreg;
        imm = insn.imm;
        off = insn.off;
        op = JMP_OP[insn.op][column(insn.width, insn.src)];
        break;
      }
      case 'call':
        op = insn.callee === 'helper' ? Op.CALL_HELPER : insn.callee === 'local' ? Op.CALL_LOCAL : Op.CALL_KFUNC;
        imm = insn.imm;
        // A local call keeps the callee's stack use in the unused offset field: only that much is cleared.
        if (insn.callee === 'local') off = Math.min(STACK_FRAME, opts.calleeDepth?.(pc + insn.imm + 1) ?? STACK_FRAME);
        break;
      case 'exit':
        op = Op.EXIT;
        break;
      case 'lddw': {
        op = Op.LDDW;
        dst = insn.dst;
        const v = resolve(insn, pc);
        imm = v.lo;
        code[o + 7] = v.hi;
        break;
      }
      case 'ldpkt':
        op = insn.mode === 'abs' ? Op.LDABS : Op.LDIND;
        src = insn.sreg;
        imm = insn.imm;
        off = insn.size;
        break;
      case 'ldx':
      case 'stx':
      case 'load_acquire':
      case 'store_release':
      case 'atomic':
        // Memory instructions with a register operand: dst, src and offset as encoded.
        dst = insn.dst;
        src = insn.sreg;
        off = insn.off;
        if (insn.kind === 'ldx') op = (insn.sx ? Op.LDXS1 : Op.LDX1) + SIZE_INDEX[insn.size];
        else if (insn.kind === 'stx') op = Op.STX1 + SIZE_INDEX[insn.size];
        else if (insn.kind === 'atomic') {
          op = Op.ATOMIC;
          imm = ATOMIC_CODE[insn.op] | (insn.size === 8 ? 0x100 : 0);
        } else {
          op = insn.kind === 'load_acquire' ? Op.LDACQ : Op.STREL;
          imm = insn.size;
        }
        break;
      case 'st':
        dst = insn.dst;
        off = insn.off;
        imm = insn.imm;
        op = Op.ST1 + SIZE_INDEX[insn.size];
        break;
      default:
        return assertNever(insn, 'instruction');
    }
    code[o] = op;
    code[o + 1] = dst | (src << 4);
    code[o + 2] = off;
    code[o + 3] = imm;
  }
  return { id: opts.id ?? 0, name, code, slots: slots.length, stackDepth: Math.min(stackDepth, STACK_FRAME), puntPcs: [] };
}

/**
 * A copy of `prog` that stops before each of `puntPcs` (the capability verifier's punt pcs): the
 * instruction there becomes PUNT, which saves the state and returns EXIT.punt. The original stays
 * untouched for the host path, which resumes at that pc. No cost for the other instructions.
 */
export function withPunts(prog: Program, puntPcs: readonly number[]): Program {
  const code = prog.code.slice();
  for (const pc of puntPcs) {
    if (!Number.isInteger(pc) || pc < 0 || pc >= prog.slots) throw new RangeError(`punt pc ${pc} is outside program ${prog.name} (${prog.slots} slots)`);
    code[pc * 4] = Op.PUNT;
  }
  return { ...prog, code, puntPcs: [...puntPcs].sort((a, b) => a - b) };
}

/** What the world outside the program provides: helpers, the context, tail calls. */
export interface Env {
  /** Executes helper `id`; reads r1-r5 from vm.lo/vm.hi and writes r0. */
  helper(vm: Vm, id: number, pc: number): void;
  /** A load from a RegionKind.Ctx region: sets vm.rlo / vm.rhi. */
  ctxLoad(vm: Vm, region: Region, off: number, size: number, pc: number): void;
  /** A store to a RegionKind.Ctx region. */
  ctxStore(vm: Vm, region: Region, off: number, size: number, lo: number, hi: number, pc: number): void;
  /** Legacy LD_ABS/LD_IND: the packet region and its data offset, or null when unsupported. */
  legacyPacket?(vm: Vm): { region: Region; data: number; end: number } | null;
}

export const MAX_TAIL_CALLS = 33;
/** may_goto's iteration limit per run (BPF_MAX_LOOPS). */
const BPF_MAX_LOOPS = 8 * 1024 * 1024;

const noEnv: Env = {
  helper: (_vm, id, pc) => {
    throw new Fault('fault.helper', `helper ${id} is not available here`, pc);
  },
  ctxLoad: (_vm, _r, _o, _s, pc) => {
    throw new Fault('fault.ctx', 'no context in this run', pc);
  },
  ctxStore: (_vm, _r, _o, _s, _l, _h, pc) => {
    throw new Fault('fault.ctx', 'no context in this run', pc);
  },
};

/** The memory a Vm runs on: a state block and a stack (a core's blocks in the arena, or private). */
export interface VmMemory {
  state: StateView;
  stack: Uint8Array;
}

function privateVmMemory(): VmMemory {
  // Shared like an arena's blocks, so that exec only ever sees one kind of typed-array backing store.
  return { state: stateView(new SharedArrayBuffer(STATE_WORDS * 4), 0), stack: new Uint8Array(new SharedArrayBuffer(STACK_BYTES)) };
}

/**
 * The interpreter bound to one state block and stack (one per core). Reusable across runs: the
 * region table and every scratch object are allocated once.
 */
export class Vm {
  /** Register halves r0..r10: views of the state block. */
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  /** The whole state block (firmware/state.ts). */
  readonly words: Int32Array;
  /** Region table; index i is addressed by pointers whose high word is REGION_TAG + i. Region 0 is the stack. */
  regions: Region[] = [];
  readonly stack: Region;
  env: Env = noEnv;
  /** Programs by id, for returns into a caller's program, tail calls and resume. */
  programs: readonly (Program | undefined)[] = [];
  /** Per-run instruction budget. */
  budget = 64_000_000;
  /** Instructions executed by the last run or resume. */
  executed = 0;
  /** Result of the last memory load (ctx handlers write here too). */
  rlo = 0;
  rhi = 0;
  /** Set by the tail-call helper: the program to continue with. */
  tailTarget: Program | null = null;
  /** The program executing (helpers that call back into it need it; a fault names it). */
  current: Program | null = null;
  /** The program the current run started with (frame records of a bare program name it by id 0). */
  private entry: Program | null = null;
  /** Helper callbacks (bpf_loop) currently executing: a punt inside one cannot be saved. */
  private nesting = 0;
  private readonly pair: Pair = { lo: 0, hi: 0 };
  private ea = 0;
  /** r6..r10 of the callers of nested callback executions. */
  private readonly cbSaved = new Int32Array(MAX_CALL_FRAMES * 10);

  constructor(mem: VmMemory = privateVmMemory()) {
    this.words = mem.state.words;
    this.lo = mem.state.lo;
    this.hi = mem.state.hi;
    this.stack = makeRegion('stack', mem.stack, true);
    this.regions.push(this.stack);
  }

  /** Pointer (lo, hi) to byte `off` of region `index`. */
  static pointer(index: number, off: number): Pair {
    return { lo: off | 0, hi: REGION_TAG + index };
  }

  /** Adds a region and returns its index. */
  addRegion(r: Region): number {
    this.regions.push(r);
    return this.regions.length - 1;
  }

  /** Resolves register `reg` + `off` to a region for an access of `size` bytes; sets this.ea. */
  resolve(reg: number, off: number, size: number, pc: number): Region {
    const ea = (this.lo[reg]! >>> 0) + off;
    const r = this.regions[this.hi[reg]! - REGION_TAG];
    if (r === undefined || ea < r.start || ea + size > r.size) this.badAccess(reg, off, size, pc, r);
    this.ea = ea;
    return r;
  }

  /** Like resolve, for an address held in a (lo, hi) pair (helpers use this). */
  resolveAddr(lo: number, hi: number, size: number, pc: number, what: string): Region {
    const ea = lo >>> 0;
    const r = this.regions[hi - REGION_TAG];
    if (r === undefined || ea < r.start || ea + size > r.size)
      throw new Fault('fault.mem', `${what}: invalid memory access of ${size} bytes at 0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}`, pc);
    this.ea = ea;
    return r;
  }

  /** Byte offset inside the region of the last resolved access. */
  get lastEa(): number {
    return this.ea;
  }

  private badAccess(reg: number, off: number, size: number, pc: number, r: Region | undefined): never {
    const base = `r${reg}${off < 0 ? '' : '+'}${off}`;
    if (r === undefined) {
      const v = `0x${(this.hi[reg]! >>> 0).toString(16)}${(this.lo[reg]! >>> 0).toString(16).padStart(8, '0')}`;
      throw new Fault('fault.mem', `invalid memory access of ${size} bytes at ${base} (r${reg} = ${v} is not a pointer into any region)`, pc);
    }
    const ea = (this.lo[reg]! >>> 0) + off;
    throw new Fault('fault.mem', `out-of-bounds access of ${size} bytes at ${base}: offset ${ea} outside ${r.name} [${r.start}, ${r.size})`, pc);
  }

  private load(reg: number, off: number, size: number, signed: boolean, pc: number): void {
    const r = this.resolve(reg, off, size, pc);
    if (r.kind === RegionKind.Ctx) {
      this.env.ctxLoad(this, r, this.ea, size, pc);
      return;
    }
    const dv = r.dv;
    const ea = this.ea;
    switch (size) {
      case 1:
        this.rlo = signed ? dv.getInt8(ea) : dv.getUint8(ea);
        break;
      case 2:
        this.rlo = signed ? dv.getInt16(ea, true) : dv.getUint16(ea, true);
        break;
      case 4:
        this.rlo = dv.getInt32(ea, true);
        this.rhi = signed ? this.rlo >> 31 : 0;
        return;
      default:
        this.rlo = dv.getInt32(ea, true);
        this.rhi = dv.getInt32(ea + 4, true);
        return;
    }
    this.rhi = signed ? this.rlo >> 31 : 0;
  }

  private store(reg: number, off: number, size: number, lo: number, hi: number, pc: number): void {
    const r = this.resolve(reg, off, size, pc);
    if (r.kind === RegionKind.Ctx) {
      this.env.ctxStore(this, r, this.ea, size, lo, hi, pc);
      return;
    }
    if (!r.writable) throw new Fault('fault.readonly', `write into read-only ${r.name}`, pc);
    const dv = r.dv;
    const ea = this.ea;
    switch (size) {
      case 1:
        dv.setUint8(ea, lo & 0xff);
        break;
      case 2:
        dv.setUint16(ea, lo & 0xffff, true);
        break;
      case 4:
        dv.setInt32(ea, lo, true);
        break;
      default:
        dv.setInt32(ea, lo, true);
        dv.setInt32(ea + 4, hi, true);
    }
  }

  /** BPF_ATOMIC: `code` = operation index | 0x100 for 64-bit. Uses real Atomics on the region's memory. */
  private atomic(code: number, d: number, s: number, off: number, pc: number): void {
    const size = code & 0x100 ? 8 : 4;
    const r = this.resolve(d, off, size, pc);
    if (r.kind === RegionKind.Ctx) throw new Fault('fault.ctx', 'atomic operation on the context', pc);
    if (!r.writable) throw new Fault('fault.readonly', `atomic write into read-only ${r.name}`, pc);
    const ea = this.ea;
    if (ea % size !== 0 || (r.u8.byteOffset + ea) % size !== 0)
      throw new Fault('fault.misaligned', `misaligned ${size}-byte atomic at offset ${ea} of ${r.name}`, pc);
    const lo = this.lo;
    const hi = this.hi;
    const i32 = r.i32;
    const k = ea >> 2;
    const op = code & 0xff;
    const vlo = lo[s]!;
    const vhi = hi[s]!;
    if (size === 4) {
      let old: number;
      switch (op) {
        case 0: case 4: old = Atomics.add(i32, k, vlo); break;
        case 1: case 5: old = Atomics.or(i32, k, vlo); break;
        case 2: case 6: old = Atomics.and(i32, k, vlo); break;
        case 3: case 7: old = Atomics.xor(i32, k, vlo); break;
        case 8: old = Atomics.exchange(i32, k, vlo); break;
        default: {
          old = Atomics.compareExchange(i32, k, lo[0]!, vlo);
          lo[0] = old;
          hi[0] = 0;
          return;
        }
      }
      if (op >= 4) {
        lo[s] = old;
        hi[s] = 0;
      }
      return;
    }
    // 64-bit. add/or/and/xor work word by word (the final memory value is exact under concurrency;
    // the fetched old value of an add may tear between the words). xchg/cmpxchg are single 64-bit
    // atomics on a BigInt64Array view (rare, so BigInt stays off the common path).
    let oldLo: number;
    let oldHi: number;
    switch (op) {
      case 0: case 4: {
        oldLo = Atomics.add(i32, k, vlo);
        const carry = (oldLo >>> 0) + (vlo >>> 0) > 0xffffffff ? 1 : 0;
        oldHi = Atomics.add(i32, k + 1, (vhi + carry) | 0);
        break;
      }
      case 1: case 5: oldLo = Atomics.or(i32, k, vlo); oldHi = Atomics.or(i32, k + 1, vhi); break;
      case 2: case 6: oldLo = Atomics.and(i32, k, vlo); oldHi = Atomics.and(i32, k + 1, vhi); break;
      case 3: case 7: oldLo = Atomics.xor(i32, k, vlo); oldHi = Atomics.xor(i32, k + 1, vhi); break;
      default: {
        const i64 = new BigInt64Array(r.u8.buffer, r.u8.byteOffset + ea, 1);
        const v = (BigInt(vhi) << 32n) | BigInt(vlo >>> 0);
        const old = op === 8 ? Atomics.exchange(i64, 0, v) : Atomics.compareExchange(i64, 0, (BigInt(hi[0]!) << 32n) | BigInt(lo[0]! >>> 0), v);
        oldLo = Number(BigInt.asIntN(32, old));
        oldHi = Number(BigInt.asIntN(32, old >> 32n));
        if (op === 9) {
          lo[0] = oldLo;
          hi[0] = oldHi;
          return;
        }
      }
    }
    if (op >= 4) {
      lo[s] = oldLo;
      hi[s] = oldHi;
    }
  }

  /** LD_ABS / LD_IND: big-endian load from the packet; false when out of range. */
  private legacyLoad(size: number, offset: number, pc: number): boolean {
    const pkt = this.env.legacyPacket?.(this) ?? null;
    if (!pkt) throw new Fault('fault.mem', 'legacy packet access (LD_ABS/LD_IND) without a packet', pc);
    const ea = pkt.data + offset;
    if (offset < 0 || ea + size > pkt.end) return false;
    const dv = pkt.region.dv;
    this.rlo = size === 1 ? dv.getUint8(ea) : size === 2 ? dv.getUint16(ea, false) : dv.getInt32(ea, false);
    return true;
  }

  /**
   * Sets up a fresh run of `prog` in the state block: pc 0, entry frame, full budget, no tail calls,
   * r10 = the entry frame pointer; clears the stack bytes the program uses. r0-r9 are the caller's.
   */
  start(prog: Program): void {
    const w = this.words;
    w[S_PC] = 0;
    w[S_PROG] = prog.id;
    w[S_DEPTH] = 0;
    w[S_BUDGET] = this.budget;
    w[S_TAIL] = 0;
    w[S_MAYGOTO] = BPF_MAX_LOOPS;
    this.lo[10] = STACK_BYTES;
    this.hi[10] = REGION_TAG + REGION_STACK;
    // The current frame and the callers' frames above it are accessible; nothing below.
    this.stack.start = STACK_BYTES - STACK_FRAME;
    if (prog.stackDepth > 0) this.stack.u8.fill(0, STACK_BYTES - prog.stackDepth, STACK_BYTES);
    this.entry = prog;
  }

  /**
   * Executes from the state block (pc, program, frames, budget) until the entry frame exits
   * (EXIT.exit, r0 in lo[0] / hi[0]) or a punt pc is reached (EXIT.punt, state saved). Throws Fault.
   */
  continue(): ExitKind {
    const w = this.words;
    const id = w[S_PROG]!;
    const prog = this.programs[id] ?? (this.entry?.id === id ? this.entry : undefined);
    if (!prog) throw new Fault('fault.mem', `no program with id ${id} on this core`, w[S_PC]!);
    this.entry ??= prog;
    const budget0 = w[S_BUDGET]!;
    this.stack.start = (this.lo[10]! >>> 0) - STACK_FRAME;
    try {
      return this.exec(prog, w[S_PC]!, 0, w[S_DEPTH]!);
    } finally {
      this.executed = budget0 - Math.max(0, w[S_BUDGET]!);
    }
  }

  /** Runs `prog` from pc 0 with the current registers (callers set r1.. before); returns r0's low word. */
  run(prog: Program): number {
    this.start(prog);
    if (this.continue() !== EXIT.exit) throw new Fault('fault.punt', `program ${prog.name} stopped at punt pc ${this.words[S_PC]} outside a core`, this.words[S_PC]!);
    return this.lo[0]!;
  }

  /**
   * Calls the subprogram at `pc` of `prog` as a helper callback (bpf_loop, ...): a new stack frame,
   * r1-r5 as the caller set them, r6-r10 restored afterwards. Returns r0's low word.
   */
  callback(prog: Program, pc: number, callerPc: number): number {
    const lo = this.lo;
    const hi = this.hi;
    const top = lo[10]! >>> 0;
    const depth = (STACK_BYTES - top) / STACK_FRAME;
    if (depth + 1 >= MAX_CALL_FRAMES || this.nesting >= MAX_CALL_FRAMES) throw new Fault('fault.stack', `callback call depth exceeds ${MAX_CALL_FRAMES} frames`, callerPc);
    const sv = this.cbSaved;
    const b = this.nesting * 10;
    for (let r = 6; r <= 10; r++) {
      sv[b + (r - 6) * 2] = lo[r]!;
      sv[b + (r - 6) * 2 + 1] = hi[r]!;
    }
    const savedStart = this.stack.start;
    lo[10] = top - STACK_FRAME;
    this.stack.start = top - 2 * STACK_FRAME;
    this.stack.u8.fill(0, top - 2 * STACK_FRAME, top - STACK_FRAME);
    this.nesting++;
    try {
      this.exec(prog, pc, depth + 1, 0);
      return lo[0]!;
    } finally {
      this.nesting--;
      for (let r = 6; r <= 10; r++) {
        lo[r] = sv[b + (r - 6) * 2]!;
        hi[r] = sv[b + (r - 6) * 2 + 1]!;
      }
      this.stack.start = savedStart;
    }
  }

  /**
   * The instruction loop: runs `prog` from `startPc` at call depth `frameBase + startFrame` until the
   * frame at depth `frameBase` exits. frameBase > 0 for callbacks (they run below their caller's
   * frame); startFrame > 0 when resuming inside a bpf-to-bpf call.
   */
  private exec(prog: Program, startPc: number, frameBase: number, startFrame: number): ExitKind {
    const lo = this.lo;
    const hi = this.hi;
    const w = this.words;
    const pair = this.pair;
    let code = prog.code;
    let cur = prog;
    let pc = startPc;
    let frame = startFrame;
    let budget = w[S_BUDGET]!;
    this.current = prog;
    for (;;) {
      if (--budget < 0) {
        w[S_BUDGET] = 0;
        throw new Fault('fault.budget', `instruction budget of ${this.budget} exhausted (the program does not terminate in time)`, pc);
      }
      const i = pc << 2;
      const op = code[i]!;
      const regs = code[i + 1]!;
      const d = regs & 15;
      const s = regs >> 4;
      const off = code[i + 2]!;
      const imm = code[i + 3]!;
      const at = pc;
      pc++;
      switch (op) {
        // ---- ALU64, immediate
        case Op.ADD64_K: { const a = lo[d]!; hi[d] = (hi[d]! + (imm >> 31) + ((a >>> 0) + (imm >>> 0) > 0xffffffff ? 1 : 0)) | 0; lo[d] = (a + imm) | 0; break; }
        case Op.SUB64_K: { const a = lo[d]!; hi[d] = (hi[d]! - (imm >> 31) - ((a >>> 0) < (imm >>> 0) ? 1 : 0)) | 0; lo[d] = (a - imm) | 0; break; }
        case Op.MUL64_K: mul64(pair, lo[d]!, hi[d]!, imm, imm >> 31); lo[d] = pair.lo; hi[d] = pair.hi; break;
        case Op.DIV64_K: if (imm === 0) { lo[d] = 0; hi[d] = 0; } else { udivmod64(pair, lo[d]!, hi[d]!, imm, imm >> 31, false); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.SDIV64_K: if (imm === 0) { lo[d] = 0; hi[d] = 0; } else { sdivmod64(pair, lo[d]!, hi[d]!, imm, imm >> 31, false); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.OR64_K: lo[d] = lo[d]! | imm; hi[d] = hi[d]! | (imm >> 31); break;
        case Op.AND64_K: lo[d] = lo[d]! & imm; hi[d] = hi[d]! & (imm >> 31); break;
        case Op.LSH64_K: this.lsh(d, imm & 63); break;
        case Op.RSH64_K: this.rsh(d, imm & 63); break;
        case Op.NEG64: { const a = lo[d]!; lo[d] = -a | 0; hi[d] = (~hi[d]! + (a === 0 ? 1 : 0)) | 0; break; }
        case Op.MOD64_K: if (imm !== 0) { udivmod64(pair, lo[d]!, hi[d]!, imm, imm >> 31, true); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.SMOD64_K: if (imm !== 0) { sdivmod64(pair, lo[d]!, hi[d]!, imm, imm >> 31, true); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.XOR64_K: lo[d] = lo[d]! ^ imm; hi[d] = hi[d]! ^ (imm >> 31); break;
        case Op.MOV64_K: lo[d] = imm; hi[d] = imm >> 31; break;
        case Op.ARSH64_K: this.arsh(d, imm & 63); break;
        // ---- ALU64, register
        case Op.ADD64_X: { const a = lo[d]!; const b = lo[s]!; hi[d] = (hi[d]! + hi[s]! + ((a >>> 0) + (b >>> 0) > 0xffffffff ? 1 : 0)) | 0; lo[d] = (a + b) | 0; break; }
        case Op.SUB64_X: { const a = lo[d]!; const b = lo[s]!; hi[d] = (hi[d]! - hi[s]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; lo[d] = (a - b) | 0; break; }
        case Op.MUL64_X: mul64(pair, lo[d]!, hi[d]!, lo[s]!, hi[s]!); lo[d] = pair.lo; hi[d] = pair.hi; break;
        case Op.DIV64_X: if (lo[s] === 0 && hi[s] === 0) { lo[d] = 0; hi[d] = 0; } else { udivmod64(pair, lo[d]!, hi[d]!, lo[s]!, hi[s]!, false); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.SDIV64_X: if (lo[s] === 0 && hi[s] === 0) { lo[d] = 0; hi[d] = 0; } else { sdivmod64(pair, lo[d]!, hi[d]!, lo[s]!, hi[s]!, false); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.OR64_X: lo[d] = lo[d]! | lo[s]!; hi[d] = hi[d]! | hi[s]!; break;
        case Op.AND64_X: lo[d] = lo[d]! & lo[s]!; hi[d] = hi[d]! & hi[s]!; break;
        case Op.LSH64_X: this.lsh(d, lo[s]! & 63); break;
        case Op.RSH64_X: this.rsh(d, lo[s]! & 63); break;
        case Op.MOD64_X: if (lo[s] !== 0 || hi[s] !== 0) { udivmod64(pair, lo[d]!, hi[d]!, lo[s]!, hi[s]!, true); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.SMOD64_X: if (lo[s] !== 0 || hi[s] !== 0) { sdivmod64(pair, lo[d]!, hi[d]!, lo[s]!, hi[s]!, true); lo[d] = pair.lo; hi[d] = pair.hi; } break;
        case Op.XOR64_X: lo[d] = lo[d]! ^ lo[s]!; hi[d] = hi[d]! ^ hi[s]!; break;
        case Op.MOV64_X: lo[d] = lo[s]!; hi[d] = hi[s]!; break;
        case Op.ARSH64_X: this.arsh(d, lo[s]! & 63); break;
        case Op.MOVSX8_64: { const v = (lo[s]! << 24) >> 24; lo[d] = v; hi[d] = v >> 31; break; }
        case Op.MOVSX16_64: { const v = (lo[s]! << 16) >> 16; lo[d] = v; hi[d] = v >> 31; break; }
        case Op.MOVSX32_64: { const v = lo[s]!; lo[d] = v; hi[d] = v >> 31; break; }
        // ---- ALU32 (results zero-extended)
        case Op.ADD32_K: lo[d] = (lo[d]! + imm) | 0; hi[d] = 0; break;
        case Op.SUB32_K: lo[d] = (lo[d]! - imm) | 0; hi[d] = 0; break;
        case Op.MUL32_K: lo[d] = Math.imul(lo[d]!, imm); hi[d] = 0; break;
        case Op.DIV32_K: lo[d] = imm === 0 ? 0 : ((lo[d]! >>> 0) / (imm >>> 0)) | 0; hi[d] = 0; break;
        case Op.SDIV32_K: lo[d] = sdiv32(lo[d]!, imm); hi[d] = 0; break;
        case Op.OR32_K: lo[d] = lo[d]! | imm; hi[d] = 0; break;
        case Op.AND32_K: lo[d] = lo[d]! & imm; hi[d] = 0; break;
        case Op.LSH32_K: lo[d] = lo[d]! << (imm & 31); hi[d] = 0; break;
        case Op.RSH32_K: lo[d] = lo[d]! >>> (imm & 31) | 0; hi[d] = 0; break;
        case Op.NEG32: lo[d] = -lo[d]! | 0; hi[d] = 0; break;
        case Op.MOD32_K: if (imm !== 0) lo[d] = ((lo[d]! >>> 0) % (imm >>> 0)) | 0; hi[d] = 0; break;
        case Op.SMOD32_K: lo[d] = smod32(lo[d]!, imm); hi[d] = 0; break;
        case Op.XOR32_K: lo[d] = lo[d]! ^ imm; hi[d] = 0; break;
        case Op.MOV32_K: lo[d] = imm; hi[d] = 0; break;
        case Op.ARSH32_K: lo[d] = lo[d]! >> (imm & 31); hi[d] = 0; break;
        case Op.ADD32_X: lo[d] = (lo[d]! + lo[s]!) | 0; hi[d] = 0; break;
        case Op.SUB32_X: lo[d] = (lo[d]! - lo[s]!) | 0; hi[d] = 0; break;
        case Op.MUL32_X: lo[d] = Math.imul(lo[d]!, lo[s]!); hi[d] = 0; break;
        case Op.DIV32_X: { const b = lo[s]! >>> 0; lo[d] = b === 0 ? 0 : ((lo[d]! >>> 0) / b) | 0; hi[d] = 0; break; }
        case Op.SDIV32_X: lo[d] = sdiv32(lo[d]!, lo[s]!); hi[d] = 0; break;
        case Op.OR32_X: lo[d] = lo[d]! | lo[s]!; hi[d] = 0; break;
        case Op.AND32_X: lo[d] = lo[d]! & lo[s]!; hi[d] = 0; break;
        case Op.LSH32_X: lo[d] = lo[d]! << (lo[s]! & 31); hi[d] = 0; break;
        case Op.RSH32_X: lo[d] = lo[d]! >>> (lo[s]! & 31) | 0; hi[d] = 0; break;
        case Op.MOD32_X: { const b = lo[s]! >>> 0; if (b !== 0) lo[d] = ((lo[d]! >>> 0) % b) | 0; hi[d] = 0; break; }
        case Op.SMOD32_X: lo[d] = smod32(lo[d]!, lo[s]!); hi[d] = 0; break;
        case Op.XOR32_X: lo[d] = lo[d]! ^ lo[s]!; hi[d] = 0; break;
        case Op.MOV32_X: lo[d] = lo[s]!; hi[d] = 0; break;
        case Op.ARSH32_X: lo[d] = lo[d]! >> (lo[s]! & 31); hi[d] = 0; break;
        case Op.MOVSX8_32: lo[d] = (lo[s]! << 24) >> 24; hi[d] = 0; break;
        case Op.MOVSX16_32: lo[d] = (lo[s]! << 16) >> 16; hi[d] = 0; break;
        // ---- byte swaps (little-endian machine: to-le truncates, to-be swaps)
        case Op.LE16: lo[d] = lo[d]! & 0xffff; hi[d] = 0; break;
        case Op.LE32: hi[d] = 0; break;
        case Op.LE64: break;
        case Op.BSWAP16: lo[d] = bswap16(lo[d]!); hi[d] = 0; break;
        case Op.BSWAP32: lo[d] = bswap32(lo[d]!); hi[d] = 0; break;
        case Op.BSWAP64: { const t = bswap32(lo[d]!); lo[d] = bswap32(hi[d]!); hi[d] = t; break; }
        // ---- jumps
        case Op.JA: pc += off; break;
        case Op.JEQ64_K: if (lo[d] === imm && hi[d] === imm >> 31) pc += off; break;
        case Op.JGT64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a >>> 0 > b >>> 0 : lo[d]! >>> 0 > imm >>> 0) pc += off; break; }
        case Op.JGE64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a >>> 0 > b >>> 0 : lo[d]! >>> 0 >= imm >>> 0) pc += off; break; }
        case Op.JSET64_K: if ((lo[d]! & imm) !== 0 || (hi[d]! & (imm >> 31)) !== 0) pc += off; break;
        case Op.JNE64_K: if (lo[d] !== imm || hi[d] !== imm >> 31) pc += off; break;
        case Op.JSGT64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a > b : lo[d]! >>> 0 > imm >>> 0) pc += off; break; }
        case Op.JSGE64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a > b : lo[d]! >>> 0 >= imm >>> 0) pc += off; break; }
        case Op.JLT64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a >>> 0 < b >>> 0 : lo[d]! >>> 0 < imm >>> 0) pc += off; break; }
        case Op.JLE64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a >>> 0 < b >>> 0 : lo[d]! >>> 0 <= imm >>> 0) pc += off; break; }
        case Op.JSLT64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a < b : lo[d]! >>> 0 < imm >>> 0) pc += off; break; }
        case Op.JSLE64_K: { const a = hi[d]!; const b = imm >> 31; if (a !== b ? a < b : lo[d]! >>> 0 <= imm >>> 0) pc += off; break; }
        case Op.JEQ64_X: if (lo[d] === lo[s] && hi[d] === hi[s]) pc += off; break;
        case Op.JGT64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a >>> 0 > b >>> 0 : lo[d]! >>> 0 > lo[s]! >>> 0) pc += off; break; }
        case Op.JGE64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a >>> 0 > b >>> 0 : lo[d]! >>> 0 >= lo[s]! >>> 0) pc += off; break; }
        case Op.JSET64_X: if ((lo[d]! & lo[s]!) !== 0 || (hi[d]! & hi[s]!) !== 0) pc += off; break;
        case Op.JNE64_X: if (lo[d] !== lo[s] || hi[d] !== hi[s]) pc += off; break;
        case Op.JSGT64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a > b : lo[d]! >>> 0 > lo[s]! >>> 0) pc += off; break; }
        case Op.JSGE64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a > b : lo[d]! >>> 0 >= lo[s]! >>> 0) pc += off; break; }
        case Op.JLT64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a >>> 0 < b >>> 0 : lo[d]! >>> 0 < lo[s]! >>> 0) pc += off; break; }
        case Op.JLE64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a >>> 0 < b >>> 0 : lo[d]! >>> 0 <= lo[s]! >>> 0) pc += off; break; }
        case Op.JSLT64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a < b : lo[d]! >>> 0 < lo[s]! >>> 0) pc += off; break; }
        case Op.JSLE64_X: { const a = hi[d]!; const b = hi[s]!; if (a !== b ? a < b : lo[d]! >>> 0 <= lo[s]! >>> 0) pc += off; break; }
        case Op.JEQ32_K: if (lo[d] === imm) pc += off; break;
        case Op.JGT32_K: if (lo[d]! >>> 0 > imm >>> 0) pc += off; break;
        case Op.JGE32_K: if (lo[d]! >>> 0 >= imm >>> 0) pc += off; break;
        case Op.JSET32_K: if ((lo[d]! & imm) !== 0) pc += off; break;
        case Op.JNE32_K: if (lo[d] !== imm) pc += off; break;
        case Op.JSGT32_K: if (lo[d]! > imm) pc += off; break;
        case Op.JSGE32_K: if (lo[d]! >= imm) pc += off; break;
        case Op.JLT32_K: if (lo[d]! >>> 0 < imm >>> 0) pc += off; break;
        case Op.JLE32_K: if (lo[d]! >>> 0 <= imm >>> 0) pc += off; break;
        case Op.JSLT32_K: if (lo[d]! < imm) pc += off; break;
        case Op.JSLE32_K: if (lo[d]! <= imm) pc += off; break;
        case Op.JEQ32_X: if (lo[d] === lo[s]) pc += off; break;
        case Op.JGT32_X: if (lo[d]! >>> 0 > lo[s]! >>> 0) pc += off; break;
        case Op.JGE32_X: if (lo[d]! >>> 0 >= lo[s]! >>> 0) pc += off; break;
        case Op.JSET32_X: if ((lo[d]! & lo[s]!) !== 0) pc += off; break;
        case Op.JNE32_X: if (lo[d] !== lo[s]) pc += off; break;
        case Op.JSGT32_X: if (lo[d]! > lo[s]!) pc += off; break;
        case Op.JSGE32_X: if (lo[d]! >= lo[s]!) pc += off; break;
        case Op.JLT32_X: if (lo[d]! >>> 0 < lo[s]! >>> 0) pc += off; break;
        case Op.JLE32_X: if (lo[d]! >>> 0 <= lo[s]! >>> 0) pc += off; break;
        case Op.JSLT32_X: if (lo[d]! < lo[s]!) pc += off; break;
        case Op.JSLE32_X: if (lo[d]! <= lo[s]!) pc += off; break;
        case Op.MAY_GOTO: if (--w[S_MAYGOTO]! < 0) { w[S_MAYGOTO] = 0; pc += off; } break;
        // ---- calls
        case Op.CALL_HELPER: {
          w[S_BUDGET] = budget;
          this.current = cur;
          this.env.helper(this, imm, at);
          budget = w[S_BUDGET]!;
          if (this.tailTarget !== null) {
            // bpf_tail_call succeeded: continue in the new program with the same frame.
            cur = this.tailTarget;
            this.tailTarget = null;
            this.current = cur;
            code = cur.code;
            pc = 0;
          }
          break;
        }
        case Op.CALL_LOCAL: {
          if (frameBase + frame + 1 >= MAX_CALL_FRAMES) throw new Fault('fault.stack', `call depth exceeds ${MAX_CALL_FRAMES} frames`, at);
          const f = S_FRAMES + (frameBase + frame) * FRAME_WORDS;
          w[f + F_RET_PC] = pc;
          w[f + F_PROG] = cur.id;
          for (let r = 6; r <= 10; r++) {
            w[f + F_SAVED + (r - 6) * 2] = lo[r]!;
            w[f + F_SAVED + (r - 6) * 2 + 1] = hi[r]!;
          }
          frame++;
          lo[10] = lo[10]! - STACK_FRAME;
          const top = lo[10]! >>> 0;
          this.stack.start = top - STACK_FRAME;
          // off = the callee's stack use (predecode), so only that much is cleared.
          this.stack.u8.fill(0, top - off, top);
          pc += imm;
          break;
        }
        case Op.CALL_KFUNC:
          throw new Fault('fault.helper', `kfunc calls (BTF id ${imm}) are not supported`, at);
        case Op.EXIT: {
          if (frame === 0) {
            w[S_BUDGET] = budget;
            return EXIT.exit;
          }
          frame--;
          const f = S_FRAMES + (frameBase + frame) * FRAME_WORDS;
          for (let r = 6; r <= 10; r++) {
            lo[r] = w[f + F_SAVED + (r - 6) * 2]!;
            hi[r] = w[f + F_SAVED + (r - 6) * 2 + 1]!;
          }
          pc = w[f + F_RET_PC]!;
          const id = w[f + F_PROG]!;
          if (id !== cur.id) {
            cur = this.programs[id] ?? this.entry!;
            this.current = cur;
            code = cur.code;
          }
          this.stack.start = (lo[10]! >>> 0) - STACK_FRAME;
          break;
        }
        case Op.LDDW: lo[d] = imm; hi[d] = code[i + 7]!; pc++; break;
        // ---- memory
        case Op.LDX1: this.load(s, off, 1, false, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDX2: this.load(s, off, 2, false, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDX4: this.load(s, off, 4, false, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDX8: this.load(s, off, 8, false, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDXS1: this.load(s, off, 1, true, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDXS2: this.load(s, off, 2, true, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.LDXS4: this.load(s, off, 4, true, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.ST1: this.store(d, off, 1, imm, 0, at); break;
        case Op.ST2: this.store(d, off, 2, imm, 0, at); break;
        case Op.ST4: this.store(d, off, 4, imm, 0, at); break;
        case Op.ST8: this.store(d, off, 8, imm, imm >> 31, at); break;
        case Op.STX1: this.store(d, off, 1, lo[s]!, 0, at); break;
        case Op.STX2: this.store(d, off, 2, lo[s]!, 0, at); break;
        case Op.STX4: this.store(d, off, 4, lo[s]!, 0, at); break;
        case Op.STX8: this.store(d, off, 8, lo[s]!, hi[s]!, at); break;
        case Op.ATOMIC: this.atomic(imm, d, s, off, at); break;
        // One engine per thread executes in program order; acquire/release order needs nothing more.
        case Op.LDACQ: this.load(s, off, imm, false, at); lo[d] = this.rlo; hi[d] = this.rhi; break;
        case Op.STREL: this.store(d, off, imm, lo[s]!, hi[s]!, at); break;
        case Op.LDABS: case Op.LDIND: {
          const offset = op === Op.LDIND ? (lo[s]! + imm) | 0 : imm;
          if (!this.legacyLoad(off, offset, at)) {
            // Out of range: like the kernel, the program ends at once with r0 = 0.
            lo[0] = 0;
            hi[0] = 0;
            w[S_BUDGET] = budget;
            return EXIT.exit;
          }
          lo[0] = this.rlo;
          hi[0] = 0;
          break;
        }
        case Op.FELL_OFF:
          throw new Fault('fault.mem', `execution fell off the end of program ${cur.name} (${cur.slots} slots)`, at);
        case Op.PUNT: {
          if (this.nesting > 0) throw new Fault('fault.punt', `punt pc ${at} inside a helper callback cannot be handed to the host`, at);
          // Stop before the instruction: it has not run, so it does not count against the budget.
          w[S_PC] = at;
          w[S_PROG] = cur.id;
          w[S_DEPTH] = frame;
          w[S_BUDGET] = budget + 1;
          return EXIT.punt;
        }
        default:
          throw new Fault('fault.mem', `invalid instruction at pc ${at}`, at);
      }
    }
  }

  private lsh(d: number, n: number): void {
    const lo = this.lo;
    const hi = this.hi;
    if (n === 0) return;
    if (n < 32) {
      hi[d] = (hi[d]! << n) | (lo[d]! >>> (32 - n));
      lo[d] = lo[d]! << n;
    } else {
      hi[d] = lo[d]! << (n - 32);
      lo[d] = 0;
    }
  }

  private rsh(d: number, n: number): void {
    const lo = this.lo;
    const hi = this.hi;
    if (n === 0) return;
    if (n < 32) {
      lo[d] = (lo[d]! >>> n) | (hi[d]! << (32 - n));
      hi[d] = hi[d]! >>> n;
    } else {
      lo[d] = hi[d]! >>> (n - 32);
      hi[d] = 0;
    }
  }

  private arsh(d: number, n: number): void {
    const lo = this.lo;
    const hi = this.hi;
    if (n === 0) return;
    if (n < 32) {
      lo[d] = (lo[d]! >>> n) | (hi[d]! << (32 - n));
      hi[d] = hi[d]! >> n;
    } else {
      lo[d] = hi[d]! >> (n - 32);
      hi[d] = hi[d]! >> 31;
    }
  }
}

function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  if (b === -1) return -a | 0; // INT_MIN / -1 = INT_MIN
  return Math.trunc(a / b) | 0;
}

function smod32(a: number, b: number): number {
  if (b === 0) return a; // dividend, truncated to 32 bits
  if (b === -1) return 0;
  return a % b | 0;
}
