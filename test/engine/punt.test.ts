// Punt and resume: a NIC core runs a program with PUNT at some pcs; at a punt its state (registers,
// frame chain, budget, stack, packet) is copied to a second core slot, the host path, which resumes
// the full program from that pc. The result (r0, data_out, trace, every map) must equal the kernel's
// answer for the whole program (the golden vectors recorded with bpftool prog run), and the
// instructions executed on both sides must add up to those of an unpunted run: no instruction runs
// twice or is skipped, so every map side effect happens exactly once.
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../nic/profile/index.ts';
import { checkProgram, verifierSafety } from '../../offload/capability/index.ts';
import { findProgram } from '../../offload/elf/index.ts';
import { decodeProgram } from '../../offload/isa/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { S_DEPTH, S_PC, S_PROG } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { withPunts } from '../../firmware/vm/interpreter.ts';
import { coreFor } from '../../nic/runtime/load.ts';
import { applyMapUpdate, dumpMaps, type TestRunStats } from '../../nic/runtime/test-run.ts';
import { goldenCases, loadCase, masked, type OkCase, ROOT, runCase, specOf } from './golden.ts';

const cases = goldenCases();
const stats = (): TestRunStats => ({ nicExecuted: 0, hostExecuted: 0, punted: 0 });

function expectGolden(c: OkCase, got: ReturnType<typeof runCase>, what: string): void {
  expect(got.retval, what).toBe(c.expected.retval);
  expect(got.data_out, what).toBe(c.expected.data_out);
  expect(masked(got.maps, c.mask), what).toEqual(masked(c.expected.maps, c.mask));
  expect(got.trace ?? [], what).toEqual(c.expected.trace ?? []);
}

/** Instruction pcs of a program (the second slot of an lddw is not one). */
function instructionPcs(c: OkCase, program = c.program): number[] {
  const p = findProgram(specOf(c.object), program)!;
  const slots = decodeProgram(p.insns);
  return slots.flatMap((s, pc) => (s ? [pc] : []));
}

describe('punt at hand-chosen pcs and resume on the host path', () => {
  // Every instruction of one case per program, and a spread of pcs for the others.
  const seen = new Set<string>();
  const plan = cases.map((c) => {
    const key = `${c.object}:${c.program}`;
    const all = instructionPcs(c);
    const first = !seen.has(key);
    seen.add(key);
    const step = Math.max(1, Math.floor(all.length / 12));
    return { c, pcs: first ? all : all.filter((_, i) => i % step === 0) };
  });
  it.each(plan.map((p) => [`${p.c.name} (${p.pcs.length} pcs)`, p] as const))('%s', (_n, { c, pcs }) => {
    const whole = stats();
    expectGolden(c, runCase(c, undefined, whole), 'whole');
    let punted = 0;
    for (const pc of pcs) {
      const s = stats();
      const got = runCase(c, new Map([[c.program, [pc]]]), s);
      expectGolden(c, got, `punt at pc ${pc}`);
      expect(s.nicExecuted + s.hostExecuted, `instructions with a punt at pc ${pc}`).toBe(whole.nicExecuted);
      punted += s.punted;
    }
    // The spread must really cross to the host for most cases (the entry pc always punts).
    expect(punted).toBeGreaterThan(0);
  });
});

describe('punt at the capability verifier\'s punt pcs (agilio-cx-fallback, verdict partial)', () => {
  const profile = { name: 'agilio-cx-fallback', profile: loadProfile(`${ROOT}configs/agilio-cx-fallback.yaml`) };
  const partial = ['examples/xdp_echo.o', 'examples/xdp_decap.o', 'examples/xdp_vlan.o'];
  const puntsOf = (object: string, program: string): number[] => {
    const spec = specOf(object);
    const r = checkProgram(spec, findProgram(spec, program)!, profile, verifierSafety);
    expect(r.verdict).toBe('partial');
    return r.punt_pcs;
  };
  for (const object of partial) {
    const mine = cases.filter((c) => c.object === object);
    const programs = [...new Set(mine.map((c) => c.program))].filter((p) => {
      const spec = specOf(object);
      return checkProgram(spec, findProgram(spec, p)!, profile, verifierSafety).verdict === 'partial';
    });
    it(`${object}: every golden case of ${programs.join(', ')} equals the kernel's whole-program answer`, () => {
      let punted = 0;
      for (const program of programs) {
        const punts = new Map([[program, puntsOf(object, program)]]);
        for (const c of mine.filter((x) => x.program === program)) {
          const whole = stats();
          runCase(c, undefined, whole);
          const s = stats();
          expectGolden(c, runCase(c, punts, s), `${c.name} with punts at ${punts.get(program)}`);
          expect(s.nicExecuted + s.hostExecuted).toBe(whole.nicExecuted);
          punted += s.punted;
        }
      }
      expect(punted).toBeGreaterThan(0);
    });
  }

  it('xdp_decap: a map update on the NIC before the punt and a counter on the host after it, each once', () => {
    const punts = puntsOf('examples/xdp_decap.o', 'decap');
    let both = 0;
    for (const c of cases.filter((x) => x.object === 'examples/xdp_decap.o' && x.repeat === 1 && x.before.length === 0)) {
      const obj = loadCase(c);
      for (const u of c.map_updates) applyMapUpdate(obj, u);
      const initial = JSON.stringify(dumpMaps(obj));
      const main = obj.programs.find((p) => p.spec.name === 'decap')!;
      const nic = coreFor(obj, 0, undefined, 0);
      const host = coreFor(obj, 0, undefined, 1);
      nic.programs[main.id] = withPunts(main.program, punts);
      nic.buf.reset(Uint8Array.from(Buffer.from(c.data_in, 'hex')));
      const k = interpreter.run(nic, main.id);
      if (k !== EXIT.punt) continue;
      const w = nic.blocks.state.words;
      expect(punts).toContain(w[S_PC]);
      expect(w[S_PROG]).toBe(main.id);
      expect(w[S_DEPTH]).toBe(0);
      const atPunt = JSON.stringify(dumpMaps(obj));
      obj.arena.copyCore(0, 1);
      expect(interpreter.resume(host)).toBe(EXIT.exit);
      const final = dumpMaps(obj);
      expect(host.action, c.name).toBe(c.expected.retval);
      expect(Buffer.from(host.buf.output()).toString('hex'), c.name).toBe(c.expected.data_out);
      expect(masked(final, c.mask), c.name).toEqual(masked(c.expected.maps, c.mask));
      if (atPunt !== initial && JSON.stringify(final) !== atPunt) both++;
    }
    // At least one VXLAN case inserts into vni_stats on the NIC, then counts T_VXLAN on the host.
    expect(both).toBeGreaterThan(0);
  });
});
