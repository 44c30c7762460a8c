// core.executed on a faulting packet, the interpreter being the reference: its budget lives in a
// local of the instruction loop and reaches the state block only at helper and kfunc calls (and at
// exhaustion), so a fault reports the instructions counted up to the last helper call before it (0
// without one; the whole budget when it ran out). The JIT writes its budget at the same points
// (every helper call, compiled in or not) and at the start of each run; `nicsim run` adds these
// counts into its NIC instruction totals. Checked with run() and with a batch (runBatch).
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { objectOf } from './diff.ts';
import { readFuzzFixture } from '../verifier/fuzz-fixture.ts';

const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));
const BAD = 'stdw [%r10-520], 7';
const CASES: [string, string][] = [
  ['a fault without a helper call', `mov %r0, 1\nadd %r0, 1\n${BAD}\nexit`],
  ['a fault after a helper call (the table)', `mov %r6, 3\ncall 7\nadd %r6, 1\nadd %r6, 1\n${BAD}\nexit`],
  ['a fault after bpf_get_prandom_u32 (compiled in)', `mov %r6, 3\ncall 7\ncall 7\nadd %r6, 1\n${BAD}\nexit`],
  ['a fault after a compiled-in map lookup', `stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, 0x7f0000000000\ncall 1\nadd %r0, 1\n${BAD}\nexit`],
  ['a fault after bpf_csum_diff', `mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nmov %r5, 0\ncall 28\nmov %r0, 1\n${BAD}\nexit`],
  ['a fault in a bpf-to-bpf callee after a helper call', `call 7\ncall local f\nexit\nf:\nmov %r0, 1\n${BAD}\nexit`],
  ['a fault in a loop after helper calls', `mov %r6, 0\nloop:\ncall 7\nadd %r6, 1\njlt %r6, 3, loop\n${BAD}\nexit`],
  ['an endless loop (the budget)', `mov %r0, 0\nloop:\nadd %r0, 1\nja loop`],
];

function run(src: string, budget: number, batch: boolean) {
  const spec = objectOf(assembleBytes(src, { syntax: 'ubpf' }), fx);
  const out: number[][] = [];
  for (const jit of [false, true]) {
    const obj = loadForRun(spec, { cpus: 1 });
    const core = coreFor(obj, 0);
    core.budget = budget;
    const id = obj.programs[0]!.id;
    const e = jitEngine(compileJit(obj.programs, mapBoundsOf(core)));
    expect(e.code.unsupported).toBeNull();
    const row: number[] = [];
    for (let i = 0; i < 2; i++) {
      core.buf.reset(Uint8Array.from({ length: 60 }, (_, j) => j));
      if (jit && batch) row.push(e.runBatch(core, id, 3), core.executed);
      else row.push(jit ? e.run(core, id) : interpreter.run(core, id), core.executed);
    }
    out.push(row);
  }
  return out;
}

describe('instructions counted on a faulting packet', () => {
  it.each(CASES)('%s: the interpreter\'s count', (_n, src) => {
    const [i, j] = run(src, 10_000, false);
    expect(i![0]).toBe(EXIT.fault);
    expect(j).toEqual(i);
  });
  it.each(CASES)('%s: in a batch, the interpreter\'s count', (_n, src) => {
    const [i, j] = run(src, 10_000, true);
    // the batch stops at its first packet (0 done), counting what the interpreter counts
    expect([j![0], j![1], j![2], j![3]]).toEqual([0, i![1], 0, i![3]]);
  });
  it.each(CASES)('%s: at every budget', (_n, src) => {
    for (let budget = 0; budget <= 24; budget++) {
      const [i, j] = run(src, budget, false);
      expect([budget, j]).toEqual([budget, i]);
    }
  });
});

describe('bpf-to-bpf call depth', () => {
  // Regression: the JIT refused the call into the eighth frame (the interpreter's and the kernel's
  // limit is eight frames: the call from the eighth faults).
  const chain = (n: number) => `mov %r0, 0\n${Array.from({ length: n }, (_, i) => `call local f${i}\nexit\nf${i}:\nadd %r0, 1\n`).join('')}exit`;
  it.each([[7, EXIT.exit], [8, EXIT.fault]] as const)('%i nested calls', (n, kind) => {
    const [i, j] = run(chain(n), 10_000, false);
    expect(i![0]).toBe(kind);
    expect(j).toEqual(i);
  });
});
