// Instruction-set rules: is each reachable instruction something the device executes, and for
// multiply/divide, are its operands in the range the device's arithmetic covers? Checks run in the
// nfp driver's order (nfp_verify_insn: opcode, then nfp_bpf_check_alu) and each instruction gets at
// most one ISA finding: the first check that fails, as the driver stops at its first error.
import { ATOMIC_IMM, type AluInsn, type AtomicInsn, type Insn, LOAD_ACQ, STORE_REL, assertNever, rowOf } from '../isa/index.ts';
import { type RuleContext, hex, nfpOpcode, typeNum } from './context.ts';
import { kfuncById } from '../btf/kfuncs.ts';
import type { FindingCode } from './findings.ts';


type Report = (code: FindingCode, key: string, value: unknown, rule: string, text: string, nfp?: string) => void;

function reporter(ctx: RuleContext, pc: number): Report {
  return (code, key, value, rule, text, nfp) => ctx.report({ code, pc, key, value, rule, text, ...(nfp !== undefined ? { nfp } : {}) });
}

/** Checks one reachable instruction against `offload.isa`. */
export function checkIsa(ctx: RuleContext, pc: number, insn: Insn): void {
  const isa = ctx.profile.offload.isa;
  const r = reporter(ctx, pc);
  const code = rowOf(insn).code;
  const notSupported = nfpOpcode(code);
  switch (insn.kind) {
    case 'alu': {
      if (insn.width === 32 && !isa.alu32) return r('isa.alu32', 'offload.isa.alu32', false, 'the device has no 32-bit ALU (BPF_ALU class)', notSupported, notSupported);
      if (insn.width === 64 && !isa.alu64) return r('isa.alu64', 'offload.isa.alu64', false, 'the device has no 64-bit ALU (BPF_ALU64 class)', notSupported, notSupported);
      return checkAlu(ctx, pc, insn, r, notSupported);
    }
    case 'end': {
      if (insn.op === 'bswap') {
        if (!isa.bswap) r('isa.bswap', 'offload.isa.bswap', false, 'no unconditional byte swap (BPF_ALU64 | BPF_END, cpu v4)', notSupported, notSupported);
        return;
      }
      if (!isa.alu32) return r('isa.alu32', 'offload.isa.alu32', false, 'the device has no 32-bit ALU (BPF_ALU class)', notSupported, notSupported);
      if (insn.op === 'le' && !isa.end.to_le) r('isa.end', 'offload.isa.end.to_le', false, 'no byte swap to little endian (BPF_END | BPF_TO_LE)', notSupported, notSupported);
      if (insn.op === 'be' && !isa.end.to_be) r('isa.end', 'offload.isa.end.to_be', false, 'no byte swap to big endian (BPF_END | BPF_TO_BE)', notSupported, notSupported);
      return;
    }
    case 'gotol':
      if (!isa.gotol) r('isa.gotol', 'offload.isa.gotol', false, 'no 32-bit-offset jump (BPF_JMP32 | BPF_JA, cpu v4)', notSupported, notSupported);
      return;
    case 'jcond':
      if (insn.width === 32 && !isa.jmp32) r('isa.jmp32', 'offload.isa.jmp32', false, 'no 32-bit conditional jumps (BPF_JMP32 class)', notSupported, notSupported);
      return;
    case 'may_goto':
      if (!isa.may_goto) r('isa.may_goto', 'offload.isa.may_goto', false, 'no may_goto (the can_loop loop budget)', notSupported, notSupported);
      return;
    case 'call':
      if (insn.callee === 'kfunc') {
        // The nfp driver treats it as a helper call whose id is the BTF id of the function.
        const name = insn.off === 0 ? kfuncById(insn.imm)?.name : undefined;
        const listed = Array.isArray(isa.kfuncs) && name !== undefined && isa.kfuncs.includes(name);
        if (isa.kfuncs !== true && !listed) {
          const what = name ? `kernel function ${name} (BTF id ${insn.imm})` : `kernel function call (BTF id ${insn.imm || 'unresolved'})`;
          const rule = isa.kfuncs === false ? 'no calls of kernel functions (kfuncs)' : `only the kfuncs listed: ${(isa.kfuncs as string[]).join(', ') || 'none'}`;
          r('isa.kfunc', 'offload.isa.kfuncs', isa.kfuncs, rule, `${what} is not supported`, insn.imm ? `unsupported function id: ${insn.imm}` : undefined);
        }
      }
      if (insn.callee === 'local' && !isa.bpf_calls) {
        r('isa.bpf_call', 'offload.isa.bpf_calls', false, 'no bpf-to-bpf calls', `bpf-to-bpf call to pc ${pc + insn.imm + 1} not supported`);
      }
      return;
    case 'ldpkt':
      if (!isa.legacy_packet_loads) r('isa.ld_abs', 'offload.isa.legacy_packet_loads', false, 'no legacy packet loads (LD_ABS / LD_IND)', notSupported);
      return;
    case 'ldx':
      if (insn.sx && !isa.ldsx) r('isa.ldsx', 'offload.isa.ldsx', false, 'no sign-extending loads (BPF_MEMSX, cpu v4)', notSupported, notSupported);
      return;
    case 'atomic':
      return checkAtomic(ctx, pc, insn, r);
    case 'load_acquire':
    case 'store_release': {
      if (isa[insn.kind]) return;
      // nfp: W/DW pass the opcode check and fail nfp_bpf_check_atomic() on imm; B/H have no opcode.
      const imm = insn.kind === 'load_acquire' ? LOAD_ACQ : STORE_REL;
      const nfp = insn.size >= 4 ? `atomic op not implemented: ${imm}` : notSupported;
      const what = insn.kind === 'load_acquire' ? 'load-acquire' : 'store-release';
      r(`isa.${insn.kind}`, `offload.isa.${insn.kind}`, false, `no ${what} (BPF_ATOMIC, Linux 6.15)`, `${what} of ${insn.size * 8} bits is not supported`, nfp);
      return;
    }
    case 'callx':
      // Only the conformance plugin decodes callx; the safety verifier refuses it before this pass.
      r('isa.callx', 'offload.isa', 'callx', 'callx (0x8d) is in neither the kernel\'s instruction set nor RFC 9669', notSupported, notSupported);
      return;
    case 'ja':
    case 'exit':
    case 'lddw':
    case 'st':
    case 'stx':
      return;
    default:
      return assertNever(insn, 'instruction');
  }
}

function checkAlu(ctx: RuleContext, pc: number, insn: AluInsn, r: Report, notSupported: string): void {
  const isa = ctx.profile.offload.isa;
  switch (insn.op) {
    case 'movsx8':
    case 'movsx16':
    case 'movsx32':
      // Same opcode as MOV: the nfp driver does not catch it, nicsim refuses it explicitly.
      if (!isa.movsx) r('isa.movsx', 'offload.isa.movsx', false, 'no sign-extending MOV (cpu v4)', `${notSupported} (sign-extending mov; the nfp driver does not catch it)`);
      return;
    case 'mod':
      if (!isa.mod) r('isa.mod', 'offload.isa.mod', false, 'no modulo (BPF_MOD)', notSupported, notSupported);
      return;
    case 'smod':
      if (!isa.smod) r('isa.smod', 'offload.isa.smod', false, 'no signed modulo (BPF_MOD with off=1, cpu v4)', notSupported, notSupported);
      return;
    case 'mul':
      return checkMul(ctx, pc, insn, r, notSupported);
    case 'div':
    case 'sdiv':
      return checkDiv(ctx, pc, insn, r, notSupported);
    default:
      return;
  }
}

function checkMul(ctx: RuleContext, pc: number, insn: AluInsn, r: Report, notSupported: string): void {
  const mul = ctx.profile.offload.isa.mul;
  if (!mul.supported) return r('isa.mul', 'offload.isa.mul.supported', false, 'no multiply (BPF_MUL)', notSupported, notSupported);
  const rule = 'multiply operands must be proven within the device multiplier range';
  if (mul.max_operand !== null) {
    const limit = BigInt(mul.max_operand);
    const dst = ctx.facts.reg(pc, insn.dst);
    if (!dst || dst.umax > limit) {
      const got = dst ? hex(dst.umax) : 'unknown';
      return r('isa.mul_range', 'offload.isa.mul.max_operand', mul.max_operand, rule, `multiplier r${insn.dst} may be up to ${got}, above ${hex(limit)}`, 'multiplier is not within u32 value range');
    }
    if (insn.src === 'reg') {
      const src = ctx.facts.reg(pc, insn.sreg);
      if (!src || src.umax > limit) {
        const got = src ? hex(src.umax) : 'unknown';
        return r('isa.mul_range', 'offload.isa.mul.max_operand', mul.max_operand, rule, `multiplicand r${insn.sreg} may be up to ${got}, above ${hex(limit)}`, 'multiplicand is not within u32 value range');
      }
    }
  }
  if (!mul.negative_imm64 && insn.width === 64 && insn.src === 'imm' && insn.imm < 0) {
    r('isa.mul_range', 'offload.isa.mul.negative_imm64', false, '64-bit multiply by a negative (sign-extended) immediate', `immediate ${insn.imm} sign-extends beyond the multiplier range`, "sign extended multiplicand won't be within u32 value range");
  }
}

function checkDiv(ctx: RuleContext, pc: number, insn: AluInsn, r: Report, notSupported: string): void {
  const isa = ctx.profile.offload.isa;
  if (insn.op === 'sdiv' && !isa.sdiv) {
    // BPF_DIV with off=1 shares the DIV opcode: the nfp driver does not catch it.
    return r('isa.sdiv', 'offload.isa.sdiv', false, 'no signed divide (BPF_DIV with off=1, cpu v4)', `${notSupported} (signed division; the nfp driver does not catch it)`);
  }
  const div = isa.div;
  if (!div.supported) return r('isa.div', 'offload.isa.div.supported', false, 'no divide (BPF_DIV)', notSupported, notSupported);
  const limit = div.max_operand === null ? null : BigInt(div.max_operand);
  if (limit !== null) {
    const dst = ctx.facts.reg(pc, insn.dst);
    if (!dst || dst.umax > limit) {
      return r('isa.div_range', 'offload.isa.div.max_operand', div.max_operand, 'dividend must be proven within the device divider range', `dividend r${insn.dst} may be up to ${dst ? hex(dst.umax) : 'unknown'}, above ${hex(limit)}`, 'dividend is not within u32 value range');
    }
  }
  if (insn.src === 'reg') {
    const src = ctx.facts.reg(pc, insn.sreg);
    // nfp: meta->umin_src != meta->umax_src, accumulated over every visit.
    if (div.divisor === 'constant' && (!src || src.umin !== src.umax)) {
      const got = src ? `in [${hex(src.umin)}, ${hex(src.umax)}]` : 'unknown';
      return r('isa.div_reg', 'offload.isa.div.divisor', 'constant', 'a register divisor must be a proven constant', `divisor r${insn.sreg} is not one constant: ${got}`, 'divisor is not constant');
    }
    if (limit !== null && (!src || src.umax > limit)) {
      return r('isa.div_range', 'offload.isa.div.max_operand', div.max_operand, 'divisor must be proven within the device divider range', `divisor r${insn.sreg} may be up to ${src ? hex(src.umax) : 'unknown'}, above ${hex(limit)}`, 'divisor is not within u32 value range');
    }
  }
  if (insn.src === 'imm' && insn.imm < 0 && !div.negative_imm) {
    r('isa.div_range', 'offload.isa.div.negative_imm', false, 'no divide by a negative immediate', `divisor ${insn.imm} is negative`, 'divide by negative constant is not supported');
  }
}

const FETCHING = new Set(['fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg']);

function checkAtomic(ctx: RuleContext, pc: number, insn: AtomicInsn, r: Report): void {
  const atomics = ctx.profile.offload.isa.atomics;
  const width = insn.size === 4 ? 'w' : 'dw';
  const imm = ATOMIC_IMM[insn.op];
  if (!atomics[insn.op][width]) {
    const fetch = FETCHING.has(insn.op);
    const rule = fetch ? `no fetching atomic ${insn.op} (${insn.size * 8}-bit)` : `no atomic ${insn.op} (${insn.size * 8}-bit)`;
    return r(fetch ? 'isa.atomic_fetch' : 'isa.atomic', `offload.isa.atomics.${insn.op}.${width}`, false, rule, `atomic ${insn.op} (imm ${imm}) on ${insn.size * 8} bits is not supported`, `atomic op not implemented: ${imm}`);
  }
  const dst = ctx.facts.reg(pc, insn.dst);
  const bad = (dst?.kinds ?? ['other']).find((k) => !(atomics.targets as string[]).includes(k));
  if (bad !== undefined) {
    r('isa.atomic_target', 'offload.isa.atomics.targets', atomics.targets, `atomics may only modify: ${atomics.targets.join(', ') || 'nothing'}`, `atomic ${insn.op} through r${insn.dst}, a ${bad} pointer`, `atomic add not to a map value pointer: ${typeNum(bad)}`);
  }
}
