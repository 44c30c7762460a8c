// Shared by the start-up benches (bench/katran.ts, bench/startup.ts): run a command in a fresh process
// several times and take medians of its wall time and of the `timing:` phases that `nicsim test-run
// --timing` prints on stderr (nic/cli/timing.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The compiled CLI, as `nicsim` runs it (nic/nicsim.mjs runs dist/nicsim.js when the build is current). */
export const NICSIM = fileURLToPath(new URL('../nic/nicsim.mjs', import.meta.url));

export interface Run {
  wallMs: number;
  status: number | null;
  stdout: string;
  stderr: string;
  /** `timing: PHASE MS ms` lines, in order. */
  phases: { name: string; ms: number }[];
}

export function runOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, ...env } });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.error) throw p.error;
  const phases = [...p.stderr.matchAll(/^timing: (.+) ([\d.]+) ms$/gm)].map((m) => ({ name: m[1]!, ms: Number(m[2]) }));
  return { wallMs, status: p.status, stdout: p.stdout, stderr: p.stderr, phases };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median wall time and median of every phase over `n` runs (phases in the first run's order). */
export function medianRuns(n: number, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { runs: Run[]; wallMs: number; phases: { name: string; ms: number }[] } {
  const runs = Array.from({ length: n }, () => runOnce(cmd, args, env));
  const names = runs[0]!.phases.map((p) => p.name);
  const phases = names.map((name) => ({ name, ms: median(runs.map((r) => r.phases.find((p) => p.name === name)?.ms ?? 0)) }));
  return { runs, wallMs: median(runs.map((r) => r.wallMs)), phases };
}

/** Says so when nic/nicsim.mjs ran the TypeScript sources (dist/ missing or stale): then the numbers are tsx's. */
export function fromSourceNote(r: Run): string | undefined {
  return /running from the TypeScript sources/.test(r.stderr) ? 'note: dist/ is missing or stale, so these runs compiled TypeScript at start (npm run build first)' : undefined;
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;
