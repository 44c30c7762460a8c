// Memory rules: which regions a load or store may touch, through what kind of pointer offset, and
// which xdp_md fields. Pointer types come from the safety verifier, joined over every state that
// reaches the instruction (the nfp driver remembers the first one in meta->ptr and compares).
import type { Insn } from '../isa/index.ts';
import { XDP_MD_FIELDS, type XdpMdField } from '../../nic/profile/vocab.ts';
import { type RuleContext, memPtrReg, tnumStr, typeNum } from './context.ts';
import type { RegKind, RegView } from './facts.ts';

/** jit.c: a failed translation callback; %u counts every BPF slot before the failing one. */
export function nfpTranslationFailed(pc: number): string {
  return `Translation failed with error -95 (translated: ${pc})`;
}

const REGIONS = { stack: 'stack', packet: 'packet', map_value: 'map_value' } as const;
type Region = keyof typeof REGIONS;
const isRegion = (k: RegKind): k is Region => k in REGIONS;

/** Checks one reachable load/store/atomic against `offload.memory` and `offload.ctx`. */
export function checkMemory(ctx: RuleContext, pc: number, insn: Insn): void {
  const r = memPtrReg(insn);
  if (r === undefined) return;
  const view = ctx.facts.reg(pc, r);
  if (!view) return;
  const mem = ctx.profile.offload.memory;

  if (view.kinds.includes('ctx')) checkCtx(ctx, pc, insn, view);

  if (!mem.mixed_pointer_types && insn.kind !== 'st') {
    // The driver names the type of the first visit first; visit order is not in the facts, so the
    // lower kernel type number goes first.
    const ptrs = view.kinds.filter((k) => k !== 'scalar').sort((a, b) => typeNum(a) - typeNum(b));
    if (ptrs.length > 1) {
      ctx.report({
        code: 'mem.ptr_type_changed',
        pc,
        key: 'offload.memory.mixed_pointer_types',
        value: false,
        rule: 'one load/store instruction must access the same kind of memory on every path',
        text: `r${r} points to ${ptrs.join(' or ')} on different paths`,
        nfp: `ptr type changed for instruction ${typeNum(ptrs[0]!)} -> ${typeNum(ptrs[1]!)}`,
      });
    }
  }

  // store_release is a register store for these rules (the ISA rule reports the ordering itself).
  if (insn.kind === 'stx' || insn.kind === 'st' || insn.kind === 'store_release') {
    const reg = insn.kind !== 'st';
    const table = reg ? mem.store : mem.store_imm;
    const keyBase = reg ? 'offload.memory.store' : 'offload.memory.store_imm';
    for (const k of view.kinds) {
      if (!isRegion(k) || table[k]) continue;
      const what = reg ? 'register stores (STX)' : 'immediate stores (ST)';
      let nfp: string | undefined;
      if (insn.kind === 'stx' && k === 'map_value') nfp = 'map writes not supported';
      if (insn.kind === 'st') nfp = nfpTranslationFailed(pc);
      ctx.report({ code: reg ? 'mem.store' : 'mem.store_imm', pc, key: `${keyBase}.${k}`, value: false, rule: `no ${what} into ${k} memory`, text: `${reg ? 'STX' : 'ST'} into ${k} through r${r}`, ...(nfp ? { nfp } : {}) });
      break;
    }
  }

  // nfp_bpf_check_ptr runs for loads, register stores and atomics (not for ST).
  if (insn.kind === 'st') return;
  if (view.kinds.includes('stack') && !mem.stack_variable_offset) {
    const rule = 'stack accesses must use a constant offset';
    if (!view.varConstEveryVisit) {
      ctx.report({ code: 'mem.stack_var_off', pc, key: 'offload.memory.stack_variable_offset', value: false, rule, text: `stack access through r${r} at a variable offset`, nfp: 'variable ptr stack access' });
    } else if ((view.var.mask & 3n) !== 0n) {
      // Constant on every visit, but not the same constant modulo 4 (the joined tnum's low bits vary).
      const vals = (view.varValues ?? []).map((v) => Number(BigInt.asIntN(32, v)));
      const moved = vals.find((v) => v % 4 !== vals[0]! % 4);
      ctx.report({
        code: 'mem.stack_var_off',
        pc,
        key: 'offload.memory.stack_variable_offset',
        value: false,
        rule,
        text: `stack access through r${r} moves between offsets that differ modulo 4 on different paths (variable part ${tnumStr(view.var)})`,
        ...(moved !== undefined ? { nfp: `stack access changed location was:${vals[0]} is:${moved}` } : {}),
      });
    }
  }
  if (view.kinds.includes('map_value') && !mem.map_value_variable_offset && (insn.kind === 'ldx' || insn.kind === 'atomic' || insn.kind === 'load_acquire') && !view.varConstEveryVisit) {
    ctx.report({ code: 'mem.map_value_var_off', pc, key: 'offload.memory.map_value_variable_offset', value: false, rule: 'map value accesses must use a constant offset', text: `map value access through r${r} at a variable offset`, nfp: 'map value offset is variable' });
  }
}

function checkCtx(ctx: RuleContext, pc: number, insn: Insn, view: RegView): void {
  if (insn.kind !== 'ldx' && insn.kind !== 'stx' && insn.kind !== 'st') return;
  const c = ctx.profile.offload.ctx;
  const off = view.offMin + insn.off;
  const field: XdpMdField | undefined = off % 4 === 0 ? XDP_MD_FIELDS[off / 4] : undefined;
  const name = field ?? `offset ${off}`;
  const sizeOk = (c.access_sizes as number[]).includes(insn.size);
  if (insn.kind === 'ldx') {
    const nfp = nfpTranslationFailed(pc);
    if (!field || !c.read.includes(field)) {
      ctx.report({ code: 'ctx.read', pc, key: 'offload.ctx.read', value: c.read, rule: `the program may read only these xdp_md fields: ${c.read.join(', ') || 'none'}`, text: `read of xdp_md ${name}`, nfp });
    } else if (!sizeOk) {
      ctx.report({ code: 'ctx.read', pc, key: 'offload.ctx.access_sizes', value: c.access_sizes, rule: 'xdp_md fields are accessed with these widths only', text: `${insn.size}-byte read of xdp_md ${name}`, nfp });
    }
    return;
  }
  if (!field || !c.write.includes(field)) {
    const nfp = field === 'rx_queue_index' ? 'queue selection not supported by FW' : 'unsupported store to context field';
    ctx.report({ code: 'ctx.write', pc, key: 'offload.ctx.write', value: c.write, rule: `the program may write only these xdp_md fields: ${c.write.join(', ') || 'none'}`, text: `store to xdp_md ${name}`, nfp });
  } else if (!sizeOk) {
    ctx.report({ code: 'ctx.write', pc, key: 'offload.ctx.access_sizes', value: c.access_sizes, rule: 'xdp_md fields are accessed with these widths only', text: `${insn.size}-byte store to xdp_md ${name}`, nfp: 'unsupported store to context field' });
  }
}
