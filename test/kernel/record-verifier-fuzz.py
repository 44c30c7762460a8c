#!/usr/bin/env python3
"""Records the Linux verifier's verdicts on random XDP programs for nicsim's safety verifier.

    sudo python3 test/kernel/record-verifier-fuzz.py [--count N] [--seed S] [--out FILE]

Without --out it rewrites the committed fixture (5000 programs, seed 6180). A longer campaign with
another seed goes elsewhere and is compared by test/kernel/verifier-campaign.ts:

    sudo python3 test/kernel/record-verifier-fuzz.py --count 20000 --seed 7001 --out /tmp/fuzz.json.gz
    npx tsx test/kernel/verifier-campaign.ts /tmp/fuzz.json.gz [--heavy]

Writes test/fixtures/verifier/fuzz.json.gz: for each generated program its bytes (map references as
BPF_PSEUDO_MAP_IDX, src=5, imm = map index, as nicsim's loader writes them), and the kernel's answer
as root and with only CAP_BPF + CAP_NET_ADMIN (a setpriv child, like record-verifier.py): accepted,
final error line, processed instructions, and the state counts of the last stats line
(max_states_per_insn, total_states, peak_states). test/verifier/fuzz.test.ts replays them.

The generator aims at the verifier's value tracking, where a corpus of hand-written programs is thin:
random 32/64-bit ALU chains (every operation, immediates at the interesting edges) and conditional
jumps that refine bounds, ending in a memory access whose offset depends on the tracked value (map
value, stack, packet); packet pointers compared with data_end in every form; stack spills, fills and
partial accesses; bounded loops. Programs are kept small so most verdicts depend on one fact.
"""
import gzip
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfsys  # noqa: E402
from bpfsys import insn  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "verifier", "fuzz.json.gz")
MAPS = [  # created by the recorder; nicsim sees the same specs
    {"name": "arr", "type": bpfsys.BPF_MAP_TYPE_ARRAY, "typeName": "array", "keySize": 4, "valueSize": 64, "maxEntries": 16},
    {"name": "hash", "type": bpfsys.BPF_MAP_TYPE_HASH, "typeName": "hash", "keySize": 8, "valueSize": 24, "maxEntries": 64},
    {"name": "progs", "type": bpfsys.BPF_MAP_TYPE_PROG_ARRAY, "typeName": "prog_array", "keySize": 4, "valueSize": 4, "maxEntries": 4},
    {"name": "devs", "type": bpfsys.BPF_MAP_TYPE_DEVMAP, "typeName": "devmap", "keySize": 4, "valueSize": 4, "maxEntries": 4},
]
STAT = re.compile(r"^(processed \d+ insns|verification time|stack depth|max_states)")

EDGES = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 1000, 0x7fff, 0xffff, 0x10000,
         0x7fffffff, -1, -2, -8, -16, -64, -256, -0x80000000, 0x40000000, 12345]

ALU_OPS = {"add": 0x00, "sub": 0x10, "mul": 0x20, "div": 0x30, "or": 0x40, "and": 0x50, "lsh": 0x60,
           "rsh": 0x70, "mod": 0x90, "xor": 0xa0, "mov": 0xb0, "arsh": 0xc0}
JMP_OPS = {"jeq": 0x10, "jgt": 0x20, "jge": 0x30, "jset": 0x40, "jne": 0x50, "jsgt": 0x60, "jsge": 0x70,
           "jlt": 0xa0, "jle": 0xb0, "jslt": 0xc0, "jsle": 0xd0}


def s16(x):
    return max(-32768, min(32767, x))


def ld_map_idx(dst, idx):
    return insn(0x18, dst, 5, 0, idx) + insn(0, 0, 0, 0, 0)


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.out = []  # list of bytes, one per slot (lddw = two entries)

    def emit(self, b):
        for i in range(0, len(b), 8):
            self.out.append(b[i:i + 8])

    def pc(self):
        return len(self.out)

    def imm(self):
        r = self.r
        return r.choice(EDGES) if r.random() < 0.6 else r.randint(-70000, 70000)

    def alu(self, regs):
        r = self.r
        op = r.choice(list(ALU_OPS))
        cls = 0x07 if r.random() < 0.6 else 0x04
        dst = r.choice(regs)
        if op in ("lsh", "rsh", "arsh") and r.random() < 0.8:
            self.emit(insn(cls | ALU_OPS[op], dst, 0, 0, r.randint(0, 63 if cls == 7 else 31)))
        elif r.random() < 0.5:
            k = self.imm()
            if op in ("div", "mod") and k == 0:
                k = 3
            self.emit(insn(cls | ALU_OPS[op], dst, 0, 0, k))
        else:
            self.emit(insn(cls | 0x08 | ALU_OPS[op], dst, r.choice(regs)))
        x = r.random()
        if x < 0.03:
            # cpu v4: sign-extending moves, signed division and modulo
            k = r.random()
            if k < 0.4:
                self.emit(insn(0xbf if cls == 7 else 0xbc, dst, r.choice(regs), r.choice([8, 16, 32] if cls == 7 else [8, 16]), 0))
            elif k < 0.7:
                self.emit(insn(cls | r.choice([0x30, 0x90]), dst, 0, 1, r.choice([3, -3, 7, -1, 1000])))
            else:
                self.emit(insn(0xd7, dst, 0, 0, r.choice([16, 32, 64])))
        elif x < 0.06:
            self.emit(insn(cls | 0x80, dst))  # neg
        elif x < 0.08:
            self.emit(insn(0xd4 | (0x08 if r.random() < 0.5 else 0), dst, 0, 0, r.choice([16, 32, 64])))  # le/be

    def cond_skip(self, regs, body):
        """if <cond> goto +n over a block generated by body()."""
        r = self.r
        at = self.pc()
        self.emit(b"\0" * 8)
        body()
        n = self.pc() - at - 1
        cls = 0x05 if r.random() < 0.7 else 0x06
        op = JMP_OPS[r.choice(list(JMP_OPS))]
        if r.random() < 0.6:
            self.out[at] = insn(cls | op, r.choice(regs), 0, n, self.imm())
        else:
            self.out[at] = insn(cls | op | 0x08, r.choice(regs), r.choice(regs), n, 0)

    def scalars(self, regs):
        """Random values into regs: prandom, packet bytes via a checked pointer, ctx fields, constants."""
        r = self.r
        for reg in regs:
            k = r.random()
            if k < 0.35:
                self.emit(insn(0x85, 0, 0, 0, 7))  # get_prandom_u32
                self.emit(insn(0xbf, reg, 0))
            elif k < 0.6:
                self.emit(insn(0x61, reg, 6, r.choice([12, 16]) ))  # ingress_ifindex / rx_queue_index
            elif k < 0.8:
                self.emit(insn(0xb7, reg, 0, 0, self.imm()))
            else:
                self.emit(insn(0x18, reg, 0, 0, r.randint(-2**31, 2**31 - 1)) + insn(0, 0, 0, 0, r.randint(-2**31, 2**31 - 1)))

    def scalar_program(self):
        r = self.r
        self.emit(insn(0xbf, 6, 1))  # r6 = ctx
        regs = [7, 8, 9]
        self.scalars(regs)
        for _ in range(r.randint(1, 10)):
            if r.random() < 0.3:
                self.cond_skip(regs, lambda: [self.alu(regs) for _ in range(r.randint(0, 3))])
            else:
                self.alu(regs)
        target = r.random()
        off_reg = r.choice(regs)
        g = r.random()
        if g < 0.35:
            self.emit(insn(r.choice([0x57, 0x54]), off_reg, 0, 0, r.choice([7, 15, 63, 0xff, 0x3c, -8])))
        elif g < 0.6:
            # if off_reg > K goto out: the access only with a bounded value
            k = r.choice([8, 56, 63, 64, 4096, -1])
            self.emit(insn(r.choice([0x25, 0x65, 0x35, 0x26]), off_reg, 0, 2, k))
            self.emit(insn(0xb7, 0, 0, 0, 0) if r.random() < 0.5 else insn(0x07, off_reg, 0, 0, 0))
            self.emit(insn(0x05, 0, 0, 2, 0))
            self.emit(insn(0xb7, 0, 0, 0, 1))
            self.emit(insn(0x95))
        if target < 0.45:
            # map value: key 0 on the stack, lookup, null check, value + off
            self.emit(insn(0x62, 10, 0, -4, 0))
            self.emit(insn(0xbf, 2, 10))
            self.emit(insn(0x07, 2, 0, 0, -4))
            self.emit(ld_map_idx(1, 0))
            self.emit(insn(0x85, 0, 0, 0, 1))
            self.emit(insn(0x55, 0, 0, 2, 0))  # if r0 != 0 goto +2
            self.emit(insn(0xb7, 0, 0, 0, 2))
            self.emit(insn(0x95))
            self.emit(insn(0x0f, 0, off_reg))
            sz = r.choice([0x10, 0x08, 0x00, 0x18])
            self.emit(insn(0x61 | sz, 1, 0, r.choice([0, 0, 1, 8, 60, 63, -1])))
        elif target < 0.75:
            # stack: fp - 64 + off (the slot region initialised first)
            for o in range(-64, 0, 8):
                self.emit(insn(0x7a, 10, 0, o, 0))
            self.emit(insn(0xbf, 1, 10))
            self.emit(insn(0x07, 1, 0, 0, -64))
            self.emit(insn(0x0f, 1, off_reg))
            sz = r.choice([0x10, 0x08, 0x00, 0x18])
            self.emit(insn(0x61 | sz, 2, 1, r.choice([0, 0, 8, 56, 60])))
        else:
            # packet: data + off checked (or not) against data_end
            self.emit(insn(0x61, 2, 6, 0))
            self.emit(insn(0x61, 3, 6, 4))
            self.emit(insn(0x0f, 2, off_reg))
            self.emit(insn(0xbf, 4, 2))
            self.emit(insn(0x07, 4, 0, 0, r.choice([1, 2, 4, 8])))
            self.emit(insn(0x2d, 4, 3, 1, 0))  # if r4 > r3 goto +1
            self.emit(insn(0x71, 0, 2, 0))
        self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))

    def packet_program(self):
        r = self.r
        self.emit(insn(0x61, 2, 1, 0))  # data
        self.emit(insn(0x61, 3, 1, 4))  # data_end
        if r.random() < 0.2:
            self.emit(insn(0x61, 5, 1, 8))  # data_meta
        self.emit(insn(0xbf, 4, 2))
        n = r.choice([1, 8, 14, 20, 34, 54, 64, 0xffff, 0x10000, -1])
        self.emit(insn(0x07, 4, 0, 0, n))
        op = r.choice(["jgt", "jge", "jlt", "jle", "jeq", "jne", "jsgt"])
        swap = r.random() < 0.5
        cls = 0x05 if r.random() < 0.9 else 0x06
        a, b = (3, 4) if swap else (4, 3)
        at = self.pc()
        self.emit(b"\0" * 8)
        acc_off = r.choice([0, n - 1, n, n + 1, 0 if n < 0 else n - 2, 13]) if n > 0 else 0
        size = r.choice([0x10, 0x08, 0x00, 0x18])
        base = r.choice([2, 2, 4])
        if r.random() < 0.2:
            self.emit(insn(0x73, base, 0, s16(acc_off), 0))  # store through it
        self.emit(insn(0x61 | size, 0, base, s16(acc_off if base == 2 else acc_off - n)))
        self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))
        other = self.pc()
        self.out[at] = insn(cls | JMP_OPS[op] | 0x08, a, b, other - at - 1, 0)
        if r.random() < 0.5:
            # access on the other side too
            self.emit(insn(0x61 | size, 0, base, s16(acc_off if base == 2 else acc_off - n)))
        self.emit(insn(0xb7, 0, 0, 0, 1))
        self.emit(insn(0x95))

    def stack_program(self):
        r = self.r
        self.emit(insn(0xbf, 6, 1))
        for _ in range(r.randint(2, 8)):
            k = r.random()
            off = -r.choice([1, 2, 4, 8, 12, 16, 24, 32, 40, 48, 64, 120, 512, 513])
            size = r.choice([(0x10, 1), (0x08, 2), (0x00, 4), (0x18, 8)])
            if k < 0.3:
                self.emit(insn(0x63 | size[0], 10, r.choice([0, 0, 0, 6, 10, 1]), off))  # stx
            elif k < 0.5:
                self.emit(insn(0x62 | size[0], 10, 0, off, self.imm()))  # st imm
            elif k < 0.8:
                self.emit(insn(0x61 | size[0], r.choice([0, 2, 3]), 10, off))  # ldx
            else:
                self.emit(insn(0x85, 0, 0, 0, 7))
                self.emit(insn(0x57, 0, 0, 0, r.choice([7, 15, 24, 63])))
                self.emit(insn(0xbf, 1, 10))
                self.emit(insn(0x07, 1, 0, 0, -64))
                self.emit(insn(0x0f, 1, 0))
                self.emit(insn(0x61 | size[0], 2, 1, 0) if r.random() < 0.6 else insn(0x62 | size[0], 1, 0, 0, 0))
        if r.random() < 0.5:
            self.emit(insn(0x79, 0, 10, -8))
            self.emit(insn(0x57, 0, 0, 0, 3))
        else:
            self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))

    def loop_program(self):
        r = self.r
        bound = r.choice([1, 4, 16, 64, 200, 1000])
        self.emit(insn(0xb7, 0, 0, 0, 0))
        self.emit(insn(0xb7, 1, 0, 0, 0))
        top = self.pc()
        self.emit(insn(0x0f, 0, 1) if r.random() < 0.5 else insn(0x07, 0, 0, 0, r.choice([1, 3])))
        self.emit(insn(0x07, 1, 0, 0, r.choice([1, 1, 2])))
        op = r.choice([0xa5, 0xb5, 0x55, 0xc5, 0xa6])  # jlt, jle, jne, jslt, jlt32
        self.emit(insn(op, 1, 0, top - self.pc() - 1, bound))
        self.emit(insn(0x57, 0, 0, 0, 3))
        self.emit(insn(0x95))


    # ---- helper calls with random argument kinds -------------------------------------------
    def stack_init(self):
        r = self.r
        for o in r.sample([-8, -16, -24, -32, -40, -48, -56, -64], r.randint(0, 8)):
            self.emit(insn(0x7a, 10, 0, o, r.choice([0, 1, 7, 0x1234])))

    def arg(self, reg, kind):
        """Materialise one helper argument in `reg`."""
        r = self.r
        if kind == "ctx":
            self.emit(insn(0xbf, reg, 6))
        elif kind == "fp":
            self.emit(insn(0xbf, reg, 10))
            self.emit(insn(0x07, reg, 0, 0, -r.choice([4, 8, 16, 24, 32, 40, 64, 72, 512])))
        elif kind == "pkt":
            self.emit(insn(0xbf, reg, 7))
            if r.random() < 0.3:
                self.emit(insn(0x07, reg, 0, 0, r.choice([1, 14, 30])))
        elif kind == "map":
            self.emit(ld_map_idx(reg, r.randrange(len(MAPS))))
        elif kind == "zero":
            self.emit(insn(0xb7, reg, 0, 0, 0))
        elif kind == "size":
            if r.random() < 0.6:
                self.emit(insn(0xb7, reg, 0, 0, r.choice([0, 1, 4, 8, 12, 16, 20, 32, 64, 100, 513, -1])))
            else:
                self.emit(insn(0xbf, reg, 9))
                if r.random() < 0.7:
                    self.emit(insn(0x57, reg, 0, 0, r.choice([7, 15, 31, 63, 255])))
                if r.random() < 0.3:
                    self.emit(insn(0x07, reg, 0, 0, 1))
        elif kind == "func":
            self.funcs.append((self.pc(), reg))
            self.emit(insn(0x18, reg, 4, 0, 0) + insn(0, 0, 0, 0, 0))
        else:  # scalar
            if r.random() < 0.5:
                self.emit(insn(0xb7, reg, 0, 0, self.imm()))
            else:
                self.emit(insn(0xbf, reg, 9))

    HELPERS = {  # id: plausible argument kinds per position
        1: [["map"], ["fp", "pkt", "scalar", "map"]],
        2: [["map"], ["fp", "pkt"], ["fp", "pkt", "scalar"], ["scalar", "zero"]],
        3: [["map"], ["fp", "pkt", "zero"]],
        5: [],
        7: [],
        8: [],
        12: [["ctx", "fp"], ["map"], ["scalar", "zero"]],
        23: [["scalar"], ["scalar", "zero"]],
        28: [["fp", "pkt", "zero"], ["size"], ["fp", "pkt", "zero"], ["size"], ["scalar"]],
        44: [["ctx", "fp"], ["scalar", "size"]],
        51: [["map"], ["scalar", "zero"], ["scalar", "zero"]],
        54: [["ctx"], ["scalar", "size"]],
        65: [["ctx"], ["scalar", "size"]],
        113: [["fp", "pkt"], ["size"], ["scalar", "fp"]],
        163: [["ctx"], ["zero", "scalar"], ["fp", "zero"], ["scalar", "zero"], ["zero"]],
        181: [["size", "scalar"], ["func"], ["fp", "zero", "ctx"], ["zero", "scalar"]],
        189: [["ctx"], ["size", "scalar"], ["fp", "pkt"], ["size"]],
        190: [["ctx"], ["size", "scalar"], ["fp", "pkt"], ["size"]],
    }

    def helper_program(self):
        r = self.r
        self.funcs = []
        self.emit(insn(0xbf, 6, 1))
        self.emit(insn(0x85, 0, 0, 0, 7))
        self.emit(insn(0xbf, 9, 0))
        self.emit(insn(0x61, 7, 6, 0))  # data
        self.emit(insn(0x61, 8, 6, 4))  # data_end
        if r.random() < 0.7:
            self.emit(insn(0xbf, 1, 7))
            self.emit(insn(0x07, 1, 0, 0, r.choice([14, 34, 64])))
            self.emit(insn(0x2d, 1, 8, 1, 0))  # if r1 > data_end goto out
            self.emit(insn(0x05, 0, 0, 2, 0))
            self.emit(insn(0xb7, 0, 0, 0, 1))
            self.emit(insn(0x95))
        self.stack_init()
        for _ in range(r.randint(1, 2)):
            hid = r.choice(list(self.HELPERS))
            args = self.HELPERS[hid]
            for i, kinds in enumerate(args):
                self.arg(i + 1, r.choice(kinds) if r.random() < 0.9 else r.choice(["fp", "pkt", "scalar", "ctx", "zero", "map"]))
            self.emit(insn(0x85, 0, 0, 0, hid))
            after = r.random()
            if after < 0.35:
                # use r0 as a map value (null-checked or not)
                if r.random() < 0.7:
                    self.emit(insn(0x55, 0, 0, 2, 0))
                    self.emit(insn(0xb7, 0, 0, 0, 2))
                    self.emit(insn(0x95))
                self.emit(insn(0x61, 1, 0, r.choice([0, 4, 20, 60, 64])))
            elif after < 0.6:
                # old packet pointer after the call
                self.emit(insn(0x71, 1, 7, 0))
            elif after < 0.75:
                self.emit(insn(0x79, 1, 10, -8))
        self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))
        self.callbacks()

    def callbacks(self):
        """Callback bodies for bpf_loop and the lddw src=4 that point at them."""
        r = self.r
        for at, _reg in self.funcs:
            start = self.pc()
            k = r.random()
            if k < 0.5:
                self.emit(insn(0xb7, 0, 0, 0, r.choice([0, 0, 1, 2])))
            elif k < 0.8:
                self.emit(insn(0x79, 3, 2, 0))  # read through the callback ctx
                self.emit(insn(0xb7, 0, 0, 0, 0))
            else:
                self.emit(insn(0xbf, 0, 1))
                self.emit(insn(0x57, 0, 0, 0, r.choice([1, 3])))
            self.emit(insn(0x95))
            self.out[at] = insn(0x18, self.out[at][1] & 0xF, 4, 0, start - at - 1)

    # ---- bpf-to-bpf calls ----------------------------------------------------------------
    def subprog_program(self):
        r = self.r
        self.emit(insn(0xbf, 6, 1))
        self.emit(insn(0x61, 7, 6, 0))
        self.emit(insn(0x61, 8, 6, 4))
        self.stack_init()
        kind = r.choice(["fp", "pkt", "scalar", "ctx"])
        self.arg(1, kind)
        self.emit(insn(0xb7, 2, 0, 0, r.choice([0, 3, 8])))
        calls = [self.pc()]
        self.emit(b"\0" * 8)
        use = r.random()
        if use < 0.3:
            self.emit(insn(0x61, 1, 0, 0))  # r0 as a pointer
        elif use < 0.5:
            self.emit(insn(0x57, 0, 0, 0, 7))
            self.emit(insn(0xbf, 1, 10))
            self.emit(insn(0x07, 1, 0, 0, -8))
            self.emit(insn(0x0f, 1, 0))
            self.emit(insn(0x71, 1, 1, 0))
        self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))
        sub = self.pc()
        self.out[calls[0]] = insn(0x85, 0, 1, 0, sub - calls[0] - 1)
        # the subprogram
        if r.random() < 0.5:
            self.emit(insn(0x7a, 10, 0, -r.choice([8, 16, 256, 480]), 0))
        a = r.random()
        if a < 0.5:
            self.emit(insn(0x61 | r.choice([0x10, 0x00, 0x18]), 3, 1, r.choice([0, -8, 4, 12, 60])))
        elif a < 0.65:
            self.emit(insn(0x62, 1, 0, r.choice([0, -8]), 1))
        if r.random() < 0.2:
            # recursion with a depth counter in r2
            self.emit(insn(0xa5, 2, 0, 2, r.choice([2, 7, 9])))  # if r2 < K goto +2
            self.emit(insn(0xb7, 0, 0, 0, 0))
            self.emit(insn(0x95))
            self.emit(b"\0" * 8)
            self.emit(insn(0x07, 2, 0, 0, 1))
            self.emit(insn(0x85, 0, 1, 0, sub - self.pc() - 1))
            self.emit(insn(0x95))
            # fix the placeholder: r1 stays as passed
            self.out[self.pc() - 4] = insn(0xbf, 3, 1)
        else:
            ret = r.random()
            if ret < 0.2:
                self.emit(insn(0xbf, 0, 1))  # return the argument (pointer or scalar)
            elif ret < 0.3:
                self.emit(insn(0xbf, 0, 10))
            else:
                self.emit(insn(0xb7, 0, 0, 0, r.choice([0, 1, 2])))
            self.emit(insn(0x95))

    # ---- atomics -----------------------------------------------------------------------
    def atomic_program(self):
        r = self.r
        self.emit(insn(0xbf, 6, 1))
        self.stack_init()
        target = r.random()
        if target < 0.5:
            self.emit(insn(0xbf, 2, 10))
            base_off = -r.choice([8, 12, 16, 64, 4])
        elif target < 0.8:
            self.emit(insn(0x62, 10, 0, -4, 0))
            self.emit(insn(0xbf, 2, 10))
            self.emit(insn(0x07, 2, 0, 0, -4))
            self.emit(ld_map_idx(1, 0))
            self.emit(insn(0x85, 0, 0, 0, 1))
            self.emit(insn(0x55, 0, 0, 2, 0))
            self.emit(insn(0xb7, 0, 0, 0, 2))
            self.emit(insn(0x95))
            self.emit(insn(0xbf, 2, 0))
            base_off = r.choice([0, 4, 8, 2, 60, 64])
        else:
            self.emit(insn(0xbf, 2, r.choice([6, 7])) if False else insn(0xbf, 2, 6))
            base_off = 0
        self.emit(insn(0xb7, 1, 0, 0, r.choice([1, 5])))
        if r.random() < 0.15:
            self.emit(insn(0xbf, 1, 10))  # a pointer operand
        op = r.choice([0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1])
        size = r.choice([0x18, 0x00, 0x00, 0x18, 0x08, 0x10])
        if op == 0xf1:
            self.emit(insn(0xb7, 0, 0, 0, 0))
        self.emit(insn(0xc3 | size, 2, 1, base_off, op))
        if op & 1 and r.random() < 0.5:
            self.emit(insn(0xbf, 0, 1))
            self.emit(insn(0x57, 0, 0, 0, 3))
        else:
            self.emit(insn(0xb7, 0, 0, 0, 2))
        self.emit(insn(0x95))

    def program(self):
        k = self.r.random()
        if k < 0.35:
            self.scalar_program()
        elif k < 0.47:
            self.packet_program()
        elif k < 0.57:
            self.stack_program()
        elif k < 0.61:
            self.loop_program()
        elif k < 0.81:
            self.helper_program()
        elif k < 0.91:
            self.subprog_program()
        else:
            self.atomic_program()
        return b"".join(self.out)


def to_kernel(prog, fds):
    """src=5 map indexes -> BPF_PSEUDO_MAP_FD."""
    out = bytearray(prog)
    for i in range(0, len(out), 8):
        if out[i] == 0x18 and (out[i + 1] >> 4) == 5:
            idx = int.from_bytes(out[i + 4:i + 8], "little")
            out[i + 1] = (out[i + 1] & 0x0F) | (1 << 4)
            out[i + 4:i + 8] = fds[idx].to_bytes(4, "little")
    return bytes(out)


def verdict(prog, fds):
    fd, log = bpfsys.prog_load(to_kernel(prog, fds), log_level=4)
    # One kernel message lacks its newline ("expected prog array map for tail call"): split it.
    log = re.sub(r"(?<!\n)(verification time \d+ usec)", r"\n\1", log)
    lines = [l for l in log.strip().splitlines() if l.strip()]
    n, states = None, None
    for l in lines:
        m = re.match(r"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)", l)
        if m:
            n, states = int(m.group(1)), [int(m.group(2)), int(m.group(3)), int(m.group(4))]
    if fd >= 0:
        os.close(fd)
        return [True, None, n, states]
    msgs = [l for l in lines if not STAT.match(l) and not l.startswith(("cur state:", "old state:"))]
    return [False, msgs[-1] if msgs else f"errno {-fd}", n, states]


def judge_all(progs):
    fds = [bpfsys.map_create(m["type"], m["keySize"], m["valueSize"], m["maxEntries"], name=m["name"].encode()) for m in MAPS]
    try:
        return [verdict(bytes.fromhex(p), fds) for p in progs]
    finally:
        for fd in fds:
            os.close(fd)


def main():
    if "--child" in sys.argv:
        bpfsys.assert_unprivileged_child()
        json.dump(judge_all(json.load(sys.stdin)), sys.stdout)
        return
    count = int(sys.argv[sys.argv.index("--count") + 1]) if "--count" in sys.argv else 5000
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 6180
    out_path = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else OUT
    rnd = random.Random(seed)
    progs, seen = [], set()
    while len(progs) < count:
        p = Gen(rnd).program().hex()
        if p not in seen:
            seen.add(p)
            progs.append(p)
    root = judge_all(progs)
    unpriv = bpfsys.run_unprivileged_child(__file__, json.dumps(progs))
    rows = [[p, a, b] for p, a, b in zip(progs, root, unpriv)]
    with gzip.open(out_path, "wt") as f:
        json.dump({"kernel": os.uname().release, "seed": seed, "maps": MAPS, "programs": rows}, f, separators=(",", ":"))
    acc = sum(1 for r in rows if r[1][0])
    print(f"{len(rows)} programs, {acc} accepted as root, {sum(1 for r in rows if r[2][0])} unprivileged -> {out_path}")


if __name__ == "__main__":
    main()
