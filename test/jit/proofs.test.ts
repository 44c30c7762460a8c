// The verifier's access proofs on the JIT (firmware/jit/proofs.ts): what accessProofs derives from
// the facts of small programs, and that a *wrong* proof (a mis-verified program: every memory access
// claimed to point into the packet, the stack, a map or the context) never lets the compiled code
// write outside the region it was proved for: the run ends (exit or fault, no other error) and every
// byte of the arena outside that region and the core's state block is what it was before.
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import type { ProgramSpec } from '../../offload/elf/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { CORE_FRAGS, CORE_FRAME, CORE_STACK, CORE_STATE } from '../../firmware/arena.ts';
import { STATE_BYTES } from '../../firmware/state.ts';
import { STACK_BYTES } from '../../firmware/layout.ts';
import { compileJit, jitEngine, mapBoundsOf } from '../../firmware/jit/engine.ts';
import { type AccessProof, accessProofs } from '../../firmware/jit/proofs.ts';
import { coreFor, loadForRun } from '../../nic/runtime/load.ts';
import { objectOf } from './diff.ts';
import { readFuzzFixture } from '../verifier/fuzz-fixture.ts';

const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));

describe('access proofs from the verifier', () => {
  it('names the region of each access on every path: ctx, packet, stack, map value', () => {
    // r2 = data, r3 = data_end; bounds check; a packet load; a stack store through a copy of r10; a
    // map value (array map 0 of the fixture, if it is one) is not involved.
    const src = [
      'ldxw %r2, [%r1+0]',
      'ldxw %r3, [%r1+4]',
      'mov %r4, %r2',
      'add %r4, 8',
      'jgt %r4, %r3, +4',
      'ldxb %r0, [%r2+3]',
      'mov %r5, %r10',
      'stxdw [%r5-8], %r0',
      'ldxdw %r0, [%r10-8]',
      'mov %r0, 2',
      'exit',
    ].join('\n');
    const spec = objectOf(assembleBytes(src, { syntax: 'ubpf' }));
    const v = verifyProgram(spec, spec.programs[0] as ProgramSpec);
    expect(v.accepted).toBe(true);
    const p = accessProofs(v.facts!);
    expect(p[0]).toEqual({ region: 'ctx' });
    expect(p[1]).toEqual({ region: 'ctx' });
    expect(p[5]).toEqual({ region: 'packet' });
    expect(p[7]).toEqual({ region: 'stack' });
    expect(p[8]).toEqual({ region: 'stack' });
    expect(p.filter((x) => x).length).toBe(5);
  });

  it('a modified context pointer is not proved (its fields stay checked)', () => {
    const spec = objectOf(assembleBytes('mov %r0, 2\nexit', { syntax: 'ubpf' }));
    const v = verifyProgram(spec, spec.programs[0] as ProgramSpec);
    expect(accessProofs(v.facts!).filter((x) => x)).toEqual([]);
  });
});

// Programs whose stores and loads go anywhere (run with proofs they do not deserve).
const HOSTILE = [
  'lddw %r3, 0x7f13000fffff00\nstxdw [%r3+0], %r3\nexit',
  'lddw %r3, 0x7fff00000010\nstxdw [%r3+0], %r3\nldxdw %r0, [%r3+0]\nexit',
  'ldxw %r2, [%r1+0]\nstb [%r2-300], 1\nstb [%r2+4000], 1\nmov %r0, 2\nexit',
  'lddw %r3, 0x7f12fffffff0\nstxb [%r3+32], %r3\nexit',
  'mov %r3, %r10\nadd %r3, 8\nstxdw [%r3+0], %r3\nexit',
  'mov %r3, %r10\nadd %r3, -600\nstxdw [%r3+0], %r3\nexit',
  'stw [%r1+0], 0\nmov %r0, 1\nlock add [%r1+0], %r0\nexit',
  'lddw %r3, 0x7f0000000000\nstxdw [%r3+0], %r3\nexit',
  'mov %r3, 0\nstxdw [%r3+0], %r3\nstxdw [%r3-8], %r3\nexit',
  'lddw %r3, 0xffffffff\nmov %r0, 1\nlock add [%r3+0], %r0\nstxdw [%r3+100], %r3\nexit',
  'ldxw %r0, [%r1+0]\nldxw %r3, [%r0+0]\nstxw [%r3+0], %r3\nexit',
];

describe('mis-verified programs with wrong proofs stay inside the proved region', () => {
  const kinds: AccessProof[] = [{ region: 'packet' }, { region: 'stack' }, { region: 'map', map: 0 }, { region: 'ctx' }];
  it.each(kinds.flatMap((k) => HOSTILE.map((src, i) => [`${k.region} #${i}`, k, src] as const)))('%s', (_n, proof, src) => {
    const bytes = assembleBytes(src, { syntax: 'ubpf' });
    const spec = objectOf(bytes, fx);
    // The proof at every pc (only memory instructions read it).
    const proofs = Array.from({ length: bytes.length / 8 }, () => proof);
    const obj = loadForRun(spec, { cpus: 1, accessProofs: new Map([['prog', proofs]]) });
    const core = coreFor(obj, 0);
    core.budget = 10_000;
    const jit = jitEngine(compileJit(obj.programs, mapBoundsOf(core)));
    expect(jit.code.unsupported).toBeNull();
    core.buf.reset(Uint8Array.from({ length: 60 }, (_, i) => i));
    const before = new Uint8Array(obj.arena.sab).slice();
    const k = jit.run(core, obj.programs[0]!.id);
    expect([EXIT.exit, EXIT.fault]).toContain(k);
    const after = new Uint8Array(obj.arena.sab);
    const base = core.blocks.base;
    const allowed: [number, number][] = [[base + CORE_STATE, base + CORE_STATE + STATE_BYTES]];
    // A ctx proof only changes loads (the context is read-only), which return its fields: data and
    // data_end are real packet pointers, so stores through them may write the packet.
    if (proof.region === 'packet' || proof.region === 'ctx') allowed.push([base + CORE_FRAME, base + CORE_FRAGS]);
    if (proof.region === 'stack') allowed.push([base + CORE_STACK, base + CORE_STACK + STACK_BYTES]);
    if (proof.region === 'map') allowed.push([obj.arena.maps[0]!.base, obj.arena.maps[0]!.base + obj.arena.maps[0]!.byteLength]);
    const changed: number[] = [];
    for (let i = 0; i < after.length; i++) if (after[i] !== before[i] && !allowed.some(([a, b]) => i >= a && i < b)) changed.push(i);
    expect(changed).toEqual([]);
  });
});
