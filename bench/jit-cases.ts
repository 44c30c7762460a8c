// Per-case JIT timings of one or more examples: `test-run --engine jit` ns per packet (best of TRIES
// runs of --repeat N) next to the kernel's recorded number (test/fixtures/bench/kernel-xdp.json), so
// a change to the translator can be judged case by case. bench/jit.ts is the summary.
// Run: npx tsx bench/jit-cases.ts xdp_echo[,xdp_count...] [--repeat N] [--tries N] [--cases SUBSTR,...] [--marginal]
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../nic/cli/main.ts';

const ROOT = new URL('../', import.meta.url).pathname;

interface Case {
  name: string;
  object: string;
  program: string;
  data_in: string;
  map_updates: string[];
  tail_calls: string[];
  before: string[];
  possible_cpus: number;
  expected: object;
}

/** test-run's own duration_ns (whole ns), or with `marginal` the wall-time difference of --repeat 3N and N over 2N (fractional, warm-up and set-up cancel out). */
async function jitNs(c: Case, repeat: number, tmp: string, tries: number): Promise<number> {
  let best = Infinity;
  if (!marginal) {
    for (let t = 0; t < tries; t++) best = Math.min(best, await testRunNs(c, repeat, tmp));
    return best;
  }
  const wall = async (r: number) => {
    const t0 = process.hrtime.bigint();
    await testRunNs(c, r, tmp);
    return Number(process.hrtime.bigint() - t0);
  };
  let a = Infinity;
  let b = Infinity;
  await wall(1000);
  for (let t = 0; t < tries; t++) {
    a = Math.min(a, await wall(repeat));
    b = Math.min(b, await wall(3 * repeat));
  }
  return (b - a) / (2 * repeat);
}

async function testRunNs(c: Case, repeat: number, tmp: string): Promise<number> {
  const input = join(tmp, 'in.bin');
  writeFileSync(input, Buffer.from(c.data_in, 'hex'));
  const argv = ['test-run', join(ROOT, c.object), '--program', c.program, '--data-in', input, '--repeat', String(repeat), '--cpus', String(c.possible_cpus), '--engine', 'jit', '--json'];
  for (const u of c.map_updates) argv.push('--map-update', u);
  for (const t of c.tail_calls) argv.push('--tail-call', t);
  for (const b of c.before) argv.push('--before', b);
  let out = '';
  const code = await main(argv, { stdout: (t) => void (out += t), stderr: () => {}, stdin: async () => '' });
  if (code !== 0) throw new Error(`test-run ${c.name} exited ${code}`);
  return (JSON.parse(out) as { duration_ns: number }).duration_ns;
}

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const examples = (process.argv[2] ?? 'xdp_echo').split(',');
const repeat = arg('--repeat', 1000000);
const tries = arg('--tries', 3);
const marginal = process.argv.includes('--marginal');
const only = process.argv.includes('--cases') ? process.argv[process.argv.indexOf('--cases') + 1]!.split(',') : null;
const kernel = (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/bench/kernel-xdp.json'), 'utf8')) as { cases: Record<string, { duration_ns: number }> }).cases;
const tmp = mkdtempSync(join(tmpdir(), 'nicsim-jit-cases-'));
try {
  for (const ex of examples) {
    const cases = (JSON.parse(readFileSync(join(ROOT, `test/fixtures/examples/${ex}.json`), 'utf8')) as Case[]).filter((c) => !('error' in c.expected) && (!only || only.some((o) => c.name.includes(o))));
    let logR = 0;
    let n = 0;
    for (const c of cases) {
      const best = await jitNs(c, repeat, tmp, tries);
      const k = kernel[`${ex}/${c.name}`]?.duration_ns;
      if (k) {
        logR += Math.log(best / k);
        n++;
      }
      console.log(`${ex}/${c.name.padEnd(34)} jit ${best.toFixed(marginal ? 2 : 0).padStart(6)} ns  kernel ${String(k ?? '-').padStart(4)} ns  ${k ? (best / k).toFixed(2) : '-'}x`);
    }
    if (n) console.log(`${ex}: geomean jit/kernel ${Math.exp(logR / n).toFixed(2)}x over ${n} cases`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
