// The safety verifier's per-pc facts (offload/verifier, ProgramFacts) as the capability rules read
// them (CapabilityFacts). Register type names follow the kernel's reg_type_str ('fp', 'pkt', ...);
// the rules use the names of facts.ts.
import { type ProgramFacts, type RegFacts, verifyProgram } from '../verifier/index.ts';
import type { CapabilityFacts, RegKind, RegView } from './facts.ts';
import type { SafetyCheck } from './run.ts';

const KIND: Record<string, RegKind> = {
  scalar: 'scalar',
  ctx: 'ctx',
  fp: 'stack',
  pkt: 'packet',
  pkt_meta: 'packet_meta',
  pkt_end: 'packet_end',
  map_ptr: 'map_ptr',
  map_value: 'map_value',
  map_key: 'map_key',
};

export function regView(r: RegFacts): RegView {
  const kinds: RegKind[] = [];
  for (const t of r.types) {
    const k = KIND[t] ?? 'other';
    if (!kinds.includes(k)) kinds.push(k);
  }
  return {
    kinds,
    maps: r.map !== null ? [r.map] : [],
    offMin: r.offMin,
    offMax: r.offMax,
    var: { value: r.varOff.value, mask: r.varOff.mask },
    varConstEveryVisit: r.varOffConstEveryVisit,
    umin: r.umin,
    umax: r.umax,
    smin: r.smin,
    smax: r.smax,
  };
}

/** CapabilityFacts over the safety verifier's ProgramFacts. */
export function capabilityFacts(pf: ProgramFacts): CapabilityFacts {
  const views = new Map<number, (RegView | undefined)[]>();
  const depth = new Map(pf.subprogs.map((s) => [s.start, s.stackDepth]));
  return {
    reachable: (pc) => pf.insns[pc] != null,
    reg(pc, reg) {
      let row = views.get(pc);
      if (!row) {
        const f = pf.insns[pc];
        row = (f?.regs ?? []).map((r) => (r ? regView(r) : undefined));
        views.set(pc, row);
      }
      return row[reg];
    },
    stackDepth: (start) => depth.get(start) ?? 0,
    maxPacketOffset: pf.maxPktOffset,
    zext: (pc) => pf.insns[pc]?.zext === true,
    visits: (pc) => pf.insns[pc]?.visits ?? 0,
  };
}

/** The safety verifier (offload/verifier) as the capability pass runs it: privileged loader, facts on. */
export const verifierSafety: SafetyCheck = (spec, program, { offloaded, devBound }) => {
  const r = verifyProgram(spec, program, { facts: true, offloaded, devBound });
  if (!r.accepted || !r.facts) {
    return { rejected: { code: r.error?.code ?? 'verifier', message: r.error?.message ?? 'the safety verifier rejected the program', pc: r.error?.pc ?? null } };
  }
  return { facts: capabilityFacts(r.facts) };
};
