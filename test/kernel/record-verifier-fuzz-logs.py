#!/usr/bin/env python3
"""Records the Linux verifier's full logs for a sample of the random programs in
test/fixtures/verifier/fuzz.json.gz (written by record-verifier-fuzz.py), for nicsim's
`verify --log-level 1|2`:

    sudo python3 test/kernel/record-verifier-fuzz-logs.py [--every K]

Every K-th program (default 25) that needs at most 3000 processed instructions in both privilege
modes is loaded three times: log_level 2 as root, log_level 2 with only CAP_BPF + CAP_NET_ADMIN (a
setpriv child), and log_level 1 as root. Writes test/fixtures/verifier/fuzz-logs.json.gz:
{"kernel", "logs": [{"index": program index in fuzz.json.gz, "root2", "unpriv2", "root1"}]}.
test/verifier/log.test.ts compares nicsim's logs with them.
"""
import gzip
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpfsys  # noqa: E402

_spec = importlib.util.spec_from_file_location("fuzz", os.path.join(HERE, "record-verifier-fuzz.py"))
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURE = os.path.join(ROOT, "test", "fixtures", "verifier", "fuzz.json.gz")
OUT = os.path.join(ROOT, "test", "fixtures", "verifier", "fuzz-logs.json.gz")


def logs(progs, level):
    fds = [bpfsys.map_create(m["type"], m["keySize"], m["valueSize"], m["maxEntries"], name=m["name"].encode()) for m in fuzz.MAPS]
    try:
        out = []
        for p in progs:
            fd, log = bpfsys.prog_load(fuzz.to_kernel(bytes.fromhex(p), fds), log_level=level)
            if fd >= 0:
                os.close(fd)
            out.append(log)
        return out
    finally:
        for fd in fds:
            os.close(fd)


def main():
    if "--child" in sys.argv:
        bpfsys.assert_unprivileged_child()
        json.dump(logs(json.load(sys.stdin), 2), sys.stdout)
        return
    every = int(sys.argv[sys.argv.index("--every") + 1]) if "--every" in sys.argv else 25
    with gzip.open(FIXTURE, "rt") as f:
        fx = json.load(f)
    picked = [(i, row[0]) for i, row in enumerate(fx["programs"]) if i % every == 0 and row[1][2] <= 3000 and row[2][2] <= 3000]
    progs = [p for _, p in picked]
    root2 = logs(progs, 2)
    root1 = logs(progs, 1)
    unpriv2 = bpfsys.run_unprivileged_child(__file__, json.dumps(progs))
    rows = [{"index": i, "root2": a, "unpriv2": b, "root1": c} for (i, _), a, b, c in zip(picked, root2, unpriv2, root1)]
    with gzip.open(OUT, "wt") as f:
        json.dump({"kernel": os.uname().release, "logs": rows}, f, separators=(",", ":"))
    print(f"{len(rows)} programs x 3 logs -> {OUT}")


if __name__ == "__main__":
    main()
