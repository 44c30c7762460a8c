#!/usr/bin/env python3
"""Records the kernel's answers for `nicsim run` with a shared conntrack table:
test/fixtures/kfuncs/ct-device.json.

Usage (root, bpftool, bpffs at /sys/fs/bpf, CONFIG_NF_CONNTRACK=y):  test/kernel/record-ct-device.py

test/fixtures/kfuncs/progs/ct_gate.o (a SYN-proxy-like gate: tracked connections pass both ways, a SYN
of an untracked one is inserted, anything else untracked is dropped) runs over two phases of TCP
packets, one BPF_PROG_TEST_RUN per packet in order (`bpftool -j prog run pinned PIN data_in IN
data_out OUT`), all against this host's real conntrack table:
  phase 1: the SYN of each of 16 flows (client 198.18.X.(i+1):(40000+i) -> server 198.19.X.1:80), and two
           ACKs of flows nobody opened;
  phase 2: per flow the server's SYN-ACK (found through the reply tuple, dir 1) and the client's ACK
           (dir 0), then flow 0's SYN again (found, not inserted twice) and one more stray ACK;
  phase 3: lifetimes: a SYN asking for a 2 s timeout, then the flow's ACK about 1.5 s and about 2.5 s
           later (the script sleeps; each packet's time since the SYN, CLOCK_MONOTONIC, is recorded as
           `at_ns`): found, then expired.
X is a random third octet per recording (198.18.0.0/15 is for benchmarking; no real connection uses it,
and an earlier recording's entries, 30 s timeouts, are never met). Recorded per packet: the frame,
retval and data_out; after the run, this host's /proc/net/nf_conntrack lines of the recorded flows.
nicsim replays the phases as runs of one device on 2 cores (test/kfunc/device.test.ts), phase 3 with the
recorded times as the packets' timestamps.
"""
import json
import os
import random
import shutil
import struct
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OBJ = os.path.join(ROOT, "test", "fixtures", "kfuncs", "progs", "ct_gate.o")
OUT = os.path.join(ROOT, "test", "fixtures", "kfuncs", "ct-device.json")
PIN = "/sys/fs/bpf/nicsim_ct_device"
FLOWS = 16
SYN, ACK = 0x02, 0x10


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def csum(b: bytes) -> int:
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_frame(src, dst, sport, dport, flags, size=96, timeout_ms=0):
    eth = bytes.fromhex("020000000002020000000001") + b"\x08\x00"
    tot = size - 14
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot, 1, 0x4000, 64, 6, 0, bytes(src), bytes(dst)))
    struct.pack_into(">H", ip, 10, csum(bytes(ip)))
    tcp = struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)
    return eth + bytes(ip) + tcp + struct.pack("<I", timeout_ms) + bytes(size - 14 - 20 - 20 - 4)


def main():
    os.sched_setaffinity(0, {0})
    octet = random.SystemRandom().randrange(1, 255)
    server = [198, 19, octet, 1]
    client = lambda i: [198, 18, octet, i + 1]  # noqa: E731
    phase1 = [tcp_frame(client(i), server, 40000 + i, 80, SYN) for i in range(FLOWS)]
    phase1 += [tcp_frame(client(200), server, 41000, 80, ACK), tcp_frame(client(201), server, 41001, 80, ACK)]
    phase2 = []
    for i in range(FLOWS):
        phase2.append(tcp_frame(server, client(i), 80, 40000 + i, SYN | ACK))
        phase2.append(tcp_frame(client(i), server, 40000 + i, 80, ACK))
    phase2 += [tcp_frame(client(0), server, 40000, 80, SYN), tcp_frame(client(202), server, 41002, 80, ACK)]
    phase3 = [(0.0, tcp_frame(client(100), server, 42000, 80, SYN, timeout_ms=2000)),
              (1.5, tcp_frame(client(100), server, 42000, 80, ACK)), (2.5, tcp_frame(client(100), server, 42000, 80, ACK))]
    out = {"kernel": os.uname().release, "recorded_by": "test/kernel/record-ct-device.py",
           "object": "test/fixtures/kfuncs/progs/ct_gate.o", "program": "ct_gate", "phases": []}
    shutil.rmtree(PIN, ignore_errors=True)
    tmp = tempfile.mkdtemp()
    try:
        os.makedirs(PIN)
        run("bpftool", "prog", "loadall", OBJ, PIN)
        pin = os.path.join(PIN, "ct_gate")
        for frames in (phase1, phase2, phase3):
            rows = []
            start = time.monotonic_ns()
            for f in frames:
                at = None
                if isinstance(f, tuple):
                    while time.monotonic_ns() - start < f[0] * 1e9:
                        time.sleep(0.01)
                    at, f = time.monotonic_ns() - start, f[1]
                fin, fout = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
                open(fin, "wb").write(f)
                r = json.loads(run("bpftool", "-j", "prog", "run", "pinned", pin, "data_in", fin,
                                   "data_out", fout, "data_size_out", "65536"))
                row = {"data_in": f.hex(), "retval": r["retval"], "data_out": open(fout, "rb").read().hex()}
                if at is not None:
                    row["at_ns"] = at
                rows.append(row)
            out["phases"].append(rows)
        prefix = f"198.18.{octet}."
        # the flows of phases 1 and 2 (phase 3's entry has expired)
        out["nf_conntrack"] = [l.strip() for l in open("/proc/net/nf_conntrack") if f"src={prefix}" in l and "sport=42000" not in l]
    finally:
        shutil.rmtree(PIN, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{OUT}: {sum(len(p) for p in out['phases'])} packets, {len(out['nf_conntrack'])} conntrack entries")


if __name__ == "__main__":
    main()
