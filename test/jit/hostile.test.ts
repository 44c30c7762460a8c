// Hostile or mis-verified programs on the JIT (run unverified, as `test-run --no-verify` would): every
// access outside the regions the interpreter allows faults at the same pc with the same code and
// message as on the interpreter, and the JIT writes nothing the interpreter does not: the device's
// whole arena (maps, stack, packet) is byte-identical after both runs. Wasm's own bounds keep even a
// forged 32-bit address inside the arena's memory; the region checks keep it inside the region.
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import { EXIT } from '../../firmware/engine.ts';
import { CORE_STATE } from '../../firmware/arena.ts';
import { STATE_BYTES } from '../../firmware/state.ts';
import { objectOf, runOnBoth } from './diff.ts';
import { readFuzzFixture } from '../verifier/fuzz-fixture.ts';

const fx = readFuzzFixture(new URL('../fixtures/verifier/fuzz.json.gz', import.meta.url));
const PKT = `ldxw %r2, [%r1+0]\n`;
const CASES: [string, string][] = [
  ['a forged pointer past the end of a map', `lddw %r3, 0x7f13000fffff00\nstxdw [%r3+0], %r3\nexit`],
  ['a pointer into no region', `lddw %r3, 0x7fff00000010\nldxdw %r0, [%r3+0]\nexit`],
  ['below the packet', `${PKT}stb [%r2-300], 1\nmov %r0, 2\nexit`],
  ['past the packet end', `${PKT}ldxdw %r0, [%r2+4000]\nexit`],
  ['an offset that would wrap 32 bits', `lddw %r3, 0x7f12fffffff0\nldxb %r0, [%r3+32]\nexit`],
  ['below the current stack frame', `stdw [%r10-520], 7\nmov %r0, 2\nexit`],
  ['above the stack', `mov %r3, %r10\nadd %r3, 8\nldxdw %r0, [%r3+0]\nexit`],
  ['a store into the context', `stw [%r1+0], 0\nmov %r0, 2\nexit`],
  ['a bad context field size', `ldxb %r0, [%r1+1]\nexit`],
  ['a context field out of range', `ldxw %r0, [%r1+24]\nexit`],
  ['an atomic on the context', `mov %r0, 1\nlock add [%r1+0], %r0\nexit`],
  ['a misaligned atomic', `stdw [%r10-16], 0\nmov %r0, 1\nlock add [%r10-12], %r0\nexit`],
  ['a write through a map-object pointer', `lddw %r3, 0x7f0000000000\nstxdw [%r3+0], %r3\nexit`],
  ['a packet write before faulting', `${PKT}stb [%r2+0], 0x42\nstb [%r2-300], 1\nexit`],
  ['recursion past 8 frames', `call local f\nexit\nf:\ncall local f\nexit`],
  ['an endless loop (budget)', `mov %r0, 0\nloop:\nadd %r0, 1\nja loop`],
];

describe('hostile programs on the JIT', () => {
  it.each(CASES)('%s', (_name, src) => {
    const spec = objectOf(assembleBytes(src, { syntax: 'ubpf' }), fx);
    const { coreI, coreJ, ki, kj, objI, objJ } = runOnBoth(spec, Uint8Array.from({ length: 60 }, (_, i) => i), 20_000);
    expect(kj).toBe(ki);
    expect(ki).toBe(EXIT.fault);
    expect(coreJ.fault!.faultCode).toBe(coreI.fault!.faultCode);
    expect(coreJ.fault!.pc).toBe(coreI.fault!.pc);
    expect(coreJ.fault!.message).toBe(coreI.fault!.message);
    expect(coreJ.fault!.site).toEqual(coreI.fault!.site);
    // Everything but the state block (which keeps stale registers differently) is identical.
    const a = new Uint8Array(objI.arena.sab);
    const b = new Uint8Array(objJ.arena.sab);
    const s = coreI.blocks.base + CORE_STATE;
    expect(Buffer.compare(a.subarray(0, s), b.subarray(0, s))).toBe(0);
    expect(Buffer.compare(a.subarray(s + STATE_BYTES), b.subarray(s + STATE_BYTES))).toBe(0);
  });
});
