#!/usr/bin/env python3
"""Records kernel runs (BPF_PROG_TEST_RUN) of the kfunc run programs: test/fixtures/kfuncs/runs.json.

Usage (root, bpftool, bpffs at /sys/fs/bpf):  test/kernel/record-kfunc-runs.py

Each program of test/fixtures/kfuncs/progs/ (built by its build.sh) is loaded with
`bpftool prog loadall OBJ /sys/fs/bpf/nicsim_kfunc/NAME` and run per case with
`bpftool -j prog run pinned PIN data_in IN data_out OUT`; the pins are removed afterwards. The programs
take their arguments from the packet and write every kfunc's results back into it, so data_out shows
what the kernel's kfuncs returned. Recorded per case: the packet, retval and data_out; per program the
verifier's processed-instruction count (bpf_prog_info.verified_insns).

The conntrack cases run against this host's real conntrack table (CONFIG_NF_CONNTRACK=y): tuples are in
198.18.0.0/15 (benchmarking addresses no real connection uses) with a per-recording random third octet,
so entries inserted by an earlier recording (5 s timeouts) cannot be found. A case with `seed` first
inserts its tuple through ct_alloc_flow; nicsim replays it by seeding its table with the same entry
(`--conntrack`).
"""
import json
import os
import random
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGS = os.path.join(ROOT, "test", "fixtures", "kfuncs", "progs")
OUT = os.path.join(ROOT, "test", "fixtures", "kfuncs", "runs.json")
PIN = "/sys/fs/bpf/nicsim_kfunc"
ETH = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
TCP, UDP = 6, 17


def verified_insns(pin):
    """bpf_prog_info.verified_insns of a pinned program (BPF_OBJ_GET, BPF_OBJ_GET_INFO_BY_FD)."""
    import ctypes
    import sys
    sys.path.insert(0, HERE)
    import bpfsys
    path = ctypes.create_string_buffer(pin.encode() + b"\0")
    attr = bytearray(16)
    struct.pack_into("<Q", attr, 0, bpfsys._ptr(path))
    fd = bpfsys._bpf(7, attr)  # BPF_OBJ_GET
    info = ctypes.create_string_buffer(256)
    a = bytearray(16)
    struct.pack_into("<IIQ", a, 0, fd, 256, bpfsys._ptr(info))
    assert bpfsys._bpf(bpfsys.BPF_OBJ_GET_INFO_BY_FD, a) == 0
    bpfsys.close(fd)
    return struct.unpack_from("<I", info.raw, 216)[0]  # offsetof(struct bpf_prog_info, verified_insns)


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def pkt(params: bytes, tail: bytes = b"", size=96) -> bytes:
    b = ETH + params + tail
    return b + bytes(max(0, size - len(b)))


def ip4(a, b, c, d):
    return bytes([a, b, c, d])


def tuple4(src, dst, sport, dport):
    return src + dst + struct.pack(">HH", sport, dport)


def lookup_case(proto=TCP, osz=16, tsz=12, netns=-1, reserved=0, zone=0, tup=b""):
    params = bytes([proto, osz, tsz, netns & 0xFF, reserved, zone])
    return pkt(params, tup.ljust(36, b"\0"))


def main():
    os.sched_setaffinity(0, {0})
    octet = random.SystemRandom().randrange(1, 255)
    A, B = ip4(198, 18, octet, 1), ip4(198, 18, octet, 2)
    C, D = ip4(198, 19, octet, 3), ip4(198, 19, octet, 4)
    t_miss = tuple4(A, B, 40000, 80)
    t_hit = tuple4(C, D, 41000, 443)
    t_hit_rev = tuple4(D, C, 443, 41000)
    v6 = bytes(range(32)) + struct.pack(">HH", 1, 2)
    flow = lambda tup, proto=TCP, st=8, st2=6: pkt(bytes([proto]) + struct.pack("<I", st) + bytes([st2]), tup.ljust(36, b"\0"))  # noqa: E731
    cases = {
        "ct_lookup_args": [
            ("miss_opts16", lookup_case(tup=t_miss), None),
            ("miss_opts12", lookup_case(osz=12, tup=t_miss), None),
            ("opts_size_8", lookup_case(osz=8, tup=t_miss), None),
            ("reserved_set", lookup_case(reserved=1, tup=t_miss), None),
            ("opts12_zone", lookup_case(osz=12, zone=5, tup=t_miss), None),
            ("proto_icmp", lookup_case(proto=1, tup=t_miss), None),
            ("netns_minus2", lookup_case(netns=-2, tup=t_miss), None),
            ("netns_3", lookup_case(netns=3, tup=t_miss), None),
            ("proto_icmp_netns_minus2", lookup_case(proto=1, netns=-2, tup=t_miss), None),
            ("tuple_size_20", lookup_case(tsz=20, tup=t_miss), None),
            ("tuple_size_20_netns_3", lookup_case(tsz=20, netns=3, tup=t_miss), None),
            ("ipv6_miss", lookup_case(tsz=36, tup=v6), None),
            ("udp_miss", lookup_case(proto=UDP, tup=t_miss), None),
            ("zone5_miss", lookup_case(zone=5, tup=t_miss), None),
            ("hit_original", lookup_case(tup=t_hit), "seed"),
            ("hit_reply", lookup_case(tup=t_hit_rev), "seed"),
            ("hit_other_zone", lookup_case(zone=7, tup=t_hit), "seed"),
            ("hit_udp_proto_differs", lookup_case(proto=UDP, tup=t_hit), "seed"),
        ],
        "ct_alloc_flow": [
            ("confirmed_then_seen_reply_assured", flow(tuple4(A, D, 42000, 22)), None),
            ("status_zero_busy", flow(tuple4(B, D, 42001, 22), st=0), None),
            ("status_with_seen_reply", flow(tuple4(A, C, 42002, 22), st=8 | 2, st2=8), None),
            ("change_status_drops_confirmed", flow(tuple4(B, C, 42003, 22), st2=0), None),
            ("udp", flow(tuple4(A, B, 42004, 53), proto=UDP), None),
            ("proto_icmp", flow(tuple4(A, B, 42005, 53), proto=1), None),
        ],
        "dynptr_run": [
            ("ok", pkt(bytes([0, 20, 30, 40])), None),
            ("flags_1", pkt(bytes([1, 20, 30, 40])), None),
            ("slice_past_end", pkt(bytes([0, 94, 30, 40])), None),
            ("slice_at_end", pkt(bytes([0, 92, 94, 94])), None),
            ("read_write_past_end", pkt(bytes([0, 0, 95, 95])), None),
            ("short_packet", pkt(bytes([0, 60, 80, 86]), size=88), None),
        ],
        "pull_data_run": [
            ("within_linear", pkt(struct.pack("<H", 100), size=4000), None),
            ("pull_3600", pkt(struct.pack("<H", 3600), size=4000), None),
            ("pull_3736_all_headroom", pkt(struct.pack("<H", 3736), size=4000), None),
            ("pull_3737_too_much", pkt(struct.pack("<H", 3737), size=4000), None),
            ("pull_all", pkt(struct.pack("<H", 4000), size=4000), None),
            ("pull_past_end", pkt(struct.pack("<H", 4001), size=4000), None),
            ("two_frags", pkt(struct.pack("<H", 3700), size=9000), None),
        ],
    }
    seed = {"proto": "tcp", "src": ".".join(map(str, C)), "dst": ".".join(map(str, D)), "sport": 41000, "dport": 443}
    out = {"kernel": os.uname().release, "recorded_by": "test/kernel/record-kfunc-runs.py", "programs": []}
    shutil.rmtree(PIN, ignore_errors=True)
    tmp = tempfile.mkdtemp()
    try:
        os.makedirs(PIN)
        pins = {}
        for name in cases:
            d = os.path.join(PIN, name)
            run("bpftool", "prog", "loadall", os.path.join(PROGS, name + ".o"), d)
            pins[name] = os.path.join(d, name)
        seeded = False
        for name, cs in cases.items():
            entry = {"program": name, "object": f"test/fixtures/kfuncs/progs/{name}.o",
                     "verified_insns": verified_insns(pins[name]), "cases": []}
            for cname, data, needs in cs:
                if needs == "seed" and not seeded:
                    fin = os.path.join(tmp, "seed.bin")
                    open(fin, "wb").write(flow(t_hit))
                    run("bpftool", "prog", "run", "pinned", pins["ct_alloc_flow"], "data_in", fin)
                    seeded = True
                fin, fout = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
                open(fin, "wb").write(data)
                r = json.loads(run("bpftool", "-j", "prog", "run", "pinned", pins[name], "data_in", fin,
                                   "data_out", fout, "data_size_out", "65536"))
                c = {"name": cname, "data_in": data.hex(), "retval": r["retval"], "data_out": open(fout, "rb").read().hex()}
                if needs == "seed":
                    c["conntrack"] = [seed]
                entry["cases"].append(c)
            out["programs"].append(entry)
    finally:
        shutil.rmtree(PIN, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{OUT}: {sum(len(p['cases']) for p in out['programs'])} cases")


if __name__ == "__main__":
    main()
