#!/usr/bin/env python3
"""Records bpf_csum_diff results from the kernel (root): random from/to word lists and seeds, each run
through a small XDP program with BPF_PROG_TEST_RUN that stores the helper's r0 in the packet.
Output: test/fixtures/helpers/csum_diff.json

    sudo python3 test/kernel/record-csum-diff.py
"""
import json, os, random, struct, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfsys
from bpfsys import insn

def s32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v >= 1 << 31 else v

def program(wf, wt, seed):
    p = insn(0xbf, 6, 1)                                        # r6 = ctx
    for i, w in enumerate(wf): p += insn(0x62, 10, 0, -256 + 4 * i, s32(w))   # from words at fp-256
    for i, w in enumerate(wt): p += insn(0x62, 10, 0, -128 + 4 * i, s32(w))   # to words at fp-128
    p += insn(0xbf, 1, 10) + insn(0x07, 1, 0, 0, -256) + insn(0xb7, 2, 0, 0, 4 * len(wf))
    if not wf: p += insn(0xb7, 1, 0, 0, 0)                      # from = NULL when from_size = 0
    p += insn(0xbf, 3, 10) + insn(0x07, 3, 0, 0, -128) + insn(0xb7, 4, 0, 0, 4 * len(wt))
    p += insn(0x18, 5, 0, 0, s32(seed)) + insn(0, 0, 0, 0, 0)
    p += insn(0x85, 0, 0, 0, 28)                                # bpf_csum_diff
    p += insn(0xbf, 7, 0)
    p += insn(0x61, 2, 6, 0, 0) + insn(0x61, 3, 6, 4, 0) + insn(0xbf, 4, 2) + insn(0x07, 4, 0, 0, 8)
    p += insn(0x2d, 4, 3, 1, 0) + insn(0x7b, 2, 7, 0, 0)      # if data + 8 <= data_end: *(u64 *)data = r0
    p += insn(0xb7, 0, 0, 0, 2) + insn(0x95)
    return p

def run(wf, wt, seed):
    fd, log = bpfsys.prog_load(program(wf, wt, seed))
    assert fd >= 0, log
    err, ret, out, _ = bpfsys.prog_test_run(fd, bytes(64))
    bpfsys.close(fd)
    assert err == 0
    return struct.unpack("<Q", out[:8])[0]

random.seed(20261126)
cases = [([], [0xdeadbeef, 0x12345678], 0), ([0xffffffff], [0], 0), ([], [0xffffffff, 0xffffffff], 0), ([], [], 7),
         ([0, 0], [], 0), ([], [0x80000000, 0x80000000], 0xffffffff), ([0xffffffff], [], 0), ([0], [], 0), ([0], [], 0xffffffff)]
for _ in range(300):
    nf, nt = random.randint(0, 6), random.randint(0, 6)
    cases.append(([random.getrandbits(32) for _ in range(nf)], [random.getrandbits(32) for _ in range(nt)],
                  random.choice([0, 0xffffffff, random.getrandbits(32), random.getrandbits(16)])))
out = [{"from": [f"{w:08x}" for w in wf], "to": [f"{w:08x}" for w in wt], "seed": f"{seed:08x}", "r0": f"{run(wf, wt, seed):x}"}
       for wf, wt, seed in cases]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "helpers", "csum_diff.json")
with open(path, "w") as f:
    json.dump({"kernel": os.uname().release,
               "note": "from/to are u32 values stored little-endian on the stack; r0 is the helper's return value",
               "cases": out}, f, indent=1)
print(len(out), "cases ->", path)
