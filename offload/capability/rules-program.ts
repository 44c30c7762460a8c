// Whole-program rules: stack of the deepest call chain, packet bytes touched, and what the hardware
// does with each XDP return code.
import type { Subprog } from '../cfg/cfg.ts';
import { jumpTarget } from '../isa/index.ts';
import { XDP_ACTIONS } from '../../nic/profile/index.ts';
import type { RuleContext } from './context.ts';
import { tnumContains } from './facts.ts';
import type { FindingDraft } from './findings.ts';

export interface StackUse {
  /** Bytes of the deepest call chain as the device accounts them. */
  bytes: number;
  /** Start pcs of the subprograms on that chain, outermost first. */
  chain: number[];
}

const roundUp = (n: number, a: number) => Math.ceil(n / a) * a;

function writesCalleeSaved(ctx: RuleContext, f: Subprog): boolean {
  // nfp_assign_subprog_idx_and_regs(): any instruction whose dst_reg field names r6-r9.
  for (let pc = f.start; pc < f.end; pc++) {
    const i = ctx.slots[pc];
    if (i && 'dst' in i && i.dst >= 6 && i.dst <= 9) return true;
  }
  return false;
}

/** Callees of each subprogram over its reachable bpf-to-bpf calls. */
export function callGraph(ctx: RuleContext, subprogs: readonly Subprog[]): Map<number, number[]> {
  const g = new Map<number, number[]>(subprogs.map((s) => [s.start, []]));
  for (const pc of ctx.reachable) {
    const i = ctx.slots[pc];
    if (i?.kind === 'call' && i.callee === 'local') {
      const list = g.get(ctx.funcOf(pc))!;
      const t = jumpTarget(i, pc);
      if (!list.includes(t)) list.push(t);
    }
  }
  return g;
}

/**
 * nfp_bpf_get_stack_usage(): every frame rounded up to `frame_align`; a callee frame adds
 * `call_frame_overhead` (return address) and `callee_saved_bytes` if it writes r6-r9.
 */
export function stackUse(ctx: RuleContext, subprogs: readonly Subprog[]): StackUse & { calleeSaves: boolean } {
  const s = ctx.profile.offload.stack;
  const graph = callGraph(ctx, subprogs);
  const byStart = new Map(subprogs.map((f) => [f.start, f]));
  let calleeSaves = false;
  const frame = (start: number): number => {
    let d = ctx.facts.stackDepth(start);
    if (start !== 0) {
      d += s.call_frame_overhead;
      const f = byStart.get(start);
      if (f && writesCalleeSaved(ctx, f)) {
        d += s.callee_saved_bytes;
        calleeSaves = true;
      }
    }
    return roundUp(d, s.frame_align);
  };
  const deepest = (start: number, onPath: Set<number>): StackUse => {
    const own = frame(start);
    let best: StackUse = { bytes: own, chain: [start] };
    if (onPath.has(start)) return best; // recursion is refused by the safety verifier; stay finite
    onPath.add(start);
    for (const callee of graph.get(start) ?? []) {
      const sub = deepest(callee, onPath);
      if (own + sub.bytes > best.bytes) best = { bytes: own + sub.bytes, chain: [start, ...sub.chain] };
    }
    onPath.delete(start);
    return best;
  };
  const r = deepest(0, new Set());
  // subprog_support is needed when any called subprogram saves r6-r9, deepest chain or not.
  for (const f of subprogs) if (f.start !== 0 && ctx.reachable.includes(f.start) && writesCalleeSaved(ctx, f)) calleeSaves = true;
  return { ...r, calleeSaves };
}

export function checkStack(ctx: RuleContext, use: StackUse): FindingDraft[] {
  const limit = ctx.profile.offload.stack.bytes;
  if (use.bytes <= limit) return [];
  const chain = use.chain.map((pc) => ctx.program.funcs.find((f) => f.pc === pc)?.name ?? `pc ${pc}`).join(' -> ');
  return [{ code: 'stack.too_large', key: 'offload.stack.bytes', value: limit, rule: `the deepest call chain may use at most ${limit} bytes of stack`, text: `stack ${use.bytes} B (${chain}) > ${limit} B`, nfp: `stack too large: program ${use.bytes}B > FW stack ${limit}B` }];
}

export function checkPacket(ctx: RuleContext): FindingDraft[] {
  const limit = ctx.profile.offload.packet_bytes;
  const max = ctx.facts.maxPacketOffset;
  if (limit === null || max <= limit) return [];
  // nfp_bpf_offload_check_mtu(): refused when fw_mtu < min(max_pkt_offset, MTU); nicsim assumes an
  // MTU at least as large as the program's reach, so the program alone decides.
  return [{ code: 'packet.too_far', key: 'offload.packet_bytes', value: limit, rule: `packet accesses may reach at most offset ${limit}`, text: `the program may access the packet byte at offset ${max} > ${limit}`, nfp: 'BPF offload not supported with potential packet access beyond HW packet split boundary' }];
}

/** Warnings for return codes the hardware turns into another action, at each exit of the main program. */
export function checkActions(ctx: RuleContext): FindingDraft[] {
  const a = ctx.profile.offload.actions;
  const out: FindingDraft[] = [];
  for (const pc of ctx.reachable) {
    if (ctx.slots[pc]?.kind !== 'exit' || ctx.funcOf(pc) !== 0) continue;
    const r0 = ctx.facts.reg(pc, 0);
    if (!r0) continue;
    XDP_ACTIONS.forEach((name, code) => {
      const c = BigInt(code);
      if (a[name] === name || r0.umin > c || r0.umax < c || !tnumContains(r0.var, c)) return;
      out.push({ code: `action.${name}`, pc, key: `offload.actions.${name}`, value: a[name], rule: `the device executes XDP_${name.toUpperCase()} as XDP_${a[name].toUpperCase()}`, text: `r0 may be ${code} (XDP_${name.toUpperCase()}) here; the device performs XDP_${a[name].toUpperCase()}` });
    });
    if (a.other !== 'aborted' && r0.umax > 4n) {
      out.push({ code: 'action.other', pc, key: 'offload.actions.other', value: a.other, rule: `the device executes return codes above 4 as XDP_${a.other.toUpperCase()} (the kernel: XDP_ABORTED)`, text: `r0 may exceed 4 here; the device performs XDP_${a.other.toUpperCase()}` });
    }
  }
  return out;
}
