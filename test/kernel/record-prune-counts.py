#!/usr/bin/env python3
"""Records the kernel verifier's state-pruning statistics for every XDP program of some objects.

Usage (root):
    test/kernel/record-prune-counts.py DIR_OR_OBJECT... [--out FILE] [--logs]

For each object (every *.o of a directory, or the files named) and each XDP program in it, the program
is loaded on its own through libbpf (driven through ctypes; every other program has autoload off, as a
loader that wants only this one does) at log_level 4 (BPF_LOG_STATS), and the kernel's last statistics
line is parsed:
    processed N insns (limit 1000000) max_states_per_insn M total_states T peak_states P mark_read 0
The fixture (default test/fixtures/verifier/prune-counts.json) holds, per program, the object's file
name and sha256, the verdict and those four numbers; entries of objects not named this time are kept,
re-recorded ones replaced. Objects whose code is not the project's stay out of git: the test
(test/verifier/prune-counts.test.ts) checks the ones it finds (by sha256) and skips the rest.
With --logs the log_level 2 trace of each program is written next to its object as
OBJECT-STEM.PROGRAM.level2.txt (used for the small regression programs of test/fixtures/verifier/prune/).
Maps declared with pinning are not pinned; a map left at max_entries 0 (sized by the program's own
loader, as xdp-tools does) gets 64 entries (bpf_map__set_max_entries), recorded as the entry's
`map_sizes` (the test sets the same sizes, like `--map-size`). Programs libbpf refuses before the kernel speaks (e.g. a map with max_entries 0) are listed on stderr
and not recorded.
"""
import argparse
import ctypes
import hashlib
import json
import os
import platform
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import libbpf  # noqa: E402
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "test", "fixtures", "verifier", "prune-counts.json")
LOG_SIZE = 1 << 20
BPF_PROG_TYPE_XDP = 6
# Maps libbpf or the kernel size themselves: perf_event_array, cgroup/sk/inode/task/cgrp storage.
UNSIZED_MAPS = {4, 19, 21, 24, 28, 29, 32}
MAP_SIZE = 64
STATS_RE = re.compile(r"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) "
                      r"peak_states (\d+) mark_read (\d+)")


class Libbpf(libbpf.Libbpf):
    """The few libbpf calls needed to load one program of an object with a log buffer."""

    def programs(self, path):
        """Names of the XDP programs of the object."""
        obj = self.lb.bpf_object__open_file(path.encode(), None)
        if not obj:
            raise RuntimeError(f"{path}: libbpf cannot open it: {''.join(self.messages)}")
        names = []
        p = self.lb.bpf_object__next_program(obj, None)
        while p:
            if self.lb.bpf_program__type(p) == BPF_PROG_TYPE_XDP:
                names.append(self.lb.bpf_program__name(p).decode())
            p = self.lb.bpf_object__next_program(obj, p)
        self.lb.bpf_object__close(obj)
        return names

    def load_one(self, path, wanted, log_level=4, log_size=LOG_SIZE):
        """Loads only program `wanted`; returns (accepted, log text, {map: max_entries set})."""
        self.messages = []
        obj = self.lb.bpf_object__open_file(path.encode(), None)
        buf = ctypes.create_string_buffer(log_size)
        target = None
        p = self.lb.bpf_object__next_program(obj, None)
        while p:
            mine = self.lb.bpf_program__name(p).decode() == wanted
            self.lb.bpf_program__set_autoload(p, mine)
            if mine:
                target = p
                self.lb.bpf_program__set_log_level(p, log_level)
                self.lb.bpf_program__set_log_buf(p, buf, log_size)
            p = self.lb.bpf_object__next_program(obj, p)
        # maps declared with LIBBPF_PIN_BY_NAME are not pinned (nothing is left in /sys/fs/bpf)
        # a map left at max_entries 0 (sized by the program's own loader) gets MAP_SIZE entries
        sizes = {}
        m = self.lb.bpf_object__next_map(obj, None)
        while m:
            self.lb.bpf_map__set_pin_path(m, None)
            if self.lb.bpf_map__max_entries(m) == 0 and self.lb.bpf_map__type(m) not in UNSIZED_MAPS:
                self.lb.bpf_map__set_max_entries(m, MAP_SIZE)
                sizes[self.lb.bpf_map__name(m).decode()] = MAP_SIZE
            m = self.lb.bpf_object__next_map(obj, m)
        r = self.lb.bpf_object__load(obj)
        ok = r == 0 and self.lb.bpf_program__fd(target) >= 0
        log = buf.value.decode("utf-8", "replace")
        self.lb.bpf_object__close(obj)
        return ok, log, sizes


def objects(args):
    for a in args:
        if os.path.isdir(a):
            for f in sorted(os.listdir(a)):
                if f.endswith(".o"):
                    yield os.path.join(a, f)
        else:
            yield a


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--logs", action="store_true",
                    help="also write the log_level 2 trace of each program next to its object (OBJECT-STEM.PROGRAM.level2.txt)")
    a = ap.parse_args()
    lb = Libbpf()
    old = {"programs": []}
    if os.path.exists(a.out):
        old = json.load(open(a.out))
    recorded = []
    for path in objects(a.paths):
        data = open(path, "rb").read()
        sha = hashlib.sha256(data).hexdigest()
        for prog in lb.programs(path):
            ok, log, sizes = lb.load_one(path, prog)
            m = None
            for m in STATS_RE.finditer(log):
                pass
            if m is None:
                print(f"skip {os.path.basename(path)}:{prog}: no statistics from the kernel "
                      f"({''.join(lb.messages).strip().splitlines()[-1:] or log.strip()[-200:]})", file=sys.stderr)
                continue
            e = {"object": os.path.basename(path), "sha256": sha, "program": prog, "accepted": ok,
                 "processed": int(m.group(1)), "max_states_per_insn": int(m.group(2)),
                 "total_states": int(m.group(3)), "peak_states": int(m.group(4))}
            if sizes:
                e["map_sizes"] = sizes
            print(f"{e['object']}:{prog}: {'accepted' if ok else 'rejected'} processed {e['processed']} "
                  f"total_states {e['total_states']} peak_states {e['peak_states']}")
            recorded.append(e)
            if a.logs:
                _, trace, _ = lb.load_one(path, prog, log_level=2, log_size=16 << 20)
                stem = os.path.splitext(path)[0]
                with open(f"{stem}.{prog}.level2.txt", "w") as f:
                    f.write(trace)
    names = {e["object"] for e in recorded}
    kept = [e for e in old["programs"] if e["object"] not in names]
    out = {
        "kernel": platform.release(),
        "note": "kernel verifier statistics per XDP program (test/kernel/record-prune-counts.py)",
        "programs": sorted(kept + recorded, key=lambda e: (e["object"], e["program"])),
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(recorded)} programs recorded, {len(out['programs'])} in {os.path.relpath(a.out, ROOT)}")


if __name__ == "__main__":
    main()
