// The verifier's instruction view: the ISA IR plus the encodings the ISA decoder rejects but the
// kernel only refuses when (and if) it walks them — with the kernel's message — and the cpu-v4
// load-acquire / store-release atomics.
import type { Insn, RawInsn } from '../../isa/index.ts';

export interface AtomicLoadInsn {
  kind: 'load_acq';
  size: 1 | 2 | 4 | 8;
  dst: number;
  sreg: number;
  off: number;
}
export interface AtomicStoreInsn {
  kind: 'store_rel';
  size: 1 | 2 | 4 | 8;
  dst: number;
  sreg: number;
  off: number;
}
/** An encoding the kernel refuses when it reaches it, with the kernel's message. */
export interface BadInsn {
  kind: 'bad';
  message: string;
  errno: 'EINVAL' | 'EACCES';
}

export type VInsn = Insn | AtomicLoadInsn | AtomicStoreInsn | BadInsn;

/** A decoded slot and its raw fields. */
export interface Slot {
  insn: VInsn;
  raw: RawInsn;
}

export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;
