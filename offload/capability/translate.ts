// NIC instructions after translation: each reachable BPF instruction costs the profile's count for
// its class (`offload.translation`), plus `imm_wide` per 32-bit immediate the NIC cannot encode in one
// immediate instruction and `zext` where the verifier marks a zero-extension; the program adds intro,
// outro and padding once, and `subprog_support` once if a subprogram saves r6-r9. Packets punted to
// the host leave through a translated exit, so a punt pc counts as `exit`. The sum is divided by
// `packing_ratio` (VLIW rows) and rounded up.
import { helperName } from '../../firmware/helpers/names.ts';
import type { Insn } from '../isa/index.ts';
import type { AccessSize, InsnClass } from '../../nic/profile/index.ts';
import type { RuleContext } from './context.ts';

export type CountClass = InsnClass | `ldx.${AccessSize}` | `stx.${AccessSize}` | `st.${AccessSize}` | 'punt';

export interface NicCount {
  /** NIC instructions after packing: what instruction memory must hold. */
  total: number;
  /** Before packing. */
  raw: number;
  /** BPF instructions counted (reachable on the device). */
  bpf: number;
  /** NIC instructions by class, before packing (intro/outro/padding/subprog_support included). */
  byClass: Record<string, number>;
  /** Per pc: the translation class and NIC instructions (extras included, before packing); 0 / '' where not counted. */
  perPc: PcTranslation;
}

/** What each BPF instruction becomes on the device, indexed by pc (the cost model reads it). */
export interface PcTranslation {
  cls: string[];
  nic: Int32Array;
}

const SIZE: Record<number, AccessSize> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

/** jit.c pack_immed(): one immed instruction loads a 16-bit value shifted by 0, 8 or 16 bits. */
function packable(v: number): boolean {
  const u = v >>> 0;
  return (u & 0xffff0000) === 0 || (u & 0xff0000ff) === 0 || (u & 0x0000ffff) === 0;
}
/** wrp_immed(): needs two immed instructions when neither the value nor its complement packs. */
export function wideImmediate(v: number): boolean {
  return !packable(v) && !packable(~v);
}

/** The translation class of one instruction (without extras). */
export function classOf(ctx: RuleContext, pc: number, insn: Insn): CountClass {
  switch (insn.kind) {
    case 'alu': {
      const w = insn.width;
      switch (insn.op) {
        case 'mov':
        case 'movsx8':
        case 'movsx16':
        case 'movsx32':
          return w === 32 ? 'mov32' : 'mov64';
        case 'mul': {
          const dst = ctx.facts.reg(pc, insn.dst)?.umax;
          const src = insn.src === 'imm' ? BigInt.asUintN(w, BigInt(insn.imm)) : ctx.facts.reg(pc, insn.sreg)?.umax;
          if (dst === undefined || src === undefined) return 'mul64';
          const m = dst > src ? dst : src;
          return m <= 0xffffn ? 'mul16' : m <= 0xffffffffn ? 'mul32' : 'mul64';
        }
        case 'div':
        case 'sdiv': {
          if (insn.src === 'imm') return 'div_const';
          const s = ctx.facts.reg(pc, insn.sreg);
          return s && s.umin === s.umax ? 'div_const' : 'div_reg';
        }
        case 'mod':
        case 'smod':
          return 'mod';
        case 'lsh':
        case 'rsh':
        case 'arsh': {
          if (w === 64 && insn.src === 'reg') {
            const s = ctx.facts.reg(pc, insn.sreg);
            if (!s || s.umin !== s.umax) return 'shift64_reg';
          }
          return w === 32 ? 'alu32' : 'alu64';
        }
        default:
          return w === 32 ? 'alu32' : 'alu64';
      }
    }
    case 'end':
      return insn.bits === 16 ? 'end16' : insn.bits === 32 ? 'end32' : 'end64';
    case 'ja':
    case 'gotol':
      return 'ja';
    case 'jcond':
      return insn.width === 32 ? 'jcond32' : 'jcond64';
    case 'may_goto':
      return 'jcond64';
    case 'call':
      return insn.callee === 'local' ? 'call_bpf' : 'call_helper';
    case 'exit':
      return ctx.funcOf(pc) === 0 ? 'exit' : 'exit_subprog';
    case 'lddw':
      return 'lddw';
    case 'ldpkt':
      return insn.mode === 'abs' ? 'ld_abs' : 'ld_ind';
    case 'ldx':
      return ctx.facts.reg(pc, insn.sreg)?.kinds.includes('ctx') ? 'ldx_ctx' : `ldx.${SIZE[insn.size]!}`;
    case 'st':
      return `st.${SIZE[insn.size]!}`;
    case 'stx':
      return `stx.${SIZE[insn.size]!}`;
    case 'atomic':
      return 'atomic';
    // Ordered accesses: a load / a store of their size (no fence on an in-order NIC core).
    case 'load_acquire':
      return `ldx.${SIZE[insn.size]!}`;
    case 'store_release':
      return `stx.${SIZE[insn.size]!}`;
  }
}

/** Immediate halves that need a second immed instruction. */
function wideHalves(insn: Insn): number {
  switch (insn.kind) {
    case 'alu':
    case 'jcond':
      return insn.src === 'imm' && wideImmediate(insn.imm) ? 1 : 0;
    case 'st':
      return wideImmediate(insn.imm) ? 1 : 0;
    case 'lddw':
      return insn.pseudo === 0 ? (wideImmediate(insn.imm) ? 1 : 0) + (wideImmediate(insn.imm2) ? 1 : 0) : 0;
    default:
      return 0;
  }
}

function countOf(ctx: RuleContext, cls: CountClass, insn: Insn): number {
  const t = ctx.profile.offload.translation;
  if (cls === 'punt') return t.exit;
  if (cls.startsWith('ldx.') || cls.startsWith('stx.') || cls.startsWith('st.')) {
    const [k, s] = cls.split('.') as ['ldx' | 'stx' | 'st', AccessSize];
    return t[k][s];
  }
  if (cls === 'call_helper' && insn.kind === 'call' && insn.callee === 'helper') {
    const name = helperName(insn.imm);
    const own = name ? ctx.profile.offload.helpers.supported[name]?.nic_instructions : undefined;
    if (own !== undefined) return own;
  }
  return t[cls as InsnClass];
}

/**
 * Counts the NIC instructions of the BPF instructions at `pcs` (those the device runs); `punts` are
 * pcs where packets leave for the host.
 */
export function countNicInstructions(ctx: RuleContext, pcs: Iterable<number>, punts: ReadonlySet<number>, subprogSupport: boolean): NicCount {
  const t = ctx.profile.offload.translation;
  const byClass: Record<string, number> = {};
  const add = (k: string, n: number) => {
    if (n) byClass[k] = (byClass[k] ?? 0) + n;
  };
  add('intro', t.intro);
  add('outro', t.outro);
  add('padding', t.padding);
  if (subprogSupport) add('subprog_support', t.subprog_support);
  const perPc: PcTranslation = { cls: new Array<string>(ctx.slots.length).fill(''), nic: new Int32Array(ctx.slots.length) };
  let bpf = 0;
  for (const pc of pcs) {
    const insn = ctx.slots[pc];
    if (!insn) continue;
    bpf++;
    if (punts.has(pc)) {
      const n = countOf(ctx, 'punt', insn);
      add('punt', n);
      perPc.cls[pc] = 'punt';
      perPc.nic[pc] = n;
      continue;
    }
    const cls = classOf(ctx, pc, insn);
    const base = countOf(ctx, cls, insn);
    const wide = wideHalves(insn) * t.imm_wide;
    const zext = ctx.facts.zext?.(pc) ? t.zext : 0;
    add(cls, base);
    add('imm_wide', wide);
    add('zext', zext);
    perPc.cls[pc] = cls;
    perPc.nic[pc] = base + wide + zext;
  }
  const raw = Object.values(byClass).reduce((a, b) => a + b, 0);
  return { total: Math.ceil(raw / t.packing_ratio), raw, bpf, byClass, perPc };
}
