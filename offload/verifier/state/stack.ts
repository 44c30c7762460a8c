// Stack slots (struct bpf_stack_state): 8-byte slots indexed by spi (fp-8..fp-1 is spi 0). Each
// byte has a type, in the kernel's order: slot_type[i] describes the byte at fp - (8*spi + i + 1),
// so byte 7 is the lowest address of the slot (where an 8-byte spill starts).
// Slots are immutable values shared between states; writes replace them.
import type { Reg } from '../domain/reg.ts';

export const ST = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3, DYNPTR: 4, ITER: 5 } as const;
export const SLOT_CHAR = ['?', 'r', 'm', '0', 'd', 'i'];

/** dynptr_type_str: the name of a dynptr kind (1 local, 2 ringbuf, 4 xdp), as messages and the log print it. */
export function dynptrTypeStr(kind: number): string {
  return kind === 1 ? 'local' : kind === 2 ? 'ringbuf' : kind === 4 ? 'xdp' : '<invalid>';
}

/** 8 byte types packed 3 bits each (byte i at bits 3i..3i+2), and the spilled register if any. */
export class Slot {
  constructor(
    readonly types: number,
    readonly spilled: Reg | null,
  ) {}

  typeAt(i: number): number {
    return (this.types >> (3 * i)) & 7;
  }
  /** is_spilled_reg: the last byte (lowest address) holds a spill. */
  isSpilled(): boolean {
    return this.typeAt(7) === ST.SPILL;
  }
}

export const EMPTY_SLOT = new Slot(0, null);

export function packTypes(t: number): number {
  return t * 0o11111111;
}
export const ALL_MISC = packTypes(ST.MISC);
export const ALL_ZERO = packTypes(ST.ZERO);
export const ALL_SPILL = packTypes(ST.SPILL);

export function withType(types: number, i: number, t: number): number {
  return (types & ~(7 << (3 * i))) | (t << (3 * i));
}

/** The slot index (spi) and byte index of stack offset `off` (negative). */
export function spiOf(off: number): number {
  return ((-off - 1) / 8) | 0;
}
export function byteOf(off: number): number {
  return (-off - 1) % 8;
}

export function typesString(s: Slot): string {
  let out = '';
  for (let i = 0; i < 8; i++) out += SLOT_CHAR[s.typeAt(i)];
  return out;
}
