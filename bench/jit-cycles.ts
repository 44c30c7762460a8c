// The cost of cycle accounting: ns per packet of one golden packet per example (engine.run per
// packet, the buffer reset each time) on the interpreter with a CycleProfile, the JIT without one,
// and the JIT compiled with the cycle tables (firmware/jit/cycles.ts), best of 5 x 200,000 packets.
// The tables are synthetic (fractional per-pc costs); the speed does not depend on their values.
// Run: npx tsx bench/jit-cycles.ts [xdp_echo,xdp_count,...]
import { readFileSync } from 'node:fs';
import { loadObjectFile } from '../offload/elf/index.ts';
import { verifyProgram } from '../offload/verifier/index.ts';
import { accessProofs } from '../firmware/jit/proofs.ts';
import { compileJit, jitEngine, mapBoundsOf } from '../firmware/jit/engine.ts';
import { interpreter } from '../firmware/vm/engine.ts';
import { coreFor, loadForRun } from '../nic/runtime/load.ts';

const ROOT = new URL('../', import.meta.url).pathname;
interface Case { name: string; program: string; data_in: string; map_updates: string[]; tail_calls: string[]; before: string[]; expected: object }

for (const ex of (process.argv[2] ?? 'xdp_echo,xdp_count,xdp_firewall,xdp_l4lb').split(',')) {
  const spec = loadObjectFile(`${ROOT}examples/${ex}.o`);
  const cases = JSON.parse(readFileSync(`${ROOT}test/fixtures/examples/${ex}.json`, 'utf8')) as Case[];
  const c = cases.find((x) => !('error' in x.expected) && !x.map_updates.length && !x.tail_calls.length && !x.before.length);
  if (!c) continue;
  const p = spec.programs.find((q) => q.name === c.program)!;
  const v = verifyProgram(spec, p);
  const row: string[] = [];
  for (const mode of ['interp', 'jit', 'jit+cycles'] as const) {
    const obj = loadForRun(spec, { cpus: 2, stackDepths: new Map([[p.name, v.facts!.subprogs[0]!.stackDepth]]), accessProofs: new Map([[p.name, accessProofs(v.facts!)]]) });
    const core = coreFor(obj, 0);
    const cost: (Float64Array | undefined)[] = [];
    for (const q of obj.programs) cost[q.id] = Float64Array.from({ length: q.slots.length }, (_, pc) => 1 + (pc % 3) / 2.5);
    const memory = Float64Array.from([1, 2, 3, 5]);
    core.vm.profile = mode === 'jit' ? null : { cost, acc: cost.map((x) => (x ? new Float64Array(x.length) : undefined)), memory };
    const id = obj.programs.find((q) => q.spec.name === c.program)!.id;
    const e = mode === 'interp' ? interpreter : jitEngine(compileJit(obj.programs, mapBoundsOf(core), mode === 'jit+cycles' ? { cycles: { cost, memory } } : {}));
    const pkt = Uint8Array.from(Buffer.from(c.data_in, 'hex'));
    let best = Infinity;
    for (let t = 0; t < 5; t++) {
      const n = 200_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        core.buf.reset(pkt);
        core.vm.cycles = core.vm.stall = 0;
        e.run(core, id);
      }
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
    }
    row.push(`${mode} ${best.toFixed(0)} ns`);
  }
  console.log(`${ex}/${c.name}: ${row.join(', ')}`);
}
