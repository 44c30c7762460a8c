// The static bound (`nicsim check --bound`): without any traffic, the most expensive path a packet
// can take through the program, priced by the cost model, gives a guaranteed lower bound on the
// packet rate — every real packet costs at most that much.
//
// The path analysis runs over the instructions the safety verifier reached, per function:
//   - acyclic parts: the longest path from the entry to an exit (infeasible paths included, which
//     only makes the bound more conservative);
//   - loops (strongly connected components): a loop costs at most the sum over its instructions of
//     (times the verifier processed the instruction) × (its cost). The kernel's verifier unrolls
//     every bounded loop and a pruned path continues in an explored state's subtree, so each
//     execution of an instruction on one concrete path is covered by a distinct processed visit;
//   - bpf-to-bpf calls cost their callee's bound; helper calls their profile cycles; the packet pays
//     the fixed per-packet cost and the costliest of the per-action costs.
// Programs whose running time the verifier does not bound (tail calls, bpf_loop and other callback
// helpers, may_goto loops) get no bound, with the reason.
import { HELPER_IDS } from '../../firmware/helpers/names.ts';
import type { CheckResult } from '../../offload/capability/check.ts';
import { memPtrReg } from '../../offload/capability/context.ts';
import type { CapabilityFacts } from '../../offload/capability/facts.ts';
import { lineAt, type ProgramSpec } from '../../offload/elf/index.ts';
import { subprograms, successors } from '../../offload/cfg/cfg.ts';
import { jumpTarget, type Slot } from '../../offload/isa/index.ts';
import type { Profile } from '../profile/index.ts';
import { type CostTables, deviceCost, hostCost } from './cost.ts';

export interface PathCost {
  /** Compute cycles along the worst path (per-packet fixed cycles included). */
  compute: number;
  /** Memory-stall cycles along the worst path by compute + stall. */
  stall: number;
}

export type StaticBound =
  | {
      ok: true;
      /** Where the program runs: the NIC cores, or the host path (verdict `host`). */
      on: 'device' | 'host';
      /** Worst-case compute cycles and compute + stall cycles (each maximised on its own). */
      compute: number;
      total: number;
      /** Cycles one packet occupies a core in the worst case: max(compute, total / threads). */
      occupancy: number;
      /** Guaranteed packets per second of one core, and of all cores with evenly spread traffic. */
      mpps_per_core: number;
      mpps: number;
      /** The line rate's limit for 64-byte frames, which the NIC cannot exceed either. */
      line_rate_mpps: number;
      /** C source lines along the worst path, in path order (first occurrence). */
      lines: { file: string; line: number; text: string }[];
    }
  | { ok: false; reason: string };

const CALLBACK_HELPERS = new Set<number>([HELPER_IDS.loop, HELPER_IDS.for_each_map_elem, HELPER_IDS.timer_set_callback, HELPER_IDS.find_vma, HELPER_IDS.user_ringbuf_drain]);

class NoBound extends Error {}

interface Fn {
  start: number;
  end: number;
}

/** Cost of each pc (without callee costs) on the device or the host. */
interface Pricing {
  compute(pc: number, insn: Slot & object): number;
  stall(pc: number, insn: Slot & object): number;
}

function devicePricing(t: CostTables, facts: CapabilityFacts): Pricing {
  return {
    compute: (pc, insn) => t.insn[pc]! + (insn.kind === 'call' && insn.callee === 'helper' ? t.helper[insn.imm] ?? 0 : 0),
    stall(pc, insn) {
      const r = memPtrReg(insn);
      if (r === undefined) return 0;
      const kinds = facts.reg(pc, r)?.kinds ?? [];
      let worst = 0;
      for (const k of kinds) {
        const region = k === 'stack' ? 0 : k === 'ctx' ? 1 : k === 'packet' || k === 'packet_meta' ? 2 : k === 'map_value' ? 3 : -1;
        const lat = region >= 0 ? t.memory[region]! : Math.max(...t.memory);
        if (lat > worst) worst = lat;
      }
      return worst;
    },
  };
}

export function staticBound(profile: Profile, program: ProgramSpec, result: CheckResult): StaticBound {
  if (result.verdict === 'rejected' || !result.analysis) return { ok: false, reason: 'the safety verifier rejects the program' };
  const { slots, facts } = result.analysis;
  if (!facts.visits) return { ok: false, reason: 'the verifier facts carry no visit counts' };
  const onHost = result.verdict === 'host';
  const h = hostCost(profile);
  const tables = deviceCost(profile, result, slots.length);
  const pricing: Pricing = onHost
    ? { compute: (_pc, insn) => h.cyclesPerInsn + (insn.kind === 'call' && insn.callee === 'helper' ? h.cyclesPerCall : 0), stall: () => 0 }
    : devicePricing(tables, facts);
  const punts = new Set(result.punt_pcs);
  const fns = subprograms(slots);
  const fnAt = (pc: number): Fn => fns.find((f) => f.start <= pc && pc < f.end)!;
  const memo = new Map<number, { c: number; t: number; path: number[] }>();

  const fnBound = (fn: Fn): { c: number; t: number; path: number[] } => {
    const known = memo.get(fn.start);
    if (known) return known;
    const pcs: number[] = [];
    for (let pc = fn.start; pc < fn.end; pc++) if (slots[pc] && facts.reachable(pc)) pcs.push(pc);
    const succ = new Map<number, number[]>();
    const costC = new Map<number, number>();
    const costT = new Map<number, number>();
    for (const pc of pcs) {
      const insn = slots[pc]!;
      if (insn.kind === 'call' && insn.callee === 'helper') {
        if (insn.imm === HELPER_IDS.tail_call) throw new NoBound(`pc ${pc}: a tail call continues in a program the analysis cannot see`);
        if (CALLBACK_HELPERS.has(insn.imm)) throw new NoBound(`pc ${pc}: helper ${insn.imm} runs a callback a number of times only known at run time`);
      }
      if (insn.kind === 'may_goto') throw new NoBound(`pc ${pc}: may_goto loops are bounded only by the run-time budget`);
      let c = pricing.compute(pc, insn);
      let t = c + pricing.stall(pc, insn);
      if (insn.kind === 'call' && insn.callee === 'local') {
        const callee = fnBound(fnAt(jumpTarget(insn, pc)));
        c += callee.c;
        t += callee.t;
      }
      costC.set(pc, c);
      costT.set(pc, t);
      // a punt pc ends the packet's time on the device (it leaves for the host)
      succ.set(pc, punts.has(pc) && !onHost ? [] : successors(insn, pc).filter((s) => s >= fn.start && s < fn.end && slots[s] && facts.reachable(s)));
    }
    // strongly connected components (Tarjan, iterative), in reverse topological order
    const index = new Map<number, number>();
    const low = new Map<number, number>();
    const onStack = new Set<number>();
    const stack: number[] = [];
    const comps: number[][] = [];
    let next = 0;
    for (const root of pcs) {
      if (index.has(root)) continue;
      const work: [number, number][] = [[root, 0]];
      index.set(root, next);
      low.set(root, next++);
      stack.push(root);
      onStack.add(root);
      while (work.length) {
        const top = work[work.length - 1]!;
        const [v, i] = top;
        const ss = succ.get(v)!;
        if (i < ss.length) {
          top[1]++;
          const w = ss[i]!;
          if (!index.has(w)) {
            index.set(w, next);
            low.set(w, next++);
            stack.push(w);
            onStack.add(w);
            work.push([w, 0]);
          } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
          continue;
        }
        work.pop();
        if (work.length) {
          const u = work[work.length - 1]![0];
          low.set(u, Math.min(low.get(u)!, low.get(v)!));
        }
        if (low.get(v) === index.get(v)) {
          const comp: number[] = [];
          let w: number;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            comp.push(w);
          } while (w !== v);
          comps.push(comp);
        }
      }
    }
    const compOf = new Map<number, number>();
    comps.forEach((comp, i) => comp.forEach((pc) => compOf.set(pc, i)));
    // longest paths to an exit, components in reverse topological order (Tarjan emits sinks first)
    const bestC = new Float64Array(comps.length);
    const bestT = new Float64Array(comps.length);
    const nextComp = new Int32Array(comps.length).fill(-1);
    comps.forEach((comp, i) => {
      const loop = comp.length > 1 || succ.get(comp[0]!)!.includes(comp[0]!);
      let c = 0;
      let t = 0;
      for (const pc of comp) {
        const k = loop ? facts.visits!(pc) : 1;
        c += k * costC.get(pc)!;
        t += k * costT.get(pc)!;
      }
      let outC = 0;
      let outT = 0;
      for (const pc of comp) {
        for (const s of succ.get(pc)!) {
          const j = compOf.get(s)!;
          if (j === i) continue;
          if (bestC[j]! > outC) outC = bestC[j]!;
          if (bestT[j]! > outT) {
            outT = bestT[j]!;
            nextComp[i] = j;
          }
        }
      }
      bestC[i] = c + outC;
      bestT[i] = t + outT;
    });
    const entry = compOf.get(fn.start);
    if (entry === undefined) throw new NoBound(`function at pc ${fn.start} is not reached`);
    const path: number[] = [];
    for (let i = entry; i >= 0; i = nextComp[i]!) path.push(...[...comps[i]!].sort((a, b) => a - b));
    const r = { c: bestC[entry]!, t: bestT[entry]!, path };
    memo.set(fn.start, r);
    return r;
  };

  let main: { c: number; t: number; path: number[] };
  try {
    main = fnBound(fns[0]!);
  } catch (e) {
    if (e instanceof NoBound) return { ok: false, reason: e.message };
    throw e;
  }
  // the fixed cost, and the costliest action the device may have to carry out for the packet
  const a = profile.cost.action_cycles;
  const perPacket = onHost ? h.perPacket : tables.perPacket + Math.max(a.aborted, a.drop, a.pass, a.tx, a.redirect);
  const compute = main.c + perPacket;
  const total = main.t + perPacket;
  const threads = onHost ? 1 : Math.max(1, profile.cores.threads_per_core);
  const occupancy = Math.max(compute, total / threads);
  const clock = onHost ? h.clockMhz : profile.cores.clock_mhz;
  const cores = onHost ? h.cores : profile.cores.count;
  const perCore = occupancy > 0 ? clock / occupancy : Infinity;
  // 64-byte frames + 20 bytes of preamble and inter-frame gap
  const lineRate = (profile.host.line_rate_gbps * 1e3) / (84 * 8);
  const lines: { file: string; line: number; text: string }[] = [];
  const seen = new Set<string>();
  for (const pc of main.path) {
    const l = lineAt(program.lineInfo, pc);
    if (!l) continue;
    const k = `${l.file}:${l.line}`;
    if (seen.has(k)) continue;
    seen.add(k);
    lines.push({ file: l.file, line: l.line, text: l.text });
  }
  return { ok: true, on: onHost ? 'host' : 'device', compute, total, occupancy, mpps_per_core: perCore, mpps: Math.min(perCore * cores, lineRate), line_rate_mpps: lineRate, lines };
}


/** The human lines of a bound (check --bound). */
export function formatBound(b: StaticBound): string[] {
  if (!b.ok) return [`static bound: none (${b.reason})`];
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  const out = [
    `static bound (${b.on === 'host' ? 'host path' : 'NIC cores'}): at most ${f(b.compute)} compute + ${f(b.total - b.compute)} stall cycles per packet, ${f(b.occupancy)} cycles of a core`,
    `  guaranteed ${f(b.mpps)} Mpps with traffic spread evenly over the cores (${f(b.mpps_per_core)} Mpps per core; 64-byte line rate ${f(b.line_rate_mpps)} Mpps)`,
  ];
  if (b.lines.length) {
    out.push('  worst path through:');
    for (const l of b.lines) out.push(`    ${l.file}:${l.line}  ${l.text}`);
  }
  return out;
}
