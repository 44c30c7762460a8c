// The verifier log's size cap against the kernel (test/kernel/record-log-size.py): with a log
// buffer of N bytes the kernel keeps the last N - 1 bytes of the text and fails the load with ENOSPC
// when the text ever needed more; nicsim's log (logSize) must leave the same text and flag the same
// loads. Also: a program that runs into the 1M-instruction limit at level 2 holds only the window.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { rawXdpProgram } from './fuzz-fixture.ts';

interface Case {
  program: string;
  hex: string;
  level: 1 | 2;
  size: number;
  accepted: boolean;
  errno: string | null;
  log: string;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/verifier/log-size.json', import.meta.url), 'utf8')) as { cases: Case[] };
const spec = { name: 'raw', license: 'GPL', maps: [], programs: [], btf: undefined } as unknown as ObjectSpec;

describe('verifier log size cap (kernel rotating mode)', () => {
  it.each(fixture.cases.map((c) => [`${c.program} level ${c.level} log_size ${c.size}`, c] as const))('%s: same text, ENOSPC as the kernel', (_n, c) => {
    const r = verifyProgram(spec, rawXdpProgram(Uint8Array.from(Buffer.from(c.hex, 'hex'))), { logLevel: c.level, logSize: c.size, withoutBtf: true, facts: false });
    expect(r.log).toBe(c.log);
    expect(r.logTruncated === true).toBe(c.errno === 'ENOSPC');
    if (c.errno !== 'ENOSPC') expect(r.accepted).toBe(c.accepted);
  });

  it('a level-2 log of a program reaching the 1M-instruction limit stays within log_size', () => {
    // r0 counts up to a bound the verifier cannot prove small: every iteration is a new state
    const loop = Uint8Array.from(Buffer.from('b700000000000000' + '0700000001000000' + 'a500feffffffff7f' + '9500000000000000', 'hex'));
    const r = verifyProgram(spec, rawXdpProgram(loop), { logLevel: 2, logSize: 4096, insnLimit: 20_000, withoutBtf: true, facts: false });
    expect(r.error?.message).toMatch(/BPF program is too large/);
    expect(r.logTruncated).toBe(true);
    expect(Buffer.byteLength(r.log)).toBe(4095);
    expect(r.log).toMatch(/processed 20001 insns/);
    expect(r.logTrueSize).toBeGreaterThan(1_000_000);
  });
});
