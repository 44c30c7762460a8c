// Rules whose programs the safety verifier refuses: writes to xdp_md (the kernel allows only
// rx_queue_index, and only for a program loaded for a NIC: xdp_is_valid_access), ctx accesses other
// than 4 bytes, and legacy packet loads (refused for XDP). Where the verdict is `rejected` end to end,
// the rules themselves are checked on facts written by hand (r1 = ctx at the store).
import { describe, expect, it } from 'vitest';
import { type CheckResult, checkWithFacts } from '../../offload/capability/index.ts';
import { PROLOGUE } from './programs.ts';
import { asmObject, checkAsm, handFacts, profile, withKey } from './helpers.ts';

const agilio = profile('agilio-cx');
const host = profile('host-x86');
const ctxAt = (pc: number) => handFacts({ [pc]: { 1: { kinds: ['ctx'], var: { value: 0n, mask: 0n }, varConstEveryVisit: true, umin: 0n, umax: 0n } } });
// Hand-written facts leave r0 unknown at the exit: leave the action warnings out.
const errors = (r: CheckResult) => r.findings.filter((f) => f.severity !== 'warning');
const withFacts = (text: string, p = agilio, pc = 1) => {
  const { spec, program } = asmObject(text);
  return errors(checkWithFacts(spec, program, { name: p.name, profile: p }, ctxAt(pc)));
};

describe('rules behind a safety rejection', () => {
  const queue = 'r2 = 1\n*(u32 *)(r1 + 16) = r2\nr0 = 2\nexit';
  const ifindex = 'r2 = 1\n*(u32 *)(r1 + 12) = r2\nr0 = 2\nexit';

  it('end to end: rx_queue_index is writable only when the program is loaded for a NIC', () => {
    // agilio-cx is `kind: offload`: verified as an offloaded program, then QUEUE_SELECT allows it
    expect(checkAsm(queue, agilio)).toMatchObject({ verdict: 'offload', findings: [] });
    // host-x86 runs the program in the driver, and hXDP's own loader takes programs verified as
    // ordinary XDP programs (offload.loader: device): the kernel refuses every ctx write
    for (const p of [host, profile('hxdp')]) {
      const r = checkAsm(queue, p);
      expect(r.verdict, p.name).toBe('rejected');
      expect(r.rejected).toMatchObject({ message: 'invalid bpf_context access off=16 size=4', pc: 1 });
      expect(r.findings).toEqual([]);
    }
    // other fields stay read-only even for a NIC
    expect(checkAsm(ifindex, agilio)).toMatchObject({ verdict: 'rejected', rejected: { message: 'invalid bpf_context access off=12 size=4', pc: 1 } });
  });

  it('ctx.write: rx_queue_index is writable on agilio-cx (QUEUE_SELECT), other fields are not', () => {
    expect(withFacts(queue)).toEqual([]);
    expect(withFacts(ifindex)).toMatchObject([{ code: 'ctx.write', pc: 1, profile_key: 'offload.ctx.write', message: 'unsupported store to context field' }]);
  });

  it('ctx.write: without QUEUE_SELECT the driver says so', () => {
    const noQueue = withKey(agilio, 'offload.ctx.write', []);
    expect(withFacts(queue, noQueue)).toMatchObject([{ code: 'ctx.write', message: 'queue selection not supported by FW' }]);
  });

  it('ctx.access_sizes', () => {
    const read = 'r0 = *(u32 *)(r1 + 0)\nr0 = 2\nexit';
    expect(withFacts(read, host, 0)).toEqual([]);
    expect(withFacts(read, withKey(host, 'offload.ctx.access_sizes', [8]), 0)).toMatchObject([{ code: 'ctx.read', profile_key: 'offload.ctx.access_sizes' }]);
  });

  it('legacy packet loads: refused for XDP by the kernel; the rule on hand-written facts', () => {
    const text = 'r6 = r1\nr0 = *(u8 *)skb[0]\nr0 = 2\nexit';
    expect(checkAsm(text, host).verdict).toBe('rejected');
    const { spec, program } = asmObject(text);
    const run = (p = host) => checkWithFacts(spec, program, { name: p.name, profile: p }, handFacts({}));
    expect(errors(run())).toMatchObject([{ code: 'isa.ld_abs', pc: 1, profile_key: 'offload.isa.legacy_packet_loads' }]);
    expect(errors(run(agilio))).toEqual([]); // the nfp JIT has LD_ABS/IND (for TC)
    expect(run(agilio).nic_by_class.ld_abs).toBe(6);
  });
});

describe('action keys', () => {
  it('each return code the hardware maps elsewhere is a warning at the exit', () => {
    const p = withKey(withKey(host, 'offload.actions.tx', 'drop'), 'offload.actions.aborted', 'drop');
    // r0 in [0, 3] at the exit (pc 9); 2 (pass) on the short-packet path
    const r = checkAsm(`${PROLOGUE}\nr0 = *(u8 *)(r2 + 0)\nr0 &= 3\nout:\nexit`, p);
    expect(r.verdict).toBe('offload');
    expect(r.findings.map((f) => [f.code, f.pc, f.profile_key])).toEqual([
      ['action.aborted', 9, 'offload.actions.aborted'],
      ['action.tx', 9, 'offload.actions.tx'],
    ]);
    expect(checkAsm('r0 = 1\nexit', p).findings).toEqual([]);
  });
});
