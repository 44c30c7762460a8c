#!/usr/bin/env python3
"""Records the Linux kernel's answer for every conformance case in test/fixtures/conformance/.

Root only (bpf(2) via test/kernel/bpfsys.py); never run by `npm test`. Usage:

    sudo python3 test/kernel/record-conformance.py [--assembler auto|nicsim|builtin] [CASE.data ...]

For each `<name>.data` file (bpf_conformance format: `-- asm` in ubpf syntax, optional `-- mem`,
`-- result` or `-- error`) it
  1. gets the program bytes from nicsim's assembler (`node nic/nicsim.mjs asm --syntax ubpf --format hex`),
     or from the small independent ubpf assembler below when nicsim's is missing or failing
     (`--assembler auto`, the default, prefers nicsim and cross-checks the two encodings);
  2. wraps them into an XDP program (see `xdp_wrapper`): a prolog checks that the packet holds
     8 + len(mem) bytes, points r1 at the mem bytes inside the packet and sets r2 = len(mem), calls the
     case as a bpf-to-bpf subprogram, stores the case's r0 into the first 8 packet bytes and returns
     XDP_PASS;
  3. loads it (BPF_PROG_LOAD, log_level 1) and runs it once (BPF_PROG_TEST_RUN), reading r0 and the final
     mem bytes back from data_out; a refused program is recorded with the verifier's final error line.
Cases using the legacy LD_ABS/LD_IND instructions, which XDP refuses, are also run inline as a socket
filter (the packet after the 14-byte Ethernet header is the mem; retval is only 32 bits wide).

Writes test/fixtures/conformance/kernel.json and prints a summary with every disagreement between the
kernel and the hand-computed `-- result`.

    python3 test/kernel/record-conformance.py --plugin test/kernel/conformance-plugin.sh [CASE.data ...]

needs no root: it drives a bpf_conformance plugin exactly as the public runner does (argv[1] = the mem
bytes as hex, each followed by two spaces, absent when there is no mem; the program bytes as one hex line
on stdin; r0 in hex on stdout, or a non-zero exit with a message) and compares its answers with the
recorded kernel.json.
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CASES = os.path.join(ROOT, "test", "fixtures", "conformance")
sys.path.insert(0, HERE)
import bpfsys  # noqa: E402

XDP_PASS = 2
SK_FILTER_HEADROOM = 14  # test_run pulls the Ethernet header before a socket filter sees skb->data


class CaseError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------
# .data files (same section rules as bpf_conformance's parser: any line holding "--" is a directive)

def parse_data(path):
    sections = {"asm": [], "mem": [], "result": [], "error": [], "raw": []}
    state = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if "--" in line:
                for key in ("asm", "result", "mem", "raw", "error"):
                    if key in line:
                        state = key
                        break
                else:
                    state = None  # `-- c`, `-- no register offset`, ...: ignored
                continue
            if not line.strip() or state is None:
                continue
            sections[state].append(line)
    mem = bytes(int(tok, 16) for line in sections["mem"] for tok in line.split())
    result = sections["result"][-1].strip() if sections["result"] else None
    error = sections["error"][-1].strip() if sections["error"] else None
    if result is None and error is None:
        raise CaseError(f"{path}: neither -- result nor -- error")
    return {"asm": "\n".join(sections["asm"]), "mem": mem, "result": result, "error": error,
            "raw": sections["raw"]}


def expected_text(case):
    if case["result"] is not None:
        return "0x%x" % (int(case["result"], 0) & (2**64 - 1))
    return "error: " + case["error"]


# ---------------------------------------------------------------------------------------------------
# A small ubpf-syntax assembler, written independently of nicsim's so the two can be cross-checked.

ALU = {"add": 0x0, "sub": 0x1, "mul": 0x2, "div": 0x3, "sdiv": 0x3, "or": 0x4, "and": 0x5, "lsh": 0x6,
       "rsh": 0x7, "neg": 0x8, "mod": 0x9, "smod": 0x9, "xor": 0xa, "mov": 0xb, "arsh": 0xc}
JCC = {"jeq": 0x1, "jgt": 0x2, "jge": 0x3, "jset": 0x4, "jne": 0x5, "jsgt": 0x6, "jsge": 0x7,
       "jlt": 0xa, "jle": 0xb, "jslt": 0xc, "jsle": 0xd}
SIZE = {"w": 0x00, "h": 0x08, "b": 0x10, "dw": 0x18}
ATOMIC = {"add": 0x00, "or": 0x40, "and": 0x50, "xor": 0xa0, "xchg": 0xe1, "cmpxchg": 0xf1}
MOVSX = {"movsx864": (0x07, 8), "movsx1664": (0x07, 16), "movsx3264": (0x07, 32),
         "movsx832": (0x04, 8), "movsx1632": (0x04, 16)}


def _reg(tok):
    m = re.fullmatch(r"%?r(\d+)", tok.strip())
    if not m or int(m.group(1)) > 10:
        raise CaseError(f"bad register {tok!r}")
    return int(m.group(1))


def _num(tok):
    return int(tok.strip(), 0)


def _mem(tok):
    m = re.fullmatch(r"\[\s*(%?r\d+)\s*(?:([+-])\s*(\w+))?\s*\]", tok.strip())
    if not m:
        raise CaseError(f"bad memory operand {tok!r}")
    off = int(m.group(3), 0) if m.group(3) else 0
    return _reg(m.group(1)), -off if m.group(2) == "-" else off


def _ins(code, dst=0, src=0, off=0, imm=0):
    return [code, dst, src, off, imm]


def builtin_assemble(text):
    """Returns the program bytes. Labels are `name:` on a line of their own."""
    slots, fixups, labels = [], [], {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if re.fullmatch(r"[A-Za-z_]\w*:", line):
            labels[line[:-1]] = len(slots)
            continue
        mn, _, rest = line.partition(" ")
        ops = [o.strip() for o in rest.split(",")] if rest.strip() else []
        pc = len(slots)

        def target(tok, field):
            if tok[0] in "+-":
                return int(tok, 0)
            fixups.append((pc, tok, field, lineno))
            return 0

        try:
            if mn == "lock":
                words = rest.split(None, 2)
                fetch = words[0] == "fetch"
                if fetch:
                    words = words[1:]
                    words = [words[0]] + [" ".join(words[1:])]
                else:
                    words = [words[0], " ".join(words[1:])]
                op, args = words[0], [a.strip() for a in words[1].split(",")]
                width = 0xc3 if op.endswith("32") else 0xdb
                op = op[:-2] if op.endswith("32") else op
                dst, off = _mem(args[0])
                imm = ATOMIC[op] | (1 if fetch else 0)
                slots.append(_ins(width, dst, _reg(args[1]), off, imm))
            elif mn == "exit":
                slots.append(_ins(0x95))
            elif mn == "call":
                if ops and ops[0].startswith("local"):
                    slots.append(_ins(0x85, 0, 1, 0, target(ops[0].split()[1], "imm")))
                else:
                    slots.append(_ins(0x85, 0, 0, 0, _num(ops[-1].split()[-1])))
            elif mn == "ja":
                slots.append(_ins(0x05, off=target(ops[0], "off")))
            elif mn in ("ja32", "gotol"):
                slots.append(_ins(0x06, imm=target(ops[0], "imm")))
            elif mn == "lddw":
                v = _num(ops[1]) & (2**64 - 1)
                slots.append(_ins(0x18, _reg(ops[0]), 0, 0, v & 0xffffffff))
                slots.append(_ins(0x00, 0, 0, 0, v >> 32))
            elif mn.startswith("ldabs"):
                slots.append(_ins(0x20 | SIZE[mn[5:]], imm=_num(ops[0])))
            elif mn.startswith("ldind"):
                slots.append(_ins(0x40 | SIZE[mn[5:]], 0, _reg(ops[0]), 0, _num(ops[1])))
            elif mn.startswith("ldxs") and mn[4:] in ("b", "h", "w"):
                src, off = _mem(ops[1])
                slots.append(_ins(0x81 | SIZE[mn[4:]], _reg(ops[0]), src, off))
            elif mn.startswith("ldx"):
                src, off = _mem(ops[1])
                slots.append(_ins(0x61 | SIZE[mn[3:]], _reg(ops[0]), src, off))
            elif mn.startswith("stx"):
                dst, off = _mem(ops[0])
                slots.append(_ins(0x63 | SIZE[mn[3:]], dst, _reg(ops[1]), off))
            elif mn.startswith("st") and mn[2:] in SIZE:
                dst, off = _mem(ops[0])
                slots.append(_ins(0x62 | SIZE[mn[2:]], dst, 0, off, _num(ops[1])))
            elif re.fullmatch(r"(le|be|bswap|swap)(16|32|64)", mn):
                kind, bits = re.fullmatch(r"([a-z]+)(\d+)", mn).groups()
                code = {"le": 0xd4, "be": 0xdc, "bswap": 0xd7, "swap": 0xd7}[kind]
                slots.append(_ins(code, _reg(ops[0]), 0, 0, int(bits)))
            elif mn in MOVSX:
                cls, bits = MOVSX[mn]
                slots.append(_ins(cls | 0xb0 | 0x08, _reg(ops[0]), _reg(ops[1]), bits))
            elif (mn[:-2] if mn.endswith("32") else mn) in JCC:
                base = mn[:-2] if mn.endswith("32") else mn
                cls = 0x06 if mn.endswith("32") else 0x05
                code = cls | (JCC[base] << 4)
                if ops[1].lstrip().startswith(("%", "r")):
                    slots.append(_ins(code | 0x08, _reg(ops[0]), _reg(ops[1]), target(ops[2], "off")))
                else:
                    slots.append(_ins(code, _reg(ops[0]), 0, target(ops[2], "off"), _num(ops[1])))
            else:
                base = mn
                cls = 0x07
                if mn.endswith("32"):
                    base, cls = mn[:-2], 0x04
                elif mn.endswith("64") and mn[:-2] in ALU:
                    base = mn[:-2]
                if base not in ALU:
                    raise CaseError(f"unknown mnemonic {mn!r}")
                code = cls | (ALU[base] << 4)
                off = 1 if base in ("sdiv", "smod") else 0
                if base == "neg":
                    slots.append(_ins(code, _reg(ops[0])))
                elif ops[1].startswith(("%", "r")):
                    slots.append(_ins(code | 0x08, _reg(ops[0]), _reg(ops[1]), off))
                else:
                    slots.append(_ins(code, _reg(ops[0]), 0, off, _num(ops[1])))
        except (IndexError, KeyError, ValueError) as e:
            raise CaseError(f"line {lineno}: cannot assemble {raw.strip()!r}: {e}") from None
    for pc, name, field, lineno in fixups:
        if name not in labels:
            raise CaseError(f"line {lineno}: unknown label {name!r}")
        rel = labels[name] - pc - 1
        slots[pc][3 if field == "off" else 4] = rel
    return b"".join(bpfsys.insn(c, d, s, o, i if i < 2**31 else i - 2**32) for c, d, s, o, i in slots)


def nicsim_assemble(path):
    """nicsim's assembler on the whole .data file; returns bytes, or raises CaseError with its message."""
    try:
        p = subprocess.run(["node", os.path.join(ROOT, "nic", "nicsim.mjs"), "asm", "--syntax", "ubpf",
                            "--format", "hex", path], capture_output=True, text=True, timeout=60, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CaseError(f"nicsim asm could not run: {e}") from None
    if p.returncode != 0:
        msg = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise CaseError(f"nicsim asm exit {p.returncode}: {msg[-1] if msg else ''}")
    hextext = re.sub(r"[^0-9a-fA-F]", "", p.stdout.replace("0x", ""))
    if not hextext or len(hextext) % 16:
        raise CaseError(f"nicsim asm printed no whole instructions: {p.stdout[:80]!r}")
    return bytes.fromhex(hextext)


# ---------------------------------------------------------------------------------------------------
# The XDP wrapper

def xdp_wrapper(case_bytes, mem_len):
    """main: bounds-check the packet, r1 = data + 8, r2 = len, call the case, store r0 at data[0..8]."""
    I = bpfsys.insn
    prolog = [
        I(0xbf, 6, 1),                       # r6 = r1 (ctx)
        I(0x61, 7, 6, 0),                    # r7 = ctx->data
        I(0x61, 8, 6, 4),                    # r8 = ctx->data_end
        I(0xbf, 9, 7),                       # r9 = r7
        I(0x07, 9, 0, 0, 8 + mem_len),       # r9 += 8 + len
        I(0x2d, 9, 8, 7),                    # if r9 > r8 goto fail (pc 5 -> 13)
        I(0xbf, 1, 7),                       # r1 = r7
        I(0x07, 1, 0, 0, 8),                 # r1 += 8        (the mem bytes)
        I(0xb7, 2, 0, 0, mem_len),           # r2 = len
        I(0x85, 0, 1, 0, 5),                 # call pc+1+5 = 15 (the case), src_reg = 1 (bpf-to-bpf)
        I(0x7b, 7, 0, 0),                    # *(u64 *)(r7 + 0) = r0
        I(0xb7, 0, 0, 0, XDP_PASS),          # r0 = XDP_PASS
        I(0x95),                             # exit
        I(0xb7, 0, 0, 0, 1),                 # fail: r0 = XDP_DROP
        I(0x95),                             # exit
    ]
    assert len(prolog) == 15
    # r3, r4, r5 are left unwritten on purpose: a case that reads them before writing them is refused
    # (R3 !read_ok), as are reads of r6-r9, which a bpf-to-bpf callee starts without.
    return b"".join(prolog) + case_bytes


def uses_legacy_packet_access(code):
    for i in range(0, len(code), 8):
        op = code[i]
        if op & 0x07 == 0x00 and op & 0xe0 in (0x20, 0x40):
            return True
    return False


def verifier_reason(log, err):
    """The verifier's final error line: the log's last line that is neither a statistic, an instruction
    trace nor a register-state dump (those follow e.g. "infinite loop detected")."""
    lines = [l.strip() for l in log.splitlines() if l.strip()]
    skip = re.compile(r"^(processed \d+ insns|verification time|stack depth|max_states_per_insn|"
                      r"cur state:|old state:|\d+: |from \d+ to \d+:|func#\d|frame\d|R\d+=|;)")
    lines = [l for l in lines if not skip.match(l)]
    return lines[-1] if lines else f"errno {-err} ({os.strerror(-err)}), empty verifier log"


def run_xdp(code, mem):
    prog = xdp_wrapper(code, len(mem))
    fd, log = bpfsys.prog_load(prog, bpfsys.BPF_PROG_TYPE_XDP, log_level=1, name=b"conformance")
    if fd < 0:
        return {"refused": verifier_reason(log, fd)}
    try:
        data = b"\xa5" * 8 + mem
        data += bytes(max(0, 14 - len(data)))
        err, ret, out, _ = bpfsys.prog_test_run(fd, data)
        if err:
            raise CaseError(f"BPF_PROG_TEST_RUN failed: {os.strerror(-err)}")
        if ret != XDP_PASS:
            raise CaseError(f"wrapper returned {ret}, not XDP_PASS (packet bounds check failed?)")
        r0, = struct.unpack_from("<Q", out, 0)
        return {"r0": "0x%x" % r0, "mem": out[8:8 + len(mem)].hex()}
    finally:
        bpfsys.close(fd)


def run_xdp_inline(code):
    """Loads `r6 = ctx; <case>` as an XDP program, to record why XDP refuses LD_ABS/LD_IND itself
    (wrapped as a subprogram it would be refused earlier, for being in a subprogram)."""
    prog = bpfsys.insn(0xbf, 6, 1) + code
    fd, log = bpfsys.prog_load(prog, bpfsys.BPF_PROG_TYPE_XDP, log_level=1, name=b"conformance")
    if fd >= 0:
        bpfsys.close(fd)
        return None
    return {"refused": verifier_reason(log, fd)}


def run_socket_filter(code, mem):
    """LD_ABS/LD_IND need an skb: r6 = ctx, then the case inline; retval is r0's low 32 bits."""
    prog = bpfsys.insn(0xbf, 6, 1) + code
    fd, log = bpfsys.prog_load(prog, bpfsys.BPF_PROG_TYPE_SOCKET_FILTER, log_level=1, name=b"conformance")
    if fd < 0:
        return {"refused": verifier_reason(log, fd)}
    try:
        err, ret, _, _ = bpfsys.prog_test_run(fd, bytes(SK_FILTER_HEADROOM) + mem)
        if err:
            raise CaseError(f"BPF_PROG_TEST_RUN failed: {os.strerror(-err)}")
        return {"r0_low32": "0x%x" % ret}
    finally:
        bpfsys.close(fd)


# ---------------------------------------------------------------------------------------------------
# Plugin check mode (no root): the public runner's protocol against the recorded answers

def runner_hex(data):
    return "".join("%02x  " % b for b in data)


def check_plugin(plugin, paths, recorded):
    agree, differ, missing = 0, [], []
    for path in paths:
        name = os.path.basename(path)
        if name not in recorded:
            missing.append(name)
            continue
        entry, case = recorded[name], parse_data(path)
        argv = [plugin] + ([runner_hex(case["mem"])] if case["mem"] else [])
        try:
            p = subprocess.run(argv, input=runner_hex(bytes.fromhex(entry["bytes"])) + "\n",
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            sys.exit(f"cannot run the plugin {plugin}: {e}")
        out = "".join(p.stdout.splitlines()).strip()
        if p.returncode == 0:
            try:
                got = "r0 0x%x" % (int(out, 16) & (2**64 - 1))
            except ValueError:
                got = f"unparsable output {out!r}"
        else:
            msg = (p.stderr.strip() or out).splitlines()
            got = f"error (exit {p.returncode}): {msg[-1] if msg else ''}"
        kernel = entry["kernel"]
        if "r0" in kernel:
            want = "r0 " + kernel["r0"]
        else:
            want = "refused by the kernel (" + kernel["refused"] + "); RFC 9669: " + entry["expected"]
        ok = got == want if "r0" in kernel else (
            got.startswith("error") if entry["expected"].startswith("error") else got == "r0 " + entry["expected"])
        if ok:
            agree += 1
        else:
            differ.append(f"{name}: plugin {got}; expected {want}")
    print(f"{len(paths)} cases through {plugin}: {agree} agree, {len(differ)} differ, "
          f"{len(missing)} not recorded")
    for d in differ:
        print("  " + d)
    return 1 if differ or missing else 0


# ---------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assembler", choices=["auto", "nicsim", "builtin"], default="auto")
    ap.add_argument("--out", default=os.path.join(CASES, "kernel.json"))
    ap.add_argument("--plugin", help="check a bpf_conformance plugin against the recorded kernel.json")
    ap.add_argument("cases", nargs="*", help="case files (default: every *.data in the fixture folder)")
    args = ap.parse_args()
    if args.plugin:
        paths = args.cases or sorted(os.path.join(CASES, f) for f in os.listdir(CASES) if f.endswith(".data"))
        with open(args.out) as f:
            return check_plugin(args.plugin, paths, json.load(f))
    if os.geteuid() != 0:
        sys.exit("record-conformance.py needs root (bpf(2))")
    paths = args.cases or sorted(os.path.join(CASES, f) for f in os.listdir(CASES) if f.endswith(".data"))

    results = {}
    if args.cases and os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    refusals, disagreements, asm_problems, harness_errors = Counter(), [], [], []
    ran = refused = 0
    nicsim_ok = args.assembler != "builtin"
    for path in paths:
        name = os.path.basename(path)
        try:
            case = parse_data(path)
            own = builtin_assemble(case["asm"]) if args.assembler != "nicsim" else None
            code = None
            if nicsim_ok:
                try:
                    code = nicsim_assemble(path)
                except CaseError as e:
                    if args.assembler == "nicsim":
                        raise
                    asm_problems.append(f"{name}: {e}")
                    if "could not run" in str(e) or "unknown command" in str(e).lower():
                        nicsim_ok = False  # no assembler yet: stop asking
                if code is not None and own is not None and code != own:
                    asm_problems.append(f"{name}: nicsim and builtin encodings differ:\n"
                                        f"    nicsim  {code.hex()}\n    builtin {own.hex()}")
            code = code if code is not None else own
            entry = {"bytes": code.hex(), "expected": expected_text(case)}
            entry["kernel"] = run_xdp(code, case["mem"])
            if uses_legacy_packet_access(code):
                entry["kernel"] = run_xdp_inline(code) or entry["kernel"]
                entry["socket_filter"] = run_socket_filter(code, case["mem"])
        except CaseError as e:
            harness_errors.append(f"{name}: {e}")
            continue
        results[name] = entry
        k = entry["kernel"]
        if "refused" in k:
            refused += 1
            refusals[k["refused"]] += 1
            sf = entry.get("socket_filter", {})
            if "r0_low32" in sf and case["result"] is not None:
                want = int(case["result"], 0) & 0xffffffff
                if int(sf["r0_low32"], 16) != want:
                    disagreements.append(f"{name}: socket filter r0 low 32 bits {sf['r0_low32']}, "
                                         f"hand-computed {entry['expected']}")
        else:
            ran += 1
            if case["result"] is None:
                disagreements.append(f"{name}: kernel ran it (r0 {k['r0']}) but the case expects "
                                     f"{entry['expected']}")
            elif int(k["r0"], 16) != int(case["result"], 0) & (2**64 - 1):
                disagreements.append(f"{name}: kernel r0 {k['r0']}, hand-computed {entry['expected']}")

    with open(args.out, "w") as f:
        json.dump(dict(sorted(results.items())), f, indent=1)
        f.write("\n")

    print(f"{len(paths)} cases: {ran} ran, {refused} refused, {len(harness_errors)} harness errors")
    if refusals:
        print("refusals by verifier reason:")
        for reason, n in refusals.most_common():
            print(f"  {n:4d}  {reason}")
    print(f"disagreements with the hand-computed result: {len(disagreements)}")
    for d in disagreements:
        print("  " + d)
    if asm_problems:
        print(f"assembler problems: {len(asm_problems)}")
        for a in asm_problems:
            print("  " + a)
    for h in harness_errors:
        print("  harness error: " + h)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 1 if harness_errors else 0


if __name__ == "__main__":
    sys.exit(main())
