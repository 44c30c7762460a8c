// Punts from the JIT: the NIC core runs the compiled program with punt pcs; at a punt the module saves
// registers, pc, program, depth and the callers' frame records in the state block, test-run copies the
// core to the host path and the interpreter resumes there. The result must equal the kernel's
// answer for the whole program (the golden vectors), and the instructions counted on both sides must
// add up to those of an unpunted run (none runs twice, none is skipped).
import { describe, expect, it } from 'vitest';
import { findProgram } from '../../offload/elf/index.ts';
import { decodeProgram } from '../../offload/isa/index.ts';
import { testRun, type TestRunStats } from '../../nic/runtime/test-run.ts';
import { goldenCases, loadCase, masked, type OkCase, specOf } from '../engine/golden.ts';

const stats = (): TestRunStats => ({ nicExecuted: 0, hostExecuted: 0, punted: 0, returned: 0 });

function run(c: OkCase, engine: 'interp' | 'jit', punts: ReadonlyMap<string, readonly number[]> | undefined, s: TestRunStats) {
  return testRun(
    loadCase(c),
    { program: c.program, dataIn: Uint8Array.from(Buffer.from(c.data_in, 'hex')), repeat: c.repeat, mapUpdates: c.map_updates, tailCalls: c.tail_calls, before: c.before, engine, ...(punts ? { punts } : {}) },
    s,
  );
}

// One case per program (subprograms and tail calls included), a spread of its instruction pcs.
const seen = new Set<string>();
const plan = goldenCases().filter((c) => {
  const k = `${c.object}:${c.program}`;
  if (seen.has(k)) return false;
  seen.add(k);
  return true;
});

describe('punts from the JIT, resumed on the interpreter', () => {
  it.each(plan.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const whole = stats();
    run(c, 'interp', undefined, whole);
    const p = findProgram(specOf(c.object), c.program)!;
    const pcs = decodeProgram(p.insns).flatMap((s, pc) => (s ? [pc] : []));
    const step = Math.max(1, Math.floor(pcs.length / 8));
    let punted = 0;
    for (const pc of pcs.filter((_, i) => i % step === 0)) {
      const s = stats();
      const got = run(c, 'jit', new Map([[c.program, [pc]]]), s);
      const what = `punt at pc ${pc}`;
      expect(got.retval, what).toBe(c.expected.retval);
      expect(got.data_out, what).toBe(c.expected.data_out);
      expect(masked(got.maps, c.mask), what).toEqual(masked(c.expected.maps, c.mask));
      expect(got.trace ?? [], what).toEqual(c.expected.trace ?? []);
      expect(s.nicExecuted + s.hostExecuted, what).toBe(whole.nicExecuted);
      punted += s.punted;
    }
    expect(punted).toBeGreaterThan(0);
  });
});
