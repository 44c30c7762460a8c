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
    object: r.object,
    program: r.program,
    profile: r.profile,
    engine: r.engine,
    cores: r.cores,
    workers: r.workers,
    aborted: r.aborted,
    nic_instructions: r.nic_instructions,
    map_full_errors: r.map_full_errors,
    recovered: r.recovered,
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
