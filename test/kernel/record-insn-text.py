#!/usr/bin/env python3
"""Records how the Linux verifier prints each instruction in its log (kernel/bpf/disasm.c), for the
instruction text of nicsim's `verify --log-level 1|2` trace.

    sudo python3 test/kernel/record-insn-text.py

For a systematic set of instructions (every ALU/ALU64 operation with register and immediate
operands, sign-extending moves, signed division, byte swaps, every load/store size and mode, every
atomic, load-acquire/store-release, every conditional jump in both widths, ja/gotol/may_goto, helper
and bpf-to-bpf calls, exit, 64-bit immediates, legacy packet loads) it loads a small XDP program in
which the instruction is reached (ten `rN = 0` first) at log_level 2 and keeps the text the kernel
printed for it: `10: (07) r2 += -4  ; state` -> "(07) r2 += -4". The text is printed before the
instruction is checked, so rejected programs still give it. Writes
test/fixtures/verifier/insn-text.json: [{"hex": 8 or 16 bytes, "pc": index in the program,
"prog": the whole program hex, "text": ...}]; map addresses become "MAP".
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpfsys  # noqa: E402
from bpfsys import insn  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "test", "fixtures", "verifier", "insn-text.json")

PREFIX = b"".join(insn(0xB7, r, 0, 0, 0) for r in range(10))  # r0..r9 = 0
AT = 10
TAIL = insn(0xB7, 0, 0, 0, 0) + insn(0xB7, 0, 0, 0, 0) + insn(0x95)
IMMS = [0, 1, -1, 4, 63, 4660, 0x7FFFFFFF, -0x80000000, -4]
OFFS = [0, 8, -8, 0x7FFF, -0x8000, 2]


def cases(map_fd):
    out = []
    alu_ops = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0, 0xB0, 0xC0]
    for cls in (0x07, 0x04):
        for op in alu_ops:
            if op == 0x80:  # neg
                out.append(insn(cls | op, 3))
                continue
            for imm in IMMS:
                out.append(insn(cls | op, 3, 0, 0, imm))
            out.append(insn(cls | 0x08 | op, 3, 4))
            out.append(insn(cls | 0x08 | op, 0, 9))
        for op in (0x30, 0x90):  # sdiv / smod
            out.append(insn(cls | op, 3, 0, 1, -7))
            out.append(insn(cls | 0x08 | op, 3, 4, 1))
        for off in (8, 16, 32):  # movsx
            if cls == 0x04 and off == 32:
                continue
            out.append(insn(cls | 0x08 | 0xB0, 3, 4, off))
    for imm in (16, 32, 64):
        out.append(insn(0xD4, 3, 0, 0, imm))  # le
        out.append(insn(0xDC, 3, 0, 0, imm))  # be
        out.append(insn(0xD7, 3, 0, 0, imm))  # bswap
    for size in (0x10, 0x08, 0x00, 0x18):  # H B W DW
        for off in OFFS:
            out.append(insn(0x61 | size, 3, 10, off))  # ldx
            out.append(insn(0x62 & ~0x18 | size, 10, 0, off, 7))  # st
            out.append(insn(0x63 & ~0x18 | size, 10, 3, off))  # stx
        if size != 0x18:
            out.append(insn(0x81 | size, 3, 10, -8))  # ldsx (mode 0x80)
    for size in (0x00, 0x18):
        for aop in (0x00, 0x40, 0x50, 0xA0, 0x01, 0x41, 0x51, 0xA1, 0xE1, 0xF1):
            out.append(insn(0xC3 | size, 10, 3, -8, aop))
    for size in (0x10, 0x08, 0x00, 0x18):
        out.append(insn(0xC3 | size, 3, 10, -8, 0x100))  # load_acquire
        out.append(insn(0xC3 | size, 10, 3, -8, 0x110))  # store_release
    jops = [0x10, 0x20, 0x30, 0x40, 0x50, 0xA0, 0xB0, 0xC0, 0xD0, 0x60, 0x70]
    for cls in (0x05, 0x06):
        for op in jops:
            for imm in (0, -1, 4660, 0x7FFFFFFF):
                out.append(insn(cls | op, 3, 0, 1, imm))
            out.append(insn(cls | 0x08 | op, 3, 4, 1))
            out.append(insn(cls | op, 3, 0, 0, 5))
    out.append(insn(0x05, 0, 0, 0))  # ja (a forward jump over the tail would leave it unreachable)
    out.append(insn(0x06, 0, 0, 0, 0))  # gotol
    out.append(insn(0xE5, 0, 0, 1))  # may_goto
    for helper in (1, 5, 7, 8, 23, 28, 44, 51, 65, 6, 12, 189):
        out.append(insn(0x85, 0, 0, 0, helper))
    for imm in (0, 1, -1, 0x12345678):
        out.append(insn(0x18, 3, 0, 0, imm) + insn(0, 0, 0, 0, imm ^ 0x55))
    out.append(insn(0x18, 1, 1, 0, map_fd) + insn(0, 0, 0, 0, 0))
    out.append(insn(0x18, 1, 2, 0, map_fd) + insn(0, 0, 0, 0, 4))
    for size in (0x10, 0x08, 0x00):
        out.append(insn(0x20 | size, 0, 0, 0, 12))  # ld_abs
        out.append(insn(0x40 | size, 0, 7, 0, 2))  # ld_ind
    return out


def program(i):
    return PREFIX + i + TAIL


# Whole programs for what needs a layout of its own: exit, and a bpf-to-bpf call to a subprogram
# placed after the main program's exit.
WHOLE = [
    PREFIX + insn(0x95),
    PREFIX + insn(0x85, 0, 1, 0, 2) + insn(0xB7) + insn(0x95) + insn(0xB7) + insn(0x95),
]


LINE = re.compile(r"^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$")


def text_at(prog, pc, is_map=False):
    fd, log = bpfsys.prog_load(prog, log_level=2)
    if fd >= 0:
        os.close(fd)
    for line in log.splitlines():
        m = LINE.match(line)
        if m and int(m.group(1)) == pc:
            return re.sub(r"= 0x[0-9a-f]+$", "= MAP", m.group(2)) if is_map else m.group(2)
    return None


def main():
    map_fd = bpfsys.map_create(bpfsys.BPF_MAP_TYPE_ARRAY, 4, 8, 1, name=b"m")  # one entry: direct value access
    rows, seen = [], set()
    for i in cases(map_fd):
        prog = program(i)
        h = i.hex()
        if h in seen:
            continue
        seen.add(h)
        is_map = i[0] == 0x18 and (i[1] >> 4) in (1, 2)
        t = text_at(prog, AT, is_map)
        if t is None:
            print(f"no text for {h}", file=sys.stderr)
            continue
        if is_map:
            h = h[:8] + "00000000" + h[16:]  # the map fd is the recorder's; nicsim gets map index 0
        rows.append({"hex": h, "pc": AT, "text": t})
    for prog in WHOLE:
        t = text_at(prog, AT)
        if t is not None:
            rows.append({"hex": prog.hex(), "pc": AT, "text": t, "whole": True})
    os.close(map_fd)
    with open(OUT, "w") as f:
        json.dump({"kernel": os.uname().release, "insns": rows}, f, indent=0)
        f.write("\n")
    print(f"{len(rows)} instruction texts -> {OUT}")


if __name__ == "__main__":
    main()
