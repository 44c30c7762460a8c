// A run's result as text (the human summary of `nicsim run`) and as the `--json` document.
import type { RunResult } from './nic.ts';

const VERDICT_TEXT: Record<RunResult['verdict'], string> = {
  offload: 'offload: every packet runs on the NIC cores',
  partial: 'partial: NIC cores, packets reaching an unsupported instruction continue on the host',
  host: 'host: the program cannot be placed on the NIC, every packet runs on the host path',
  rejected: 'rejected',
};

const n = (x: number) => x.toLocaleString('en-US');

/** The `--json` document: the documented fields first, the rest after. */
export function runJson(r: RunResult): Record<string, unknown> {
  return {
    verdict: r.verdict,
    packets: r.packets,
    actions: r.actions,
    nic_drops: r.nic_drops,
    fallback: r.fallback,
    per_core: r.per_core,
    queues: r.queues,
    maps: r.maps,
    outputs: r.outputs,
    wall_seconds: r.wall_seconds,
    wall_mpps: r.wall_mpps,
    model: r.model,
    object: r.object,
    program: r.program,
    profile: r.profile,
    engine: r.engine,
    cores: r.cores,
    workers: r.workers,
    cores_per_worker: r.cores_per_worker,
    aborted: r.aborted,
    nic_instructions: r.nic_instructions,
    map_full_errors: r.map_full_errors,
    recovered: r.recovered,
    ...(r.conntrack ? { conntrack: r.conntrack } : {}),
  };
}

export function formatRun(r: RunResult): string[] {
  const out: string[] = [];
  out.push(`${r.program} (${r.object.split('/').pop()}) on ${r.profile}: ${VERDICT_TEXT[r.verdict]}`);
  const shared = Math.max(...r.cores_per_worker);
  const sharing = shared > 1 ? ` (several modeled cores share one host thread: up to ${shared} per thread)` : '';
  out.push(`  ${r.cores} modeled core${r.cores === 1 ? '' : 's'} on ${r.workers} host thread${r.workers === 1 ? '' : 's'}${sharing}, engine ${r.engine}`);
  out.push(`  ${n(r.packets)} packets in ${r.wall_seconds.toFixed(2)} s wall: ${r.wall_mpps.toFixed(3)} Mpps simulated (wall clock)`);
  const a = r.actions;
  out.push(`  actions: aborted ${n(a.aborted)}, drop ${n(a.drop)}, pass ${n(a.pass)}, tx ${n(a.tx)}, redirect ${n(a.redirect)}; NIC drops (ring full) ${n(r.nic_drops)}`);
  for (const [k, c] of Object.entries(r.aborted.by_reason)) {
    const msg = r.aborted.messages[k];
    out.push(`    aborted ${k}: ${n(c)}${msg ? ` (${msg})` : ''}`);
  }
  const f = r.fallback;
  if (f.packets || r.verdict !== 'offload') {
    const why = Object.entries(f.by_reason).map(([k, c]) => `${k} ${n(c)}`).join(', ');
    out.push(`  host fallback: ${n(f.packets)} packets${why ? ` (${why})` : ''}, ${n(f.pcie_bytes)} bytes over PCIe, ${n(f.host_instructions)} host instructions`);
    for (const [pc, e] of Object.entries(f.by_pc)) out.push(`    pc ${pc}: ${n(e.packets)} packets${e.source ? `  ${e.source}` : ''}`);
  }
  if (r.map_full_errors) out.push(`  map updates refused because a map is full (-E2BIG): ${n(r.map_full_errors)}`);
  out.push(`  per queue: ${r.queues.map((q) => `q${q.queue} ${n(q.packets)}${q.nic_drops ? ` (+${n(q.nic_drops)} dropped)` : ''}`).join(', ')}`);
  out.push(`  per core:  ${r.per_core.map((c) => `core${c.core}@t${c.worker} ${n(c.packets)}`).join(', ')}`);
  for (const rec of r.recovered) out.push(`  worker ${rec.worker} replaced (${rec.reason}); ${n(rec.resent)} packets re-run`);
  const m = r.model;
  const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 3) : 'unbounded');
  out.push(`  model (simulated time on ${r.profile}): ${f2(m.mpps)} Mpps, ${f2(m.gbps)} Gbit/s at ${f2(m.offered_mpps)} Mpps offered (capacity ${f2(m.capacity_mpps)} Mpps)`);
  out.push(`    bottleneck: ${m.bottleneck}${m.bottleneck_detail ? ` (${m.bottleneck_detail})` : ''}; latency p50 ${m.latency_ns.p50.toFixed(0)} ns, p90 ${m.latency_ns.p90.toFixed(0)} ns, p99 ${m.latency_ns.p99.toFixed(0)} ns`);
  out.push(`    per-core utilization: ${m.per_core_utilization.map((u, c) => `core${c} ${(u * 100).toFixed(1)} %`).join(', ')}`);
  if (m.hot_lines.length) {
    out.push('    hot lines (share of modeled cycles):');
    for (const h of m.hot_lines.slice(0, 5)) out.push(`      ${h.cycles_pct.toFixed(1).padStart(5)} %  ${h.file.split('/').pop()}:${h.line}  ${h.text}`);
  }
  if (r.conntrack) {
    const c = r.conntrack;
    out.push(`  conntrack after the run: ${n(c.entries)} entr${c.entries === 1 ? 'y' : 'ies'} (${n(c.inserted_by_program)} inserted by the program)`);
    for (const e of c.table.filter((x) => x.by_program).slice(0, 4)) out.push(`    ${e.proto} ${e.src}:${e.sport} -> ${e.dst}:${e.dport} zone ${e.zone} status 0x${e.status.toString(16)}`);
    if (c.inserted_by_program > 4) out.push('    ... (--json for all)');
  }
  const outs = Object.entries(r.outputs);
  if (outs.length) out.push(`  outputs: ${outs.map(([k, v]) => `${k} -> ${v}`).join(', ')}`);
  const maps = Object.entries(r.maps);
  if (maps.length) {
    out.push('  maps after the run:');
    for (const [m, entries] of maps) {
      const used = entries.filter((e) => /[1-9a-f]/.test(e.value ?? e.values?.join('') ?? e.program ?? e.map ?? ''));
      out.push(`    ${m}: ${used.length} non-zero entr${used.length === 1 ? 'y' : 'ies'} of ${entries.length}`);
      for (const e of used.slice(0, 4)) {
        const v = e.program ?? e.map ?? e.value ?? e.values!.map((x, i) => `cpu${i}=${x}`).filter((s) => /[1-9a-f]/.test(s.split('=')[1]!)).join(' ');
        out.push(`      ${e.key}: ${v}`);
      }
      if (used.length > 4) out.push(`      ... (--json for all)`);
    }
  }
  return out;
}
