// `--report FILE.html`: one self-contained HTML page (works offline) with the model's numbers as
// tables and charts drawn by Chart.js, inlined from node_modules: throughput versus cores per
// profile (sweeps), per-core utilisation, the action breakdown, the latency distribution and the hot
// C lines with their source text. The run's data is embedded once as JSON; the tables are rendered
// on the server side too, so every number can be read (and tested) without running the charts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ModelResult } from './throughput.ts';

export interface HotLine {
  file: string;
  line: number;
  text: string;
  cycles_pct: number;
}

export interface ReportRun {
  title: string;
  object: string;
  program: string;
  profile: string;
  verdict: string;
  packets: number;
  cores: number;
  actions: Record<string, number>;
  model: ModelResult;
  hot_lines: HotLine[];
}

export interface SweepRow {
  profile: string;
  cores: number;
  mpps: number;
  gbps: number;
  bottleneck: string;
}

export interface ReportInput {
  runs: ReportRun[];
  sweep?: SweepRow[];
}

const require = createRequire(import.meta.url);

function chartJs(): string {
  // the package's exports hide dist/: find it next to its CommonJS entry point (dist/chart.cjs)
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function runSection(r: ReportRun, i: number): string {
  const m = r.model;
  const actions = Object.entries(r.actions)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td data-k="action-${esc(k)}">${v}</td></tr>`)
    .join('');
  const hot = r.hot_lines
    .map((h) => `<tr><td>${esc(h.file)}:${h.line}</td><td><code>${esc(h.text)}</code></td><td data-k="hot-pct">${fmt(h.cycles_pct, 1)}</td></tr>`)
    .join('');
  const util = m.per_core_utilization.map((u, c) => `<tr><td>core ${c}</td><td data-k="util">${fmt(u * 100, 1)}</td></tr>`).join('');
  return `
<section class="run" id="run-${i}">
  <h2>${esc(r.title)}</h2>
  <p>${esc(r.object)} · program <b>${esc(r.program)}</b> · profile <b>${esc(r.profile)}</b> · verdict <b>${esc(r.verdict)}</b> · ${r.packets} packets on ${r.cores} cores</p>
  <table class="summary">
    <tr><th>modeled throughput</th><td><span data-k="mpps">${fmt(m.mpps, 3)}</span> Mpps, <span data-k="gbps">${fmt(m.gbps, 3)}</span> Gbit/s</td></tr>
    <tr><th>offered / capacity</th><td><span data-k="offered">${fmt(m.offered_mpps, 3)}</span> / <span data-k="capacity">${fmt(m.capacity_mpps, 3)}</span> Mpps</td></tr>
    <tr><th>bottleneck</th><td data-k="bottleneck">${esc(m.bottleneck.resource)}${m.bottleneck.detail ? ` (${esc(m.bottleneck.detail)})` : ''}</td></tr>
    <tr><th>latency p50 / p90 / p99</th><td><span data-k="p50">${fmt(m.latency_ns.p50, 1)}</span> / <span data-k="p90">${fmt(m.latency_ns.p90, 1)}</span> / <span data-k="p99">${fmt(m.latency_ns.p99, 1)}</span> ns</td></tr>
    <tr><th>NIC drops (model)</th><td data-k="nic-drops">${m.nic_drops}</td></tr>
  </table>
  <div class="grid">
    <figure><figcaption>per-core utilisation (%)</figcaption><canvas id="util-${i}"></canvas><table>${util}</table></figure>
    <figure><figcaption>actions</figcaption><canvas id="actions-${i}"></canvas><table>${actions}</table></figure>
    <figure><figcaption>latency distribution (ns)</figcaption><canvas id="latency-${i}"></canvas></figure>
    <figure class="wide"><figcaption>hot C lines (% of modeled cycles)</figcaption><canvas id="hot-${i}"></canvas>
      <table class="hot"><tr><th>line</th><th>source</th><th>%</th></tr>${hot}</table></figure>
  </div>
</section>`;
}

function sweepSection(rows: SweepRow[]): string {
  const body = rows.map((r) => `<tr><td>${esc(r.profile)}</td><td>${r.cores}</td><td data-k="sweep-mpps">${fmt(r.mpps, 3)}</td><td>${fmt(r.gbps, 3)}</td><td>${esc(r.bottleneck)}</td></tr>`).join('');
  return `
<section id="sweep">
  <h2>throughput versus cores</h2>
  <figure class="wide"><canvas id="sweep-chart"></canvas></figure>
  <table><tr><th>profile</th><th>cores</th><th>Mpps</th><th>Gbit/s</th><th>bottleneck</th></tr>${body}</table>
</section>`;
}

// Runs in the page: draws every chart from the embedded data.
const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('nicsim-data').textContent);
const charts = [];
const bar = (id, labels, values, label, horizontal) => charts.push(new Chart(document.getElementById(id), {
  type: 'bar', data: { labels, datasets: [{ label, data: values }] },
  options: { animation: false, indexAxis: horizontal ? 'y' : 'x', plugins: { legend: { display: false } } } }));
data.runs.forEach((r, i) => {
  bar('util-' + i, r.model.per_core_utilization.map((_, c) => 'core ' + c), r.model.per_core_utilization.map((u) => u * 100), 'utilisation %');
  bar('actions-' + i, Object.keys(r.actions), Object.values(r.actions), 'packets');
  const h = r.model.latency_histogram;
  bar('latency-' + i, h.map((b) => b[0].toFixed(0)), h.map((b) => b[1]), 'packets');
  bar('hot-' + i, r.hot_lines.map((l) => l.file.split('/').pop() + ':' + l.line), r.hot_lines.map((l) => l.cycles_pct), '% cycles', true);
});
if (data.sweep) {
  const profiles = [...new Set(data.sweep.map((r) => r.profile))];
  const cores = [...new Set(data.sweep.map((r) => r.cores))].sort((a, b) => a - b);
  charts.push(new Chart(document.getElementById('sweep-chart'), {
    type: 'line',
    data: { labels: cores, datasets: profiles.map((p) => ({ label: p, data: cores.map((c) => (data.sweep.find((r) => r.profile === p && r.cores === c) || {}).mpps ?? null) })) },
    options: { animation: false, scales: { x: { title: { display: true, text: 'cores' } }, y: { title: { display: true, text: 'Mpps' } } } } }));
}
window.nicsimCharts = charts.length;
`;

/** The whole page. */
export function renderReport(input: ReportInput): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nicsim report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 1em; } .wide { grid-column: 1 / -1; }
figure { margin: 0; } canvas { max-height: 320px; } code { white-space: pre; }
</style></head><body>
<h1>nicsim report</h1>
${input.sweep ? sweepSection(input.sweep) : ''}
${input.runs.map(runSection).join('\n')}
<script type="application/json" id="nicsim-data">${scriptJson(input)}</script>
<script>${chartJs()}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
