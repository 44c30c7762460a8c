#!/usr/bin/env python3
"""Records the kernel JIT's speed on every example's golden vectors into test/fixtures/bench/kernel-xdp.json.

Root only (bpffs, BPF_PROG_TEST_RUN). For each case of test/fixtures/examples/*.json that the kernel ran
without an error it does what record-examples.py does (loadall with pinned maps, the case's map updates,
tail calls and `before` programs), then
  bpftool -j prog run pinned <program> data_in F repeat 1000000
and keeps bpftool's "duration" (average ns per run, the kernel's JIT'ed code, same buffer each
repetition as `nicsim test-run --repeat`). bench/jit.ts prints nicsim's ns/packet against these numbers,
so the bench needs no root. The process pins itself to CPU 0 first.

Usage: sudo python3 test/kernel/record-jit-bench.py [--repeat N] [--out FILE] [example ...]   (default: every
example, into the fixture; --out writes elsewhere, e.g. a fresh measurement for `bench/jit.ts --kernel FILE`)
"""
import importlib.util
import json
import os
import platform
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
spec = importlib.util.spec_from_file_location("record_examples", os.path.join(HERE, "record-examples.py"))
rec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rec)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(ROOT, "test", "fixtures", "examples")
OUT = os.path.join(ROOT, "test", "fixtures", "bench", "kernel-xdp.json")


def main(argv):
    repeat = 1_000_000
    out = OUT
    while argv[:1] in (["--repeat"], ["--out"]):
        if argv[0] == "--repeat":
            repeat = int(argv[1])
        else:
            out = os.path.abspath(argv[1])
        argv = argv[2:]
    os.sched_setaffinity(0, {0})
    os.makedirs(rec.PIN_BASE, exist_ok=True)
    wanted = set(argv)
    cases = {}
    with tempfile.TemporaryDirectory() as tmp:
        din = os.path.join(tmp, "in.bin")
        for f in sorted(os.listdir(FIXTURES)):
            example = f[:-5]
            if not f.endswith(".json") or (wanted and example not in wanted):
                continue
            for c in json.load(open(os.path.join(FIXTURES, f))):
                if "error" in c["expected"]:
                    continue
                with open(din, "wb") as fh:
                    fh.write(bytes.fromhex(c["data_in"]))
                with rec.Loaded(os.path.join(ROOT, c["object"]), os.path.join(rec.PIN_BASE, "bench_" + example)) as ld:
                    for u in c["map_updates"]:
                        ld.update(u)
                    for t in c["tail_calls"]:
                        ld.tail_call(t)
                    for b in c["before"]:
                        rec.prog_run(ld.progs[b][0], din, None, 1)
                    p, doc, err = rec.prog_run(ld.progs[c["program"]][0], din, None, repeat)
                    if p.returncode != 0:
                        raise RuntimeError(f"{example}/{c['name']}: {err.strip()}")
                cases[f"{example}/{c['name']}"] = {"object": c["object"], "program": c["program"], "duration_ns": doc["duration"]}
                print(f"{example}/{c['name']}: {doc['duration']} ns", file=sys.stderr)
    doc = {"kernel": platform.release(), "machine": platform.machine(), "repeat": repeat, "cases": cases}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
