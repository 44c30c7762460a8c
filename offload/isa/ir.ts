// The instruction IR: a discriminated union on `kind`. Every encoding quirk (sdiv/smod and movsx
// borrowing the offset field, atomics selecting their operation in imm, END's direction in the source
// bit) is folded into named operations once, at decode; consumers never look at raw fields again.
// Programs are arrays indexed by 8-byte slot (pc); the second slot of an lddw is `null`.

export type Reg = number; // 0..10
export type Width = 32 | 64;
export type Size = 1 | 2 | 4 | 8;

export const ALU_OPS = [
  'add', 'sub', 'mul', 'div', 'sdiv', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'smod', 'xor',
  'mov', 'movsx8', 'movsx16', 'movsx32', 'arsh',
] as const;
export type AluOp = (typeof ALU_OPS)[number];

export const JMP_CONDS = ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const;
export type JmpCond = (typeof JMP_CONDS)[number];

export const ATOMIC_OPS = [
  'add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg',
] as const;
export type AtomicOp = (typeof ATOMIC_OPS)[number];

export const END_OPS = ['le', 'be', 'bswap'] as const;
export type EndOp = (typeof END_OPS)[number];

/** Source operand of ALU and conditional jumps: the immediate or the src register. */
export type SrcKind = 'imm' | 'reg';

/** lddw src_reg pseudo kinds (include/uapi/linux/bpf.h). */
export const PSEUDO = {
  imm64: 0,
  mapFd: 1, // BPF_PSEUDO_MAP_FD
  mapValue: 2, // BPF_PSEUDO_MAP_VALUE
  btfId: 3, // BPF_PSEUDO_BTF_ID
  func: 4, // BPF_PSEUDO_FUNC
  mapIdx: 5, // BPF_PSEUDO_MAP_IDX
  mapIdxValue: 6, // BPF_PSEUDO_MAP_IDX_VALUE
} as const;
export type Pseudo = (typeof PSEUDO)[keyof typeof PSEUDO];

/** call src_reg kinds. */
export const CALL_KIND = { helper: 0, local: 1, kfunc: 2 } as const;
export type CallKind = keyof typeof CALL_KIND;

export interface AluInsn {
  kind: 'alu';
  op: AluOp;
  width: Width;
  src: SrcKind;
  dst: Reg;
  /** Source register (src === 'reg'), else 0. */
  sreg: Reg;
  /** Immediate (src === 'imm'), signed 32-bit, else 0. */
  imm: number;
}
export interface EndInsn {
  kind: 'end';
  op: EndOp;
  bits: 16 | 32 | 64;
  dst: Reg;
}
export interface JaInsn {
  kind: 'ja';
  off: number;
}
/** JMP32 | JA: `gotol`, the 32-bit-offset jump (offset in imm). */
export interface GotolInsn {
  kind: 'gotol';
  imm: number;
}
export interface JcondInsn {
  kind: 'jcond';
  op: JmpCond;
  width: Width;
  src: SrcKind;
  dst: Reg;
  sreg: Reg;
  imm: number;
  off: number;
}
export interface CallInsn {
  kind: 'call';
  callee: CallKind;
  /** helper id, relative pc offset (local), or BTF id (kfunc). */
  imm: number;
  /** kfunc only: index of the BTF fd in fd_array (0 = vmlinux). */
  off: number;
}
/**
 * `callx dst` (JMP | CALL | X, 0x8d): calls the helper whose id is in register dst. Not in RFC 9669's
 * table nor in the kernel's instruction set (the kernel refuses it as "unknown opcode 8d"); the
 * bpf_conformance suite has it as its `callx` group, and llvm assembles it. Decoded only on request
 * (DecodeOptions.callx).
 */
export interface CallxInsn {
  kind: 'callx';
  dst: Reg;
}
export interface ExitInsn {
  kind: 'exit';
  /** The kernel ignores exit's offset field; kept so that decode/encode is lossless. */
  off?: number;
}
/**
 * `may_goto +off` (JMP | JCOND, a Linux extension beyond RFC 9669 used by the `can_loop` macros):
 * falls through while the program's loop budget lasts, then jumps.
 */
export interface MayGotoInsn {
  kind: 'may_goto';
  off: number;
}
export interface LddwInsn {
  kind: 'lddw';
  dst: Reg;
  pseudo: Pseudo;
  /** Low 32 bits of the immediate (signed int32 as stored). */
  imm: number;
  /** Second slot's imm: high 32 bits (signed int32 as stored). */
  imm2: number;
}
/** Legacy packet access (LD_ABS / LD_IND). */
export interface LdPktInsn {
  kind: 'ldpkt';
  mode: 'abs' | 'ind';
  size: 1 | 2 | 4;
  /** Index register for 'ind', else 0. */
  sreg: Reg;
  imm: number;
}
export interface LdxInsn {
  kind: 'ldx';
  size: Size;
  /** Sign-extending load (LDX | MEMSX). */
  sx: boolean;
  dst: Reg;
  sreg: Reg;
  off: number;
}
export interface StInsn {
  kind: 'st';
  size: Size;
  dst: Reg;
  off: number;
  imm: number;
}
export interface StxInsn {
  kind: 'stx';
  size: Size;
  dst: Reg;
  sreg: Reg;
  off: number;
}
/**
 * Load-acquire / store-release (BPF_ATOMIC with imm BPF_LOAD_ACQ 0x100 / BPF_STORE_REL 0x110, a Linux
 * extension beyond RFC 9669, all four sizes): `dst = load_acquire(src + off)`,
 * `store_release(dst + off, src)`.
 */
export interface AcqRelInsn {
  kind: 'load_acquire' | 'store_release';
  size: Size;
  dst: Reg;
  sreg: Reg;
  off: number;
}
export interface AtomicInsn {
  kind: 'atomic';
  op: AtomicOp;
  size: 4 | 8;
  dst: Reg;
  sreg: Reg;
  off: number;
}

export type Insn =
  | AluInsn
  | EndInsn
  | JaInsn
  | GotolInsn
  | JcondInsn
  | CallInsn
  | CallxInsn
  | ExitInsn
  | MayGotoInsn
  | LddwInsn
  | LdPktInsn
  | LdxInsn
  | StInsn
  | StxInsn
  | AtomicInsn
  | AcqRelInsn;

export type InsnKind = Insn['kind'];

/** One 8-byte slot of a program: an instruction, or null for the second half of an lddw. */
export type Slot = Insn | null;

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(x)}`);
}

/** Number of 8-byte slots an instruction occupies. */
export function slotsOf(insn: Insn): 1 | 2 {
  return insn.kind === 'lddw' ? 2 : 1;
}

/** Jump target pc of a jump at `pc`, or -1 if the instruction does not jump. */
export function jumpTarget(insn: Insn, pc: number): number {
  switch (insn.kind) {
    case 'ja':
    case 'jcond':
    case 'may_goto':
      return pc + insn.off + 1;
    case 'gotol':
      return pc + insn.imm + 1;
    case 'call':
      return insn.callee === 'local' ? pc + insn.imm + 1 : -1;
    default:
      return -1;
  }
}

/** The 64-bit immediate of an lddw as a BigInt (tooling only, not for hot paths). */
export function lddwValue(insn: LddwInsn): bigint {
  return (BigInt(insn.imm2 >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}
