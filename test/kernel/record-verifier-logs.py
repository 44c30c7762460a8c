#!/usr/bin/env python3
"""Records the Linux verifier's full logs for the verifier corpus (test/fixtures/verifier/corpus),
loaded the way record-verifier.py loads them (libbpf, or raw for `load: raw` programs):

    sudo python3 test/kernel/record-verifier-logs.py

For every program that needs at most 20,000 processed instructions: log_level 2 as root, log_level 2
with only CAP_BPF + CAP_NET_ADMIN (a setpriv child), log_level 1 as root; and the example programs
(examples/*.o, loaded by libbpf) at log_level 2 as root. Writes
test/fixtures/verifier/corpus-logs.json.gz: {"kernel", "root2": {program: log}, "unpriv2": {...},
"root1": {...}, "examples2": {"file.o:program": log}}. test/verifier/log.test.ts compares nicsim's
`--log-level` output with them.
"""
import glob
import gzip
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_spec = importlib.util.spec_from_file_location("record_verifier", os.path.join(HERE, "record-verifier.py"))
rv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rv)

OUT = os.path.join(rv.ROOT, "test", "fixtures", "verifier", "corpus-logs.json.gz")
LIMIT = 20000


def collect(level, mode):
    with open(os.path.join(rv.FIX, "corpus.json")) as f:
        corpus = {c["program"]: c for c in json.load(f)}
    loader = rv.Libbpf()
    out = {}
    for e in rv.scan():
        path = os.path.join(rv.ROOT, e["object"])
        res = rv.load_raw(path, level, e["stem"]) if e["load"] == "raw" else loader.load(path, level)
        for name, _ok, _err, log in res:
            c = corpus.get(name)
            if c and (c[mode] or {}).get("insns_processed", 0) <= LIMIT:
                out[name] = log
    return out


def main():
    if "--child" in sys.argv:
        rv.bpfsys.assert_unprivileged_child()
        json.dump(collect(2, "unprivileged"), sys.stdout)
        return
    root2 = collect(2, "privileged")
    root1 = collect(1, "privileged")
    unpriv2 = rv.bpfsys.run_unprivileged_child(__file__)
    examples2 = {}
    loader = rv.Libbpf()
    for path in sorted(glob.glob(os.path.join(rv.ROOT, "examples", "*.o"))):
        for name, _ok, _err, log in loader.load(path, 2):
            examples2[f"{os.path.basename(path)}:{name}"] = log
    with gzip.open(OUT, "wt", compresslevel=9) as f:
        json.dump({"kernel": os.uname().release, "root2": root2, "unpriv2": unpriv2, "root1": root1, "examples2": examples2},
                  f, separators=(",", ":"))
    print(f"{len(root2)} + {len(unpriv2)} + {len(root1)} + {len(examples2)} logs -> {OUT}")


if __name__ == "__main__":
    main()
