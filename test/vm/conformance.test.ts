// The interpreter against the Linux kernel: every case of test/fixtures/conformance (our own
// bpf_conformance-format cases) was run through BPF_PROG_TEST_RUN by test/kernel/record-conformance.py.
// Where the kernel ran the program, nicsim must produce the same r0 and the same memory; where the
// kernel's verifier refused it, nicsim must produce the hand-computed RFC 9669 result (or, for
// `-- error` cases, a typed nicsim error: a Fault with its pc, or a located load error — never an
// internal TypeError or RangeError).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleBytes } from '../../offload/isa/index.ts';
import { NicsimError } from '../../offload/errors.ts';
import { runRaw } from '../../firmware/vm/raw.ts';

import { dir, files, hex, kernel, memOf } from './conformance-fixtures.ts';

describe('conformance corpus', () => {
  it('has at least 250 cases, each recorded from the kernel', () => {
    expect(files.length).toBeGreaterThanOrEqual(250);
    expect(files.filter((f) => !kernel[f])).toEqual([]);
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    const rec = kernel[file]!;
    it('assembles to the bytes the kernel ran', () => {
      expect(hex(assembleBytes(text, { syntax: 'ubpf', file }))).toBe(rec.bytes);
    });
    it('runs as the kernel did', () => {
      const program = Uint8Array.from(Buffer.from(rec.bytes, 'hex'));
      const mem = memOf(text);
      const isError = /^--\s+error/m.test(text);
      let result: { r0: string; mem: Uint8Array } | Error;
      try {
        result = runRaw(program, mem);
      } catch (e) {
        result = e as Error;
      }
      if ('r0' in rec.kernel) {
        expect(result, String(result)).not.toBeInstanceOf(Error);
        const r = result as { r0: string; mem: Uint8Array };
        expect(r.r0).toBe(rec.kernel.r0);
        expect(hex(r.mem)).toBe(rec.kernel.mem);
      } else if (isError) {
        expect(result, String(result)).toBeInstanceOf(NicsimError);
      } else {
        // Refused by the kernel's verifier (e.g. shifts by out-of-range immediates): the
        // interpreter still executes RFC 9669 semantics, checked against the hand-computed value.
        expect(result, String(result)).not.toBeInstanceOf(Error);
        expect((result as { r0: string }).r0).toBe(rec.expected);
      }
    });
  });
});
