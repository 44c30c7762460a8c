// Helper-call rules: is the helper on the device at all, and are its arguments of the kind the
// device's implementation handles (map type, keys on the stack, perf flags, adjust growth)?
// Follows nfp_bpf_check_helper_call() of the nfp driver for the messages.
import { HELPER_IDS, type HelperName, helperName } from '../../firmware/helpers/names.ts';
import { mapTypeName } from '../../nic/profile/index.ts';
import type { CallInsn } from '../isa/index.ts';
import { type RuleContext, hex, tnumStr, typeNum } from './context.ts';
import { S64_MAX } from './facts.ts';

/** nfp messages when the firmware lacks a helper the driver knows (main.c capability TLVs). */
const NFP_FW_MISSING: Partial<Record<HelperName, string>> = {
  map_lookup_elem: 'map_lookup: not supported by FW',
  map_update_elem: 'map_update: not supported by FW',
  map_delete_elem: 'map_delete: not supported by FW',
  xdp_adjust_head: 'adjust_head not supported by FW',
  xdp_adjust_tail: 'adjust_tail not supported by FW',
  get_prandom_u32: "bpf_get_prandom_u32(): FW doesn't support random number generation",
  perf_event_output: 'event_output: not supported by FW',
};

/** The name the nfp driver prefixes argument messages with. */
const NFP_FNAME: Partial<Record<HelperName, string>> = {
  map_lookup_elem: 'map_lookup',
  map_update_elem: 'map_update',
  map_delete_elem: 'map_delete',
  perf_event_output: 'event_output',
};

const BPF_F_INDEX_MASK = 0xffffffffn;
const BPF_F_CURRENT_CPU = 0xffffffffn;

/** Checks one reachable helper call against `offload.helpers` and `offload.isa.tail_calls`. */
export function checkHelperCall(ctx: RuleContext, pc: number, insn: CallInsn): void {
  if (insn.callee !== 'helper') return;
  const h = ctx.profile.offload.helpers;
  const id = insn.imm;
  const name = helperName(id);
  const unsupportedId = `unsupported function id: ${id}`;
  if (id === HELPER_IDS.tail_call) {
    if (!ctx.profile.offload.isa.tail_calls) {
      ctx.report({ code: 'tail_call', pc, key: 'offload.isa.tail_calls', value: false, rule: 'no tail calls', text: 'bpf_tail_call is not supported', nfp: unsupportedId });
    }
    return;
  }
  const shown = name ? `bpf_${name}` : `helper ${id}`;
  if (!name || h.unsupported.includes(name)) {
    const nfp = (name && NFP_FW_MISSING[name]) || unsupportedId;
    ctx.report({ code: 'helper.unsupported', pc, key: 'offload.helpers.unsupported', value: h.unsupported, rule: 'the device lacks these helpers', text: `${shown} (id ${id}) is not available`, nfp });
    return;
  }
  const restrictions = h.supported[name];
  if (!restrictions) {
    if (h.default === 'deny') {
      ctx.report({ code: 'helper.unsupported', pc, key: 'offload.helpers.default', value: 'deny', rule: `only listed helpers are available: ${Object.keys(h.supported).join(', ')}`, text: `${shown} (id ${id}) is not a supported helper`, nfp: unsupportedId });
    }
    return;
  }
  const keyBase = `offload.helpers.supported.${name}`;

  if (restrictions.map_types.length > 0) {
    const r1 = ctx.facts.reg(pc, 1);
    for (const m of r1?.maps ?? []) {
      const spec = ctx.spec.maps[m];
      const t = spec ? mapTypeName(spec.type) : undefined;
      if (t && !restrictions.map_types.includes(t)) {
        ctx.report({ code: 'helper.map_type', pc, key: `${keyBase}.map_types`, value: restrictions.map_types, rule: `${shown} works on these map types only: ${restrictions.map_types.join(', ')}`, text: `${shown} on map ${spec!.name} of type ${t}`, map: spec!.name });
        break;
      }
    }
  }

  if (restrictions.args_on_stack) checkStackArgs(ctx, pc, name, keyBase);

  if (restrictions.flags === 'current_cpu' && name === 'perf_event_output') {
    const r3 = ctx.facts.reg(pc, 3);
    const t = r3?.var ?? { value: 0n, mask: (1n << 64n) - 1n };
    if ((t.mask & BPF_F_INDEX_MASK) !== 0n || (t.value & BPF_F_INDEX_MASK) !== BPF_F_CURRENT_CPU) {
      ctx.report({ code: 'helper.flags', pc, key: `${keyBase}.flags`, value: 'current_cpu', rule: 'perf_event_output flags must select BPF_F_CURRENT_CPU', text: `flags r3 is ${tnumStr(t)} (value; mask), not BPF_F_CURRENT_CPU`, nfp: `event_output: must use BPF_F_CURRENT_CPU, var_off: ${tnumStr(t)}` });
    }
  }

  if (restrictions.max_grow !== null && (name === 'xdp_adjust_head' || name === 'xdp_adjust_tail')) {
    const r2 = ctx.facts.reg(pc, 2);
    // adjust_head grows the packet for negative deltas, adjust_tail for positive ones.
    const grow = !r2 ? S64_MAX : name === 'xdp_adjust_head' ? -r2.smin : r2.smax;
    if (grow > BigInt(restrictions.max_grow)) {
      const by = grow >= S64_MAX ? 'an unknown amount' : `up to ${grow} bytes`;
      ctx.report({ code: 'helper.adjust_grow', pc, key: `${keyBase}.max_grow`, value: restrictions.max_grow, rule: `bpf_${name} may grow the packet by at most ${restrictions.max_grow} bytes on this device; more fails at run time with -EINVAL`, text: `bpf_${name} may grow the packet by ${by} (delta r2 in [${r2 ? r2.smin : '?'}, ${r2 ? r2.smax : '?'}])` });
    }
  }
}

/** Key/value pointers on the stack at a constant, 4-byte-aligned variable offset (nfp_bpf_stack_arg_ok). */
function checkStackArgs(ctx: RuleContext, pc: number, name: HelperName, keyBase: string): void {
  const fname = NFP_FNAME[name] ?? name;
  const key = `${keyBase}.args_on_stack`;
  const rule = 'key/value arguments must point to the stack at a constant, 4-byte-aligned offset';
  if (name === 'perf_event_output') {
    // r4 (data) may be NULL/scalar, stack, map value or packet; on the stack it must be constant.
    const r4 = ctx.facts.reg(pc, 4);
    const bad = r4?.kinds.find((k) => !['scalar', 'stack', 'map_value', 'packet'].includes(k));
    if (bad) {
      ctx.report({ code: 'helper.args', pc, key, value: true, rule, text: `data argument r4 is a ${bad} pointer`, nfp: `event_output: unsupported ptr type: ${typeNum(bad)}` });
      return;
    }
    if (r4?.kinds.includes('stack')) stackArg(ctx, pc, 4, fname, key, rule);
    return;
  }
  const regs = name === 'map_update_elem' ? [2, 3] : [2];
  for (const reg of regs) if (!stackArg(ctx, pc, reg, fname, key, rule)) return;
}

function stackArg(ctx: RuleContext, pc: number, reg: number, fname: string, key: string, rule: string): boolean {
  const v = ctx.facts.reg(pc, reg);
  const bad = v ? v.kinds.find((k) => k !== 'stack') : 'scalar';
  if (!v || bad) {
    ctx.report({ code: 'helper.args', pc, key, value: true, rule, text: `argument r${reg} is ${bad === 'scalar' ? 'a scalar' : `a ${bad} pointer`}, not a stack pointer`, nfp: `${fname}: unsupported ptr type ${typeNum(bad ?? 'scalar')}` });
    return false;
  }
  if (!v.varConstEveryVisit) {
    ctx.report({ code: 'helper.args', pc, key, value: true, rule, text: `argument r${reg} points into the stack at a variable offset`, nfp: `${fname}: variable pointer` });
    return false;
  }
  // The driver checks the variable part of the offset (var_off.value) of each visit; the JIT handles
  // any fixed offset. Joined over the visits, every value is aligned iff the low two bits are known 0.
  if (((v.var.value | v.var.mask) & 3n) !== 0n) {
    const off = BigInt.asIntN(64, v.var.value);
    const exact = v.var.mask === 0n;
    ctx.report({ code: 'helper.args', pc, key, value: true, rule, text: `argument r${reg} points into the stack at a variable offset ${exact ? hex(off) : tnumStr(v.var)} that is not 4-byte aligned`, ...(exact ? { nfp: `${fname}: unaligned stack pointer ${-off}` } : {}) });
    return false;
  }
  return true;
}
