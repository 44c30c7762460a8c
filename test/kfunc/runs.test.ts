// Kfunc runs against the kernel: each program verifies with the kernel's processed-instruction count,
// and every case of test/fixtures/kfuncs/runs.json (recorded with
// BPF_PROG_TEST_RUN by test/kernel/record-kfunc-runs.py) gives the same retval and data_out in nicsim.
// The programs write each kfunc's results into the packet, so data_out compares the conntrack
// kfuncs' error codes, directions and status rules, the dynptr kfuncs and helpers, and
// bpf_xdp_pull_data's linearisation. Cases recorded after a conntrack insertion seed nicsim's table
// with the same entry (--conntrack).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../firmware/kfuncs/conntrack.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { root, runObject } from './helpers.ts';

interface Case {
  name: string;
  data_in: string;
  retval: number;
  data_out: string;
  conntrack?: object[];
}
const runs = JSON.parse(readFileSync(join(root, 'test/fixtures/kfuncs/runs.json'), 'utf8')) as {
  programs: { program: string; object: string; verified_insns: number; cases: Case[] }[];
};

describe('kfunc runs agree with the Linux 6.18 kernel (BPF_PROG_TEST_RUN)', () => {
  it.each(runs.programs.map((p) => [p.program, p] as const))('%s: verified with the kernel\'s processed-instruction count', (_n, p) => {
    const v = verifyProgram(loadObjectFile(join(root, p.object)), p.program, { facts: false });
    expect(v.accepted).toBe(true);
    expect(v.insnsProcessed).toBe(p.verified_insns);
  });
  for (const p of runs.programs) {
    it.each(p.cases.map((c) => [c.name, c] as const))(`${p.program}: %s`, (_n, c) => {
      const r = runObject(p.object, {
        program: p.program,
        dataIn: Buffer.from(c.data_in, 'hex'),
        ...(c.conntrack ? { conntrack: parseConntrack(JSON.stringify(c.conntrack), 'seed.json') } : {}),
      });
      expect(r.retval).toBe(c.retval);
      expect(r.data_out).toBe(c.data_out);
    });
  }
});
