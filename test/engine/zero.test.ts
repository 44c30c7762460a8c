// zeroRange: every byte of [from, to) becomes 0 and nothing outside it changes, for every alignment.
import { describe, expect, it } from 'vitest';
import { f64View, zeroRange } from '../../firmware/vm/zero.ts';

describe('zeroRange', () => {
  it('clears exactly [from, to) for all small alignments and lengths', () => {
    const u8 = new Uint8Array(new SharedArrayBuffer(64));
    const f64 = f64View(u8);
    for (let from = 0; from < 24; from++) {
      for (let to = from; to < 48; to++) {
        u8.fill(0xee);
        zeroRange(u8, f64, from, to);
        const want = Array.from({ length: 64 }, (_, i) => (i >= from && i < to ? 0 : 0xee));
        if (u8.some((b, i) => b !== want[i])) expect([...u8], `[${from}, ${to})`).toEqual(want);
      }
    }
  });
});
