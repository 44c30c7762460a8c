// State pruning against the kernel on whole programs: for every XDP program of
// test/fixtures/verifier/prune-counts.json (recorded by test/kernel/record-prune-counts.py from the
// 6.18 kernel), nicsim's verdict, processed instructions, max_states_per_insn, total_states and
// peak_states equal the kernel's. The project's examples and the small regression programs of
// test/fixtures/verifier/prune/ are always checked; objects built from
// public code that is not in git (katran, xdp-tools, xdp-tutorial) are checked when a file of the
// same name and sha256 is found in a directory of NICSIM_PRUNE_CORPUS (colon-separated), and skipped
// with a message otherwise. The regression programs' level-2 logs (`--logs`: instruction trace, states,
// precision, stack liveness updates, pruning) equal the kernel's line for line.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setMaxEntries } from '../../offload/elf/configure.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { root } from '../cli/run.ts';
import { normLog } from './log-norm.ts';

interface Entry {
  object: string;
  sha256: string;
  program: string;
  accepted: boolean;
  processed: number;
  max_states_per_insn: number;
  total_states: number;
  peak_states: number;
  /** max_entries given to maps the object leaves at 0 (as its own loader would, --map-size) */
  map_sizes?: Record<string, number>;
}

const fixture = JSON.parse(readFileSync(join(root, 'test/fixtures/verifier/prune-counts.json'), 'utf8')) as { kernel: string; programs: Entry[] };
const dirs = [join(root, 'examples'), join(root, 'examples/workloads'), join(root, 'test/fixtures/verifier/prune'), ...(process.env.NICSIM_PRUNE_CORPUS ?? '').split(':').filter(Boolean)];

const sha = new Map<string, string>();
function find(e: Entry): string | null {
  for (const d of dirs) {
    const p = join(d, e.object);
    if (!existsSync(p)) continue;
    let h = sha.get(p);
    if (!h) sha.set(p, (h = createHash('sha256').update(readFileSync(p)).digest('hex')));
    if (h === e.sha256) return p;
  }
  return null;
}

describe(`pruning statistics vs the kernel (${fixture.kernel})`, () => {
  const missing = new Set<string>();
  for (const e of fixture.programs) {
    const path = find(e);
    if (!path) missing.add(e.object);
    it.skipIf(!path)(`${e.object}:${e.program}${path ? '' : ' (object not found: set NICSIM_PRUNE_CORPUS to its directory)'}`, () => {
      let spec = loadObjectFile(path!, { allowUnsupported: true });
      for (const [map, n] of Object.entries(e.map_sizes ?? {})) spec = setMaxEntries(spec, map, n);
      const r = verifyProgram(spec, e.program, { facts: false });
      const got = { accepted: r.accepted, processed: r.stats.insnsProcessed, max_states_per_insn: r.stats.maxStatesPerInsn, total_states: r.stats.totalStates, peak_states: r.stats.peakStates };
      const want = { accepted: e.accepted, processed: e.processed, max_states_per_insn: e.max_states_per_insn, total_states: e.total_states, peak_states: e.peak_states };
      expect(got).toEqual(want);
    });
  }
  if (missing.size)
    console.warn(`prune-counts: ${missing.size} recorded objects not found (skipped): ${[...missing].join(', ')}; build them and set NICSIM_PRUNE_CORPUS (see test/fixtures/verifier/README.md)`);
});

describe('level-2 logs of the pruning regression programs vs the kernel', () => {
  const dir = join(root, 'test/fixtures/verifier/prune');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.level2.txt'))) {
    it(f, () => {
      const [stem, program] = f.split('.') as [string, string];
      const r = verifyProgram(loadObjectFile(join(dir, `${stem}.o`)), program, { logLevel: 2, facts: false });
      expect(normLog(r.log)).toEqual(normLog(readFileSync(join(dir, f), 'utf8')));
    });
  }
});
