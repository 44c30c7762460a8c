// Creating production-size maps: milliseconds and resident memory (RSS growth) to create a
// 16M-entry array, hash, lru_hash and percpu_array, before any use, each in a fresh child process so
// that one measurement does not inherit another's pages. Targets (issue 12): <= 50 ms and <= 16 MB
// resident per map. Run: npx tsx bench/maps-create.ts [--json]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMap } from '../firmware/maps/index.ts';

export interface CreateResult {
  type: string;
  maxEntries: number;
  ms: number;
  rssMB: number;
  regionMB: number;
}

const TYPES = ['array', 'hash', 'lru_hash', 'percpu_array'] as const;
const ENTRIES = 1 << 24;

/** One measurement in this process (call it in a fresh one). */
function measure(type: string): CreateResult {
  const rss0 = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const m = createMap({ name: 'big', type: type as 'array', keySize: 4, valueSize: 8, maxEntries: ENTRIES }, { cpus: 2 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const rssMB = (process.memoryUsage().rss - rss0) / 2 ** 20;
  return { type, maxEntries: ENTRIES, ms: Math.round(ms * 100) / 100, rssMB: Math.round(rssMB * 10) / 10, regionMB: Math.round(m.byteLength / 2 ** 20) };
}

/** Every type, each measured in its own child process. */
export function runMapsCreateBench(): CreateResult[] {
  const self = fileURLToPath(import.meta.url);
  return TYPES.map((t) => JSON.parse(execFileSync(process.execPath, [...process.execArgv, self, '--child', t], { encoding: 'utf8' })) as CreateResult);
}

export function formatMapsCreate(rs: CreateResult[]): string[] {
  return rs.map((r) => `${`${r.type} ${r.maxEntries} entries`.padEnd(30)} ${r.ms.toFixed(2).padStart(8)} ms ${r.rssMB.toFixed(1).padStart(7)} MB resident (of a ${r.regionMB} MB region)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--child');
  if (i > 0) process.stdout.write(JSON.stringify(measure(process.argv[i + 1]!)));
  else if (process.argv.includes('--json')) console.log(JSON.stringify(runMapsCreateBench()));
  else for (const l of formatMapsCreate(runMapsCreateBench())) console.log(l);
}
