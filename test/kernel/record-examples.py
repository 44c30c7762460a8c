#!/usr/bin/env python3
"""Records the kernel's answers for every example program into test/fixtures/examples/<example>.json.

Root only (bpffs, BPF_PROG_TEST_RUN). For each case it does what a user would do with bpftool:
  bpftool prog loadall examples/X.o /sys/fs/bpf/nicsim_rec/<example> pinmaps /sys/fs/bpf/nicsim_rec/<example>/maps
  bpftool map update pinned ... (map_updates, then prog_array slots for tail_calls)
  BPF_MAP_UPDATE_BATCH (bpfsys)    (map_fills: ranges of array indexes, e.g. a 65,537-slot hash ring)
  bpftool prog run pinned <before program> data_in F                  (for every `before` program)
  bpftool -j prog run pinned <program> data_in F data_out G data_size_out 65536 repeat N
  bpftool -j map dump pinned <every map>
and removes every pin afterwards. Arrays of more than BIG_ARRAY entries are read with
BPF_MAP_LOOKUP_BATCH instead and recorded as the count and SHA-256 of their non-zero entries (see
digest(); the record then says "dump": "nonzero" and lists only the non-zero entries of its other arrays
too, as nicsim's default dump does, without --dump-all). The process pins itself to CPU 0 first (children inherit it), so
per-CPU values land in slot 0. trace_printk output of the main run is captured from tracefs (mounted
for the duration of the run if it was not) between two trace_marker lines, filtered by bpftool's pid.

Usage: sudo python3 test/kernel/record-examples.py [example ...]   (default: every example)
The cases are defined in record_examples_cases.py (CASES: one function per example).
"""
import errno
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep test/kernel/ free of __pycache__
from record_examples_cases import CASES, GlobalPatch, mu, u32
import bpfsys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PIN_BASE = "/sys/fs/bpf/nicsim_rec"
TRACEFS = "/sys/kernel/tracing"
PACKETS = os.path.join(ROOT, "test", "fixtures", "packets", "packets.json")
OUT_DIR = os.path.join(ROOT, "test", "fixtures", "examples")
DATA_SIZE_OUT = 65536
BIG_ARRAY = 1 << 16
INDEXED = ("array", "percpu_array")

ERRNO_BY_TEXT = {os.strerror(e): name for e, name in errno.errorcode.items()}


# ------------------------------------------------------------------------------------------- plumbing
def run(cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    return p


def bpftool_json(*args):
    return json.loads(run(["bpftool", "-j", *args]).stdout)


def hexbytes(lst):
    return "".join(x[2:] for x in lst).lower()


def possible_cpus():
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def elf_symbols(obj):
    """{section: {symbol: (offset, size)}} from llvm-objdump-19 -t."""
    syms = {}
    for line in run(["llvm-objdump-19", "-t", obj]).stdout.splitlines():
        m = re.match(r"^([0-9a-f]{16}) (.{7}) (\S+)\s+([0-9a-f]{16}) (\S+)$", line)
        if m and m.group(3) != "*UND*":
            syms.setdefault(m.group(3), {})[m.group(5)] = (int(m.group(1), 16), int(m.group(4), 16))
    return syms


class Loaded:
    """One `bpftool prog loadall` of an object, with its pins; a context manager that removes them."""

    def __init__(self, obj, pin_dir):
        self.obj, self.dir = obj, pin_dir
        self.maps_dir = os.path.join(pin_dir, "maps")

    def __enter__(self):
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        run(["bpftool", "prog", "loadall", self.obj, self.dir, "pinmaps", self.maps_dir])
        syms = elf_symbols(self.obj)
        user_maps = set(syms.get(".maps", {}))
        self.maps = {}          # C name -> (pin path, info)
        for pin in sorted(os.listdir(self.maps_dir)) if os.path.isdir(self.maps_dir) else []:
            path = os.path.join(self.maps_dir, pin)
            info = bpftool_json("map", "show", "pinned", path)
            if pin in user_maps:
                name = pin
            else:  # internal map: kernel name is "<objname prefix>.<section>"
                kname = info["name"]
                name = kname[kname.index("."):]
            self.maps[name] = (path, info)
        self.progs = {}         # function name -> (pin path, id)
        for pin in sorted(os.listdir(self.dir)):
            if pin == "maps":
                continue
            path = os.path.join(self.dir, pin)
            self.progs[pin] = (path, bpftool_json("prog", "show", "pinned", path)["id"])
        self.prog_by_id = {pid: name for name, (_, pid) in self.progs.items()}
        self.syms = syms
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def map_path(self, name):
        if name not in self.maps:
            raise KeyError(f"{self.obj}: no map {name!r} (have {sorted(self.maps)})")
        return self.maps[name][0]

    def resolve_patch(self, patch: GlobalPatch):
        """Turns a GlobalPatch into "<section>:<key>:<value>" using the map's current contents."""
        dump = bpftool_json("map", "dump", "pinned", self.map_path(patch.section))
        value = bytearray(bytes.fromhex(hexbytes(dump[0]["value"])))
        for sym, data in patch.fields.items():
            off, size = self.syms[patch.section][sym]
            assert len(data) == size, f"{sym}: {len(data)} bytes for a {size}-byte variable"
            value[off:off + size] = data
        return mu(patch.section, u32(0), bytes(value))

    def update(self, spec):
        name, key, value = spec.split(":")
        run(["bpftool", "map", "update", "pinned", self.map_path(name),
             "key", "hex", *re.findall("..", key), "value", "hex", *re.findall("..", value)])

    def tail_call(self, spec):
        name, index, prog = spec.split(":")
        run(["bpftool", "map", "update", "pinned", self.map_path(name), "key", *[str(b) for b in u32(int(index))],
             "value", "pinned", self.progs[prog][0]])

    def fill(self, spec):
        """MAP:FIRST:COUNT:V1[,V2...]: index FIRST + i gets V[i % n], with BPF_MAP_UPDATE_BATCH."""
        name, first, count, values = spec.split(":")
        vals = [bytes.fromhex(v) for v in values.split(",")]
        fd = bpfsys.obj_get(self.map_path(name))
        try:
            first, count = int(first), int(count)
            for lo in range(0, count, 1 << 16):
                n = min(1 << 16, count - lo)
                keys = b"".join(struct.pack("<I", first + lo + i) for i in range(n))
                data = b"".join(vals[(lo + i) % len(vals)] for i in range(n))
                bpfsys.map_update_batch(fd, keys, data, n)
        finally:
            bpfsys.close(fd)

    def big_array_entries(self, path, info, ncpus):
        """The non-zero entries of a large array, read in batches."""
        fd = bpfsys.obj_get(path)
        percpu = info["type"] == "percpu_array"
        slot = (info["bytes_value"] + 7) // 8 * 8
        size = slot * ncpus if percpu else info["bytes_value"]
        out = []
        try:
            for k, v in bpfsys.map_lookup_batch(fd, info["bytes_key"], size, chunk=1 << 20, skip_zero=True):
                if percpu:
                    out.append({"key": k.hex(), "values": [v[c * slot:(c + 1) * slot].hex() for c in range(ncpus)]})
                else:
                    out.append({"key": k.hex(), "value": v.hex()})
        finally:
            bpfsys.close(fd)
        return out

    def has_big_arrays(self):
        return any(i["type"] in INDEXED and i["max_entries"] > BIG_ARRAY for _, i in self.maps.values())

    def dump_maps(self, ncpus):
        out = {}
        for name, (path, info) in sorted(self.maps.items()):
            if info["type"] in INDEXED and info["max_entries"] > BIG_ARRAY:
                out[name] = digest(self.big_array_entries(path, info, ncpus))
                continue
            entries = []
            for e in bpftool_json("map", "dump", "pinned", path):
                key = hexbytes(e["key"])
                if "values" in e:
                    entries.append({"key": key, "values": [hexbytes(v["value"]) for v in
                                                           sorted(e["values"], key=lambda v: v["cpu"])]})
                elif isinstance(e.get("value"), dict):   # empty devmap / cpumap / prog_array slot
                    continue
                elif info["type"] == "prog_array":
                    pid = struct.unpack("<I", bytes.fromhex(hexbytes(e["value"])))[0]
                    entries.append({"key": key, "program": self.prog_by_id.get(pid, f"id:{pid}")})
                elif info["type"] in ("array_of_maps", "hash_of_maps"):   # map ids are not portable either
                    mid = struct.unpack("<I", bytes.fromhex(hexbytes(e["value"])))[0]
                    by_id = {inf["id"]: n for n, (_, inf) in self.maps.items()}
                    entries.append({"key": key, "map": by_id.get(mid, f"id:{mid}")})
                else:
                    entries.append({"key": key, "value": hexbytes(e["value"])})
            if info["type"] not in INDEXED:   # arrays stay in index order, as bpftool lists them
                entries.sort(key=lambda x: bytes.fromhex(x["key"]))
            out[name] = entries
        return out


def digest(entries):
    """A large map's non-zero entries as their count and the SHA-256 of one line per entry in index
    order, "key:value" (per-CPU: "key:v0,v1,..."); the golden test hashes nicsim's dump the same way."""
    lines = "\n".join(f"{e['key']}:{e.get('value') or ','.join(e['values'])}" for e in entries)
    return {"nonzero": len(entries), "sha256": hashlib.sha256(lines.encode()).hexdigest()}


class Trace:
    """trace_printk capture: marks the trace buffer before and after a run and keeps one pid's lines."""

    def __init__(self):
        self.mounted = False

    def __enter__(self):
        if not os.path.exists(os.path.join(TRACEFS, "trace")):
            run(["mount", "-t", "tracefs", "nodev", TRACEFS])
            self.mounted = True
        return self

    def __exit__(self, *exc):
        if self.mounted:
            run(["umount", TRACEFS], check=False)

    def mark(self, text):
        with open(os.path.join(TRACEFS, "trace_marker"), "w") as f:
            f.write(text)

    def collect(self, start, end, pid):
        lines = open(os.path.join(TRACEFS, "trace")).read().splitlines()
        try:
            a = max(i for i, ln in enumerate(lines) if start in ln)
            b = max(i for i, ln in enumerate(lines) if end in ln)
        except ValueError:
            return []
        msgs = []
        for ln in lines[a + 1:b]:
            m = re.search(r"-(\d+)\s+\[\d+\].*?bpf_trace_printk: (.*)$", ln)
            if m and int(m.group(1)) == pid:
                msgs.append(m.group(2))
        return msgs


def prog_run(path, data_file, out_file, repeat):
    """bpftool prog run; returns (proc, parsed json or None)."""
    cmd = ["bpftool", "-j", "prog", "run", "pinned", path, "data_in", data_file]
    if out_file:
        cmd += ["data_out", out_file, "data_size_out", str(DATA_SIZE_OUT)]
    cmd += ["repeat", str(repeat)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = p.communicate()
    try:
        doc = json.loads(stdout)
    except json.JSONDecodeError:
        doc = None
    return p, doc, stderr


def run_error(doc, stderr):
    text = (doc or {}).get("error", "") + " " + stderr
    for msg, name in ERRNO_BY_TEXT.items():
        if msg and msg in text:
            return name
    raise RuntimeError(f"prog run failed without a recognisable errno: {text.strip()}")


def record_case(example, obj_rel, c, packets, ncpus, trace, uses_printk, tmp):
    obj = os.path.join(ROOT, obj_rel)
    data_in = bytes.fromhex(packets[c["packet"]])
    din = os.path.join(tmp, "in.bin")
    dout = os.path.join(tmp, "out.bin")
    with open(din, "wb") as f:
        f.write(data_in)
    if os.path.exists(dout):
        os.unlink(dout)
    with Loaded(obj, os.path.join(PIN_BASE, example)) as ld:
        updates = [ld.resolve_patch(u) if isinstance(u, GlobalPatch) else u for u in c["map_updates"]]
        for u in updates:
            ld.update(u)
        for f in c.get("map_fills", []):
            ld.fill(f)
        for t in c["tail_calls"]:
            ld.tail_call(t)
        for b in c["before"]:
            p, doc, err = prog_run(ld.progs[b][0], din, None, 1)
            if p.returncode != 0:
                raise RuntimeError(f"{example}/{c['name']}: before {b} failed: {err.strip()}")
        start, end = f"nicsim-rec-start {example} {c['name']}", f"nicsim-rec-end {example} {c['name']}"
        if uses_printk:
            trace.mark(start)
        p, doc, err = prog_run(ld.progs[c["program"]][0], din, dout, c["repeat"])
        if uses_printk:
            trace.mark(end)
        if p.returncode != 0:
            expected = {"error": run_error(doc, err)}
        else:
            expected = {"retval": doc["retval"], "data_out": open(dout, "rb").read().hex(),
                        "maps": ld.dump_maps(ncpus)}
            if uses_printk:
                expected["trace"] = trace.collect(start, end, p.pid)
        big = ld.has_big_arrays()
        if big and "maps" in expected:   # every array as nicsim shows it by default: non-zero entries only
            for name, entries in expected["maps"].items():
                if isinstance(entries, list) and ld.maps[name][1]["type"] in INDEXED:
                    expected["maps"][name] = [e for e in entries if any(int(x, 16) for x in [e.get("value", "")] + e.get("values", []) if x)]
    rec = {"name": c["name"], "object": obj_rel, "program": c["program"], "packet": c["packet"],
           "data_in": data_in.hex(), "repeat": c["repeat"], "map_updates": updates,
           "tail_calls": c["tail_calls"], "before": c["before"], "expected": expected,
           "possible_cpus": ncpus}
    if c.get("map_fills"):
        rec["map_fills"] = c["map_fills"]
    if big:
        rec["dump"] = "nonzero"
    if c.get("mask"):
        rec["mask"] = c["mask"]
    return rec


def object_uses_printk(obj):
    dis = run(["llvm-objdump-19", "-d", "--no-show-raw-insn", obj]).stdout
    return re.search(r"\bcall 0x6\b", dis) is not None   # helper 6 = bpf_trace_printk


def write_fixture(path, records):
    with open(path, "w") as f:
        f.write("[\n")
        f.write(",\n".join("  " + json.dumps(r, separators=(", ", ": ")) for r in records))
        f.write("\n]\n")


def main(argv):
    if os.geteuid() != 0:
        sys.exit("record-examples.py needs root (bpffs pins, BPF_PROG_TEST_RUN)")
    os.sched_setaffinity(0, {0})
    packets = {p["name"]: p["hex"] for p in json.load(open(PACKETS))}
    ncpus = possible_cpus()
    wanted = argv or list(CASES)
    os.makedirs(OUT_DIR, exist_ok=True)
    os.makedirs(PIN_BASE, exist_ok=True)
    total = 0
    try:
        with Trace() as trace, tempfile.TemporaryDirectory() as tmp:
            for example in wanted:
                obj_rel = f"examples/{example}.o"
                uses_printk = object_uses_printk(os.path.join(ROOT, obj_rel))
                records = [record_case(example, obj_rel, c, packets, ncpus, trace, uses_printk, tmp)
                           for c in CASES[example](packets)]
                names = [r["name"] for r in records]
                assert len(names) == len(set(names)), f"{example}: duplicate case names"
                write_fixture(os.path.join(OUT_DIR, f"{example}.json"), records)
                total += len(records)
                print(f"{example}: {len(records)} cases")
    finally:
        shutil.rmtree(PIN_BASE, ignore_errors=True)
    print(f"total: {total} cases")


if __name__ == "__main__":
    main(sys.argv[1:])
