// Kernel functions (kfuncs). nicsim has no kernel BTF, so it knows the kfuncs XDP programs use by
// name: bpf_dynptr_from_xdp (an XDP dynptr over the packet) and the XDP metadata kfuncs, which only
// device-bound programs may call. Anything else is refused.
import { markNotInit } from '../domain/bounds.ts';
import { T } from '../domain/reg.ts';
import { DYNPTR_XDP, processDynptr } from './dynptr.ts';
import type { Env } from './env.ts';
import { checkRegArg, curRegs, markRegUnknown } from './regs.ts';

/** bpf_dev_bound_kfunc_id: kfuncs that need a device-bound (offloaded or dev-bound) program. */
export const DEV_BOUND_KFUNCS = new Set(['bpf_xdp_metadata_rx_timestamp', 'bpf_xdp_metadata_rx_hash', 'bpf_xdp_metadata_rx_vlan_tag']);

export function checkKfuncCall(env: Env): void {
  const name = env.prog.kfuncs.get(env.insnIdx);
  // imm 0 without a name: skipped here, refused after the walk (fixup_kfunc_call)
  if (name === undefined && env.prog.raws[env.insnIdx]!.imm === 0) {
    env.unresolvedKfunc = true;
    return;
  }
  if (name !== 'bpf_dynptr_from_xdp') env.fail('EACCES', `calling kernel function ${name ?? '<unknown>'} is not allowed`);
  const regs = curRegs(env);
  // int bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit)
  checkRegArg(env, 1, 'src');
  if (regs[1]!.type !== T.CTX) env.fail('EINVAL', `arg#0 expected pointer to ctx, but got ${regs[1]!.type === T.SCALAR ? 'scalar' : 'ptr'}`);
  checkRegArg(env, 2, 'src');
  checkRegArg(env, 3, 'src');
  processDynptr(env, 3, true, false, DYNPTR_XDP, 0);
  for (let i = 0; i <= 5; i++) markNotInit(regs[i]!);
  markRegUnknown(regs[0]!);
}
