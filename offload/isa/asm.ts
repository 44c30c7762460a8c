// Text -> IR. Two syntaxes:
//  - 'llvm': what llvm-objdump prints and llvm-mc accepts (`r0 = *(u32 *)(r1 + 0x4)`, `if w1 > 3 goto +2`),
//    plus labels (`name:` lines, `goto name`) and the few nicsim spellings our own disassembler adds where
//    llvm's text loses information (`call pc+N`, `call kfunc N`, `ld_pseudo rD, src, imm, imm2`).
//    Lines as printed by `llvm-objdump -d` / `nicsim disasm` (pc, bytes, text) are accepted too.
//  - 'ubpf': the bpf_conformance / ubpf assembler (`mov32 %r0, 1`, `ldxh %r0, [%r1+2]`, `jeq %r1, 3, +2`,
//    `lock fetch add [%r1+0], %r2`, `call local label`).
// Both resolve labels to relative offsets after layout, so rewriting a program never breaks jumps.
import { InputError } from '../errors.ts';
import {
  ALU_OPS,
  type AluOp,
  ATOMIC_OPS,
  type AtomicOp,
  JMP_CONDS,
  type JmpCond,
  type Insn,
  type Pseudo,
  type Size,
  type Slot,
  slotsOf,
} from './ir.ts';
import { ALU_CODE, JMP_CODE, OPCODES } from './opcodes.ts';
import { checkTargets } from './decode.ts';
import { encodeProgram } from './encode.ts';

export type AsmSyntax = 'llvm' | 'ubpf';

export interface AsmOptions {
  syntax?: AsmSyntax;
  file?: string;
  /** Line number of the first line of `text` in the file (for .data sections). */
  firstLine?: number;
  /** Check that jump targets land inside the program (default true). */
  checkTargets?: boolean;
}

class LineError extends Error {}
const err = (msg: string): never => {
  throw new LineError(msg);
};

const NUM = String.raw`[+-]?(?:0x[0-9a-fA-F]+|\d+)`;

function parseBig(s: string): bigint {
  const neg = s.startsWith('-');
  const body = s.replace(/^[+-]/, '');
  const v = body.toLowerCase().startsWith('0x') ? BigInt(body) : BigInt(body);
  return neg ? -v : v;
}

/** A number that must fit a signed or unsigned field of `bits` bits; returned as the signed value. */
function num(s: string, bits: 16 | 32, what: string): number {
  if (!new RegExp(`^${NUM}$`).test(s)) err(`expected a number for ${what}, got '${s}'`);
  const v = parseBig(s);
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits)) - 1n;
  if (v < lo || v > hi) err(`${what} ${s} does not fit in ${bits} bits`);
  return Number(BigInt.asIntN(bits, v));
}

function imm64(s: string): { imm: number; imm2: number } {
  if (!new RegExp(`^${NUM}$`).test(s)) err(`expected a 64-bit number, got '${s}'`);
  const v = parseBig(s);
  if (v < -(1n << 63n) || v >= 1n << 64n) err(`${s} does not fit in 64 bits`);
  const u = BigInt.asUintN(64, v);
  return { imm: Number(BigInt.asIntN(32, u & 0xffffffffn)), imm2: Number(BigInt.asIntN(32, u >> 32n)) };
}

function reg(s: string, prefix: 'r' | 'w' | '%r' | 'any' = 'any'): number {
  const m = /^(%r|r|w)(\d+)$/.exec(s.trim());
  if (!m) return err(`expected a register, got '${s}'`);
  // The ubpf syntax writes %r0; newer bpf_conformance tests write r0 there too.
  const ok = prefix === 'any' || m[1] === prefix || (prefix === '%r' && m[1] === 'r');
  if (!ok) err(`expected a ${prefix} register, got '${s}'`);
  const n = Number(m[2]);
  if (n > 10) err(`register ${s} does not exist (r0-r10)`);
  return n;
}

/** A jump target: relative offset, or a label resolved after layout. */
type Target = { off: number } | { label: string };
function target(s: string, bits: 16 | 32 = 16): Target {
  const t = s.trim();
  if (/^[+-]/.test(t)) return { off: num(t, bits, 'jump offset') };
  if (/^[A-Za-z_.$][\w.$]*$/.test(t)) return { label: t };
  return err(`expected a jump target (+N, -N or a label), got '${s}'`);
}

interface Pending {
  insn: Insn;
  line: number;
  /** Label to resolve into the jump offset / call imm. */
  label?: string;
}

// ---------------------------------------------------------------------------------------------
// llvm syntax

const SIZE_OF: Record<string, Size> = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4 };
const ALU_BY_SYM = new Map<string, AluOp>(
  ALU_OPS.filter((o) => ALU_CODE[o].sym && ALU_CODE[o].sym !== '=').map((o) => [ALU_CODE[o].sym, o]),
);
const JMP_BY_SYM = new Map<string, JmpCond>(JMP_CONDS.map((c) => [JMP_CODE[c].sym, c]));

function memOperand(s: string): { reg: number; off: number } {
  const m = /^\(?\s*([rw]\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?\s*\)?$/.exec(s.trim());
  if (!m) return err(`expected a memory operand like (r1 + 0x4), got '${s}'`);
  const off = m[2] ? num(`${m[2]}${m[3]}`, 16, 'offset') : 0;
  return { reg: reg(m[1]!), off };
}

function parseLlvm(text: string, line: number): Pending | null {
  let s = text.trim();
  // Drop a trailing llvm-objdump label comment (`<sym+0x10>`) after a jump.
  s = s.replace(/\s+<[^<>\s]*>$/, '');
  if (s === 'exit') return { insn: { kind: 'exit' }, line };
  let m: RegExpExecArray | null;
  // goto / gotol / may_goto
  if ((m = /^(goto|gotol|may_goto)\s+(\S+)$/.exec(s))) {
    const t = target(m[2]!, m[1] === 'gotol' ? 32 : 16);
    const o = 'off' in t ? t.off : 0;
    const insn: Insn = m[1] === 'goto' ? { kind: 'ja', off: o } : m[1] === 'may_goto' ? { kind: 'may_goto', off: o } : { kind: 'gotol', imm: o };
    return { insn, line, ...('label' in t ? { label: t.label } : {}) };
  }
  // if rX op Y goto T
  if ((m = /^if\s+([rw]\d+)\s+(s?[<>]=?|==|!=|&)\s+(\S+)\s+goto\s+(\S+)$/.exec(s))) {
    const op = JMP_BY_SYM.get(m[2]!) ?? err(`unknown comparison '${m[2]}'`);
    const width = m[1]!.startsWith('w') ? 32 : 64;
    const dst = reg(m[1]!);
    const t = target(m[4]!);
    const isReg = /^[rw]\d+$/.test(m[3]!);
    if (isReg && m[3]![0] !== m[1]![0]) err(`operands of a ${width}-bit comparison must both be ${m[1]![0]} registers`);
    const insn: Insn = {
      kind: 'jcond', op, width, src: isReg ? 'reg' : 'imm', dst,
      sreg: isReg ? reg(m[3]!) : 0, imm: isReg ? 0 : num(m[3]!, 32, 'immediate'), off: 'off' in t ? t.off : 0,
    };
    return { insn, line, ...('label' in t ? { label: t.label } : {}) };
  }
  // callx rN (llvm's text for 0x8d)
  if ((m = /^callx\s+(r\d+)$/.exec(s))) return { insn: { kind: 'callx', dst: reg(m[1]!, 'r') }, line };
  // call
  if ((m = /^call\s+(.+)$/.exec(s))) {
    const a = m[1]!.trim();
    let c: RegExpExecArray | null;
    if ((c = /^pc\s*([+-]\s*(?:0x[0-9a-fA-F]+|\d+))$/.exec(a)))
      return { insn: { kind: 'call', callee: 'local', imm: num(c[1]!.replace(/\s+/g, ''), 32, 'call offset'), off: 0 }, line };
    if ((c = new RegExp(`^kfunc\\s+(${NUM})(?:\\s*,\\s*(${NUM}))?$`).exec(a)))
      return { insn: { kind: 'call', callee: 'kfunc', imm: num(c[1]!, 32, 'kfunc id'), off: c[2] ? num(c[2], 16, 'kfunc btf index') : 0 }, line };
    if (new RegExp(`^${NUM}$`).test(a)) return { insn: { kind: 'call', callee: 'helper', imm: num(a, 32, 'helper id'), off: 0 }, line };
    if (/^[A-Za-z_.$][\w.$]*$/.test(a)) return { insn: { kind: 'call', callee: 'local', imm: 0, off: 0 }, line, label: a };
    return err(`cannot parse call target '${a}'`);
  }
  // ld_pseudo rD, src, imm[, imm2]
  if ((m = new RegExp(`^ld_pseudo\\s+(r\\d+)\\s*,\\s*(${NUM})\\s*,\\s*(${NUM})(?:\\s*,\\s*(${NUM}))?$`).exec(s))) {
    const pseudo = Number(parseBig(m[2]!));
    if (pseudo < 1 || pseudo > 6) err(`ld_pseudo source must be 1..6, got ${m[2]}`);
    return { insn: { kind: 'lddw', dst: reg(m[1]!, 'r'), pseudo: pseudo as Pseudo, imm: num(m[3]!, 32, 'imm'), imm2: m[4] ? num(m[4], 32, 'imm') : 0 }, line };
  }
  // lock *(uN *)(rX + off) op= rY
  if ((m = /^lock\s+\*\((u32|u64)\s*\*\)\s*(\([^)]*\))\s*(\+|\||&|\^)=\s*([rw]\d+)$/.exec(s))) {
    const a = memOperand(m[2]!);
    const op = ({ '+': 'add', '|': 'or', '&': 'and', '^': 'xor' } as const)[m[3] as '+' | '|' | '&' | '^'];
    return { insn: { kind: 'atomic', op, size: m[1] === 'u32' ? 4 : 8, dst: a.reg, sreg: reg(m[4]!), off: a.off }, line };
  }
  // store_release((uN *)(rX + off), rY)
  if ((m = /^store_release\(\((u8|u16|u32|u64)\s*\*\)\s*(\([^)]*\))\s*,\s*([rw]\d+)\)$/.exec(s))) {
    const a = memOperand(m[2]!);
    return { insn: { kind: 'store_release', size: SIZE_OF[m[1]!]!, dst: a.reg, sreg: reg(m[3]!), off: a.off }, line };
  }
  // *(uN *)(rX + off) = rY | imm
  if ((m = /^\*\((u8|u16|u32|u64)\s*\*\)\s*(\([^)]*\))\s*=\s*(\S+)$/.exec(s))) {
    const a = memOperand(m[2]!);
    const size = SIZE_OF[m[1]!]!;
    if (/^[rw]\d+$/.test(m[3]!)) return { insn: { kind: 'stx', size, dst: a.reg, sreg: reg(m[3]!), off: a.off }, line };
    return { insn: { kind: 'st', size, dst: a.reg, off: a.off, imm: num(m[3]!, 32, 'immediate') }, line };
  }
  // Everything else assigns to a register: "rD <op> rhs".
  if (!(m = /^([rw]\d+)\s*(s>>=|s\/=|s%=|<<=|>>=|[+\-*/|&%^]=|=)\s*(.+)$/.exec(s))) return err(`cannot parse '${s}'`);
  const dstTok = m[1]!;
  const dst = reg(dstTok);
  const width = dstTok.startsWith('w') ? 32 : 64;
  const op = m[2]!;
  const rhs = m[3]!.trim();
  if (op !== '=') {
    const aop = ALU_BY_SYM.get(op) ?? err(`unknown operator '${op}'`);
    const isReg = /^[rw]\d+$/.test(rhs);
    if (isReg && rhs[0] !== dstTok[0]) err(`operands of a ${width}-bit operation must both be ${dstTok[0]} registers`);
    return { insn: { kind: 'alu', op: aop, width, src: isReg ? 'reg' : 'imm', dst, sreg: isReg ? reg(rhs) : 0, imm: isReg ? 0 : num(rhs, 32, 'immediate') }, line };
  }
  let r: RegExpExecArray | null;
  if ((r = new RegExp(`^(${NUM})\\s+ll$`).exec(rhs))) {
    if (width !== 64) err('lddw needs an r register');
    return { insn: { kind: 'lddw', dst, pseudo: 0, ...imm64(r[1]!) }, line };
  }
  if ((r = /^-([rw]\d+)$/.exec(rhs))) {
    if (r[1] !== dstTok) err(`negation must be in place (${dstTok} = -${dstTok})`);
    return { insn: { kind: 'alu', op: 'neg', width, src: 'imm', dst, sreg: 0, imm: 0 }, line };
  }
  if ((r = /^\(s(8|16|32)\)\s*([rw]\d+)$/.exec(rhs))) {
    const op2 = `movsx${r[1]}` as AluOp;
    if (op2 === 'movsx32' && width === 32) err('w = (s32)w is not an instruction');
    return { insn: { kind: 'alu', op: op2, width, src: 'reg', dst, sreg: reg(r[2]!), imm: 0 }, line };
  }
  if ((r = /^(be|le|bswap)(16|32|64)\s+([rw]\d+)$/.exec(rhs))) {
    if (reg(r[3]!) !== dst) err('byte swaps are in place (rD = be16 rD)');
    return { insn: { kind: 'end', op: r[1] as 'be' | 'le' | 'bswap', bits: Number(r[2]) as 16 | 32 | 64, dst }, line };
  }
  if ((r = /^\*\((u8|u16|u32|u64|s8|s16|s32)\s*\*\)\s*skb\[\s*([^\]]+)\]$/.exec(rhs))) {
    if (dst !== 0) err('legacy packet loads always load into r0');
    const size = SIZE_OF[r[1]!]!;
    if (size === 8 || r[1]!.startsWith('s')) err('legacy packet loads are u8, u16 or u32');
    const ix = /^([rw]\d+)(?:\s*([+-])\s*(\S+))?$/.exec(r[2]!.trim());
    if (ix) return { insn: { kind: 'ldpkt', mode: 'ind', size: size as 1 | 2 | 4, sreg: reg(ix[1]!), imm: ix[2] ? num(`${ix[2]}${ix[3]}`, 32, 'offset') : 0 }, line };
    return { insn: { kind: 'ldpkt', mode: 'abs', size: size as 1 | 2 | 4, sreg: 0, imm: num(r[2]!.trim(), 32, 'offset') }, line };
  }
  if ((r = /^\*\((u8|u16|u32|u64|s8|s16|s32)\s*\*\)\s*(\(.*\))$/.exec(rhs))) {
    const a = memOperand(r[2]!);
    return { insn: { kind: 'ldx', size: SIZE_OF[r[1]!]!, sx: r[1]!.startsWith('s'), dst, sreg: a.reg, off: a.off }, line };
  }
  if ((r = /^atomic_fetch_(add|or|and|xor)\(\((u32|u64)\s*\*\)\s*(\([^)]*\))\s*,\s*([rw]\d+)\)$/.exec(rhs))) {
    const a = memOperand(r[3]!);
    if (reg(r[4]!) !== dst) err('atomic fetch returns into its source register');
    return { insn: { kind: 'atomic', op: `fetch_${r[1]}` as AtomicOp, size: r[2] === 'u32' ? 4 : 8, dst: a.reg, sreg: dst, off: a.off }, line };
  }
  if ((r = /^load_acquire\(\((u8|u16|u32|u64)\s*\*\)\s*(\([^)]*\))\)$/.exec(rhs))) {
    const a = memOperand(r[2]!);
    return { insn: { kind: 'load_acquire', size: SIZE_OF[r[1]!]!, dst, sreg: a.reg, off: a.off }, line };
  }
  if ((r = /^xchg(?:_64|32_32)\(\s*([^,]+),\s*([rw]\d+)\)$/.exec(rhs))) {
    const a = memOperand(r[1]!);
    if (reg(r[2]!) !== dst) err('xchg returns into its source register');
    return { insn: { kind: 'atomic', op: 'xchg', size: rhs.startsWith('xchg32') ? 4 : 8, dst: a.reg, sreg: dst, off: a.off }, line };
  }
  if ((r = /^cmpxchg(?:_64|32_32)\(\s*([^,]+),\s*([rw]0)\s*,\s*([rw]\d+)\)$/.exec(rhs))) {
    if (dst !== 0) err('cmpxchg returns into r0');
    const a = memOperand(r[1]!);
    return { insn: { kind: 'atomic', op: 'cmpxchg', size: rhs.startsWith('cmpxchg32') ? 4 : 8, dst: a.reg, sreg: reg(r[3]!), off: a.off }, line };
  }
  if (/^[rw]\d+$/.test(rhs)) {
    if (rhs[0] !== dstTok[0]) err(`operands of a ${width}-bit move must both be ${dstTok[0]} registers`);
    return { insn: { kind: 'alu', op: 'mov', width, src: 'reg', dst, sreg: reg(rhs), imm: 0 }, line };
  }
  if (new RegExp(`^${NUM}$`).test(rhs)) return { insn: { kind: 'alu', op: 'mov', width, src: 'imm', dst, sreg: 0, imm: num(rhs, 32, 'immediate') }, line };
  return err(`cannot parse '${s}'`);
}

// ---------------------------------------------------------------------------------------------
// ubpf / bpf_conformance syntax

const UBPF_ROWS = new Map<string, (typeof OPCODES)[number][]>();
for (const r of OPCODES) {
  const k = r.ubpf;
  UBPF_ROWS.set(k, [...(UBPF_ROWS.get(k) ?? []), r]);
}
// Aliases accepted by other ubpf-family assemblers.
const UBPF_ALIAS: Record<string, string> = {
  swap16: 'bswap16', swap32: 'bswap32', swap64: 'bswap64',
  ldxbsx: 'ldxsb', ldxhsx: 'ldxsh', ldxwsx: 'ldxsw',
  add64: 'add', sub64: 'sub', mul64: 'mul', div64: 'div', sdiv64: 'sdiv', or64: 'or', and64: 'and', lsh64: 'lsh', rsh64: 'rsh',
  neg64: 'neg', mod64: 'mod', smod64: 'smod', xor64: 'xor', mov64: 'mov', arsh64: 'arsh',
};

function ubpfMem(s: string): { reg: number; off: number } {
  const m = /^\[\s*(%?r\d+)\s*(?:([+-])\s*(0x[0-9a-fA-F]+|\d+))?\s*\]$/.exec(s.trim());
  if (!m) return err(`expected a memory operand like [%r1+2], got '${s}'`);
  return { reg: reg(m[1]!, '%r'), off: m[2] ? num(`${m[2]}${m[3]}`, 16, 'offset') : 0 };
}

const isUbpfReg = (s: string) => /^%?r\d+$/.test(s);

/** Does this text look like the ubpf syntax (mnemonic + comma-separated operands, no assignments)? */
function looksUbpf(text: string): boolean {
  if (/%r\d/.test(text)) return true;
  const first = text.split('\n').map((l) => l.replace(/(;|#|\/\/).*$/, '').trim()).find((l) => l && !/^[\w.$]+:$/.test(l));
  if (!first || first.includes('=')) return false;
  const mn = first.split(/\s+/)[0]!.toLowerCase();
  return UBPF_ROWS.has(mn) || mn in UBPF_ALIAS || ['lock', 'lddw', 'ja', 'ja32', 'mov', 'mov32'].includes(mn);
}

function parseUbpf(text: string, line: number): Pending | null {
  const parts = text.trim().split(/[\s,]+/).filter(Boolean);
  if (!parts.length) err(`expected an instruction, got '${text.trim()}'`);
  let mn = parts.shift()!.toLowerCase();
  const ops = parts;
  const arity = (n: number) => {
    if (ops.length !== n) err(`${mn} takes ${n} operand${n === 1 ? '' : 's'}, got ${ops.length}`);
  };
  if (mn === 'lock') {
    // lock [fetch] <op>[32] <mem>, <reg>
    let fetch = false;
    if (ops[0] === 'fetch') {
      fetch = true;
      ops.shift();
    }
    const opTok = ops.shift() ?? err('lock needs an operation');
    const m = /^(add|or|and|xor|xchg|cmpxchg)(32)?$/.exec(opTok);
    if (!m) return err(`unknown atomic operation '${opTok}'`);
    arity(2);
    const base = m[1] as 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';
    const op: AtomicOp = base === 'xchg' || base === 'cmpxchg' ? base : fetch ? (`fetch_${base}` as AtomicOp) : base;
    if (!(ATOMIC_OPS as readonly string[]).includes(op)) err(`unknown atomic operation '${opTok}'`);
    const a = ubpfMem(ops[0]!);
    return { insn: { kind: 'atomic', op, size: m[2] ? 4 : 8, dst: a.reg, sreg: reg(ops[1]!, '%r'), off: a.off }, line };
  }
  mn = UBPF_ALIAS[mn] ?? mn;
  if (mn === 'call') {
    if (ops.length === 1) ops.unshift('helper');
    arity(2);
    const [mode, t] = ops as [string, string];
    // `call %rN` is callx (the bpf_conformance assembler: the helper id is in the register).
    if (mode === 'helper' && t.startsWith('%')) return { insn: { kind: 'callx', dst: reg(t, '%r') }, line };
    if (mode === 'helper') return { insn: { kind: 'call', callee: 'helper', imm: num(t, 32, 'helper id'), off: 0 }, line };
    if (mode === 'runtime' || mode === 'kfunc') return { insn: { kind: 'call', callee: 'kfunc', imm: num(t, 32, 'function id'), off: 0 }, line };
    if (mode === 'local') {
      const tg = target(t, 32);
      return { insn: { kind: 'call', callee: 'local', imm: 'off' in tg ? tg.off : 0, off: 0 }, line, ...('label' in tg ? { label: tg.label } : {}) };
    }
    return err(`unknown call mode '${mode}' (helper, local, runtime)`);
  }
  if (mn === 'exit') {
    arity(0);
    return { insn: { kind: 'exit' }, line };
  }
  if (mn === 'ja' || mn === 'ja32' || mn === 'gotol' || mn === 'may_goto') {
    arity(1);
    const t = target(ops[0]!, mn === 'ja' || mn === 'may_goto' ? 16 : 32);
    const o = 'off' in t ? t.off : 0;
    const insn: Insn = mn === 'ja' ? { kind: 'ja', off: o } : mn === 'may_goto' ? { kind: 'may_goto', off: o } : { kind: 'gotol', imm: o };
    return { insn, line, ...('label' in t ? { label: t.label } : {}) };
  }
  if (mn === 'lddw') {
    arity(2);
    return { insn: { kind: 'lddw', dst: reg(ops[0]!, '%r'), pseudo: 0, ...imm64(ops[1]!) }, line };
  }
  const rows = UBPF_ROWS.get(mn);
  if (!rows) return err(`unknown mnemonic '${mn}'`);
  const t = rows[0]!.template;
  switch (t.kind) {
    case 'alu': {
      if (t.op === 'neg') {
        arity(1);
        return { insn: { ...t, dst: reg(ops[0]!, '%r') }, line };
      }
      arity(2);
      const isReg = isUbpfReg(ops[1]!);
      if (t.op.startsWith('movsx') && !isReg) err(`${mn} needs a register source`);
      return { insn: { ...t, src: isReg ? 'reg' : 'imm', dst: reg(ops[0]!, '%r'), sreg: isReg ? reg(ops[1]!, '%r') : 0, imm: isReg ? 0 : num(ops[1]!, 32, 'immediate') }, line };
    }
    case 'end':
      arity(1);
      return { insn: { ...t, dst: reg(ops[0]!, '%r') }, line };
    case 'jcond': {
      arity(3);
      const isReg = isUbpfReg(ops[1]!);
      const tg = target(ops[2]!);
      const insn: Insn = { ...t, src: isReg ? 'reg' : 'imm', dst: reg(ops[0]!, '%r'), sreg: isReg ? reg(ops[1]!, '%r') : 0, imm: isReg ? 0 : num(ops[1]!, 32, 'immediate'), off: 'off' in tg ? tg.off : 0 };
      return { insn, line, ...('label' in tg ? { label: tg.label } : {}) };
    }
    case 'ldpkt':
      if (t.mode === 'abs') {
        arity(1);
        return { insn: { ...t, imm: num(ops[0]!, 32, 'offset') }, line };
      }
      arity(2);
      return { insn: { ...t, sreg: reg(ops[0]!, '%r'), imm: num(ops[1]!, 32, 'offset') }, line };
    case 'ldx': {
      arity(2);
      const a = ubpfMem(ops[1]!);
      return { insn: { ...t, dst: reg(ops[0]!, '%r'), sreg: a.reg, off: a.off }, line };
    }
    case 'st': {
      arity(2);
      const a = ubpfMem(ops[0]!);
      return { insn: { ...t, dst: a.reg, off: a.off, imm: num(ops[1]!, 32, 'immediate') }, line };
    }
    case 'stx':
    case 'store_release': {
      arity(2);
      const a = ubpfMem(ops[0]!);
      return { insn: { ...t, dst: a.reg, sreg: reg(ops[1]!, '%r'), off: a.off }, line };
    }
    case 'load_acquire': {
      arity(2);
      const a = ubpfMem(ops[1]!);
      return { insn: { ...t, dst: reg(ops[0]!, '%r'), sreg: a.reg, off: a.off }, line };
    }
    default:
      return err(`cannot assemble '${mn}'`);
  }
}

// ---------------------------------------------------------------------------------------------

/** The name of a .data section header line (`-- asm`, any blanks around), else undefined. */
function sectionName(line: string): string | undefined {
  return /^\s*--\s+(\S+)\s*$/.exec(line)?.[1];
}

/** The `-- asm` section of a bpf_conformance .data file, with the line number it starts at. */
export function dataSection(text: string, name: string): { text: string; firstLine: number } | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => sectionName(l) === name);
  if (start < 0) return undefined;
  let end = lines.findIndex((l, i) => i > start && /^--\s/.test(l.trim()));
  if (end < 0) end = lines.length;
  return { text: lines.slice(start + 1, end).join('\n'), firstLine: start + 2 };
}

const OBJDUMP_LINE = /^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2}[ \t])+)\s*(.*)$/;
/** `nicsim disasm` lines: a decimal pc, a colon, the instruction. */
const PC_LINE = /^\s*\d+:\s+(.*)$/;

/** Assembles text into a slot array. Errors are InputErrors with file:line. */
export function assemble(source: string, opts: AsmOptions = {}): Slot[] {
  let text = source;
  let firstLine = opts.firstLine ?? 1;
  const sec = dataSection(text, 'asm');
  if (sec) {
    text = sec.text;
    firstLine = sec.firstLine;
  }
  const syntax = opts.syntax ?? (looksUbpf(text) ? 'ubpf' : 'llvm');
  const pending: Pending[] = [];
  const labels = new Map<string, number>();
  let pc = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = firstLine + i;
    let l = lines[i]!;
    const od = OBJDUMP_LINE.exec(l) ?? PC_LINE.exec(l);
    if (od) l = od[od.length - 1]!;
    l = l.replace(/(;|#|\/\/).*$/, '').trim();
    if (!l) continue;
    try {
      // Labels: "name:" (possibly followed by an instruction). objdump's "0000000000000000 <sym>:" too.
      let lm: RegExpExecArray | null;
      if ((lm = /^[0-9a-f]{16}\s+<([^>]+)>:$/.exec(l))) {
        labels.set(lm[1]!, pc);
        continue;
      }
      if ((lm = /^([A-Za-z_.$][\w.$]*):\s*(.*)$/.exec(l))) {
        if (labels.has(lm[1]!)) err(`duplicate label '${lm[1]}'`);
        labels.set(lm[1]!, pc);
        l = lm[2]!;
        if (!l) continue;
      }
      if (/^Disassembly of section|file format/.test(l)) continue;
      const p = syntax === 'ubpf' ? parseUbpf(l, lineNo) : parseLlvm(l, lineNo);
      if (!p) continue;
      pending.push(p);
      pc += slotsOf(p.insn);
    } catch (e) {
      if (e instanceof LineError) throw new InputError('asm.syntax', e.message, { file: opts.file, line: lineNo });
      throw e;
    }
  }
  // The bpf_conformance assembler labels the first `exit` as "exit" unless the source defines it.
  if (syntax === 'ubpf' && !labels.has('exit')) {
    let at = 0;
    for (const p of pending) {
      if (p.insn.kind === 'exit') {
        labels.set('exit', at);
        break;
      }
      at += slotsOf(p.insn);
    }
  }
  // Layout and label resolution.
  const slots: Slot[] = [];
  for (const p of pending) {
    const here = slots.length;
    if (p.label !== undefined) {
      const at = labels.get(p.label);
      if (at === undefined) throw new InputError('asm.label', `undefined label '${p.label}'`, { file: opts.file, line: p.line });
      const rel = at - here - 1;
      const insn = p.insn;
      if (insn.kind === 'ja' || insn.kind === 'jcond' || insn.kind === 'may_goto') {
        if (rel < -32768 || rel > 32767) throw new InputError('asm.range', `jump to '${p.label}' is too far for a 16-bit offset (use gotol)`, { file: opts.file, line: p.line });
        insn.off = rel;
      } else if (insn.kind === 'gotol' || insn.kind === 'call') insn.imm = rel;
    }
    slots.push(p.insn);
    if (p.insn.kind === 'lddw') slots.push(null);
  }
  if (opts.checkTargets !== false) checkTargets(slots, { file: opts.file });
  return slots;
}

/** Assembles to bytes. */
export function assembleBytes(source: string, opts: AsmOptions = {}): Uint8Array {
  return encodeProgram(assemble(source, opts));
}
