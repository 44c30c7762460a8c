// Lenient decoding. The ISA decoder refuses every illegal encoding up front; the kernel checks
// reserved fields and register numbers only when it walks an instruction, in a fixed order, with
// per-class messages. Here every slot is decoded into a VInsn: legal ones through the ISA decoder,
// out-of-range registers and r10 writes as ordinary instructions (the walk reports "R11 is invalid" /
// "frame pointer is read only" when it touches them), other illegal encodings as BadInsn carrying
// the kernel's message.
import { CLASS, decodeInsn, isNicsimErrorCode, MODE, type RawInsn } from './isa-shim.ts';
import { type BadInsn, BPF_LOAD_ACQ, BPF_STORE_REL, type VInsn } from './insn.ts';

const SIZE_BYTES: Record<number, 1 | 2 | 4 | 8> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const ATOMIC_RMW = new Set([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);

const bad = (message: string, errno: BadInsn['errno'] = 'EINVAL'): BadInsn => ({ kind: 'bad', message, errno });

/** The kernel's complaint about an instruction whose fields are not legal (walk time). */
export function reservedMessage(raw: RawInsn): BadInsn {
  const cls = raw.code & 7;
  const op = raw.code & 0xf0;
  const x = (raw.code & 0x08) !== 0;
  switch (cls) {
    case CLASS.ALU:
    case CLASS.ALU64:
      if (op === 0x80) return bad('BPF_NEG uses reserved fields');
      if (op === 0xd0) return bad('BPF_END uses reserved fields');
      if (op === 0xb0) {
        if (cls === CLASS.ALU64 && x && raw.off === 1) {
          if (raw.imm !== 1 && raw.imm !== 1 << 16) return bad('addr_space_cast insn can only convert between address space 1 and 0');
          return bad('addr_space_cast insn can only be used in a program that has an associated arena');
        }
        return bad('BPF_MOV uses reserved fields');
      }
      if (op > 0xd0) return bad(`invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
      return bad('BPF_ALU uses reserved fields');
    case CLASS.LDX:
      return bad('BPF_LDX uses reserved fields');
    case CLASS.STX: {
      if ((raw.code & 0xe0) === MODE.ATOMIC) {
        const size = raw.code & 0x18;
        if (raw.imm === BPF_LOAD_ACQ || raw.imm === BPF_STORE_REL || ATOMIC_RMW.has(raw.imm)) {
          if (ATOMIC_RMW.has(raw.imm) && size !== 0x00 && size !== 0x18) return bad('invalid atomic operand size');
          return bad('BPF_STX uses reserved fields');
        }
        return bad(`BPF_ATOMIC uses invalid atomic opcode ${(raw.imm >>> 0).toString(16).padStart(2, '0')}`);
      }
      return bad('BPF_STX uses reserved fields');
    }
    case CLASS.ST:
      return bad('BPF_ST uses reserved fields');
    case CLASS.JMP:
    case CLASS.JMP32:
      if (op === 0x80) return bad('BPF_CALL uses reserved fields');
      if (op === 0x00) return bad('BPF_JA uses reserved fields');
      if (op === 0x90) return bad('BPF_EXIT uses reserved fields');
      if (op === 0xe0) return bad(`invalid may_goto imm ${raw.imm}`);
      if (op > 0xd0) return bad(`invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`);
      // check_cond_jmp_op reads dst before it looks at the reserved fields
      if (raw.dst > 10) return bad(`R${raw.dst} is invalid`);
      return bad('BPF_JMP/JMP32 uses reserved fields');
    case CLASS.LD: {
      const mode = raw.code & 0xe0;
      if (mode === MODE.ABS || mode === MODE.IND) return bad('BPF_LD_[ABS|IND] instructions not allowed for this program type');
      if (mode === MODE.IMM) {
        if ((raw.code & 0x18) !== 0x18) return bad('invalid BPF_LD_IMM insn');
        return bad('BPF_LD_IMM64 uses reserved fields');
      }
      return bad('invalid BPF_LD mode');
    }
    default:
      return bad(`unknown insn class ${cls}`);
  }
}

/** Decode one slot (both halves for lddw) without rejecting it. */
export function decodeLenient(raw: RawInsn, next: RawInsn | undefined): VInsn {
  const cls = raw.code & 7;
  // load-acquire / store-release (cpu v4, Linux 6.15+).
  if (cls === CLASS.STX && (raw.code & 0xe0) === MODE.ATOMIC && (raw.imm === BPF_LOAD_ACQ || raw.imm === BPF_STORE_REL)) {
    const size = SIZE_BYTES[raw.code & 0x18]!;
    return raw.imm === BPF_LOAD_ACQ
      ? { kind: 'load_acq', size, dst: raw.dst, sreg: raw.src, off: raw.off }
      : { kind: 'store_rel', size, dst: raw.dst, sreg: raw.src, off: raw.off };
  }
  try {
    return decodeInsn(raw, next);
  } catch (e) {
    const code = isNicsimErrorCode(e);
    if (code === 'isa.bad_register' || code === 'isa.frame_pointer_write') {
      // Decode with registers that exist, then put the real numbers back: the walk reports them.
      try {
        const insn = decodeInsn({ ...raw, dst: raw.dst > 9 ? 0 : raw.dst, src: raw.src > 9 ? 0 : raw.src }, next) as VInsn & {
          dst?: number;
          sreg?: number;
        };
        if ('dst' in insn && insn.dst !== undefined) (insn as { dst: number }).dst = raw.dst;
        if ('sreg' in insn && insn.sreg !== undefined && (insn as { sreg: number }).sreg === 0 && raw.src > 9)
          (insn as { sreg: number }).sreg = raw.src;
        return insn;
      } catch {
        return reservedMessage(raw);
      }
    }
    return reservedMessage(raw);
  }
}
