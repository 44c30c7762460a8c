#!/usr/bin/env python3
"""Loads the programs nicsim's verifier accepted during a fuzz campaign into the kernel (the
verifier-raw target of test/fuzz/targets.ts with NICSIM_FUZZ_ACCEPTED=FILE: one line per program,
"root HEX" or "unpriv HEX", raw XDP programs over the maps of test/fixtures/verifier/fuzz.json.gz),
root ones as root and unpriv ones with CAP_BPF + CAP_NET_ADMIN only, and prints every program the
kernel refuses: a false accept of nicsim. Needs root and bpf(); nothing is written.
Usage: python3 test/kernel/fuzz-kernel-check.py FILE [--programs HEX...]"""
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_spec = importlib.util.spec_from_file_location('record_verifier_fuzz', os.path.join(HERE, 'record-verifier-fuzz.py'))
rvf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rvf)
import bpfsys  # noqa: E402


def main():
    if '--child' in sys.argv:
        bpfsys.assert_unprivileged_child()
        json.dump(rvf.judge_all(json.load(sys.stdin)), sys.stdout)
        return
    rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
    root = sorted({h for k, h in rows if k == 'root'})
    unpriv = sorted({h for k, h in rows if k == 'unpriv'})
    verdicts = [('root', h, v) for h, v in zip(root, rvf.judge_all(root))]
    if unpriv:
        verdicts += [('unpriv', h, v) for h, v in zip(unpriv, bpfsys.run_unprivileged_child(__file__, json.dumps(unpriv)))]
    refused = [(k, h, v) for k, h, v in verdicts if not v[0]]
    for k, h, v in refused:
        print(f'FALSE ACCEPT ({k}): {h}\n  kernel: {v[1]} ({v[2]} insns processed)')
    print(f'{len(verdicts)} programs nicsim accepted ({len(root)} root, {len(unpriv)} unprivileged): the kernel refuses {len(refused)}')
    sys.exit(1 if refused else 0)


if __name__ == '__main__':
    main()
