// The program × profile matrix of `nicsim check --all-profiles` and of the demo: one row per program,
// one column per profile, each cell the verdict and the NIC instruction count, then the first
// blocking reason of every cell that is not `offload`.
import type { CheckResult } from './check.ts';
import { blockingReason } from './report.ts';

function cell(r: CheckResult): string {
  if (r.verdict === 'rejected') return 'rejected';
  const code = r.blocking && r.verdict !== 'offload' ? ` ${r.blocking.code}` : '';
  return `${r.verdict} ${r.nic_instructions}${code}`;
}

/** Formats results (any order) as the matrix; profiles and programs keep their first-seen order. */
export function formatMatrix(results: readonly CheckResult[], title = 'program'): string[] {
  const profiles = [...new Set(results.map((r) => r.profile))];
  const programs = [...new Set(results.map((r) => r.program))];
  const at = new Map(results.map((r) => [`${r.program}\0${r.profile}`, r]));
  const rows = programs.map((p) => [p, ...profiles.map((q) => { const r = at.get(`${p}\0${q}`); return r ? cell(r) : '-'; })]);
  const header = [title, ...profiles];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const reasons = results.filter((r) => r.verdict !== 'offload');
  if (reasons.length) {
    out.push('', 'first blocking reason (cells that are not offload):');
    for (const r of reasons) out.push(`  ${r.program} on ${r.profile}: ${r.verdict} - ${blockingReason(r)}`);
  }
  return out;
}
