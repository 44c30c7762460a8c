// Small XDP programs in llvm assembly for the capability rule tests. Each builds on a prologue that
// leaves r6 = ctx, r2 = data, r3 = data_end, and 16 readable packet bytes behind r2 (or exits with
// XDP_PASS); `U64` then loads an unknown 64-bit scalar into r5. All are accepted by the safety
// verifier for a privileged loader.
import type { MapDef } from './helpers.ts';

export const PROLOGUE = `
  r6 = r1
  r2 = *(u32 *)(r6 + 0)
  r3 = *(u32 *)(r6 + 4)
  r4 = r2
  r4 += 16
  r0 = 2
  if r4 > r3 goto out
`;
export const EPILOGUE = `
  r0 = 2
out:
  exit
`;
/** r5 = an unknown u64 from the packet. */
export const U64 = 'r5 = *(u64 *)(r2 + 0)';
/** r7 = an unknown u32 from the packet. */
export const U32 = 'r7 = *(u32 *)(r2 + 8)';

export const prog = (...body: string[]) => `${PROLOGUE}\n${body.join('\n')}\n${EPILOGUE}`;

/** A map lookup of key 0 in map 0; r0 = the value or NULL (then the program exits). */
export const LOOKUP = `
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  ld_pseudo r1, 5, 0
  call 1
  if r0 == 0 goto out
`;
export const ARRAY8: MapDef = { name: 'values', type: 'array', key: 4, value: 8, entries: 4 };
export const HASH8: MapDef = { name: 'values', type: 'hash', key: 4, value: 8, entries: 4 };

/** A program with a lookup, then `body`, with map 0 = ARRAY8. */
export const withValue = (...body: string[]) => `${LOOKUP}\n${body.join('\n')}\n${EPILOGUE}`;
