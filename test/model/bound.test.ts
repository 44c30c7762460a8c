// The static bound on hand-computed programs: host-x86's cost section with every class at one
// cycle, the memory latencies and helper cycles set below, so each expected cycle count is the sum
// written in the test.
import { describe, expect, it } from 'vitest';
import { staticBound } from '../../nic/model/bound.ts';
import { asmObject, checkAsm, profile, withKey } from '../capability/helpers.ts';
import type { Profile } from '../../nic/profile/index.ts';

function costProfile(): Profile {
  let p = profile('host-x86');
  p = withKey(p, 'cost.cpi', 1);
  p = withKey(p, 'cost.cycles', {});
  p = withKey(p, 'cost.per_packet_cycles', 10);
  p = withKey(p, 'cost.action_cycles', { aborted: 0, drop: 0, pass: 0, tx: 0, redirect: 0 });
  p = withKey(p, 'cost.memory_latency', { stack: 3, ctx: 5, packet: 7, map_value: 11 });
  p = withKey(p, 'cost.helper_cycles', { default: 100 });
  p = withKey(p, 'cores.count', 2);
  p = withKey(p, 'cores.clock_mhz', 1000);
  p = withKey(p, 'cores.threads_per_core', 1);
  return p;
}

const bound = (text: string, p = costProfile()) => {
  const { program } = asmObject(text);
  return staticBound(p, program, checkAsm(text, p));
};

describe('static bound, hand-computed', () => {
  it('straight-line code: one cycle per instruction plus the fixed cost', () => {
    // 2 instructions + 10 fixed = 12 cycles at 1 GHz: 83.33 Mpps per core, 166.7 on 2 cores, but
    // the 100 G port carries 64-byte frames at 1e5 / (84 * 8) = 148.8 Mpps
    const b = bound('r0 = 2\nexit');
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.compute).toBe(12);
    expect(b.total).toBe(12);
    expect(b.mpps_per_core).toBeCloseTo(1000 / 12, 9);
    expect(b.line_rate_mpps).toBeCloseTo(1e5 / 672, 9);
    expect(b.mpps).toBeCloseTo(1e5 / 672, 9);
  });

  it('branches: the longer side counts, memory stalls by region', () => {
    // pc0 r2 = ctx->data (ldx ctx: 1 + 5 stall); pc1 if r2 == 0 goto +3; pc2..4: three movs; pc5 r0 = 2; pc6 exit
    // long path: 0,1,2,3,4,5,6 = 7 compute + 5 stall + 10 fixed
    const b = bound('r2 = *(u32 *)(r1 + 0)\nif r2 == 0 goto +3\nr3 = 1\nr4 = 1\nr5 = 1\nr0 = 2\nexit');
    expect(b.ok && [b.compute, b.total]).toEqual([17, 22]);
  });

  it('helper calls cost their profile cycles', () => {
    // r0 = bpf_get_prandom_u32() (helper 7: 100 cycles) ; r0 = 2 ; exit: 3 + 100 + 10
    const b = bound('call 7\nr0 = 2\nexit');
    expect(b.ok && b.compute).toBe(113);
  });

  it('a bounded loop costs its body times the verifier\'s visits', () => {
    // r1 = 0; loop: r1 += 1; if r1 < 4 goto loop; r0 = 2; exit
    // the verifier walks the loop body 4 times (r1 = 1..4 are distinct states): 2 insns x 4 visits
    // = 8, plus r1 = 0, r0 = 2, exit = 3, plus 10 fixed = 21
    const b = bound('r1 = 0\nr1 += 1\nif r1 < 4 goto -2\nr0 = 2\nexit');
    expect(b.ok && b.compute).toBe(21);
  });

  it('bpf-to-bpf calls cost their callee', () => {
    // main: call sub (1) ; exit (1); sub: r0 = 2 (1) ; exit (1): 4 + 10
    const b = bound('call pc+1\nexit\nr0 = 2\nexit');
    expect(b.ok && b.compute).toBe(14);
  });

  it('threads hide stalls, not compute', () => {
    // 4 ctx loads (1 + 5 each) + r0 = 2 + exit + 10 = 16 compute, 20 stall: with 4 threads a core is
    // busy max(16, 36 / 4) = 16 cycles
    const text = 'r2 = *(u32 *)(r1 + 0)\nr2 = *(u32 *)(r1 + 4)\nr2 = *(u32 *)(r1 + 0)\nr2 = *(u32 *)(r1 + 4)\nr0 = 2\nexit';
    const b = bound(text, withKey(costProfile(), 'cores.threads_per_core', 4));
    expect(b.ok && [b.compute, b.total, b.occupancy]).toEqual([16, 36, 16]);
  });

  it('the packet pays the costliest action the device may carry out', () => {
    // r0 = 2 ; exit + 10 fixed + max(tx 7, redirect 30) = 42
    const b = bound('r0 = 2\nexit', withKey(costProfile(), 'cost.action_cycles', { aborted: 0, drop: 1, pass: 2, tx: 7, redirect: 30 }));
    expect(b.ok && b.compute).toBe(42);
  });

  it('no bound where the verifier does not bound the running time', () => {
    const b = bound('r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 2\nexit\nr0 = 0\nexit');
    expect(b.ok).toBe(false);
  });
});
