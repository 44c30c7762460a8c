// What a kfunc implementation may touch: the helper host interface (registers, regions, packet,
// clock) plus the host kernel's side of the run (conntrack table, kernel objects, receive metadata).
import type { HelperHost } from '../helpers/host.ts';
import type { KernelSide } from './kernel.ts';

export interface KfuncHost extends HelperHost {
  readonly kernel: KernelSide;
}

/** A kfunc: reads its arguments from r1..r5, writes r0 (nothing for void kfuncs), may fault. */
export type KfuncImpl = (host: KfuncHost, pc: number) => void;
