// IR -> bytes, through the same opcode table the decoder uses.
import { type Insn, type Slot } from './ir.ts';
import { rowOf } from './opcodes.ts';

/** Raw fields of an instruction's first slot (and the second slot's imm for lddw). */
export function fieldsOf(insn: Insn): { code: number; dst: number; src: number; off: number; imm: number; imm2?: number } {
  const r = rowOf(insn);
  const f = { code: r.code, dst: 0, src: r.src ?? 0, off: r.off ?? 0, imm: r.imm ?? 0 };
  switch (insn.kind) {
    case 'alu':
      f.dst = insn.dst;
      if (insn.src === 'reg') f.src = insn.sreg;
      else f.imm = insn.imm;
      break;
    case 'end':
      f.dst = insn.dst;
      break;
    case 'ja':
      f.off = insn.off;
      break;
    case 'gotol':
      f.imm = insn.imm;
      break;
    case 'jcond':
      f.dst = insn.dst;
      f.off = insn.off;
      if (insn.src === 'reg') f.src = insn.sreg;
      else f.imm = insn.imm;
      break;
    case 'call':
      f.imm = insn.imm;
      f.off = insn.off;
      break;
    case 'callx':
      f.dst = insn.dst;
      break;
    case 'exit':
      f.off = insn.off ?? 0;
      break;
    case 'may_goto':
      f.off = insn.off;
      break;
    case 'lddw':
      return { ...f, dst: insn.dst, src: insn.pseudo, imm: insn.imm, imm2: insn.imm2 };
    case 'ldpkt':
      f.src = insn.sreg;
      f.imm = insn.imm;
      break;
    case 'ldx':
      f.dst = insn.dst;
      f.src = insn.sreg;
      f.off = insn.off;
      break;
    case 'st':
      f.dst = insn.dst;
      f.off = insn.off;
      f.imm = insn.imm;
      break;
    case 'stx':
    case 'atomic':
    case 'load_acquire':
    case 'store_release':
      f.dst = insn.dst;
      f.src = insn.sreg;
      f.off = insn.off;
      break;
  }
  return f;
}

function put(dv: DataView, o: number, code: number, dst: number, src: number, off: number, imm: number): void {
  dv.setUint8(o, code);
  dv.setUint8(o + 1, ((src & 0xf) << 4) | (dst & 0xf));
  dv.setInt16(o + 2, off, true);
  dv.setInt32(o + 4, imm, true);
}

/** Encodes one instruction into 8 or 16 bytes. */
export function encodeInsn(insn: Insn): Uint8Array {
  const f = fieldsOf(insn);
  const out = new Uint8Array(insn.kind === 'lddw' ? 16 : 8);
  const dv = new DataView(out.buffer);
  put(dv, 0, f.code, f.dst, f.src, f.off, f.imm);
  if (insn.kind === 'lddw') put(dv, 8, 0, 0, 0, 0, f.imm2 ?? 0);
  return out;
}

/** Encodes a slot array (as produced by decodeProgram) back to bytes. */
export function encodeProgram(slots: readonly Slot[]): Uint8Array {
  const out = new Uint8Array(slots.length * 8);
  for (let pc = 0; pc < slots.length; pc++) {
    const insn = slots[pc];
    if (!insn) continue;
    out.set(encodeInsn(insn), pc * 8);
  }
  return out;
}
