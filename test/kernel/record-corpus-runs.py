#!/usr/bin/env python3
"""Runs every program of the verifier corpus that the kernel accepts (test/fixtures/verifier/corpus.json)
through BPF_PROG_TEST_RUN on a few packets, exactly as record-examples.py runs the examples (bpftool
prog loadall / prog run / map dump, pinned to CPU 0), and writes the answers in the same case format
to test/fixtures/runs/corpus.json. The corpus programs exercise verifier corners (bpf_loop callbacks,
may_goto, spills, variable offsets, sign extension...) that the examples do not, so their kernel runs
are more truth for the interpreter.

    sudo python3 test/kernel/record-corpus-runs.py
"""
import importlib.util
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
spec = importlib.util.spec_from_file_location("record_examples", os.path.join(HERE, "record-examples.py"))
rx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rx)

ROOT = rx.ROOT
CORPUS = os.path.join(ROOT, "test", "fixtures", "verifier", "corpus.json")
OUT = os.path.join(ROOT, "test", "fixtures", "runs", "corpus.json")
PACKETS = ["ipv4_tcp_syn", "ipv6_udp_echo", "vlan_ipv4_udp"]


def main():
    if os.geteuid() != 0:
        sys.exit("record-corpus-runs.py needs root")
    os.sched_setaffinity(0, {0})
    packets = {p["name"]: p["hex"] for p in json.load(open(rx.PACKETS))}
    ncpus = rx.possible_cpus()
    corpus = [c for c in json.load(open(CORPUS)) if c["privileged"]["accepted"]]
    records, skipped = [], []
    os.makedirs(rx.PIN_BASE, exist_ok=True)
    try:
        run_all(corpus, packets, ncpus, records, skipped)
    finally:
        shutil.rmtree(rx.PIN_BASE, ignore_errors=True)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    rx.write_fixture(OUT, records)
    print(f"{len(records)} runs of {len(corpus)} accepted programs -> {OUT}")
    for s in skipped:
        print("skipped:", s)


def run_all(corpus, packets, ncpus, records, skipped):
    with tempfile.TemporaryDirectory() as tmp, rx.Trace() as trace:
        for c in corpus:
            obj = os.path.join(ROOT, c["object"])
            printk = rx.object_uses_printk(obj)
            for pkt in PACKETS:
                case = {"name": f"{c['program']}/{pkt}", "program": c["program"], "packet": pkt, "repeat": 1,
                        "map_updates": [], "tail_calls": [], "before": []}
                try:
                    records.append(rx.record_case("corpus_" + c["program"], c["object"], case, packets, ncpus, trace, printk, tmp))
                except Exception as e:  # e.g. programs the kernel accepts as root but libbpf cannot load as a whole object
                    skipped.append(f"{c['program']}: {str(e).splitlines()[0]}")
                    break


if __name__ == "__main__":
    main()
