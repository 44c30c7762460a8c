// katran's balancer through the compiled CLI: `nicsim test-run` of one packet with a VIP configured
// (bench/katran-case.ts: one IPv4 TCP VIP, three reals on its 65,537-slot ring, the router MAC, a
// TCP SYN), each run a fresh process as a user's would be. Prints the median wall time against the
// issue 12 target (<= 1 s including start-up) and the median split that `test-run --timing` reports
// (process start, CLI modules, ELF/BTF load, safety verifier, map creation, map updates, JIT compile,
// run, JSON output; test-run has no capability check), and checks the answer: XDP_TX of an IPIP packet
// towards one of the reals, and the kernel's recorded answer (test/fixtures/katran/balancer-vip.json)
// when the object is the recorded build. katran's object stays outside the project.
// Usage: npx tsx bench/katran.ts [--object PATH] [--runs N] [--engine jit|interp]...
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromSourceNote, medianRuns, ms, NICSIM, ROOT } from './cli-runs.ts';
import { KATRAN_OBJECT, katranCase } from './katran-case.ts';

export interface KatranBenchOptions {
  object?: string;
  runs?: number;
  engines?: string[];
}

const TARGET_MS = 1000;

/** Why the output is not the expected encapsulation, or undefined when it is. */
function checkOutput(stdout: string, object: string, c: ReturnType<typeof katranCase>): { problem?: string; real?: string; kernel?: string } {
  let doc: { retval: number; data_out: string };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    return { problem: 'no JSON on stdout' };
  }
  const out = Buffer.from(doc.data_out, 'hex');
  const real = [...out.subarray(30, 34)].join('.');
  if (doc.retval !== 3) return { problem: `retval ${doc.retval}, not XDP_TX (3)` };
  if (out[23] !== 4 || out.subarray(34).toString('hex') !== c.data_in.slice(28)) return { problem: 'not the SYN in an IPIP header' };
  if (!Object.values(c.reals).includes(real)) return { problem: `outer destination ${real} is none of the reals` };
  const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/katran/balancer-vip.json'), 'utf8')) as {
    object_sha256: string;
    case: { data_in: string };
    expected: { retval: number; data_out: string };
  };
  const sha = createHash('sha256').update(readFileSync(object)).digest('hex');
  let kernel = 'not compared (another build than the recorded one)';
  if (sha === fx.object_sha256 && fx.case.data_in === c.data_in) {
    kernel = doc.retval === fx.expected.retval && doc.data_out === fx.expected.data_out ? 'same retval and frame as the kernel' : 'DIFFERS from the kernel';
  }
  return { real, kernel };
}

export function runKatranBench(opts: KatranBenchOptions = {}): string[] {
  const object = opts.object ?? KATRAN_OBJECT;
  if (!existsSync(object)) return [`skipped: ${object} is absent (katran's balancer.bpf.o, built as katran's build does; --object PATH)`];
  const c = katranCase();
  const dir = mkdtempSync(join(tmpdir(), 'nicsim-katran-bench-'));
  const lines: string[] = [];
  try {
    const din = join(dir, 'syn.bin');
    writeFileSync(din, Buffer.from(c.data_in, 'hex'));
    const base = [NICSIM, 'test-run', object, '--program', c.program, '--data-in', din, '--cpus', '2', '--json', '--timing'];
    for (const u of c.map_updates) base.push('--map-update', u);
    for (const f of c.map_fills) base.push('--map-fill', f);
    for (const engine of opts.engines ?? ['jit', 'interp']) {
      const m = medianRuns(opts.runs ?? 5, process.execPath, [...base, '--engine', engine]);
      const first = m.runs[0]!;
      if (first.status !== 0) {
        lines.push(`--engine ${engine}: exit ${first.status}: ${first.stderr.trim().split('\n').at(-1)}`);
        continue;
      }
      const check = checkOutput(first.stdout, object, c);
      const verdict = m.wallMs <= TARGET_MS ? 'meets' : 'MISSES';
      lines.push(`--engine ${engine}: median wall ${ms(m.wallMs)} over ${m.runs.length} runs (${verdict} the ${TARGET_MS} ms target; min ${ms(Math.min(...m.runs.map((r) => r.wallMs)))})`);
      lines.push(`  split (medians): ${m.phases.filter((p) => p.name !== 'total').map((p) => `${p.name} ${p.ms.toFixed(1)}`).join(', ')}; in-process total ${ms(m.phases.find((p) => p.name === 'total')?.ms ?? 0)}, exit ${ms(m.wallMs - (m.phases.find((p) => p.name === 'total')?.ms ?? 0))}`);
      const verifier = m.phases.find((p) => p.name === 'safety verifier')?.ms ?? 0;
      lines.push(`  outside the safety verifier: ${ms(m.wallMs - verifier)} (${(((m.wallMs - verifier) / m.wallMs) * 100).toFixed(0)} % of the wall time)`);
      lines.push(check.problem ? `  output: WRONG: ${check.problem}` : `  output: XDP_TX, IPIP to real ${check.real}, ${(first.stdout.length / 1e6).toFixed(1)} MB of JSON; ${check.kernel}`);
      const note = fromSourceNote(first);
      if (note) lines.push(`  ${note}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2);
  const val = (name: string) => {
    const i = a.indexOf(name);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const engines = a.flatMap((x, i) => (x === '--engine' && a[i + 1] ? [a[i + 1]!] : []));
  const opts: KatranBenchOptions = { ...(val('--object') ? { object: val('--object')! } : {}), ...(val('--runs') ? { runs: Number(val('--runs')) } : {}), ...(engines.length ? { engines } : {}) };
  console.log(`katran balancer test-run, one packet, one VIP with three reals (fresh process per run; load average ${loadavg()[0]!.toFixed(1)})`);
  for (const l of runKatranBench(opts)) console.log(`  ${l}`);
}
