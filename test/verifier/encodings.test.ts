// The safety verifier's instruction-level messages against the kernel's, on the raw encodings the ISA
// fixture records (test/fixtures/isa/encodings.json.gz, Linux 6.18, XDP, root): each encoding inside
// the recording harness (r0..r9 = 0, a never-taken jump over it, 40 × r0 = 0, exit) must get the
// kernel's final line, or be accepted when the kernel accepted it. Every distinct kernel message is
// checked, plus a deterministic sample of the rest (all of them take ~30 s: set
// NICSIM_ALL_ENCODINGS=1).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { rawXdpProgram } from './fuzz-fixture.ts';

const fixture = JSON.parse(gunzipSync(readFileSync(new URL('../fixtures/isa/encodings.json.gz', import.meta.url))).toString('utf8')) as {
  kernel: string;
  encodings: [string, string, string | null][];
};

function ins(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
  return b;
}

/** The recorder's harness (test/kernel/record-isa.py kernel_verdict). */
function harness(enc: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let r = 0; r < 10; r++) parts.push(ins(0xb7, r, 0, 0, 0));
  parts.push(ins(0x55, 1, 0, enc.length / 8, 0), enc);
  for (let i = 0; i < 40; i++) parts.push(ins(0xb7, 0, 0, 0, 0));
  parts.push(ins(0x95, 0, 0, 0, 0));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const SPEC = { name: 'harness', license: 'GPL', maps: [], programs: [], btf: undefined } as unknown as ObjectSpec;
const program = (bytes: Uint8Array) => rawXdpProgram(bytes, 'harness');

/** Legacy packet loads are recorded as socket filters (not XDP): out of scope here. */
const isLegacy = (b: Uint8Array) => (b[0]! & 7) === 0 && ((b[0]! & 0xe0) === 0x20 || (b[0]! & 0xe0) === 0x40);

describe(`verifier messages vs the kernel on raw encodings (${fixture.kernel})`, () => {
  it('agrees on every distinct message and on a sample of the rest', () => {
    const all = process.env.NICSIM_ALL_ENCODINGS === '1';
    const seen = new Set<string | null>();
    const mismatches: string[] = [];
    let n = 0;
    fixture.encodings.forEach(([hex, , kernel], i) => {
      const b = Uint8Array.from(hex.match(/../g)!.map((x) => parseInt(x, 16)));
      if (isLegacy(b)) return;
      const first = !seen.has(kernel);
      seen.add(kernel);
      if (!all && !first && i % 16 !== 0) return;
      n++;
      const r = verifyProgram(SPEC, program(harness(b)), { facts: false, withoutBtf: true });
      // The recorder kept the kernel's last log line; after "infinite loop detected" that is the
      // "old state:" dump, which nicsim prints too.
      const got = r.accepted ? null : kernel?.startsWith('old state:') ? r.messages[r.messages.length - 1]! : r.error!.message;
      if (got !== kernel) mismatches.push(`${hex}: kernel ${JSON.stringify(kernel)}, nicsim ${JSON.stringify(got)}`);
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(n).toBeGreaterThan(all ? 200_000 : 14_000);
  });
});

