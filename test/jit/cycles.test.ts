// Cycle accounting on the JIT (firmware/jit/cycles.ts) against the interpreter's (the reference,
// firmware/vm/interpreter.ts CycleProfile): with the same cost tables, every packet's vm.cycles and
// vm.stall and, at the end, every pc's acc are bitwise the interpreter's. The tables are fractional
// (as a VLIW packing ratio makes them) so that a different order of additions would show. Covered:
// every example with its golden packets (map updates, tail calls, programs run before, repeats as
// one batch), the jit-diff campaign's random programs, hostile programs (faults), every budget of
// small programs (exhaustion: the interpreter finishes), and punts at punt pcs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleBytes, encodeProgram } from '../../offload/isa/index.ts';
import { loadObjectFile, type ObjectSpec, type ProgramSpec } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import type { Engine } from '../../firmware/engine.ts';
import { EXIT } from '../../firmware/engine.ts';
import { S_STATUS } from '../../firmware/state.ts';
import { compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { accessProofs, type AccessProofs } from '../../firmware/jit/proofs.ts';
import type { CycleProfile } from '../../firmware/vm/interpreter.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { ProgArray } from '../../firmware/maps/index.ts';
import { coreFor, type LoadedObject, loadForRun, setSlot } from '../../nic/runtime/load.ts';
import { applyMapUpdate } from '../../nic/runtime/test-run.ts';
import { objectOf, randomPacket, randomProgram, Rng } from './diff.ts';
import { readFuzzFixture } from '../verifier/fuzz-fixture.ts';

const root = new URL('../../', import.meta.url).pathname;
const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));
const MEMORY = Float64Array.from([0.7, 1.3, 2.9, 5.1]);

/** Fractional per-pc costs (packing-ratio style) for every program of `obj`. */
function costs(obj: LoadedObject): (Float64Array | undefined)[] {
  const cost: (Float64Array | undefined)[] = [];
  for (const p of obj.programs) cost[p.id] = Float64Array.from({ length: p.slots.length }, (_, pc) => (((pc * 7 + p.id) % 5) + 1) / 2.5 + (p.slots[pc]?.kind === 'call' ? 7.3 : 0));
  return cost;
}

function profileOf(cost: (Float64Array | undefined)[]): CycleProfile {
  return { cost, acc: cost.map((c) => (c ? new Float64Array(c.length) : undefined)), memory: MEMORY };
}

interface Setup {
  spec: ObjectSpec;
  depths?: Map<string, number>;
  proofs?: Map<string, AccessProofs>;
  prepare?: (obj: LoadedObject) => void;
  punts?: readonly number[];
  budget?: number;
}

/** Loads `s` for one engine: the core with its profile, and the engine (the JIT compiled with the cycle tables). */
function side(s: Setup, jit: boolean) {
  const obj = loadForRun(s.spec, { cpus: 2, ...(s.depths ? { stackDepths: s.depths } : {}), ...(s.proofs ? { accessProofs: s.proofs } : {}) });
  s.prepare?.(obj);
  const core = coreFor(obj, 0);
  if (s.budget !== undefined) core.budget = s.budget;
  if (s.punts) for (const p of obj.programs) core.programs[p.id] = withPunts(p.program, s.punts);
  const cost = costs(obj);
  core.vm.profile = profileOf(cost);
  const progs = obj.programs.map((p) => ({ program: core.programs[p.id]!, slots: p.slots, ...(p.proofs ? { proofs: p.proofs } : {}) }));
  const engine = jit ? jitEngine(compileJit(progs, mapBoundsOf(core), { cycles: { cost, memory: MEMORY } })) : interpreter;
  if (jit) expect((engine as ReturnType<typeof jitEngine>).code.unsupported).toBeNull();
  return { obj, core, engine };
}

/** Runs `runs` (program id, packet, repeat) on one engine; returns per-run cycles/stall and the final acc. */
function trace(s: Setup, jit: boolean, runs: (obj: LoadedObject) => { id: number; packet: Uint8Array; repeat: number }[]) {
  const { obj, core, engine } = side(s, jit);
  const out: string[] = [];
  for (const r of runs(obj)) {
    core.buf.reset(r.packet);
    core.vm.cycles = core.vm.stall = 0;
    let k: number = EXIT.exit;
    if (jit && r.repeat > 1) {
      const e = engine as ReturnType<typeof jitEngine>;
      const done = e.runBatch(core, r.id, r.repeat);
      k = done === r.repeat ? EXIT.exit : core.blocks.state.words[S_STATUS]!;
      out.push(`${done}`);
    } else {
      let done = 0;
      for (; done < r.repeat; done++) {
        k = (engine as Engine).run(core, r.id);
        if (k !== EXIT.exit) break;
      }
      out.push(`${done}`);
    }
    out.push(`${k === EXIT.fault ? 'fault' : 'ok'} ${core.vm.cycles} ${core.vm.stall}`);
  }
  if (jit) (engine as ReturnType<typeof jitEngine>).flushCycles(core);
  return { out, acc: core.vm.profile!.acc };
}

function expectSame(s: Setup, runs: (obj: LoadedObject) => { id: number; packet: Uint8Array; repeat: number }[]): void {
  const a = trace(s, false, runs);
  const b = trace(s, true, runs);
  expect(b.out).toEqual(a.out);
  expect(b.acc.length).toBe(a.acc.length);
  a.acc.forEach((x, id) => expect([id, b.acc[id] ? Array.from(b.acc[id]!) : null]).toEqual([id, x ? Array.from(x) : null]));
}

/** The verifier's depths and proofs of every XDP program of `spec` it accepts. */
function verified(spec: ObjectSpec): Pick<Setup, 'depths' | 'proofs'> {
  const depths = new Map<string, number>();
  const proofs = new Map<string, AccessProofs>();
  for (const p of spec.programs) {
    if (!p.autoload || p.unsupported.length || p.typeName !== 'xdp') continue;
    const v = verifyProgram(spec, p);
    if (!v.accepted || !v.facts) continue;
    depths.set(p.name, v.facts.subprogs[0]!.stackDepth);
    proofs.set(p.name, accessProofs(v.facts));
  }
  return { depths, proofs };
}

interface Case {
  name: string;
  program: string;
  data_in: string;
  repeat: number;
  map_updates: string[];
  tail_calls: string[];
  before: string[];
  expected: object;
}

describe('cycle accounting on the JIT equals the interpreter\'s', () => {
  const dir = join(root, 'test/fixtures/examples');
  const examples = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  it.each(examples)('example %s, every golden packet', (f) => {
    const cases = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as (Case & { object: string })[]).filter((c) => !('error' in c.expected));
    if (!cases.length) return;
    const spec = loadObjectFile(join(root, cases[0]!.object));
    const v = verified(spec);
    for (const c of cases) {
      const s: Setup = {
        spec,
        ...v,
        prepare: (obj) => {
          for (const u of c.map_updates) applyMapUpdate(obj, u);
          for (const t of c.tail_calls) {
            const [map, index, prog] = t.split(':');
            const m = obj.maps[obj.spec.maps.findIndex((x) => x.name === map)]!;
            expect(m).toBeInstanceOf(ProgArray);
            setSlot(m, Number(index), obj.programs.find((p) => p.spec.name === prog)!.id);
          }
        },
      };
      const packet = Uint8Array.from(Buffer.from(c.data_in, 'hex'));
      const idOf = (obj: LoadedObject, name: string) => obj.programs.find((p) => p.spec.name === name)!.id;
      expectSame(s, (obj) => [...c.before.map((b) => ({ id: idOf(obj, b), packet, repeat: 1 })), { id: idOf(obj, c.program), packet, repeat: Math.max(1, c.repeat) }, { id: idOf(obj, c.program), packet, repeat: 3 }]);
    }
  });

  it('the jit-diff campaign\'s random programs (generated and kernel-accepted fuzz programs)', () => {
    const rng = new Rng(20261205);
    const accepted = fx.programs.filter((p) => p[1][0]).map((p) => Uint8Array.from(Buffer.from(p[0], 'hex')));
    let ran = 0;
    for (let i = 0; i < 60; i++) {
      const fromFixture = i % 2 === 1;
      const bytes = fromFixture ? accepted[rng.int(accepted.length)]! : encodeProgram(randomProgram(rng));
      const spec = objectOf(bytes, fromFixture ? fx : undefined);
      const v = verifyProgram(spec, spec.programs[0] as ProgramSpec);
      if (!v.accepted) continue;
      const packets = Array.from({ length: 4 }, () => randomPacket(rng));
      expectSame({ spec, ...verified(spec) }, (obj) => packets.map((packet, j) => ({ id: obj.programs[0]!.id, packet, repeat: 1 + (j % 2) })));
      ran++;
    }
    expect(ran).toBeGreaterThan(45);
  });

  const HOSTILE = [
    'lddw %r3, 0x7f13000fffff00\nstxdw [%r3+0], %r3\nexit',
    'ldxw %r2, [%r1+0]\nstb [%r2+0], 0x42\nstb [%r2-300], 1\nexit',
    'mov %r0, 1\nlock add [%r1+0], %r0\nexit',
    'stw [%r1+0], 0\nmov %r0, 2\nexit',
    'ldxb %r0, [%r1+1]\nexit',
    'stdw [%r10-16], 0\nmov %r0, 1\nlock add [%r10-12], %r0\nexit',
    'mov %r3, %r10\nadd %r3, -8\nstdw [%r3+0], 3\nldxdw %r0, [%r3+0]\nmov %r3, %r10\nadd %r3, 8\nldxdw %r0, [%r3+0]\nexit',
    'call local f\nexit\nf:\ncall local f\nexit',
    'mov %r6, %r1\nstdw [%r10-8], 1\nldabsb 12\nexit',
    'mov %r0, 1\ncall 7\nstdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nlddw %r3, 0x7fff00000010\nldxdw %r0, [%r3+0]\nexit',
  ];
  it.each(HOSTILE)('a hostile program (faults): %s', (src) => {
    const spec = objectOf(assembleBytes(src, { syntax: 'ubpf' }), fx);
    expectSame({ spec, budget: 20_000 }, (obj) => [{ id: obj.programs[0]!.id, packet: Uint8Array.from({ length: 60 }, (_, i) => i), repeat: 2 }]);
  });

  const SMALL = [
    'ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, out\nstb [%r2+0], 1\nldxb %r0, [%r2+2]\nout:\nmov %r0, 2\nexit',
    'mov %r6, 3\ncall 7\nadd %r6, 1\nmov %r0, %r6\nexit',
    'mov %r1, 5\ncall local f\nadd %r0, 1\nexit\nf:\nmov %r0, %r1\nstdw [%r10-8], 1\nadd %r0, 3\nexit',
    'mov %r0, 0\nloop:\nadd %r0, 1\nstxdw [%r10-8], %r0\njlt %r0, 4, loop\nexit',
    // eight frames, the most the interpreter (and the kernel) allows
    `mov %r0, 0\n${Array.from({ length: 7 }, (_, i) => `call local f${i}\nexit\nf${i}:\nadd %r0, 1\n`).join('')}exit`,
  ];
  it.each(SMALL)('every budget (exhaustion: the interpreter finishes the run): %s', (src) => {
    const spec = objectOf(assembleBytes(src, { syntax: 'ubpf' }));
    for (let budget = 0; budget <= 30; budget++)
      expectSame({ spec, budget }, (obj) => [{ id: obj.programs[0]!.id, packet: Uint8Array.from({ length: 60 }, (_, i) => i), repeat: 2 }]);
  });

  it('punts at punt pcs (the interpreter counts the PUNT it meets)', () => {
    const spec = objectOf(assembleBytes(SMALL[0]!, { syntax: 'ubpf' }));
    for (const pc of [0, 2, 5, 7, 8])
      expectSame({ spec, punts: [pc] }, (obj) => [{ id: obj.programs[0]!.id, packet: Uint8Array.from({ length: 60 }, (_, i) => i), repeat: 2 }]);
  });
});
