#!/usr/bin/env python3
"""Records what the kernel's output channels deliver for examples/xdp_sample.o into
test/fixtures/output/xdp_sample.json: the perf event array's records and the ring buffer's.

Root only. Per case: `bpftool prog loadall` with pinned maps; with "perf_events", a BPF-output perf
event (perf_event_open: PERF_TYPE_SOFTWARE / PERF_COUNT_SW_BPF_OUTPUT, sample_type CPU | RAW) on every
possible CPU, mmapped, its fd stored at the CPU's index of `events` (what libbpf's perf_buffer does);
then BPF_PROG_TEST_RUN (this process pinned to CPU 0) with `repeat`; then every perf record read from
the mmapped perf rings (cpu, raw bytes split into the program's data and the packet sample), every
ring buffer record read from the mmapped ring (consumer and producer pages, data pages: header len
with busy / discard bits and pg_off, sample bytes), and `bpftool map dump` of out_stats.

Usage: sudo python3 test/kernel/record-output.py     (writes the fixture; about 10 s)
"""
import ctypes
import json
import mmap
import os
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
import bpfsys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OBJ = "examples/xdp_sample.o"
PIN = "/sys/fs/bpf/nicsim_out"
PACKETS = os.path.join(ROOT, "test", "fixtures", "packets", "packets.json")
OUT = os.path.join(ROOT, "test", "fixtures", "output", "xdp_sample.json")
PAGE = 4096
PERF_PAGES = 8
SNAP_LEN = 64      # xdp_sample.c's SNAP_LEN
META_SIZE = 8      # sizeof(struct meta)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
SYS_perf_event_open = 298
PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT = 1, 10
PERF_SAMPLE_CPU, PERF_SAMPLE_RAW = 1 << 7, 1 << 10
PERF_RECORD_LOST, PERF_RECORD_SAMPLE = 2, 9
BUSY, DISCARD = 1 << 31, 1 << 30

CASES = [
    # name, program, packet, repeat, perf events open?
    ("sample_ipv4_tcp_syn", "sample", "ipv4_tcp_syn", 1, True),
    ("sample_arp_discarded", "sample", "arp_request", 1, True),
    ("sample_padded_60", "sample", "ipv4_tcp_ack_padded", 1, True),
    ("sample_ipv4_udp_1514", "sample", "ipv4_udp_1514", 1, True),
    ("sample_overflow_repeat100", "sample", "ipv4_tcp_syn", 100, True),
    ("sample_no_listener", "sample", "ipv4_udp_vip", 2, False),
    ("sample_other_cpu_slot", "sample_cpu1", "ipv4_tcp_syn", 1, True),
    ("sample_bad_flags", "sample_bad", "ipv4_tcp_syn", 1, True),
]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")
    return p.stdout


def possible_cpus():
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


def perf_open(cpu):
    attr = bytearray(128)
    struct.pack_into("<IIQQQ", attr, 0, PERF_TYPE_SOFTWARE, len(attr), PERF_COUNT_SW_BPF_OUTPUT, 1,
                     PERF_SAMPLE_CPU | PERF_SAMPLE_RAW)
    struct.pack_into("<I", attr, 48, 1)   # wakeup_events
    buf = (ctypes.c_char * len(attr)).from_buffer(attr)
    fd = _libc.syscall(SYS_perf_event_open, buf, -1, cpu, -1, 8)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "perf_event_open")
    return fd, mmap.mmap(fd, PAGE * (1 + PERF_PAGES), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)


def perf_read(m, sample_len):
    head, tail = struct.unpack_from("<QQ", m, 1024)
    size = PERF_PAGES * PAGE
    data = m[PAGE:PAGE + size]
    out, pos = [], tail
    while pos < head:
        def take(n, at):
            return bytes(data[(at + i) % size] for i in range(n))
        typ, _misc, rsize = struct.unpack("<IHH", take(8, pos))
        rec = take(rsize, pos)
        if typ == PERF_RECORD_SAMPLE:
            cpu, _res, raw_size = struct.unpack_from("<III", rec, 8)
            raw = rec[20:20 + raw_size]
            r = {"cpu": cpu, "size": META_SIZE + sample_len, "bytes": raw[:META_SIZE].hex()}
            if sample_len:
                r["sample"] = raw[META_SIZE:META_SIZE + sample_len].hex()
            out.append(r)
        elif typ == PERF_RECORD_LOST:
            out.append({"lost": struct.unpack_from("<Q", rec, 16)[0]})
        pos += rsize
    return out


def ringbuf_read(fd, size):
    cons_m = mmap.mmap(fd, PAGE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
    prod_m = mmap.mmap(fd, PAGE + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=PAGE)
    cons = struct.unpack_from("<Q", cons_m, 0)[0]
    prod = struct.unpack_from("<Q", prod_m, 0)[0]
    records = []
    while cons < prod:
        off = PAGE + (cons & (size - 1))
        ln, pg_off = struct.unpack_from("<II", prod_m, off)
        if ln & BUSY:
            break
        n = ln & ~(BUSY | DISCARD)
        records.append({"size": n, "bytes": prod_m[off + 8:off + 8 + n].hex(), "pg_off": pg_off,
                        "discarded": bool(ln & DISCARD)})
        cons += (n + 8 + 7) // 8 * 8
    cons_m.close()
    prod_m.close()
    return records, prod


def dump_array(path):
    entries = json.loads(run(["bpftool", "-j", "map", "dump", "pinned", path]))
    return [{"key": "".join(x[2:] for x in e["key"]), "value": "".join(x[2:] for x in e["value"])} for e in entries]


def record(name, prog, packet, repeat, perf, packets, ncpus):
    data = bytes.fromhex(packets[packet])
    if os.path.exists(PIN):
        shutil.rmtree(PIN)
    run(["bpftool", "prog", "loadall", os.path.join(ROOT, OBJ), PIN, "pinmaps", f"{PIN}/maps"])
    opened = []
    ev = None
    try:
        if perf:
            # kept open until the run is over: closing the map fd used for the updates removes the
            # events again (no BPF_F_PRESERVE_ELEMS)
            ev = bpfsys.obj_get(f"{PIN}/maps/events")
            for c in range(ncpus):
                fd, m = perf_open(c)
                opened.append((fd, m))
                rc = bpfsys.map_update(ev, struct.pack("<I", c), struct.pack("<I", fd))
                if rc:
                    raise OSError(-rc, "update events")
        pfd = bpfsys.obj_get(f"{PIN}/{prog}")
        r = bpfsys.prog_test_run(pfd, data, repeat=repeat, data_out_size=len(data) + 256)
        bpfsys.close(pfd)
        if r[0]:
            raise OSError(-r[0], f"{name}: BPF_PROG_TEST_RUN")
        sample_len = min(len(data), SNAP_LEN) if prog == "sample" else 0
        perf_records = [rec for _, m in opened for rec in perf_read(m, sample_len)]
        rb = bpfsys.obj_get(f"{PIN}/maps/rb")
        info = bpfsys.map_info(rb)
        rings, _ = ringbuf_read(rb, info["max_entries"])
        bpfsys.close(rb)
        stats = dump_array(f"{PIN}/maps/out_stats")
    finally:
        if ev is not None:
            bpfsys.close(ev)
        for fd, m in opened:
            m.close()
            os.close(fd)
        shutil.rmtree(PIN, ignore_errors=True)
    retval, data_out = r[1], r[2]
    return {"name": name, "object": OBJ, "program": prog, "packet": packet, "data_in": data.hex(), "repeat": repeat,
            "perf_events": perf, "possible_cpus": ncpus,
            "expected": {"retval": retval, "data_out": data_out.hex(), "perf": perf_records, "ringbuf": rings,
                         "maps": {"out_stats": stats}}}


def main():
    if os.geteuid() != 0:
        sys.exit("record-output.py needs root")
    os.sched_setaffinity(0, {0})
    packets = {p["name"]: p["hex"] for p in json.load(open(PACKETS))}
    ncpus = possible_cpus()
    recs = [record(*c, packets, ncpus) for c in CASES]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(r) for r in recs) + "\n]\n")
    print(f"{len(recs)} cases -> {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
