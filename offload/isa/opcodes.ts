// The one opcode table of nicsim. Every instruction of RFC 9669 (including cpu v4) is one row: its
// opcode byte, the field values that select it when the opcode byte alone does not (sdiv/smod and
// movsx by offset, atomics and END width by imm), what the other fields may hold, its RFC 9669
// conformance group, its mnemonic in the ubpf / bpf_conformance assembler syntax, and a base cost.
// The decoder, encoder, validator, disassembler and both assemblers are all derived from this table.
import {
  ALU_OPS,
  ATOMIC_OPS,
  type AluOp,
  type AtomicOp,
  END_OPS,
  type Insn,
  JMP_CONDS,
  type JmpCond,
  type Size,
  assertNever,
} from './ir.ts';

// Instruction classes (the low 3 bits of the opcode).
export const CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
// Source bit of ALU/JMP classes.
export const SRC_K = 0x00;
export const SRC_X = 0x08;
// Size field of load/store classes.
export const SIZE_CODE: Record<Size, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
// Mode field of load/store classes.
export const MODE = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/**
 * RFC 9669 conformance groups, plus 'linux' for the kernel's own extensions (may_goto) and 'callx' for
 * the bpf_conformance suite's group of that name (callx is in neither RFC 9669 nor the kernel).
 */
export type Group = 'base32' | 'base64' | 'divmul32' | 'divmul64' | 'atomic32' | 'atomic64' | 'packet' | 'linux' | 'callx';

/** What a field may hold. 'zero' = reserved, must be 0; 'fixed' = the row's selector value. */
export type DstRule = 'write' | 'read' | 'zero';
export type SrcRule = 'read' | 'write' | 'zero' | 'pseudo' | 'call';
export type ValRule = 'any' | 'zero' | 'fixed';

export interface OpRow {
  /** Stable id derived from the IR (see rowKey), e.g. 'alu64.add.imm', 'ldx4', 'atomic64.xchg'. */
  id: string;
  code: number;
  /** Selector value in the offset field (sdiv/smod = 1, movsx = 8/16/32), if the row needs one. */
  off?: number;
  /** Selector value in the imm field (atomics: operation; END: width), if the row needs one. */
  imm?: number;
  /** src_reg selector (call kinds). */
  src?: number;
  rules: { dst: DstRule; src: SrcRule; off: ValRule; imm: ValRule };
  group: Group;
  /** Mnemonic in the ubpf / bpf_conformance assembler syntax. */
  ubpf: string;
  /** Relative base cost (abstract cycles); hardware profiles refine it. */
  cost: number;
  /** A template instruction of this row (operands zero). */
  template: Insn;
  /**
   * False for an instruction the kernel's instruction table lacks (its verifier says "unknown opcode"):
   * the decoder accepts it only on request (DecodeOptions). Absent = in the kernel's set.
   */
  kernel?: false;
}

export const ALU_CODE: Record<AluOp, { op: number; off: number; sym: string; ubpf: string; divmul: boolean }> = {
  add: { op: 0x00, off: 0, sym: '+=', ubpf: 'add', divmul: false },
  sub: { op: 0x10, off: 0, sym: '-=', ubpf: 'sub', divmul: false },
  mul: { op: 0x20, off: 0, sym: '*=', ubpf: 'mul', divmul: true },
  div: { op: 0x30, off: 0, sym: '/=', ubpf: 'div', divmul: true },
  sdiv: { op: 0x30, off: 1, sym: 's/=', ubpf: 'sdiv', divmul: true },
  or: { op: 0x40, off: 0, sym: '|=', ubpf: 'or', divmul: false },
  and: { op: 0x50, off: 0, sym: '&=', ubpf: 'and', divmul: false },
  lsh: { op: 0x60, off: 0, sym: '<<=', ubpf: 'lsh', divmul: false },
  rsh: { op: 0x70, off: 0, sym: '>>=', ubpf: 'rsh', divmul: false },
  neg: { op: 0x80, off: 0, sym: '', ubpf: 'neg', divmul: false },
  mod: { op: 0x90, off: 0, sym: '%=', ubpf: 'mod', divmul: true },
  smod: { op: 0x90, off: 1, sym: 's%=', ubpf: 'smod', divmul: true },
  xor: { op: 0xa0, off: 0, sym: '^=', ubpf: 'xor', divmul: false },
  mov: { op: 0xb0, off: 0, sym: '=', ubpf: 'mov', divmul: false },
  movsx8: { op: 0xb0, off: 8, sym: '=', ubpf: 'movsx8', divmul: false },
  movsx16: { op: 0xb0, off: 16, sym: '=', ubpf: 'movsx16', divmul: false },
  movsx32: { op: 0xb0, off: 32, sym: '=', ubpf: 'movsx32', divmul: false },
  arsh: { op: 0xc0, off: 0, sym: 's>>=', ubpf: 'arsh', divmul: false },
};
export const END_CODE = 0xd0;

export const JMP_CODE: Record<JmpCond, { op: number; sym: string }> = {
  jeq: { op: 0x10, sym: '==' },
  jgt: { op: 0x20, sym: '>' },
  jge: { op: 0x30, sym: '>=' },
  jset: { op: 0x40, sym: '&' },
  jne: { op: 0x50, sym: '!=' },
  jsgt: { op: 0x60, sym: 's>' },
  jsge: { op: 0x70, sym: 's>=' },
  jlt: { op: 0xa0, sym: '<' },
  jle: { op: 0xb0, sym: '<=' },
  jslt: { op: 0xc0, sym: 's<' },
  jsle: { op: 0xd0, sym: 's<=' },
};
export const JA_CODE = 0x00;
export const CALL_CODE = 0x80;
export const EXIT_CODE = 0x90;
export const JCOND_CODE = 0xe0;

/** Atomic operations: imm values (BPF_ADD.. | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG). */
export const ATOMIC_IMM: Record<AtomicOp, number> = {
  add: 0x00,
  or: 0x40,
  and: 0x50,
  xor: 0xa0,
  fetch_add: 0x01,
  fetch_or: 0x41,
  fetch_and: 0x51,
  fetch_xor: 0xa1,
  xchg: 0xe1,
  cmpxchg: 0xf1,
};

const SIZE_NAME: Record<Size, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };
/** BPF_LOAD_ACQ and BPF_STORE_REL (imm of BPF_ATOMIC). */
export const LOAD_ACQ = 0x100;
export const STORE_REL = 0x110;

/** The row id of an instruction: what selects its row, nothing else. */
export function rowKey(insn: Insn): string {
  switch (insn.kind) {
    case 'alu':
      return `alu${insn.width}.${insn.op}.${insn.src}`;
    case 'end':
      return `end.${insn.op}${insn.bits}`;
    case 'ja':
      return 'ja';
    case 'gotol':
      return 'gotol';
    case 'jcond':
      return `jmp${insn.width}.${insn.op}.${insn.src}`;
    case 'call':
      return `call.${insn.callee}`;
    case 'callx':
      return 'callx';
    case 'exit':
      return 'exit';
    case 'may_goto':
      return 'may_goto';
    case 'lddw':
      return 'lddw';
    case 'ldpkt':
      return `ld${insn.mode}${insn.size}`;
    case 'ldx':
      return `ldx${insn.sx ? 's' : ''}${insn.size}`;
    case 'st':
      return `st${insn.size}`;
    case 'stx':
      return `stx${insn.size}`;
    case 'atomic':
      return `atomic${insn.size * 8}.${insn.op}`;
    case 'load_acquire':
    case 'store_release':
      return `${insn.kind}${insn.size * 8}`;
    default:
      return assertNever(insn, 'instruction kind');
  }
}

function row(r: Omit<OpRow, 'id' | 'cost'> & { cost?: number }): OpRow {
  return { ...r, id: rowKey(r.template), cost: r.cost ?? 1 };
}

function buildTable(): OpRow[] {
  const rows: OpRow[] = [];
  // ALU and ALU64.
  for (const width of [64, 32] as const) {
    const cls = width === 64 ? CLASS.ALU64 : CLASS.ALU;
    const sfx = width === 64 ? '' : '32';
    for (const op of ALU_OPS) {
      const a = ALU_CODE[op];
      if (op === 'movsx32' && width === 32) continue; // w = (s32)w is not an instruction
      const group: Group = a.divmul ? (width === 64 ? 'divmul64' : 'divmul32') : width === 64 ? 'base64' : 'base32';
      const sel = a.off !== 0 ? { off: a.off } : {};
      const offRule: ValRule = a.off !== 0 ? 'fixed' : 'zero';
      const forms: ('imm' | 'reg')[] = op === 'neg' ? ['imm'] : op.startsWith('movsx') ? ['reg'] : ['imm', 'reg'];
      for (const src of forms) {
        const isReg = src === 'reg';
        rows.push(
          row({
            code: cls | a.op | (isReg ? SRC_X : SRC_K),
            ...sel,
            rules: { dst: 'write', src: isReg ? 'read' : 'zero', off: offRule, imm: isReg || op === 'neg' ? 'zero' : 'any' },
            group,
            ubpf: op.startsWith('movsx') ? `movsx${op.slice(5)}${width}` : a.ubpf + sfx,
            template: { kind: 'alu', op, width, src, dst: 0, sreg: 0, imm: 0 },
          }),
        );
      }
    }
  }
  // Byte swaps: ALU class TO_LE (src bit 0) / TO_BE (src bit 1); ALU64 class TO_LE = unconditional bswap.
  for (const op of END_OPS) {
    for (const bits of [16, 32, 64] as const) {
      const code = op === 'bswap' ? CLASS.ALU64 | END_CODE : CLASS.ALU | END_CODE | (op === 'be' ? SRC_X : SRC_K);
      rows.push(
        row({
          code,
          imm: bits,
          rules: { dst: 'write', src: 'zero', off: 'zero', imm: 'fixed' },
          group: bits === 64 ? 'base64' : 'base32',
          ubpf: `${op}${bits}`,
          template: { kind: 'end', op, bits, dst: 0 },
        }),
      );
    }
  }
  // Jumps.
  rows.push(
    row({
      code: CLASS.JMP | JA_CODE,
      rules: { dst: 'zero', src: 'zero', off: 'any', imm: 'zero' },
      group: 'base32',
      ubpf: 'ja',
      template: { kind: 'ja', off: 0 },
    }),
    row({
      code: CLASS.JMP32 | JA_CODE,
      rules: { dst: 'zero', src: 'zero', off: 'zero', imm: 'any' },
      group: 'base32',
      ubpf: 'ja32',
      template: { kind: 'gotol', imm: 0 },
    }),
  );
  for (const width of [64, 32] as const) {
    for (const op of JMP_CONDS) {
      for (const src of ['imm', 'reg'] as const) {
        const isReg = src === 'reg';
        rows.push(
          row({
            code: (width === 64 ? CLASS.JMP : CLASS.JMP32) | JMP_CODE[op].op | (isReg ? SRC_X : SRC_K),
            rules: { dst: 'read', src: isReg ? 'read' : 'zero', off: 'any', imm: isReg ? 'zero' : 'any' },
            group: width === 64 ? 'base64' : 'base32',
            ubpf: width === 64 ? op : `${op}32`,
            template: { kind: 'jcond', op, width, src, dst: 0, sreg: 0, imm: 0, off: 0 },
          }),
        );
      }
    }
  }
  const callees = [
    ['helper', 0],
    ['local', 1],
    ['kfunc', 2],
  ] as const;
  for (const [callee, src] of callees) {
    rows.push(
      row({
        code: CLASS.JMP | CALL_CODE,
        src,
        rules: { dst: 'zero', src: 'call', off: callee === 'kfunc' ? 'any' : 'zero', imm: 'any' },
        group: 'base32',
        ubpf: 'call',
        template: { kind: 'call', callee, imm: 0, off: 0 },
      }),
    );
  }
  rows.push(
    row({
      code: CLASS.JMP | CALL_CODE | SRC_X,
      rules: { dst: 'read', src: 'zero', off: 'zero', imm: 'zero' },
      group: 'callx',
      ubpf: 'call',
      template: { kind: 'callx', dst: 0 },
      kernel: false,
    }),
    row({
      code: CLASS.JMP | EXIT_CODE,
      // The kernel does not check exit's offset field.
      rules: { dst: 'zero', src: 'zero', off: 'any', imm: 'zero' },
      group: 'base32',
      ubpf: 'exit',
      template: { kind: 'exit' },
    }),
    row({
      code: CLASS.JMP | JCOND_CODE,
      rules: { dst: 'zero', src: 'zero', off: 'any', imm: 'zero' },
      group: 'linux',
      ubpf: 'may_goto',
      template: { kind: 'may_goto', off: 0 },
    }),
    row({
      code: CLASS.LD | MODE.IMM | SIZE_CODE[8],
      rules: { dst: 'write', src: 'pseudo', off: 'zero', imm: 'any' },
      group: 'base64',
      ubpf: 'lddw',
      template: { kind: 'lddw', dst: 0, pseudo: 0, imm: 0, imm2: 0 },
    }),
  );
  // Legacy packet loads.
  for (const mode of ['abs', 'ind'] as const) {
    for (const size of [1, 2, 4] as const) {
      rows.push(
        row({
          code: CLASS.LD | (mode === 'abs' ? MODE.ABS : MODE.IND) | SIZE_CODE[size],
          rules: { dst: 'zero', src: mode === 'abs' ? 'zero' : 'read', off: 'zero', imm: 'any' },
          group: 'packet',
          ubpf: `ld${mode}${SIZE_NAME[size]}`,
          template: { kind: 'ldpkt', mode, size, sreg: 0, imm: 0 },
        }),
      );
    }
  }
  // Memory loads and stores.
  for (const size of [1, 2, 4, 8] as const) {
    const g: Group = size === 8 ? 'base64' : 'base32';
    const n = SIZE_NAME[size];
    rows.push(
      row({
        code: CLASS.LDX | MODE.MEM | SIZE_CODE[size],
        rules: { dst: 'write', src: 'read', off: 'any', imm: 'zero' },
        group: g,
        ubpf: `ldx${n}`,
        template: { kind: 'ldx', size, sx: false, dst: 0, sreg: 0, off: 0 },
      }),
    );
    if (size !== 8) {
      rows.push(
        row({
          code: CLASS.LDX | MODE.MEMSX | SIZE_CODE[size],
          rules: { dst: 'write', src: 'read', off: 'any', imm: 'zero' },
          group: g,
          ubpf: `ldxs${n}`,
          template: { kind: 'ldx', size, sx: true, dst: 0, sreg: 0, off: 0 },
        }),
      );
    }
    rows.push(
      row({
        code: CLASS.ST | MODE.MEM | SIZE_CODE[size],
        rules: { dst: 'read', src: 'zero', off: 'any', imm: 'any' },
        group: g,
        ubpf: `st${n}`,
        template: { kind: 'st', size, dst: 0, off: 0, imm: 0 },
      }),
      row({
        code: CLASS.STX | MODE.MEM | SIZE_CODE[size],
        rules: { dst: 'read', src: 'read', off: 'any', imm: 'zero' },
        group: g,
        ubpf: `stx${n}`,
        template: { kind: 'stx', size, dst: 0, sreg: 0, off: 0 },
      }),
    );
  }
  for (const size of [4, 8] as const) {
    for (const op of ATOMIC_OPS) {
      rows.push(
        row({
          code: CLASS.STX | MODE.ATOMIC | SIZE_CODE[size],
          imm: ATOMIC_IMM[op],
          // Fetching operations write the old value into src (cmpxchg into r0).
          rules: { dst: 'read', src: op.startsWith('fetch') || op === 'xchg' ? 'write' : 'read', off: 'any', imm: 'fixed' },
          group: size === 8 ? 'atomic64' : 'atomic32',
          ubpf: `lock ${op.replace('fetch_', 'fetch ')}${size === 4 ? '32' : ''}`,
          template: { kind: 'atomic', op, size, dst: 0, sreg: 0, off: 0 },
        }),
      );
    }
  }
  // Load-acquire / store-release (Linux 6.15+), every size.
  for (const size of [1, 2, 4, 8] as const) {
    for (const kind of ['load_acquire', 'store_release'] as const) {
      rows.push(
        row({
          code: CLASS.STX | MODE.ATOMIC | SIZE_CODE[size],
          imm: kind === 'load_acquire' ? LOAD_ACQ : STORE_REL,
          rules: { dst: kind === 'load_acquire' ? 'write' : 'read', src: 'read', off: 'any', imm: 'fixed' },
          group: 'linux',
          ubpf: `${kind === 'load_acquire' ? 'ldacq' : 'strel'}${SIZE_NAME[size]}`,
          template: { kind, size, dst: 0, sreg: 0, off: 0 },
        }),
      );
    }
  }
  return rows;
}

/** Every instruction of the ISA, one row each. */
export const OPCODES: readonly OpRow[] = buildTable();

export const ROW_BY_ID: ReadonlyMap<string, OpRow> = new Map(OPCODES.map((r) => [r.id, r]));

/** Rows sharing an opcode byte (selected further by offset, imm or src). */
export const ROWS_BY_CODE: readonly (readonly OpRow[])[] = (() => {
  const by: OpRow[][] = Array.from({ length: 256 }, () => []);
  for (const r of OPCODES) by[r.code]!.push(r);
  return by;
})();

export function rowOf(insn: Insn): OpRow {
  const r = ROW_BY_ID.get(rowKey(insn));
  if (!r) throw new Error(`no opcode row for ${rowKey(insn)}`);
  return r;
}
