// The verifier log's instruction text against the kernel's (test/kernel/record-insn-text.py ->
// test/fixtures/verifier/insn-text.json): every ALU form, loads and stores, atomics, jumps, calls,
// 64-bit immediates and legacy packet loads, as Linux prints them at log_level 2.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rawAt } from '../../offload/isa/decode.ts';
import { kernelInsnText } from '../../offload/verifier/cfg/ktext.ts';

const fx = JSON.parse(readFileSync(new URL('../fixtures/verifier/insn-text.json', import.meta.url), 'utf8')) as {
  kernel: string;
  insns: { hex: string; pc: number; text: string; whole?: boolean }[];
};

describe(`verifier log instruction text vs Linux ${fx.kernel}`, () => {
  it(`${fx.insns.length} instructions`, () => {
    const bad: string[] = [];
    for (const r of fx.insns) {
      const bytes = Uint8Array.from(r.hex.match(/../g)!.map((h) => parseInt(h, 16)));
      const raws = Array.from({ length: bytes.length / 8 }, (_, pc) => rawAt(bytes, pc));
      const pc = r.whole ? r.pc : 0;
      const got = kernelInsnText(raws, pc, { mapAddr: () => -1n });
      const want = r.text.replace(/= MAP$/, '= 0x-1');
      if (got !== want) bad.push(`${r.hex}: kernel '${r.text}' nicsim '${got}'`);
    }
    expect(bad).toEqual([]);
  });
});
