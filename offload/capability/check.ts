// The capability pass over one program and one profile, given the safety verifier's facts:
//   1. instruction rules at every reachable pc (ISA, memory and ctx, helpers), the atomic-counter
//      rule in pc order;
//   2. map rules over every map of the object;
//   3. paths: which instructions block, where packets are punted, what the device holds;
//   4. program rules: NIC instructions vs instruction memory, stack, packet bytes; action warnings;
//   5. the verdict.
import { subprograms } from '../cfg/cfg.ts';
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import { lineAt } from '../elf/index.ts';
import { decodeProgram, disasm, type Slot } from '../isa/index.ts';
import type { Profile } from '../../nic/profile/index.ts';
import type { RuleContext } from './context.ts';
import type { CapabilityFacts } from './facts.ts';
import { type Finding, type FindingDraft, severityOf } from './findings.ts';
import { analysePaths } from './paths.ts';
import { checkAtomicCounters } from './rules-counters.ts';
import { checkHelperCall } from './rules-helpers.ts';
import { checkIsa } from './rules-isa.ts';
import { checkMaps, type MapTotals, type MapUse } from './rules-maps.ts';
import { checkMemory } from './rules-mem.ts';
import { checkActions, checkPacket, checkStack, stackUse } from './rules-program.ts';
import { countNicInstructions, type PcTranslation } from './translate.ts';

export type Verdict = 'offload' | 'partial' | 'host' | 'rejected';

export interface SafetyRejection {
  /** The safety verifier's error code and message (the kernel verifier's wording). */
  code: string;
  message: string;
  pc: number | null;
}

export interface CheckResult {
  object: string;
  program: string;
  profile: string;
  verdict: Verdict;
  /** NIC instructions the device holds after translation (and packing). */
  nic_instructions: number;
  instruction_memory: number;
  /** NIC instructions by translation class, before packing. */
  nic_by_class: Record<string, number>;
  /** Per pc: translation class and NIC instructions (not in the JSON report; the cost model reads it). */
  translation: PcTranslation | null;
  /** The decoded program and the safety verifier's facts (not in the JSON report; the static bound reads them). */
  analysis: { slots: readonly Slot[]; facts: CapabilityFacts } | null;
  /** BPF instructions the safety verifier reaches (dead code excluded). */
  bpf_instructions: number;
  /** Stack bytes of the deepest call chain as the device accounts them, and the limit. */
  stack: number;
  stack_limit: number;
  packet_bytes: number | null;
  max_packet_offset: number | null;
  maps: MapUse[];
  map_totals: MapTotals;
  /** Where packets leave the device for the host (verdict `partial`); see paths.ts. */
  punt_pcs: number[];
  findings: Finding[];
  /** The first finding that stops the verdict from being `offload`. */
  blocking: Finding | null;
  rejected: SafetyRejection | null;
}

export interface ProfileRef {
  /** Name shown in reports. */
  name: string;
  profile: Profile;
}

function complete(d: FindingDraft, program: ProgramSpec, slots: readonly Slot[], profile: Profile): Finding {
  const insn = d.pc !== undefined ? slots[d.pc] : undefined;
  const line = d.pc !== undefined ? lineAt(program.lineInfo, d.pc) : undefined;
  const nfp = profile.offload.driver_messages === 'nfp' ? d.nfp : undefined;
  return {
    code: d.code,
    severity: severityOf(d.code),
    pc: d.pc ?? null,
    insn: insn ? disasm(insn) : null,
    source: line ? { file: line.file.split('/').pop()!, line: line.line, text: line.text.trim() } : null,
    message: nfp ?? d.text,
    rule: d.rule,
    profile_key: d.key,
    profile_value: d.value,
    detail: d.text,
    driver_message: d.nfp ?? null,
    map: d.map ?? null,
  };
}

/** A result for a program the safety verifier rejected: nothing else is checked. */
export function rejectedResult(spec: ObjectSpec, program: ProgramSpec, ref: ProfileRef, why: SafetyRejection): CheckResult {
  const p = ref.profile.offload;
  return {
    object: spec.file,
    program: program.name,
    profile: ref.name,
    verdict: 'rejected',
    nic_instructions: 0,
    instruction_memory: p.instruction_memory,
    nic_by_class: {},
    translation: null,
    analysis: null,
    bpf_instructions: 0,
    stack: 0,
    stack_limit: p.stack.bytes,
    packet_bytes: p.packet_bytes,
    max_packet_offset: null,
    maps: [],
    map_totals: { device_maps: 0, elements: 0, element_budget: p.maps.total_elements, bytes: 0, memory_bytes: p.maps.memory_bytes },
    punt_pcs: [],
    findings: [],
    blocking: null,
    rejected: why,
  };
}

/** Runs the capability pass for a program the safety verifier accepted, with its facts. */
export function checkWithFacts(spec: ObjectSpec, program: ProgramSpec, ref: ProfileRef, facts: CapabilityFacts): CheckResult {
  const profile = ref.profile;
  const slots = decodeProgram(program.insns, { loc: { file: spec.file, section: program.section } });
  const subs = subprograms(slots);
  const funcOf = (pc: number): number => {
    let start = 0;
    for (const s of subs) if (s.start <= pc) start = s.start;
    return start;
  };
  const reachable: number[] = [];
  for (let pc = 0; pc < slots.length; pc++) if (slots[pc] && facts.reachable(pc)) reachable.push(pc);

  const insnDrafts: FindingDraft[] = [];
  const ctx: RuleContext = { spec, program, slots, profile, facts, reachable, funcOf, report: (d) => insnDrafts.push(d) };

  // 1. instruction rules
  for (const pc of reachable) {
    const insn = slots[pc]!;
    checkIsa(ctx, pc, insn);
    checkMemory(ctx, pc, insn);
    if (insn.kind === 'call') checkHelperCall(ctx, pc, insn);
  }
  checkAtomicCounters(ctx);

  // 2. maps
  const used = new Set(program.mapRefs.map((r) => r.map));
  const maps = checkMaps(spec, profile, used);

  // 3. paths around blocking instructions
  const blocked = new Set(insnDrafts.filter((d) => severityOf(d.code) === 'instruction').map((d) => d.pc!));
  const paths = analysePaths(ctx, blocked);
  const partialOk = blocked.size > 0 && profile.offload.partial.allowed && paths.cleanExit;

  // 4. program rules, on what the device holds
  const stack = stackUse(ctx, subs);
  const programDrafts: FindingDraft[] = [...maps.findings, ...checkStack(ctx, stack), ...checkPacket(ctx)];
  // The device holds only the non-punted part when the verdict can still be `partial`.
  const punting = partialOk && programDrafts.length === 0;
  const nic = punting ? countNicInstructions(ctx, [...paths.device, ...paths.punts], new Set(paths.punts), stack.calleeSaves) : countNicInstructions(ctx, reachable, new Set(), stack.calleeSaves);
  const imem = profile.offload.instruction_memory;
  if (nic.total > imem) {
    programDrafts.push({ code: 'imem.too_large', key: 'offload.instruction_memory', value: imem, rule: `a program may occupy at most ${imem} NIC instructions after translation`, text: `${nic.total} NIC instructions > ${imem}`, nfp: `instruction limit reached (${imem} NFP instructions)` });
  }
  const warnings = checkActions(ctx);

  // 5. verdict
  const byPc = (a: FindingDraft, b: FindingDraft) => (a.pc ?? -1) - (b.pc ?? -1);
  const findings = [...programDrafts, ...[...insnDrafts, ...warnings].sort(byPc)].map((d) => complete(d, program, slots, profile));
  const programFinding = findings.find((f) => f.severity === 'program');
  const insnFinding = findings.find((f) => f.severity === 'instruction');
  let verdict: Verdict = 'offload';
  if (programFinding) verdict = 'host';
  else if (insnFinding) verdict = punting ? 'partial' : 'host';
  const punts = verdict === 'partial' ? paths.punts : [];
  return {
    object: spec.file,
    program: program.name,
    profile: ref.name,
    verdict,
    nic_instructions: nic.total,
    instruction_memory: imem,
    nic_by_class: nic.byClass,
    translation: nic.perPc,
    analysis: { slots, facts },
    bpf_instructions: reachable.length,
    stack: stack.bytes,
    stack_limit: profile.offload.stack.bytes,
    packet_bytes: profile.offload.packet_bytes,
    max_packet_offset: facts.maxPacketOffset,
    maps: maps.maps,
    map_totals: maps.totals,
    punt_pcs: punts,
    findings,
    blocking: programFinding ?? (verdict === 'partial' ? findings.find((f) => f.pc === punts[0]) ?? null : insnFinding) ?? null,
    rejected: null,
  };
}
