// The recorded kfunc table (test/fixtures/kfuncs/xdp-kfuncs.json, from Linux 6.18's BTF and verifier by
// test/kernel/record-kfuncs.py) and the safety verifier against it: for every one of the kernel's 203
// kfuncs, a call with all-zero arguments (the recorder's probe program) gets the kernel's own verdict
// and message from nicsim — "calling kernel function X is not allowed" for the 73 XDP may not call, the
// argument, sleepable, reference and lock errors for the others — except the kfuncs nicsim does not
// model, which are refused with a message saying so (never accepted).
import { describe, expect, it } from 'vitest';
import { ABSENT_KFUNCS, allKfuncs, hasFlag, kfuncByName } from '../../offload/btf/kfuncs.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { unmodelled } from '../../offload/verifier/check/kfunc.ts';
import { asmObject } from '../capability/helpers.ts';

const probe = (id: number) => asmObject(['r1 = 0', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'r5 = 0', `call kfunc ${id}`, 'r0 = 0', 'exit'].join('\n'));

describe('the recorded kfunc table', () => {
  it('has the conntrack, metadata, dynptr and pull kfuncs with their registration flags', () => {
    const k = (n: string) => kfuncByName(n)!;
    expect(allKfuncs().length).toBe(203);
    expect(allKfuncs().filter((x) => x.xdp).length).toBe(130);
    expect(k('bpf_xdp_ct_lookup').prototype).toBe('struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz, struct bpf_ct_opts *opts, u32 opts__sz)');
    expect(k('bpf_xdp_ct_lookup').flags).toEqual(['KF_ACQUIRE', 'KF_RET_NULL']);
    expect(hasFlag(k('bpf_ct_insert_entry'), 'KF_RELEASE') && hasFlag(k('bpf_ct_insert_entry'), 'KF_ACQUIRE')).toBe(true);
    expect(k('bpf_ct_release').flags).toEqual(['KF_RELEASE']);
    expect(k('bpf_dynptr_slice').params.map((p) => p.name)).toEqual(['p', 'offset', 'buffer__opt', 'buffer__szk']);
    expect(k('bpf_xdp_pull_data').xdp).toBe(true);
    expect(k('bpf_skb_ct_lookup').xdp).toBe(true); // registered for XDP and SCHED_CLS as one set
    expect(k('bpf_sock_destroy').xdp).toBe(false);
    expect(k('bpf_xdp_metadata_rx_hash').kernelMessage).toBe('metadata kfuncs require device-bound program');
    // this kernel is built without CONFIG_NF_FLOW_TABLE: no bpf_xdp_flow_lookup to resolve
    expect(kfuncByName('bpf_xdp_flow_lookup')).toBeUndefined();
    expect(Object.keys(ABSENT_KFUNCS)).toEqual(['bpf_xdp_flow_lookup']);
  });

  it.each(allKfuncs().map((k) => [k.name, k] as const))('%s: the kernel\'s verdict on a call with zero arguments', (_n, k) => {
    const { spec } = probe(k.btfId);
    const r = verifyProgram(spec, 'prog', { withoutBtf: true, facts: false });
    if (k.xdp && unmodelled(k)) {
      expect(r.accepted).toBe(false);
      expect(r.error!.message).toMatch(/^nicsim does not verify calls of kernel function /);
      return;
    }
    expect(r.accepted).toBe(k.kernelMessage === null);
    expect(r.error?.message ?? null).toBe(k.kernelMessage);
  });
});
