#!/usr/bin/env python3
"""Records the kernel verifier's verdict on every program of the verifier corpus.

Usage (root, from anywhere):
    test/kernel/record-verifier.py                 # record everything, write corpus.json + logs/
    test/kernel/record-verifier.py --only NAME...  # print the verdicts of some programs, write nothing
    test/kernel/record-verifier.py --summary       # per-family counts of corpus.json (README table)

Each object in test/fixtures/verifier/corpus/ is loaded twice through libbpf (the library bpftool uses,
driven through ctypes so that log level and log buffer can be set per program):
  - privileged: this process, as root with every capability;
  - unprivileged: a child process of this script started by setpriv with exactly CAP_BPF and
    CAP_NET_ADMIN (effective, permitted, ambient and bounding sets), which makes the kernel apply the
    rules of a loader without CAP_PERFMON / CAP_SYS_ADMIN (no pointer leaks, no uninitialised stack
    reads, no pointer comparisons, Spectre v1/v4 mitigations).
Per load: log_level 4 (BPF_LOG_STATS: error messages and statistics, no trace) gives the verdict, the
messages, `processed N insns` and `verification time N usec`; a rejected program is loaded again at
log_level 5 to find the failing instruction (the last `N: (op)` line of the trace) and its source line.
Sources tagged `load: raw` are assembled objects whose `xdp` section is loaded as raw instructions through
bpfsys.prog_load (for encodings libbpf would not pass through, e.g. calls to bad targets).
Privileged verdicts of libbpf-loaded objects are cross-checked with `bpftool prog loadall` (pins removed).
"""
import argparse
import ctypes
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "test", "fixtures", "verifier")
CORPUS = os.path.join(FIX, "corpus")
sys.path.insert(0, HERE)
import bpfsys  # noqa: E402
import libbpf  # noqa: E402

LOG_SIZE = 16 << 20
# Full level-2 traces kept in logs/ for these small programs (name without extension).
TRACE_PROGRAMS = ["pkt_eth_proto", "pkt_no_check", "map_lookup_null_check", "map_null_deref",
                  "stack_uninit_read", "loop_bounded_asm", "subprog_call", "ref_sk_release_twice"]
# ... and the unprivileged trace of these (uninitialised stack, variable packet offset, pointer subtraction).
TRACE_UNPRIV = ["stack_uninit_read", "pkt_var_off_masked", "ptr_sub_ptr"]
STAT_RE = re.compile(r"^(verification time \d+ usec|stack depth [\d+ ]+|processed \d+ insns .*)$")
INSN_RE = re.compile(r"^(\d+): \([0-9a-f]{2}\)")
# State dumps printed after some errors (e.g. the two states of "infinite loop detected").
DUMP_RE = re.compile(r"^((cur|old) state: |\d+: R\d+|\s*frame\d+: )")
LINE_RE = re.compile(r"^; (.*) @ (\S+):(\d+)$")
TAG_RE = re.compile(r"^\s*(?://|/\*|\*|#)\s*(family|note|load|mcpu):\s*(.*?)\s*(?:\*/)?\s*$")
# Messages that name the instruction themselves (checks that run before the path walk).
PC_IN_MSG = [re.compile(p) for p in (r"from insn (\d+)", r"unreachable insn (\d+)",
                                        r"at insn (\d+)", r"ldimm64 insn (\d+)", r"insn (\d+) ")]


# ---------------------------------------------------------------- libbpf through ctypes
class Libbpf(libbpf.Libbpf):

    def load(self, path, log_level):
        """Opens and loads one object; returns [(program name, ok, errno, log text)] per program."""
        self.messages = []
        obj = self.lb.bpf_object__open_file(path.encode(), None)
        if not obj:
            raise RuntimeError(f"{path}: libbpf cannot open: {' '.join(self.messages)}")
        progs, bufs = [], []
        p = self.lb.bpf_object__next_program(obj, None)
        while p:
            buf = ctypes.create_string_buffer(LOG_SIZE)
            self.lb.bpf_program__set_log_level(p, log_level)
            self.lb.bpf_program__set_log_buf(p, buf, LOG_SIZE)
            progs.append(p)
            bufs.append(buf)
            p = self.lb.bpf_object__next_program(obj, p)
        ctypes.set_errno(0)
        r = self.lb.bpf_object__load(obj)
        err = ctypes.get_errno() if r else 0
        out = []
        for p, buf in zip(progs, bufs):
            name = self.lb.bpf_program__name(p).decode()
            ok = r == 0 and self.lb.bpf_program__fd(p) >= 0
            out.append((name, ok, 0 if ok else err, buf.value.decode("utf-8", "replace")))
        self.lb.bpf_object__close(obj)
        if r and not any(log for _, _, _, log in out):
            raise RuntimeError(f"{path}: libbpf failed before the kernel spoke: {''.join(self.messages)}")
        return out


# ---------------------------------------------------------------- raw sections
def elf_section(path, wanted):
    """Bytes and symbol-named start of section `wanted` of a little-endian ELF64 object."""
    data = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = hdrs[shstrndx]
    for h in hdrs:
        nm = data[strtab[4] + h[0]:].split(b"\0", 1)[0].decode()
        if nm == wanted:
            return data[h[4]:h[4] + h[5]]
    raise RuntimeError(f"{path}: no section {wanted}")


def load_raw(path, log_level, name):
    insns = elf_section(path, "xdp")
    lic = elf_section(path, "license").split(b"\0", 1)[0]
    fd, log = bpfsys.prog_load(insns, bpfsys.BPF_PROG_TYPE_XDP, license=lic, log_level=log_level,
                               log_size=LOG_SIZE, name=name.encode()[:15])
    err = 0
    if fd >= 0:
        os.close(fd)
    else:
        err = -fd
    return [(name, fd >= 0, err, log)]


# ---------------------------------------------------------------- log analysis
def normalise(log):
    """Some kernel messages lack their newline (e.g. "expected prog array map for tail call"): put the
    statistics that follow them on their own line."""
    return re.sub(r"(?<=[^\n])verification time", "\nverification time", log)


def split_log(log):
    lines = [ln for ln in normalise(log).splitlines() if ln.strip()]
    stats = {"insns_processed": None, "verification_time_us": None}
    msgs = []
    for ln in lines:
        m = re.match(r"processed (\d+) insns", ln)
        if m:
            stats["insns_processed"] = int(m.group(1))
            continue
        m = re.match(r"verification time (\d+) usec", ln)
        if m:
            stats["verification_time_us"] = int(m.group(1))
            continue
        if STAT_RE.match(ln) or LINE_RE.match(ln):
            continue  # statistics, or a source line the log interleaves
        msgs.append(ln)
    return msgs, stats


def failing_pc(trace_log, error):
    """Failing insn: the last trace insn before the error line, else an insn named by the message."""
    lines = normalise(trace_log).splitlines()
    idx = len(lines)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == error:
            idx = i
            break
    pc = src = None
    for ln in reversed(lines[:idx]):
        m = INSN_RE.match(ln)
        if m and pc is None:
            pc = int(m.group(1))
            continue
        m = LINE_RE.match(ln)
        if m and pc is not None:
            # the kernel prints a line-info annotation only when the line changes: the nearest one
            # above the failing insn is the line it belongs to
            src = {"file": os.path.basename(m.group(2)), "line": int(m.group(3)), "text": m.group(1)}
            break
    if pc is None:
        for rx in PC_IN_MSG:
            m = rx.search(error or "")
            if m:
                pc = int(m.group(1))
                break
    return pc, src


def verdicts(entry, loader):
    """Loads one corpus entry; returns {program: verdict dict}."""
    path = os.path.join(ROOT, entry["object"])
    raw = entry["load"] == "raw"
    first = load_raw(path, 4, entry["stem"]) if raw else loader.load(path, 4)
    out = {}
    for name, ok, err, log in first:
        msgs, stats = split_log(log)
        v = {"accepted": ok, "error": None, "pc": None, "insns_processed": stats["insns_processed"],
             "verification_time_us": stats["verification_time_us"]}
        if not ok:
            real = [m for m in msgs if not DUMP_RE.match(m)] or msgs
            v["error"] = real[-1] if real else f"errno {err} ({os.strerror(err)}) with an empty log"
            v["messages"] = msgs
            v["errno"] = err
        out[name] = v
    if any(not v["accepted"] for v in out.values()):
        second = load_raw(path, 5, entry["stem"]) if raw else loader.load(path, 5)
        for name, ok, err, log in second:
            v = out[name]
            if v["accepted"]:
                continue
            v["pc"], v["source"] = failing_pc(log, v["error"])
    return out


def trace_log(entry, loader):
    path = os.path.join(ROOT, entry["object"])
    res = load_raw(path, 2, entry["stem"]) if entry["load"] == "raw" else loader.load(path, 2)
    return res[0][3]


# ---------------------------------------------------------------- corpus discovery
def scan():
    entries = []
    for fn in sorted(os.listdir(CORPUS)):
        stem, ext = os.path.splitext(fn)
        if ext not in (".c", ".s"):
            continue
        tags = {"family": None, "note": "", "load": "libbpf", "mcpu": ""}
        with open(os.path.join(CORPUS, fn)) as f:
            for ln in f:
                m = TAG_RE.match(ln)
                if m:
                    tags[m.group(1)] = m.group(2) if m.group(1) != "note" else (tags["note"] + " " + m.group(2)).strip()
        if not tags["family"]:
            raise RuntimeError(f"{fn}: no family tag")
        rel = os.path.relpath(os.path.join(CORPUS, fn), ROOT)
        entries.append({"file": rel, "object": rel[:-len(ext)] + ".o", "stem": stem,
                        "lang": "c" if ext == ".c" else "asm", "family": tags["family"],
                        "note": tags["note"], "load": tags["load"]})
    return entries


def child_main(names):
    """Runs in the setpriv child: prints {stem: {program: verdict}} as JSON."""
    caps = open("/proc/self/status").read()
    eff = int(re.search(r"CapEff:\s*([0-9a-f]+)", caps).group(1), 16)
    loader = Libbpf()
    res = {"capeff": eff, "results": {}, "traces": {}}
    for e in scan():
        if names and e["stem"] not in names:
            continue
        res["results"][e["stem"]] = verdicts(e, loader)
        if e["stem"] in TRACE_UNPRIV and not names:
            res["traces"][e["stem"]] = trace_log(e, loader)
    json.dump(res, sys.stdout)


CAP_NET_ADMIN, CAP_BPF = 12, 39


def run_unprivileged(names):
    py = sys.executable
    cmd = ["setpriv", "--inh-caps=-all,+bpf,+net_admin", "--ambient-caps=-all,+bpf,+net_admin",
           "--bounding-set=-all,+bpf,+net_admin", py, os.path.abspath(__file__), "--child"] + names
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"unprivileged child failed:\n{out.stderr}")
    res = json.loads(out.stdout)
    want = (1 << CAP_NET_ADMIN) | (1 << CAP_BPF)
    if res["capeff"] != want:
        raise RuntimeError(f"unprivileged child has CapEff {res['capeff']:#x}, wanted {want:#x}")
    return res["results"], res["traces"]


def bpftool_check(entry, accepted):
    """Privileged cross-check: bpftool prog loadall agrees on the verdict. Removes its pins."""
    pin = tempfile.mkdtemp(prefix="nicsim-verifier-", dir="/sys/fs/bpf")
    os.rmdir(pin)
    try:
        r = subprocess.run(["bpftool", "prog", "loadall", os.path.join(ROOT, entry["object"]), pin],
                           capture_output=True, text=True)
        return (r.returncode == 0) == accepted
    finally:
        if os.path.isdir(pin):
            for fn in os.listdir(pin):
                os.unlink(os.path.join(pin, fn))
            os.rmdir(pin)


def summary():
    """Markdown table of corpus.json per family (for the README)."""
    corpus = json.load(open(os.path.join(FIX, "corpus.json")))
    fams = {}
    for c in corpus:
        f = fams.setdefault(c["family"], [0, 0, 0])
        f[0 if c["privileged"]["accepted"] else 1] += 1
        u = c["unprivileged"]
        f[2] += bool(u and not u["accepted"])
    print("| family | accepted | rejected | rejected unprivileged |")
    print("|---|---:|---:|---:|")
    for name in sorted(fams):
        print(f"| {name} | {fams[name][0]} | {fams[name][1]} | {fams[name][2]} |")
    acc = sum(f[0] for f in fams.values())
    rej = sum(f[1] for f in fams.values())
    urej = sum(f[2] for f in fams.values())
    print(f"| **total ({len(corpus)})** | **{acc}** | **{rej}** | **{urej}** |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only", nargs="*", default=None, help="print verdicts of these stems; write nothing")
    ap.add_argument("--no-unpriv", action="store_true", help="skip the unprivileged pass")
    ap.add_argument("--summary", action="store_true", help="print the per-family table of corpus.json")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    if a.child:
        return child_main(a.names)
    if a.summary:
        return summary()
    if os.geteuid() != 0:
        sys.exit("record-verifier.py must run as root")
    names = a.only or []
    entries = [e for e in scan() if not names or e["stem"] in names]
    loader = Libbpf()
    unpriv, unpriv_traces = ({}, {}) if a.no_unpriv else run_unprivileged(names)
    corpus = []
    for e in entries:
        priv = verdicts(e, loader)
        if e["load"] != "raw" and not all(bpftool_check(e, v["accepted"]) for v in priv.values()):
            raise RuntimeError(f"{e['stem']}: bpftool prog loadall disagrees with the libbpf verdict")
        for prog, v in priv.items():
            u = unpriv.get(e["stem"], {}).get(prog)
            corpus.append({"file": e["file"], "object": e["object"], "program": prog, "lang": e["lang"],
                           "family": e["family"], "privileged": v, "unprivileged": u, "note": e["note"]})
    if a.only is not None:
        for c in corpus:
            p, u = c["privileged"], c["unprivileged"] or {}
            print(f"{c['program']:32} P:{'ACC' if p['accepted'] else 'REJ'} pc={p['pc']} n={p['insns_processed']} "
                  f"{p['error']!s}\n{'':32}   {p.get('messages', [])[:-1]}\n{'':32} U:{'ACC' if u.get('accepted') else 'REJ'} pc={u.get('pc')} {u.get('error')!s}")
        return
    with open(os.path.join(FIX, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=1)
        f.write("\n")
    logs = os.path.join(FIX, "logs")
    os.makedirs(logs, exist_ok=True)
    for e in entries:
        if e["stem"] in TRACE_PROGRAMS:
            with open(os.path.join(logs, e["stem"] + ".level2.txt"), "w") as f:
                f.write(trace_log(e, loader))
    for stem, text in unpriv_traces.items():
        with open(os.path.join(logs, stem + ".unpriv.level2.txt"), "w") as f:
            f.write(text)
    acc = sum(c["privileged"]["accepted"] for c in corpus)
    print(f"{len(corpus)} programs: {acc} accepted, {len(corpus) - acc} rejected (privileged)")


if __name__ == "__main__":
    main()
