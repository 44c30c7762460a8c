// Bytes -> IR. Every field is checked against the opcode table's legality rules; illegal encodings
// are InputErrors carrying the pc and a reason (unknown opcode, bad register, reserved field set,
// lddw without its second half, jump out of range or into the middle of an lddw).
import { InputError, type Location } from '../errors.ts';
import { CLASS, type OpRow, ROWS_BY_CODE } from './opcodes.ts';
import { type CallKind, type Insn, jumpTarget, type Pseudo, type Slot } from './ir.ts';

export interface RawInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** Reads the raw fields of slot `pc` (little-endian). */
export function rawAt(bytes: Uint8Array, pc: number): RawInsn {
  const o = pc * 8;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + o, 8);
  const regs = dv.getUint8(1);
  return { code: dv.getUint8(0), dst: regs & 0x0f, src: regs >> 4, off: dv.getInt16(2, true), imm: dv.getInt32(4, true) };
}

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

function fail(code: string, reason: string, pc: number, loc: Location): never {
  throw new InputError(code, reason, { ...loc, pc, ...(loc.offset !== undefined ? { offset: loc.offset + pc * 8 } : {}) });
}

function selectRow(raw: RawInsn, pc: number, loc: Location, callx: boolean): OpRow {
  const rows = ROWS_BY_CODE[raw.code]!.filter((r) => r.kernel !== false || callx);
  if (rows.length === 0) fail('isa.unknown_opcode', `unknown opcode ${hex2(raw.code)}`, pc, loc);
  if (rows.length === 1) return rows[0]!;
  const r0 = rows[0]!;
  if (r0.src !== undefined) {
    const r = rows.find((x) => x.src === raw.src);
    if (!r) fail('isa.reserved_field', `call uses reserved src_reg ${raw.src} (0 helper, 1 bpf-to-bpf, 2 kfunc)`, pc, loc);
    return r;
  }
  if (r0.imm !== undefined) {
    const r = rows.find((x) => x.imm === raw.imm);
    if (r) return r;
    if ((raw.code & 7) === CLASS.STX)
      fail('isa.bad_atomic', `invalid atomic operation ${hex2(raw.imm & 0xff)}${raw.imm >>> 8 ? ` (imm ${raw.imm})` : ''}`, pc, loc);
    fail('isa.reserved_field', `byte swap width must be 16, 32 or 64, not ${raw.imm}`, pc, loc);
  }
  // Offset-selected rows (div/sdiv, mod/smod, mov/movsx).
  const r = rows.find((x) => (x.off ?? 0) === raw.off);
  if (!r) fail('isa.reserved_field', `opcode ${hex2(raw.code)} does not take offset ${raw.off}`, pc, loc);
  return r;
}

function checkReg(what: string, n: number, pc: number, loc: Location, write: boolean): void {
  if (n > 10) fail('isa.bad_register', `${what} register r${n} does not exist`, pc, loc);
  if (write && n === 10) fail('isa.frame_pointer_write', `r10 is the read-only frame pointer and cannot be written`, pc, loc);
}

/**
 * Decodes one instruction (both slots for lddw: pass `next`). Throws InputError on an illegal
 * encoding.
 */
export function decodeInsn(raw: RawInsn, next: RawInsn | undefined, pc = 0, loc: Location = {}, callx = false): Insn {
  const r = selectRow(raw, pc, loc, callx);
  const { rules } = r;
  const t = r.template;
  // Field legality.
  if (rules.dst === 'zero') {
    if (raw.dst !== 0) fail('isa.reserved_field', `${r.id} uses reserved dst_reg field (${raw.dst})`, pc, loc);
  } else checkReg('destination', raw.dst, pc, loc, rules.dst === 'write');
  if (rules.src === 'zero') {
    if (raw.src !== 0) fail('isa.reserved_field', `${r.id} uses reserved src_reg field (${raw.src})`, pc, loc);
  } else if (rules.src === 'read' || rules.src === 'write') checkReg('source', raw.src, pc, loc, rules.src === 'write');
  else if (rules.src === 'pseudo' && raw.src > 6)
    fail('isa.reserved_field', `lddw has unknown pseudo source ${raw.src}`, pc, loc);
  if (rules.off === 'zero' && raw.off !== 0) fail('isa.reserved_field', `${r.id} uses reserved offset field (${raw.off})`, pc, loc);
  if (rules.imm === 'zero' && raw.imm !== 0) fail('isa.reserved_field', `${r.id} uses reserved imm field (${raw.imm})`, pc, loc);

  switch (t.kind) {
    case 'alu':
      return { kind: 'alu', op: t.op, width: t.width, src: t.src, dst: raw.dst, sreg: t.src === 'reg' ? raw.src : 0, imm: t.src === 'imm' ? raw.imm : 0 };
    case 'end':
      return { kind: 'end', op: t.op, bits: t.bits, dst: raw.dst };
    case 'ja':
      return { kind: 'ja', off: raw.off };
    case 'gotol':
      return { kind: 'gotol', imm: raw.imm };
    case 'jcond':
      return { kind: 'jcond', op: t.op, width: t.width, src: t.src, dst: raw.dst, sreg: t.src === 'reg' ? raw.src : 0, imm: t.src === 'imm' ? raw.imm : 0, off: raw.off };
    case 'call':
      return { kind: 'call', callee: t.callee as CallKind, imm: raw.imm, off: t.callee === 'kfunc' ? raw.off : 0 };
    case 'callx':
      return { kind: 'callx', dst: raw.dst };
    case 'exit':
      return raw.off ? { kind: 'exit', off: raw.off } : { kind: 'exit' };
    case 'may_goto':
      return { kind: 'may_goto', off: raw.off };
    case 'lddw': {
      if (!next) fail('isa.lddw_truncated', 'lddw is missing its second half (program ends)', pc, loc);
      if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)
        fail('isa.lddw_second_half', 'invalid second half of lddw (opcode, registers and offset must be 0)', pc, loc);
      // A map reference by fd or index has no second immediate (the kernel: "unrecognized bpf_ld_imm64").
      if ((raw.src === 1 || raw.src === 5) && next.imm !== 0)
        fail('isa.reserved_field', `lddw of a map (pseudo ${raw.src}) must have 0 in its second immediate`, pc, loc);
      return { kind: 'lddw', dst: raw.dst, pseudo: raw.src as Pseudo, imm: raw.imm, imm2: next.imm };
    }
    case 'ldpkt':
      return { kind: 'ldpkt', mode: t.mode, size: t.size, sreg: t.mode === 'ind' ? raw.src : 0, imm: raw.imm };
    case 'ldx':
      return { kind: 'ldx', size: t.size, sx: t.sx, dst: raw.dst, sreg: raw.src, off: raw.off };
    case 'st':
      return { kind: 'st', size: t.size, dst: raw.dst, off: raw.off, imm: raw.imm };
    case 'stx':
      return { kind: 'stx', size: t.size, dst: raw.dst, sreg: raw.src, off: raw.off };
    case 'atomic':
      return { kind: 'atomic', op: t.op, size: t.size, dst: raw.dst, sreg: raw.src, off: raw.off };
    case 'load_acquire':
    case 'store_release':
      return { kind: t.kind, size: t.size, dst: raw.dst, sreg: raw.src, off: raw.off };
  }
}

export interface DecodeOptions {
  /** Location of the program for error messages (file, section, byte offset of slot 0). */
  loc?: Location;
  /** Check that jump and call targets stay inside the program (default true). */
  checkTargets?: boolean;
  /** Accept callx (0x8d), which the kernel does not have (default false: "unknown opcode 0x8d"). */
  callx?: boolean;
}

/** Decodes a whole program. Slot i of the result is the instruction at pc i (null after an lddw). */
export function decodeProgram(bytes: Uint8Array, opts: DecodeOptions = {}): Slot[] {
  const loc = opts.loc ?? {};
  if (bytes.length % 8 !== 0)
    throw new InputError('isa.bad_length', `program size ${bytes.length} is not a multiple of 8 bytes`, loc);
  const n = bytes.length / 8;
  const slots: Slot[] = new Array(n);
  for (let pc = 0; pc < n; pc++) {
    const raw = rawAt(bytes, pc);
    const next = pc + 1 < n ? rawAt(bytes, pc + 1) : undefined;
    const insn = decodeInsn(raw, raw.code === 0x18 ? next : undefined, pc, loc, opts.callx === true);
    slots[pc] = insn;
    if (insn.kind === 'lddw') slots[++pc] = null;
  }
  if (opts.checkTargets !== false) checkTargets(slots, loc);
  return slots;
}

/** Jump and call targets must be inside the program and not inside an lddw. */
export function checkTargets(slots: readonly Slot[], loc: Location = {}): void {
  for (let pc = 0; pc < slots.length; pc++) {
    const insn = slots[pc];
    if (!insn) continue;
    const t = jumpTarget(insn, pc);
    if (t === -1) continue;
    if (t < 0 || t >= slots.length) fail('isa.jump_out_of_range', `jump out of range from insn ${pc} to ${t}`, pc, loc);
    if (slots[t] === null) fail('isa.jump_into_lddw', `jump from insn ${pc} into the middle of the lddw at insn ${t - 1}`, pc, loc);
  }
}

