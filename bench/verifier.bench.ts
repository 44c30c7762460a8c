// Safety verifier speed: every corpus program (root verdict) and every example program, nicsim's
// verification time against the kernel's recorded `verification time` (Linux 6.18, same machine
// class). Run: npx tsx bench/verifier.bench.ts [--quick] [--facts] [NAME...]
// Times are the median of several warm runs (the first run of each program only warms the JIT).
// The examples have no recorded kernel time; their nicsim times are listed alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObjectFile } from '../offload/elf/index.ts';
import type { ObjectSpec } from '../offload/elf/index.ts';
import { verifyProgram } from '../offload/verifier/index.ts';

const ROOT = join(import.meta.dirname, '..');

interface Case {
  name: string;
  spec: ObjectSpec;
  program: string;
  raw: boolean;
  kernelUs: number | null;
  kernelInsns: number | null;
}

export interface VerifierBenchRow {
  name: string;
  insns: number;
  kernelInsns: number | null;
  us: number;
  kernelUs: number | null;
  ratio: number | null;
}

function cases(filter: string[]): Case[] {
  const out: Case[] = [];
  const corpus = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/verifier/corpus.json'), 'utf8')) as {
    file: string;
    object: string;
    program: string;
    privileged: { verification_time_us: number; insns_processed: number };
  }[];
  for (const e of corpus) {
    if (filter.length && !filter.includes(e.program)) continue;
    const src = readFileSync(join(ROOT, e.file), 'utf8');
    out.push({
      name: e.program,
      spec: loadObjectFile(join(ROOT, e.object), { allowUnsupported: true }),
      program: e.program,
      raw: /load:\s*raw/.test(src.slice(0, 600)),
      kernelUs: e.privileged.verification_time_us,
      kernelInsns: e.privileged.insns_processed,
    });
  }
  const dir = join(ROOT, 'examples');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.o')).sort()) {
    const spec = loadObjectFile(join(dir, f), { allowUnsupported: true });
    for (const p of spec.programs) {
      const name = `${f.replace(/\.o$/, '')}/${p.name}`;
      if (filter.length && !filter.includes(p.name) && !filter.includes(name)) continue;
      out.push({ name, spec, program: p.name, raw: false, kernelUs: null, kernelInsns: null });
    }
  }
  return out;
}

function timeOne(c: Case, facts: boolean, minMs: number): { us: number; insns: number } {
  const run = () => verifyProgram(c.spec, c.program, { withoutBtf: c.raw, facts });
  const first = run();
  const times: number[] = [];
  const t0 = performance.now();
  do {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  } while (times.length < 3 || (performance.now() - t0 < minMs && times.length < 200));
  times.sort((a, b) => a - b);
  return { us: times[times.length >> 1]! * 1000, insns: first.insnsProcessed };
}

export function runVerifierBench(opts: { quick?: boolean; facts?: boolean; filter?: string[] } = {}): VerifierBenchRow[] {
  const cs = cases(opts.filter ?? []);
  // Warm the JIT on everything once.
  for (const c of cs) verifyProgram(c.spec, c.program, { withoutBtf: c.raw, facts: !!opts.facts });
  return cs.map((c) => {
    const { us, insns } = timeOne(c, !!opts.facts, opts.quick ? 10 : 150);
    return { name: c.name, insns, kernelInsns: c.kernelInsns, us, kernelUs: c.kernelUs, ratio: c.kernelUs ? us / c.kernelUs : null };
  });
}

export function formatVerifierBench(rows: VerifierBenchRow[]): string[] {
  const lines: string[] = [];
  lines.push(`${'program'.padEnd(40)} ${'insns'.padStart(8)} ${'kernel'.padStart(8)} ${'nicsim µs'.padStart(10)} ${'kernel µs'.padStart(10)} ${'ratio'.padStart(7)}`);
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(40)} ${String(r.insns).padStart(8)} ${(r.kernelInsns ?? '-').toString().padStart(8)} ${r.us.toFixed(0).padStart(10)} ${(r.kernelUs ?? '-').toString().padStart(10)} ${(r.ratio === null ? '-' : r.ratio.toFixed(2) + 'x').padStart(7)}`,
    );
  }
  const ratios = rows.filter((r) => r.ratio !== null).map((r) => r.ratio!);
  ratios.sort((a, b) => a - b);
  if (ratios.length) {
    const med = ratios[ratios.length >> 1]!;
    const worst = rows.filter((r) => r.ratio !== null).reduce((a, b) => (b.ratio! > a.ratio! ? b : a));
    const within = ratios.filter((x) => x <= 3).length;
    const totalN = rows.filter((r) => r.kernelUs).reduce((s, r) => s + r.us, 0);
    const totalK = rows.filter((r) => r.kernelUs).reduce((s, r) => s + r.kernelUs!, 0);
    lines.push(
      `corpus: median ratio ${med.toFixed(2)}x, worst ${worst.ratio!.toFixed(2)}x (${worst.name}), ${within}/${ratios.length} within 3x; total ${(totalN / 1000).toFixed(1)} ms vs kernel ${(totalK / 1000).toFixed(1)} ms (${(totalN / totalK).toFixed(2)}x)`,
    );
  }
  const ex = rows.filter((r) => r.kernelUs === null);
  if (ex.length) lines.push(`examples: ${ex.length} programs, total ${(ex.reduce((s, r) => s + r.us, 0) / 1000).toFixed(1)} ms (no recorded kernel time)`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const rows = runVerifierBench({ quick: args.includes('--quick'), facts: args.includes('--facts'), filter: args.filter((a) => !a.startsWith('--')) });
  for (const l of formatVerifierBench(rows)) console.log(l);
}
