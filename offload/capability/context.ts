// What every capability rule sees: the program, the profile, the safety verifier's facts, and a
// sink for findings. Also the few formatting helpers that reproduce the nfp driver's printf output.
import type { ObjectSpec, ProgramSpec } from '../elf/index.ts';
import type { Insn, Slot } from '../isa/index.ts';
import type { Profile } from '../../nic/profile/index.ts';
import type { CapabilityFacts, RegKind, Tnum } from './facts.ts';
import { REG_TYPE_NUMBER } from './facts.ts';
import type { FindingDraft } from './findings.ts';

export interface RuleContext {
  spec: ObjectSpec;
  program: ProgramSpec;
  slots: readonly Slot[];
  profile: Profile;
  facts: CapabilityFacts;
  /** Reachable pcs in ascending order (first slots of instructions only). */
  reachable: readonly number[];
  /** Start pc of the subprogram each pc belongs to. */
  funcOf(pc: number): number;
  report(d: FindingDraft): void;
}

/** C printf `%#x` (and `%#02x`): `0x` + hex, except that zero prints as `0`. */
export function cHex(v: number | bigint): string {
  const b = BigInt(v);
  return b === 0n ? '0' : `0x${b.toString(16)}`;
}

/** The kernel's tnum_strn(): `(%#llx; %#llx)`, value then mask. */
export function tnumStr(t: Tnum): string {
  return `(${cHex(t.value)}; ${cHex(t.mask)})`;
}

/** `%d` of a register type in nfp messages (the kernel's enum bpf_reg_type value). */
export function typeNum(k: RegKind): number {
  return REG_TYPE_NUMBER[k];
}

/** nfp: "instruction %#02x not supported". */
export function nfpOpcode(code: number): string {
  return `instruction ${cHex(code)} not supported`;
}

/** Hex as nicsim prints numbers in its own messages. */
export function hex(v: bigint | number): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}

/** The register a memory instruction accesses memory through, or undefined. */
export function memPtrReg(insn: Insn): number | undefined {
  switch (insn.kind) {
    case 'ldx':
    case 'load_acquire':
      return insn.sreg;
    case 'st':
    case 'stx':
    case 'atomic':
    case 'store_release':
      return insn.dst;
    default:
      return undefined;
  }
}
