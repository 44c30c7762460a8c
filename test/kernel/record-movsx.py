#!/usr/bin/env python3
"""Records how the kernel's verifier bounds sign-extending moves (r1 = (s8|s16|s32)r6, w1 = (s8)w7),
and one branch whose facts contradict (a tnum that is a constant outside the refined range).

    sudo python3 test/kernel/record-movsx.py

Each raw XDP program builds a scalar from two bpf_get_prandom_u32 results (shifted, masked, or-ed: known
low bits under unknown high bits, ranges within the sign bit or across it), then moves it sign-extended
into r1 (the branch case: r6 = prandom << 55 proven non-zero, compared equal to a 32-bit r7, then used
as a stack offset). Loaded with log_level 2; the register state the log prints after the last
instruction of the body is recorded.
Writes test/fixtures/verifier/movsx.json: {"kernel", "cases": [{"name", "hex", "pc", "state"}]};
test/verifier/movsx.test.ts checks that nicsim's log prints the same state at that pc.
"""
import json
import os
import platform
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpfsys  # noqa: E402
from bpfsys import insn  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "fixtures", "verifier", "movsx.json")
ALU64, ALU, MOV, LSH, OR, AND = 0x07, 0x04, 0xb0, 0x60, 0x40, 0x50


def movsx(dst, src, bits, cls=ALU64):
    return insn(cls | MOV | 0x08, dst, src, off=bits)


def k(op, dst, imm, cls=ALU64):
    return insn(cls | op, dst, imm=imm)


def x(op, dst, src):
    return insn(ALU64 | op | 0x08, dst, src)


HI = [k(LSH, 6, 40)]  # r6: unknown high bits, low 40 bits zero
CASES = {
    "s16_low36_zero": [k(LSH, 6, 36), movsx(1, 6, 16)],
    "s16_single_bit30": [k(AND, 6, 0x40000000), movsx(1, 6, 16)],
    "s16_low_const_5": HI + [k(OR, 6, 5), movsx(1, 6, 16)],
    "s16_low_const_0x8005": [k(LSH, 6, 32), k(OR, 6, 0x8005), movsx(1, 6, 16)],
    "s8_low_0_127": HI + [k(AND, 7, 0x7f), x(OR, 6, 7), movsx(1, 6, 8)],
    "s8_low_0_255": HI + [k(AND, 7, 0xff), x(OR, 6, 7), movsx(1, 6, 8)],
    "s8_low_1_or_17": HI + [k(AND, 7, 0x10), k(OR, 7, 1), x(OR, 6, 7), movsx(1, 6, 8)],
    "s8_low_0x81": HI + [k(OR, 6, 0x81), movsx(1, 6, 8)],
    "s16_low_0x10000_0x10003": HI + [k(AND, 7, 3), k(OR, 7, 0x10000), x(OR, 6, 7), movsx(1, 6, 16)],
    "s32_low_0_127": HI + [k(AND, 7, 0x7f), x(OR, 6, 7), movsx(1, 6, 32)],
    "s32_low_16_0x7fffffff": HI + [k(AND, 7, 0x7fffffef), k(OR, 7, 0x10), x(OR, 6, 7), movsx(1, 6, 32)],
    "s32_u32_or_8": [k(OR, 7, 8, ALU), movsx(1, 7, 32)],
    "s16_u32": [movsx(1, 7, 16)],
    "s16_u32_0x3_0x7ff3": [k(AND, 7, 0x7ff0), k(OR, 7, 3), movsx(1, 7, 16)],
    "w_s8_256_383": [k(AND, 7, 0x7f), k(OR, 7, 0x100), movsx(1, 7, 8, ALU)],
    "w_s8_low_const_hi_unknown": [k(LSH, 7, 8, ALU), k(OR, 7, 5, ALU), movsx(1, 7, 8, ALU)],
    # if r6 == 0 goto +6; w7 &= -2; if r6 != r7 goto +4; r1 = r10; r1 += -8; r1 += r6; *(u64 *)(r1 +0) = r7
    "jeq_const_tnum_outside_range": [k(LSH, 6, 55), insn(0x15, 6, off=6), k(AND, 7, -2, ALU),
                                     insn(0x5d, 6, 7, off=4), x(MOV, 1, 10), k(0x00, 1, -8), x(0x00, 1, 6),
                                     insn(0x7b, 1, 7)],
}


def main():
    prologue = insn(0x85, imm=7) + insn(ALU64 | MOV | 0x08, 6, 0) + insn(0x85, imm=7) + insn(ALU64 | MOV | 0x08, 7, 0)
    epilogue = insn(ALU64 | MOV, 0, imm=2) + insn(0x95)
    cases = []
    for name, body in CASES.items():
        prog = prologue + b"".join(body) + epilogue
        pc = len(prog) // 8 - 3
        fd, log = bpfsys.prog_load(prog, log_level=2)
        if fd < 0:
            raise RuntimeError(f"{name}: rejected: {log[-300:]}")
        os.close(fd)
        m = re.search(rf"^{pc}: \([0-9a-f]{{2}}\) .*?; (.*)$", log, re.M)
        if not m:
            raise RuntimeError(f"{name}: no state line for pc {pc}")
        cases.append({"name": name, "hex": prog.hex(), "pc": pc, "state": m.group(1)})
        print(f"{name}: {m.group(1)}")
    with open(OUT, "w") as f:
        json.dump({"kernel": platform.release(), "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
