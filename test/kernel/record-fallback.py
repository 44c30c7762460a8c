#!/usr/bin/env python3
"""Records the kernel's run of examples/xdp_fallback.o over a packet stream into
test/fixtures/device/fallback-kernel.json: the truth for nicsim run's host fallback (test/device/fallback.test.ts).

Root only (bpffs, BPF_PROG_TEST_RUN). The object is loaded once (bpftool prog loadall ... pinmaps), cfg[0] is
set to the divisor, and every packet of test/fixtures/packets/packets.json that test_run accepts (14 bytes or
more) is run once, in order, ROUNDS times over, on the same maps: `bpftool -j prog run pinned P data_in F
data_out G`. Recorded per packet: retval and data_out; at the end: every map (bpftool map dump). The maps
accumulate over the whole stream, as they do in a device run.

Usage: sudo python3 test/kernel/record-fallback.py
"""
import importlib.util
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
spec = importlib.util.spec_from_file_location("record_examples", os.path.join(HERE, "record-examples.py"))
rec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rec)

OBJECT = "examples/xdp_fallback.o"
PROGRAM = "fallback"
DIVISOR = 7
ROUNDS = 2
OUT = os.path.join(rec.ROOT, "test", "fixtures", "device", "fallback-kernel.json")


def main():
    os.sched_setaffinity(0, {0})
    packets = [p for p in json.load(open(rec.PACKETS)) if len(p["hex"]) >= 28]
    updates = [f"cfg:00000000:{DIVISOR.to_bytes(4, 'little').hex()}"]
    runs = []
    with tempfile.TemporaryDirectory() as tmp, rec.Loaded(os.path.join(rec.ROOT, OBJECT), os.path.join(rec.PIN_BASE, "fallback")) as ld:
        for u in updates:
            ld.update(u)
        din, dout = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
        for _ in range(ROUNDS):
            for p in packets:
                with open(din, "wb") as f:
                    f.write(bytes.fromhex(p["hex"]))
                proc, doc, err = rec.prog_run(ld.progs[PROGRAM][0], din, dout, 1)
                if proc.returncode != 0:
                    raise RuntimeError(f"{p['name']}: prog run failed: {err.strip()}")
                runs.append({"name": p["name"], "data_in": p["hex"], "retval": doc["retval"], "data_out": open(dout, "rb").read().hex()})
        maps = ld.dump_maps()
    doc = {"object": OBJECT, "program": PROGRAM, "map_updates": updates, "packets": runs, "maps": maps}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{OUT}: {len(runs)} packets")


if __name__ == "__main__":
    main()
