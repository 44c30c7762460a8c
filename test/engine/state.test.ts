// The state block is the whole execution: a run punted inside a bpf-to-bpf callee (depth 1, a frame
// record, two stack frames, r6-r9 live in the caller, the PRNG half used) and resumed on another core
// slot gives exactly the r0 of the same program run whole on a fresh device — computed here by hand
// from the xorshift32 sequence as well.
import { describe, expect, it } from 'vitest';
import { assemble } from '../../offload/isa/index.ts';
import { Arena } from '../../firmware/arena.ts';
import { EXIT } from '../../firmware/engine.ts';
import { funcPointer } from '../../firmware/layout.ts';
import { F_PROG, F_RET_PC, FRAME_WORDS, S_BUDGET, S_DEPTH, S_FRAMES, S_PC, S_PROG } from '../../firmware/state.ts';
import { interpreter } from '../../firmware/vm/engine.ts';
import { predecode, withPunts } from '../../firmware/vm/interpreter.ts';
import { XdpCore } from '../../firmware/xdp/core.ts';

const SRC = `
  call 7
  r6 = r0
  *(u64 *)(r10 - 8) = r0
  call sub
  r7 = *(u64 *)(r10 - 8)
  r0 ^= r7
  r0 += r6
  exit
sub:
  r1 = 5
  *(u64 *)(r10 - 16) = r1
  call 7
  r2 = *(u64 *)(r10 - 16)
  r0 += r2
  exit`;
const PUNT_PC = 10; // the second bpf_get_prandom_u32, inside sub
const SEED = 12345;

function xorshift(seed: number, n: number): number[] {
  const out: number[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.push(x >>> 0);
  }
  return out;
}

function device(): { arena: Arena; nic: XdpCore; host: XdpCore; prog: ReturnType<typeof predecode> } {
  const arena = Arena.create([], { cores: 2, cpus: 1 });
  const prog = predecode(assemble(SRC, { syntax: 'llvm' }), 'steps', undefined, 512, { id: 1 });
  const nic = new XdpCore(arena, 0, { seed: SEED });
  const host = new XdpCore(arena, 1, { seed: 999 });
  nic.programs[1] = withPunts(prog, [PUNT_PC]);
  host.programs[1] = prog;
  nic.buf.reset(new Uint8Array(64));
  return { arena, nic, host, prog };
}

describe('state block', () => {
  it('a punt inside a callee resumes on another slot with the frame chain, stack, budget and PRNG', () => {
    const [a, b] = xorshift(SEED, 2);
    // r0 = (b + 5) ^ a + a, in 64-bit arithmetic on unsigned 32-bit values.
    const expected = ((((BigInt(b!) + 5n) ^ BigInt(a!)) + BigInt(a!)) & 0xffffffffffffffffn);

    const whole = device();
    whole.nic.programs[1] = whole.prog;
    expect(interpreter.run(whole.nic, 1)).toBe(EXIT.exit);
    const r0 = (BigInt(whole.nic.hi[0]! >>> 0) << 32n) | BigInt(whole.nic.lo[0]! >>> 0);
    expect(r0).toBe(expected);
    const wholeExecuted = whole.nic.executed;

    const { arena, nic, host } = device();
    expect(interpreter.run(nic, 1)).toBe(EXIT.punt);
    const w = nic.blocks.state.words;
    expect(w[S_PC]).toBe(PUNT_PC);
    expect(w[S_PROG]).toBe(1);
    expect(w[S_DEPTH]).toBe(1);
    expect(w[S_FRAMES + F_RET_PC]).toBe(4); // after `call sub` at pc 3
    expect(w[S_FRAMES + F_PROG]).toBe(1);
    expect(w[S_FRAMES + FRAME_WORDS + F_RET_PC]).toBe(0); // no second record in use
    const left = w[S_BUDGET]!;
    arena.copyCore(0, 1);
    expect(interpreter.resume(host)).toBe(EXIT.exit);
    expect((BigInt(host.hi[0]! >>> 0) << 32n) | BigInt(host.lo[0]! >>> 0)).toBe(expected);
    expect(nic.executed + host.executed).toBe(wholeExecuted);
    expect(host.blocks.state.words[S_BUDGET]).toBe(left - host.executed);
  });

  it('a punt inside a helper callback faults instead of losing the callback', () => {
    const src = `
  r1 = 1
  r2 = 0 ll
  r3 = 0
  r4 = 0
  call 181
  exit
cb:
  r0 = 0
  exit`;
    const arena = Arena.create([], { cores: 1, cpus: 1 });
    const slots = assemble(src, { syntax: 'llvm' });
    // The lddw at pc 1 is the callback's address (BPF_PSEUDO_FUNC): cb starts at pc 7.
    const prog = predecode(slots, 'loop', (insn, pc) => (pc === 1 ? funcPointer(7) : { lo: insn.imm, hi: insn.imm2 }), 512, { id: 1 });
    const core = new XdpCore(arena, 0);
    core.programs[1] = withPunts(prog, [7]);
    core.buf.reset(new Uint8Array(64));
    expect(interpreter.run(core, 1)).toBe(EXIT.fault);
    expect(core.fault!.faultCode).toBe('fault.punt');
    core.programs[1] = prog;
    expect(interpreter.run(core, 1)).toBe(EXIT.exit);
    expect(core.lo[0]).toBe(1); // one iteration
  });
});
