// The decoder and the llvm-format disassembler against independent truth recorded by
// test/kernel/record-isa.py: for ~200k raw encodings, the Linux verifier's structural verdict and
// llvm-objdump-19's text.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeProgram, disasm, OPCODES, rowKey, type Insn } from '../../offload/isa/index.ts';

interface Fixture {
  tool: string;
  kernel: string;
  encodings: [string, string, string | null][];
}
const fixture = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/isa/encodings.json.gz', import.meta.url))).toString('utf8'),
) as Fixture;

// Kernel messages that reject the encoding itself (what a decoder must reject). Everything else the
// verifier says is about program semantics (types, bounds, loops, program type), not the encoding.
const STRUCTURAL = [
  /uses reserved fields/,
  /^unknown opcode/,
  /^R\d+ is invalid/,
  /^invalid atomic operand size/,
  /^BPF_ATOMIC uses invalid atomic opcode/,
  /^invalid bpf_ld_imm64 insn/,
  /^unrecognized bpf_ld_imm64 insn/,
  /^invalid may_goto imm/,
  /^jump out of range/,
  /^frame pointer is read only/,
  /^call to invalid destination/,
  /^addr_space_cast/,
  /^invalid BPF_LD_IMM insn/,
];
const isStructural = (m: string | null) => m !== null && STRUCTURAL.some((r) => r.test(m));
// Program-level checks that the kernel runs before it looks at each instruction's fields. When a local
// call's target splits the harness into subprograms, these hide the verdict on the encoding itself.
const MASKED = [/^last insn is not an exit or jmp/, /^jump out of range from insn 10 to /];

const hexBytes = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
function ins(code: number, dst = 0, imm = 0): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  b[0] = code;
  b[1] = dst;
  dv.setInt32(4, imm, true);
  return b;
}
const PROLOGUE = Array.from({ length: 10 }, (_, r) => ins(0xb7, r));
const EPILOGUE = [...Array.from({ length: 40 }, () => ins(0xb7, 0)), ins(0x95)];
function harness(enc: Uint8Array): Uint8Array {
  const parts = [...PROLOGUE, enc, ...EPILOGUE];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('decoder vs the kernel verifier', () => {
  it(`agrees on the legality of ${fixture.encodings.length} encodings (kernel ${fixture.kernel})`, () => {
    const mismatches: string[] = [];
    let masked = 0;
    for (const [hex, , kernel] of fixture.encodings) {
      if (kernel !== null && MASKED.some((r) => r.test(kernel))) {
        masked++;
        continue;
      }
      let ours: string | null = null;
      try {
        decodeProgram(harness(hexBytes(hex)));
      } catch (e) {
        ours = (e as Error).message;
      }
      const kernelRejects = isStructural(kernel);
      if (kernelRejects !== (ours !== null)) mismatches.push(`${hex}: kernel '${kernel}', nicsim '${ours}'`);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(masked).toBeLessThan(200);
  });
});

describe('disassembler vs llvm-objdump-19 -d', () => {
  it('prints llvm-objdump-19 text for every legal encoding', () => {
    const mismatches: string[] = [];
    const covered = new Set<string>();
    let compared = 0;
    for (const [hex, text] of fixture.encodings) {
      let insn: Insn | null;
      try {
        // callx is decoded too: the kernel refuses it (checked above), llvm prints it.
        insn = decodeProgram(hexBytes(hex), { checkTargets: false, callx: true })[0] ?? null;
      } catch {
        continue;
      }
      if (!insn) continue;
      covered.add(rowKey(insn));
      compared++;
      const expected = text.replace(/ <[^<> ]*>$/, '');
      const got = disasm(insn, { llvmQuirks: true });
      if (got !== expected) mismatches.push(`${hex}: llvm '${expected}', nicsim '${got}'`);
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(5000);
    // Every row of the opcode table is exercised by at least one recorded encoding.
    expect(OPCODES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});
