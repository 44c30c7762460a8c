// Per-pc facts for later passes, joined over every non-speculative state that reaches a pc: the
// registers each instruction reads (types, offsets, tnum, bounds), the pointer kinds of memory
// instructions, helper-call arguments and r0 at the main program's exits.
import { isPktPointer, type Reg, T, typeStr } from './domain/reg.ts';
import { Tnum, tnumUnion } from './domain/tnum.ts';
import type { VInsn } from './cfg/insn.ts';
import type { InsnFacts, RegFacts } from './types.ts';

class RegAcc implements RegFacts {
  types: string[] = [];
  map: number | null = null;
  mapSet = false;
  offMin = 0;
  offMax = 0;
  varOff: { value: bigint; mask: bigint };
  private tn: Tnum;
  varOffConstEveryVisit: boolean;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  u32min: number;
  u32max: number;
  s32min: number;
  s32max: number;
  range: number | null;
  frameno: number | null;
  private lastType = -1;

  constructor(r: Reg) {
    this.lastType = r.type;
    this.types = [typeStr(r.type)];
    this.map = r.map >= 0 ? r.map : null;
    this.mapSet = true;
    this.offMin = this.offMax = r.type === T.SCALAR ? 0 : r.off;
    this.tn = r.var;
    this.varOff = { value: r.var.value, mask: r.var.mask };
    this.varOffConstEveryVisit = r.var.mask === 0n;
    this.umin = r.umin;
    this.umax = r.umax;
    this.smin = r.smin;
    this.smax = r.smax;
    this.u32min = r.u32min;
    this.u32max = r.u32max;
    this.s32min = r.s32min;
    this.s32max = r.s32max;
    this.range = isPktPointer(r.type) ? r.range : null;
    this.frameno = r.type === T.STACK ? r.frameno : null;
  }

  join(r: Reg): void {
    if (r.type !== this.lastType) {
      const s = typeStr(r.type);
      if (!this.types.includes(s)) {
        this.types.push(s);
        this.types.sort();
      }
      this.lastType = r.type;
    }
    if ((r.map >= 0 ? r.map : null) !== this.map) this.map = null;
    const off = r.type === T.SCALAR ? 0 : r.off;
    if (off < this.offMin) this.offMin = off;
    if (off > this.offMax) this.offMax = off;
    if (r.var !== this.tn && !(r.var.value === this.tn.value && r.var.mask === this.tn.mask)) {
      this.tn = tnumUnion(this.tn, r.var);
      this.varOff = { value: this.tn.value, mask: this.tn.mask };
    }
    if (r.var.mask !== 0n) this.varOffConstEveryVisit = false;
    if (r.umin < this.umin) this.umin = r.umin;
    if (r.umax > this.umax) this.umax = r.umax;
    if (r.smin < this.smin) this.smin = r.smin;
    if (r.smax > this.smax) this.smax = r.smax;
    if (r.u32min < this.u32min) this.u32min = r.u32min;
    if (r.u32max > this.u32max) this.u32max = r.u32max;
    if (r.s32min < this.s32min) this.s32min = r.s32min;
    if (r.s32max > this.s32max) this.s32max = r.s32max;
    if (isPktPointer(r.type)) this.range = this.range === null ? r.range : Math.min(this.range, r.range);
    if (r.type === T.STACK && this.frameno !== r.frameno) this.frameno = null;
  }

  toJSON(): RegFacts {
    return {
      types: this.types,
      map: this.map,
      offMin: this.offMin,
      offMax: this.offMax,
      varOff: this.varOff,
      varOffConstEveryVisit: this.varOffConstEveryVisit,
      umin: this.umin,
      umax: this.umax,
      smin: this.smin,
      smax: this.smax,
      u32min: this.u32min,
      u32max: this.u32max,
      s32min: this.s32min,
      s32max: this.s32max,
      range: this.range,
      frameno: this.frameno,
    };
  }
}

/** Registers an instruction reads (InsnFacts.regs), as a bit mask. */
function b(r: number): number {
  return r <= 10 ? 1 << r : 0;
}

export function readMask(insn: VInsn, helperArgs: number): number {
  switch (insn.kind) {
    case 'alu':
      return (insn.op === 'mov' || insn.op.startsWith('movsx') ? 0 : b(insn.dst)) | (insn.src === 'reg' ? b(insn.sreg) : 0);
    case 'end':
      return b(insn.dst);
    case 'jcond':
      return b(insn.dst) | (insn.src === 'reg' ? b(insn.sreg) : 0);
    case 'call':
      return insn.callee === 'local' ? 0b111110 : ((1 << (helperArgs + 1)) - 2) & 0b111110;
    case 'exit':
      return 1;
    case 'ldx':
    case 'load_acq':
      return b(insn.sreg);
    case 'st':
      return b(insn.dst);
    case 'stx':
    case 'store_rel':
      return b(insn.dst) | b(insn.sreg);
    case 'atomic':
      return b(insn.dst) | b(insn.sreg) | (insn.op === 'cmpxchg' ? 1 : 0);
    case 'ldpkt':
      return (1 << 6) | (insn.mode === 'ind' ? b(insn.sreg) : 0);
    default:
      return 0;
  }
}

interface PcAcc {
  visits: number;
  mask: number;
  regs: (RegAcc | null)[];
  memReg: number;
  memTypes: string[] | null;
  memConst: boolean;
  memMap: number | null;
  memMapSet: boolean;
}

export class FactsCollector {
  readonly pcs: (PcAcc | null)[];
  /** Main-program exits: r0 joined per pc. */
  readonly exits = new Map<number, RegAcc>();

  constructor(
    len: number,
    readonly allRegs: boolean,
  ) {
    this.pcs = new Array(len).fill(null);
  }

  /** A (non-speculative) visit of pc with the registers before it executes. */
  visit(pc: number, mask: number, regs: Reg[]): void {
    let acc = this.pcs[pc];
    const m = this.allRegs ? 0x7ff : mask;
    if (!acc) {
      acc = { visits: 0, mask: m, regs: new Array(11).fill(null), memReg: -1, memTypes: null, memConst: true, memMap: null, memMapSet: false };
      this.pcs[pc] = acc;
    }
    acc.visits++;
    for (let i = 0; i < 11; i++) {
      if (!(m & (1 << i))) continue;
      const r = regs[i]!;
      if (r.type === T.NOT_INIT) continue;
      const a = acc.regs[i];
      if (a) a.join(r);
      else acc.regs[i] = new RegAcc(r);
    }
  }

  /** The pointer of a memory instruction. */
  mem(pc: number, regno: number, r: Reg): void {
    const acc = this.pcs[pc];
    if (!acc) return;
    acc.memReg = regno;
    const s = typeStr(r.type);
    if (!acc.memTypes) acc.memTypes = [s];
    else if (!acc.memTypes.includes(s)) {
      acc.memTypes.push(s);
      acc.memTypes.sort();
    }
    if (r.var.mask !== 0n) acc.memConst = false;
    const map = r.map >= 0 ? r.map : null;
    if (!acc.memMapSet) {
      acc.memMap = map;
      acc.memMapSet = true;
    } else if (acc.memMap !== map) acc.memMap = null;
  }

  exit(pc: number, r0: Reg): void {
    const a = this.exits.get(pc);
    if (a) a.join(r0);
    else this.exits.set(pc, new RegAcc(r0));
  }

  insnFacts(pc: number, subprog: number, zext: boolean): InsnFacts | null {
    const acc = this.pcs[pc];
    if (!acc) return null;
    return {
      pc,
      subprog,
      visits: acc.visits,
      regs: acc.regs.map((r) => (r ? r.toJSON() : null)),
      mem: acc.memTypes ? { reg: acc.memReg, types: acc.memTypes, constOffset: acc.memConst, mapIndex: acc.memMap } : null,
      zext,
    };
  }
}

export type { RegAcc };
