// `test-run --timing` / NICSIM_TIMING=1: the split of the wall time goes to stderr, one
// `timing: PHASE MS ms` line per phase in the order they run, and leaves stdout (the JSON) as it is.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run.ts';

let dir = '';
let frame = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nicsim-timing-'));
  frame = join(dir, 'f.bin');
  writeFileSync(frame, Buffer.alloc(64));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = () => ['test-run', 'examples/xdp_count.o', '--program', 'count_protocols', '--data-in', frame, '--json'];
const phases = (err: string) => [...err.matchAll(/^timing: (.+) ([\d.]+) ms$/gm)].map((m) => m[1]);

describe('test-run --timing', () => {
  it('prints every phase in order and the total on stderr, stdout unchanged', async () => {
    const plain = await cli(args());
    const timed = await cli([...args(), '--timing']);
    expect(timed.code).toBe(0);
    expect(phases(plain.err)).toEqual([]);
    // in-process there are no start-up marks, so the split starts at the command
    expect(phases(timed.err)).toEqual(['options and input', 'ELF/BTF load', 'safety verifier', 'map creation', 'map updates', 'JIT compile', 'run', 'results', 'JSON output', 'total']);
    const a = JSON.parse(plain.out) as { duration_ns: number };
    const b = JSON.parse(timed.out) as { duration_ns: number };
    expect({ ...b, duration_ns: 0 }).toEqual({ ...a, duration_ns: 0 });
  });

  it('is also on with NICSIM_TIMING=1, and names the interpreter\'s phase with --engine interp', async () => {
    process.env.NICSIM_TIMING = '1';
    try {
      const r = await cli([...args(), '--engine', 'interp']);
      expect(r.code).toBe(0);
      expect(phases(r.err)).toContain('cores');
      expect(phases(r.err)).not.toContain('JIT compile');
    } finally {
      delete process.env.NICSIM_TIMING;
    }
  });
});
