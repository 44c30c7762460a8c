// The JIT against the Linux kernel on the conformance corpus (test/fixtures/conformance, recorded by
// test/kernel/record-conformance.py): the same r0 and memory where the kernel ran the program, the
// hand-computed RFC 9669 value where its verifier refused it, and for `-- error` cases exactly the
// interpreter's fault (code, pc, message). A program the JIT cannot structure must say so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runRaw } from '../../firmware/vm/raw.ts';
import { runRawJit } from '../../firmware/jit/raw.ts';

import { dir, files, hex, kernel, memOf } from '../vm/conformance-fixtures.ts';

function attempt<T>(f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    return e as Error;
  }
}

describe.each(files)('jit %s', (file) => {
  const text = readFileSync(new URL(file, dir), 'utf8');
  const rec = kernel[file]!;
  it('runs as the kernel did', () => {
    const program = Uint8Array.from(Buffer.from(rec.bytes, 'hex'));
    const mem = memOf(text);
    const result = attempt(() => runRawJit(program, mem));
    if (result instanceof Error && result.name === 'JitUnsupported') {
      // Only programs the kernel's verifier refuses may be left to the interpreter (with the reason).
      expect('refused' in rec.kernel, result.message).toBe(true);
      expect(result.message).toMatch(/leaves its function|irreducible|falls into the next function/);
      return;
    }
    if ('r0' in rec.kernel) {
      expect(result, String(result)).not.toBeInstanceOf(Error);
      const r = result as { r0: string; mem: Uint8Array };
      expect(r.r0).toBe(rec.kernel.r0);
      expect(hex(r.mem)).toBe(rec.kernel.mem);
      return;
    }
    const interp = attempt(() => runRaw(program, mem));
    if (interp instanceof Error) {
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).message).toBe(interp.message);
      expect((result as { code?: string }).code).toBe((interp as { code?: string }).code);
    } else {
      expect(result, String(result)).not.toBeInstanceOf(Error);
      expect((result as { r0: string }).r0).toBe(rec.expected);
      expect(hex((result as { mem: Uint8Array }).mem)).toBe(hex(interp.mem));
    }
  });
});
