// Kfunc runs against the kernel: each program verifies with the kernel's processed-instruction count,
// and every case of test/fixtures/kfuncs/runs.json (recorded with
// BPF_PROG_TEST_RUN by test/kernel/record-kfunc-runs.py) gives the same retval and data_out in nicsim.
// The programs write each kfunc's results into the packet, so data_out compares the conntrack
// kfuncs' error codes, directions and status rules, the dynptr kfuncs and helpers, and
// bpf_xdp_pull_data's linearisation. Cases recorded after a conntrack insertion seed nicsim's table
// with the same entry (--conntrack).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { verifyProgram } from '../../offload/verifier/index.ts';
import { caseOptions, kernelRuns, root, runObject } from './helpers.ts';

const runs = kernelRuns();

describe('kfunc runs agree with the Linux 6.18 kernel (BPF_PROG_TEST_RUN)', () => {
  it.each(runs.map((p) => [p.program, p] as const))('%s: verified with the kernel\'s processed-instruction count', (_n, p) => {
    const v = verifyProgram(loadObjectFile(join(root, p.object)), p.program, { facts: false });
    expect(v.accepted).toBe(true);
    expect(v.insnsProcessed).toBe(p.verified_insns);
  });
  for (const p of runs) {
    it.each(p.cases.map((c) => [c.name, c] as const))(`${p.program}: %s`, (_n, c) => {
      const r = runObject(p.object, {
        program: p.program,
        ...caseOptions(c),
      });
      expect(r.retval).toBe(c.retval);
      expect(r.data_out).toBe(c.data_out);
    });
  }
});
