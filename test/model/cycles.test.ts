// The interpreter's cycle accounting for the cost model: with a CycleProfile attached, each executed
// instruction adds its cost and each memory access its region's stall, per packet and per pc.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../offload/isa/index.ts';
import { type CycleProfile, predecode, Vm } from '../../firmware/vm/interpreter.ts';

function profiled(text: string, cost: number[], memory = [3, 5, 7, 11]): { vm: Vm; prof: CycleProfile; run: () => number } {
  const prog = predecode(assemble(text, { syntax: 'llvm', file: 't.s' }), 't');
  const vm = new Vm();
  const prof: CycleProfile = { cost: [Float64Array.from(cost)], acc: [new Float64Array(cost.length)], memory: Float64Array.from(memory) };
  vm.profile = prof;
  return { vm, prof, run: () => vm.run(prog) };
}

describe('interpreter cycle accounting', () => {
  it('sums the cost of every executed instruction, per packet and per pc', () => {
    // r0 = 0; loop: r0 += 1; if r0 < 3 goto loop; exit: pc0 once, pc1 and pc2 three times, pc3 once
    const { vm, prof, run } = profiled('r0 = 0\nr0 += 1\nif r0 < 3 goto -2\nexit', [1, 10, 100, 1000]);
    expect(run()).toBe(3);
    expect(vm.cycles).toBe(1 + 3 * 10 + 3 * 100 + 1000);
    expect([...prof.acc[0]!]).toEqual([1, 30, 300, 1000]);
    expect(vm.stall).toBe(0);
  });

  it('adds the stall of the region each load and store touches (stack = 3 here)', () => {
    // store and load on the stack: 2 accesses x 3 cycles, attributed to their pcs
    const { vm, prof, run } = profiled('r1 = 7\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit', [1, 1, 1, 1]);
    expect(run()).toBe(7);
    expect(vm.cycles).toBe(4);
    expect(vm.stall).toBe(6);
    expect([...prof.acc[0]!]).toEqual([1, 4, 4, 1]);
  });

  it('costs nothing without a profile', () => {
    const { vm, run } = profiled('r0 = 1\nexit', [5, 5]);
    vm.profile = null;
    run();
    expect([vm.cycles, vm.stall]).toEqual([0, 0]);
  });
});
