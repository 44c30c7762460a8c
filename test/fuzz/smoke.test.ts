// Smoke run of the fuzz campaign inside `npm test` (a few seconds): each target's property over a
// fixed-seed sample of mutated inputs, in process, and the campaign script itself (worker threads,
// heap limit, time bound) for two seconds on one target. The long campaign is test/campaigns/fuzz.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PropertyViolation, targetNamed } from './targets.ts';

const RUNS: Record<string, number> = { elf: 40, decode: 400, asm: 150, profile: 15, verifier: 40, 'verifier-raw': 60, capture: 60, cli: 25 };
const out = mkdtempSync(join(tmpdir(), 'nicsim-fuzz-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('fuzz targets: whatever the input, only typed errors (and the verifier within its bounds)', () => {
  it.each(Object.entries(RUNS))('%s (%i inputs)', async (name, numRuns) => {
    const t = targetNamed(name);
    await fc.assert(
      fc.asyncProperty(t.arbitrary(), async (input) => {
        try {
          await t.run(input);
        } catch (e) {
          if (e instanceof PropertyViolation) throw new Error(`${e.kind}: ${e.message}`);
          throw e;
        }
      }),
      { numRuns, seed: 13 },
    );
  });

  it('the campaign script runs a target in a bounded worker and prints N inputs, C crashes, H hangs', () => {
    const root = new URL('../../', import.meta.url).pathname;
    const text = execFileSync(process.execPath, ['--import', 'tsx', 'test/campaigns/fuzz.ts', '--target', 'decode', '--seconds', '1', '--out', out], { cwd: root, encoding: 'utf8' });
    expect(text).toMatch(/^decode: [1-9]\d* inputs, 0 crashes, 0 hangs/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { target: string; inputs: number }[];
    expect(report[0]!.target).toBe('decode');
  });
});
