#!/usr/bin/env python3
"""Records the independent truth for nicsim's instruction decoder and disassembler (root, llvm-19).

For a systematic set of raw encodings (every opcode byte x register / offset / imm variants) it records
  - what `llvm-objdump-19 -d` prints for it (the disassembler's truth), and
  - whether the kernel's verifier accepts the encoding, or the first structural complaint it makes
    (the decoder's truth: unknown opcode, reserved fields, bad register, bad lddw ...).
Each encoding is loaded as an XDP program (legacy LD_ABS/LD_IND ones as a socket filter with
r6 = ctx first): r0..r9 = 0; if r1 != 0 goto <after insn>; <insn>;
40 x (r0 = 0); exit. The conditional keeps every instruction statically reachable, so the verifier's
CFG pass (which runs before the per-instruction checks) does not hide the verdict on the encoding.
Output: test/fixtures/isa/encodings.json.gz  ([[hex, llvm_text, kernel_message_or_null], ...])

    sudo python3 test/kernel/record-isa.py
"""
import gzip, json, os, re, struct, subprocess, sys, tempfile
sys.path.insert(0, os.path.dirname(__file__))
import bpfsys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "test/fixtures/isa/encodings.json.gz")

def ins(code, dst=0, src=0, off=0, imm=0):
    return struct.pack("<BBhi", code, ((src & 0xF) << 4) | (dst & 0xF), off, imm)

REGS = [(0, 1), (1, 0), (0, 0), (10, 1), (1, 10), (11, 0), (0, 11)]
OFFS = [0, 1, 8, 16, 32, -1, -8]
IMMS = [0, 1, 2, 16, 32, 64, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110, -1, 63, 31, -0x80000000]

def combos():
    seen = set()
    for code in range(256):
        for dst, src in REGS:
            for off in OFFS:
                for imm in IMMS:
                    c = (code, dst, src, off, imm)
                    # keep the set small for classes where imm/off do not select anything
                    if c not in seen:
                        seen.add(c)
                        yield c
        # call kinds (src 0..15) and lddw pseudo sources with their second halves
        if code in (0x85, 0x8d, 0x95):
            for src in range(2, 16):
                for off in OFFS:
                    for imm in IMMS:
                        yield (code, 0, src, off, imm)
        if code == 0x18:
            for s in range(8):
                for second in [ins(0, 0, 0, 0, 5), ins(0, 1, 0, 0, 0), ins(0x18, 0, 0, 0, 0), ins(0, 0, 0, 1, 0)]:
                    yield (code, 1, s, 0, -2, second.hex())

def objdump_texts(encs):
    with tempfile.TemporaryDirectory() as d:
        s = os.path.join(d, "a.s"); o = os.path.join(d, "a.o")
        with open(s, "w") as f:
            f.write(".text\n")
            for b in encs:
                # each encoding in a 3-slot cell (room for lddw's second half) padded with zeros
                cell = b + bytes(24 - len(b))
                f.write(".byte " + ",".join(str(x) for x in cell) + "\n")
        subprocess.run(["llvm-mc-19", "-triple", "bpfel", "-filetype=obj", s, "-o", o], check=True)
        out = subprocess.run(["llvm-objdump-19", "-d", o], check=True, capture_output=True, text=True).stdout
    texts = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+):\t([0-9a-f ]+?)\s*(?:\t(.*))?$", line)
        if not m:
            continue
        pc = int(m.group(1))
        if pc % 3 == 0:
            texts[pc // 3] = m.group(3) or ""
    return [texts.get(i, "") for i in range(len(encs))]

STAT = re.compile(r"^(processed \d+ insns|verification time|stack depth|max_states)")

def kernel_verdict(b):
    skip = len(b) // 8
    # Legacy packet loads (class LD, mode ABS/IND) are refused for XDP before their fields are looked
    # at; they are judged as socket filters, which need the skb in r6.
    legacy = (b[0] & 0x07) == 0 and (b[0] & 0xe0) in (0x20, 0x40)
    prologue = ins(0xbf, 6, 1, 0, 0) if legacy else b""
    prologue += b"".join(ins(0xb7, r, 0, 0, 0) for r in range(10) if not (legacy and r == 6))
    prog = prologue + ins(0x55, 1, 0, skip, 0) + b + ins(0xb7, 0, 0, 0, 0) * 40 + ins(0x95)
    ptype = bpfsys.BPF_PROG_TYPE_SOCKET_FILTER if legacy else bpfsys.BPF_PROG_TYPE_XDP
    fd, log = bpfsys.prog_load(prog, prog_type=ptype, log_level=1)
    if fd >= 0:
        os.close(fd)
        return None
    lines = [l for l in log.strip().splitlines() if l.strip() and not STAT.match(l)]
    return lines[-1] if lines else f"errno {-fd}"

def main():
    encs = []
    for c in combos():
        if len(c) == 6:
            code, dst, src, off, imm, second = c
            encs.append(ins(code, dst, src, off, imm) + bytes.fromhex(second))
        else:
            encs.append(ins(*c))
    texts = objdump_texts(encs)
    rows = []
    for i, b in enumerate(encs):
        rows.append([b.hex(), texts[i], kernel_verdict(b)])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with gzip.open(OUT, "wt") as f:
        json.dump({"tool": subprocess.run(["llvm-objdump-19", "--version"], capture_output=True, text=True).stdout.splitlines()[1].strip(),
                   "kernel": os.uname().release, "encodings": rows}, f, separators=(",", ":"))
    acc = sum(1 for r in rows if r[2] is None)
    print(f"{len(rows)} encodings recorded, {acc} accepted by the kernel -> {OUT}")

if __name__ == "__main__":
    main()
