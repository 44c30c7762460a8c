// Programs loaded for a NIC (VerifyOptions.offloaded, `nicsim verify --offload`): the kernel's
// xdp_is_valid_access() then accepts a 4-byte store to xdp_md.rx_queue_index (queue selection), by
// STX or, since Linux 6.3, BPF_ST; every other ctx write, atomics on ctx, and pointer stores by a
// loader without CAP_PERFMON stay refused with the kernel's messages. No offload device is available
// to record from (netdevsim is not built into this kernel), so the expectations follow
// net/core/filter.c and kernel/bpf/verifier.c; the non-offloaded verdicts are the recorded corpus
// ones (ctx_write, ctx_write_data).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { asmObject } from '../capability/helpers.ts';
import { cli, root } from '../cli/run.ts';

const corpus = (name: string) => loadObjectFile(join(root, 'test/fixtures/verifier/corpus', `${name}.o`));
const verdict = (text: string, offloaded: boolean, unprivileged = false) => {
  const { spec, program } = asmObject(text);
  const r = verifyProgram(spec, program, { offloaded, unprivileged, facts: false });
  return r.accepted ? 'accepted' : r.error!.message;
};

describe('verifying for a NIC (offloaded)', () => {
  it('ctx->rx_queue_index = 0 (C): refused for the host as recorded, accepted for a NIC', () => {
    const spec = corpus('ctx_write');
    expect(verifyProgram(spec, 'ctx_write', { facts: false }).error?.message).toBe('invalid bpf_context access off=16 size=4');
    expect(verifyProgram(spec, 'ctx_write', { facts: false, offloaded: true }).accepted).toBe(true);
  });

  it('other fields stay read-only', () => {
    const spec = corpus('ctx_write_data');
    expect(verifyProgram(spec, 'ctx_write_data', { facts: false, offloaded: true }).error?.message).toBe('invalid bpf_context access off=0 size=4');
    for (const off of [4, 8, 12, 20]) expect(verdict(`r2 = 1\n*(u32 *)(r1 + ${off}) = r2\nr0 = 2\nexit`, true)).toBe(`invalid bpf_context access off=${off} size=4`);
  });

  it('only 4-byte stores of a scalar (STX or ST)', () => {
    expect(verdict('r2 = 1\n*(u32 *)(r1 + 16) = r2\nr0 = 2\nexit', true)).toBe('accepted');
    expect(verdict('r2 = 1\n*(u16 *)(r1 + 16) = r2\nr0 = 2\nexit', true)).toBe('invalid bpf_context access off=16 size=2');
    expect(verdict('r2 = 1\n*(u64 *)(r1 + 16) = r2\nr0 = 2\nexit', true)).toBe('invalid bpf_context access off=16 size=8');
    expect(verdict('*(u32 *)(r1 + 16) = 1\nr0 = 2\nexit', true)).toBe('accepted');
    expect(verdict('*(u32 *)(r1 + 16) = 1\nr0 = 2\nexit', false)).toBe('invalid bpf_context access off=16 size=4');
    expect(verdict('r2 = 1\nlock *(u32 *)(r1 + 16) += r2\nr0 = 2\nexit', true)).toBe('BPF_ATOMIC stores into R1 ctx is not allowed');
    // a pointer stored into ctx: allowed with CAP_PERFMON (allow_ptr_leaks), a leak otherwise
    expect(verdict('r2 = r10\n*(u32 *)(r1 + 16) = r2\nr0 = 2\nexit', true)).toBe('accepted');
    expect(verdict('r2 = r10\n*(u32 *)(r1 + 16) = r2\nr0 = 2\nexit', true, true)).toBe('R2 leaks addr into ctx');
  });

  it('nicsim verify --offload', async () => {
    const o = join(root, 'test/fixtures/verifier/corpus/ctx_write.o');
    expect((await cli(['verify', o])).code).toBe(1);
    expect((await cli(['verify', o, '--offload'])).code).toBe(0);
  });
});
