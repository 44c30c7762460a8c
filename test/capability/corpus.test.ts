// Robustness on the verifier corpus (test/fixtures/verifier: 218 programs with the kernel's
// privileged verdict): the capability pass runs on every one against every shipped profile without
// crashing; a program is `rejected` exactly when the safety verifier rejects it (the same for every
// profile of one load mode: `kind: offload` profiles verify it as loaded for a NIC, where only
// ctx_write, a store to rx_queue_index, differs); and a program the kernel accepts is `offload` on
// host-x86, whose profile is the kernel's rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNicsimError } from '../../offload/errors.ts';
import { loadObjectFile } from '../../offload/elf/index.ts';
import { checkObject, profileRefs } from '../../offload/capability/index.ts';
import { verifierSafety } from '../../offload/capability/safety.ts';
import { kernelOffloadPath } from '../../offload/capability/rules-maps.ts';
import { listShippedProfiles } from '../../nic/profile/index.ts';
import { root } from '../cli/run.ts';

interface Entry {
  object: string;
  program: string;
  privileged: { accepted: boolean };
}
const corpus = JSON.parse(readFileSync(join(root, 'test/fixtures/verifier/corpus.json'), 'utf8')) as Entry[];
const refs = profileRefs(listShippedProfiles().map((s) => s.file));

describe('the verifier corpus through the capability pass', () => {
  it('no crash, rejected exactly when the safety verifier rejects, kernel-accepted programs offload to host-x86', () => {
    const notOffload: string[] = [];
    let checked = 0;
    for (const e of corpus) {
      // The kernel refuses the loop_* programs it gives up on after a million instructions; they only
      // cost the safety verifier seconds here and tell nothing about capabilities.
      if (!e.privileged.accepted && e.program.startsWith('loop_')) continue;
      let results;
      try {
        results = checkObject(loadObjectFile(join(root, e.object)), refs, verifierSafety, e.program);
      } catch (err) {
        if (isNicsimError(err)) continue; // objects the loader refuses (bad input, exit 3)
        throw err;
      }
      checked++;
      const kinds = new Map(refs.map((r) => [r.name, kernelOffloadPath(r.profile)]));
      for (const offloaded of [false, true]) {
        const rejected = results.filter((r) => kinds.get(r.profile) === offloaded).map((r) => r.verdict === 'rejected');
        expect(new Set(rejected).size, e.program).toBe(1);
      }
      const host = results.find((r) => r.profile === 'host-x86')!;
      // check loads a program bound to the device (BPF_F_XDP_DEV_BOUND_ONLY): the metadata kfuncs the
      // kernel refuses in an unbound program load there
      if (e.program !== 'kfunc_rx_hash_unbound') expect(host.verdict === 'rejected', `${e.program}: host-x86 rejects as the kernel does`).toBe(!e.privileged.accepted);
      else expect(host.verdict).toBe('offload');
      const nic = results.find((r) => r.profile === 'agilio-cx')!;
      // offloaded programs may write rx_queue_index; the metadata kfuncs "can't be offloaded" (kernel/bpf/offload.c)
      if (e.program !== 'ctx_write') expect(nic.verdict === 'rejected', `${e.program}: same safety verdict when offloaded`).toBe(!e.privileged.accepted);
      if (e.privileged.accepted && host.verdict !== 'rejected' && host.verdict !== 'offload') notOffload.push(`${e.program}: ${host.findings.map((f) => f.code)}`);
    }
    expect(checked).toBeGreaterThan(150);
    expect(notOffload).toEqual([]);
  });
});
