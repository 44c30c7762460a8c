// Capability results as text (human report) and as the `nicsim check --json` document.
import type { CheckResult, Verdict } from './check.ts';
import { type Finding, keyValue } from './findings.ts';

const VERDICT_TEXT: Record<Verdict, string> = {
  offload: 'offload: every reachable instruction, helper and map runs on the device',
  partial: 'partial: runs on the device, packets that reach an unsupported instruction are punted to the host',
  host: 'host: the program cannot be placed on the device',
  rejected: 'rejected: the safety verifier refuses the program',
};

function where(f: Finding): string {
  if (f.pc !== null) return `pc ${f.pc}: ${f.insn ?? ''}`.trimEnd();
  if (f.map !== null) return `map ${f.map}`;
  return 'program';
}

/** One finding as an indented block of lines. */
export function formatFinding(f: Finding): string[] {
  const sev = f.severity === 'warning' ? 'warning' : 'error';
  const lines = [`${sev} ${f.code} at ${where(f)}`];
  if (f.source) lines.push(`    ${f.source.file}:${f.source.line}  ${f.source.text}`);
  lines.push(`    ${f.message}`);
  if (f.message !== f.detail) lines.push(`    (${f.detail})`);
  lines.push(`    rule: ${f.rule}  [${keyValue(f)}]`);
  return lines;
}

function kb(n: number): string {
  return n >= 10240 ? `${Math.round(n / 1024)} KiB` : `${n} B`;
}

/** The human report of one program on one profile. */
export function formatResult(r: CheckResult): string[] {
  const out = [`${r.program} on ${r.profile}: ${VERDICT_TEXT[r.verdict]}`];
  if (r.rejected) {
    out.push(`  ${r.rejected.pc !== null ? `pc ${r.rejected.pc}: ` : ''}${r.rejected.message}  [${r.rejected.code}]`);
    return out;
  }
  const pkt = r.packet_bytes === null ? '' : `, packet offset ${r.max_packet_offset ?? 0} / ${r.packet_bytes}`;
  out.push(`  NIC instructions ${r.nic_instructions} / ${r.instruction_memory} (${r.bpf_instructions} BPF instructions reachable), stack ${r.stack} / ${r.stack_limit} B${pkt}`);
  if (r.maps.length) {
    out.push('  maps:');
    const w = Math.max(...r.maps.map((m) => m.name.length));
    const tw = Math.max(...r.maps.map((m) => m.type.length));
    for (const m of r.maps) {
      const state = m.placement === 'host' ? 'stays on the host' : m.fits ? 'fits' : 'does not fit';
      out.push(`    ${m.name.padEnd(w)}  ${m.type.padEnd(tw)}  key ${String(m.key_size).padStart(3)} B  value ${String(m.value_size).padStart(5)} B  ${String(m.max_entries).padStart(8)} entries  ${kb(m.bytes).padStart(9)}  ${state}${m.used ? '' : ' (not used by this program)'}`);
    }
    const t = r.map_totals;
    const budget = t.element_budget === null ? '' : ` / ${t.element_budget}`;
    const mem = t.memory_bytes === null ? '' : ` / ${kb(t.memory_bytes)}`;
    out.push(`    on the device: ${t.device_maps} maps, ${t.elements}${budget} elements, ${kb(t.bytes)}${mem}`);
  }
  if (r.punt_pcs.length) out.push(`  punted to the host at pc ${r.punt_pcs.join(', ')}`);
  if (r.findings.length) {
    out.push('  findings:');
    for (const f of r.findings) for (const l of formatFinding(f)) out.push(`    ${l}`);
  }
  return out;
}

/** The `--json` shape of one result (the documented fields first, extras after). */
export function resultJson(r: CheckResult): Record<string, unknown> {
  return {
    profile: r.profile,
    program: r.program,
    verdict: r.verdict,
    nic_instructions: r.nic_instructions,
    instruction_memory: r.instruction_memory,
    stack: r.stack,
    maps: r.maps.map((m) => ({ name: m.name, type: m.type, max_entries: m.max_entries, bytes: m.bytes, fits: m.fits, key_size: m.key_size, value_size: m.value_size, flags: m.flags, element_bytes: m.element_bytes, placement: m.placement, used: m.used })),
    punt_pcs: r.punt_pcs,
    findings: r.findings.map((f) => ({
      code: f.code,
      pc: f.pc,
      insn: f.insn,
      source: f.source,
      message: f.message,
      profile_key: f.profile_key,
      profile_value: f.profile_value,
      severity: f.severity,
      rule: f.rule,
      detail: f.detail,
      driver_message: f.driver_message,
      map: f.map,
    })),
    object: r.object,
    stack_limit: r.stack_limit,
    bpf_instructions: r.bpf_instructions,
    nic_by_class: r.nic_by_class,
    packet_bytes: r.packet_bytes,
    max_packet_offset: r.max_packet_offset,
    map_totals: r.map_totals,
    rejected: r.rejected,
  };
}

/** Short text of what stops a result from being `offload`: `code: message`. */
export function blockingReason(r: CheckResult): string {
  if (r.rejected) return `safety: ${r.rejected.message}`;
  const f = r.blocking;
  if (!f) return '';
  const at = f.pc !== null ? ` (pc ${f.pc}${f.source ? `, ${f.source.file}:${f.source.line}` : ''})` : f.map ? ` (map ${f.map})` : '';
  return `${f.code}${at}: ${f.message}`;
}
