#!/usr/bin/env python3
"""Records the kernel's map semantics into test/fixtures/maps/*.json.

Usage (root): test/kernel/record-maps.py [--print]

Every case creates a real kernel map (BPF_MAP_CREATE through bpfsys), runs a scripted sequence of
operations on it and records each operation's return code and result:
  - host operations through bpf(2): update / lookup / delete / get_next_key, full key walks;
  - program operations through BPF_PROG_TEST_RUN of a tiny generated XDP program that calls
    bpf_map_lookup_elem / bpf_map_update_elem / bpf_map_delete_elem on a key (and value, flags) taken
    from the packet and writes the helper's result back into the packet. The process is pinned to one
    CPU for each test run (the program sees that CPU's per-CPU values and LRU lists).
The process is pinned to CPU 0 otherwise, so every host operation runs on CPU 0 as well.

Packet of a program operation: u32 op @0, u64 flags @8, i64 result @16 (written by the program),
key @32, value @32 + round_up(key_size, 8).

Fixture format: {"kernel", "possibleCpus", "constants", "cases": [{"name", "map": {type, keySize,
valueSize, maxEntries, flags, numaNode?, inner?}, "create": 0 | -errno, "info": {maxEntries, flags},
"ops": [...]}]}; ops are {"op": "update"|"lookup"|"delete"|"next"|"walk"|"freeze"|"plookup"|
"pupdate"|"pdelete", "key": hex|null, "value": hex|[hex per cpu], "flags", "cpu", "rc", ...}.
Keys/values are hex in memory order. Programs and sockets stored in fd maps are named symbolically
("prog": "A", "fd": "badfd") because kernel fds and ids differ from run to run.
"""
import json
import os
import platform
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "test", "fixtures", "maps")
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
import bpfsys as B  # noqa: E402

NCPUS = os.cpu_count()
POSSIBLE = None


def possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        txt = f.read().strip()
    n = 0
    for part in txt.split(","):
        lo, _, hi = part.partition("-")
        n += (int(hi) if hi else int(lo)) - int(lo) + 1
    return n


def r8(n):
    return (n + 7) & ~7


def u32(n):
    return struct.pack("<I", n & 0xFFFFFFFF)


def u64(n):
    return struct.pack("<Q", n & 0xFFFFFFFFFFFFFFFF)


def key(n, size=4):
    return (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def val(n, size=8):
    return (n & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def lpm(prefixlen, *octets, size=4):
    data = bytes(octets) + bytes(size - len(octets))
    return u32(prefixlen) + data


def pin(cpu):
    os.sched_setaffinity(0, {cpu})


# ---------------------------------------------------------------- tiny assembler for op programs
class Asm:
    def __init__(self):
        self.out = []  # (bytes | ("jmp", code, dst, src, label, imm))
        self.labels = {}

    def i(self, code, dst=0, src=0, off=0, imm=0):
        self.out.append(B.insn(code, dst, src, off, imm))

    def jmp(self, code, dst, src, label, imm=0):
        self.out.append(("jmp", code, dst, src, label, imm))

    def lddw_map(self, dst, fd):
        self.out.append(B.insn(0x18, dst, 1, 0, fd))
        self.out.append(B.insn(0, 0, 0, 0, 0))

    def label(self, name):
        self.labels[name] = len(self.out)

    def bytes(self):
        res = b""
        for pc, x in enumerate(self.out):
            if isinstance(x, tuple):
                _, code, dst, src, label, imm = x
                res += B.insn(code, dst, src, self.labels[label] - pc - 1, imm)
            else:
                res += x
        return res


def op_prog(map_fd, op, ksize, vsize):
    voff = 32 + r8(ksize)
    length = voff + 2 * r8(max(vsize, 1))
    a = Asm()
    a.i(0xbf, 6, 1)                 # r6 = ctx
    a.i(0x61, 7, 6, 0)              # r7 = data
    a.i(0x61, 8, 6, 4)              # r8 = data_end
    a.i(0xbf, 2, 7)
    a.i(0x07, 2, 0, 0, length)
    a.jmp(0x2d, 2, 8, "out")        # if r2 > r8 goto out
    a.lddw_map(1, map_fd)
    a.i(0xbf, 2, 7)
    a.i(0x07, 2, 0, 0, 32)          # r2 = key
    if op == "lookup":
        a.i(0x85, 0, 0, 0, 1)
        a.jmp(0x15, 0, 0, "nf", 0)  # if r0 == 0 goto nf
        for j in range(vsize):
            a.i(0x71, 1, 0, j)      # r1 = *(u8 *)(r0 + j)
            a.i(0x73, 7, 1, voff + j)
        a.i(0xb7, 1, 0, 0, 0)
        a.i(0x7b, 7, 1, 16)
        a.jmp(0x05, 0, 0, "out")
        a.label("nf")
        a.i(0xb7, 1, 0, 0, -2)
        a.i(0x7b, 7, 1, 16)
    elif op == "stale":
        # lookup, update the same key, then read the value through the pointer the lookup returned
        a.i(0x85, 0, 0, 0, 1)
        a.jmp(0x15, 0, 0, "nf", 0)
        a.i(0xbf, 9, 0)             # r9 = value pointer
        a.lddw_map(1, map_fd)
        a.i(0xbf, 2, 7)
        a.i(0x07, 2, 0, 0, 32)
        a.i(0xbf, 3, 7)
        a.i(0x07, 3, 0, 0, voff)
        a.i(0x79, 4, 7, 8)
        a.i(0x85, 0, 0, 0, 2)
        a.i(0x7b, 7, 0, 16)
        for j in range(vsize):
            a.i(0x71, 1, 9, j)
            a.i(0x73, 7, 1, voff + r8(vsize) + j)
        a.jmp(0x05, 0, 0, "out")
        a.label("nf")
        a.i(0xb7, 1, 0, 0, -1000)
        a.i(0x7b, 7, 1, 16)
    elif op == "update":
        a.i(0xbf, 3, 7)
        a.i(0x07, 3, 0, 0, voff)
        a.i(0x79, 4, 7, 8)          # r4 = flags
        a.i(0x85, 0, 0, 0, 2)
        a.i(0x7b, 7, 0, 16)
    else:
        a.i(0x85, 0, 0, 0, 3)
        a.i(0x7b, 7, 0, 16)
    a.label("out")
    a.i(0xb7, 0, 0, 0, 2)
    a.i(0x95)
    fd, log = B.prog_load(a.bytes(), log_level=1)
    if fd < 0:
        raise RuntimeError(f"op program for {op} rejected: {log}")
    return fd, voff, length


# ---------------------------------------------------------------- case recorder
def hexs(b):
    return b.hex() if b is not None else None


class Case:
    symbols = {}  # kernel program id -> symbolic name

    def __init__(self, cases, name, mtype, ksize, vsize, maxe, flags=0, numa=None, inner=None,
                 inner_fd=0, note=None):
        self.name, self.type, self.k, self.v, self.flags = name, mtype, ksize, vsize, flags
        spec = {"type": mtype, "keySize": ksize, "valueSize": vsize, "maxEntries": maxe, "flags": flags}
        if numa is not None:
            spec["numaNode"] = numa
        if inner is not None:
            spec["inner"] = inner
        self.rec = {"name": name, "map": spec}
        if note:
            self.rec["note"] = note
        self.ops = []
        cases.append(self.rec)
        fd = B.map_create_rc(mtype, ksize, vsize, maxe, flags, name=b"", inner_map_fd=inner_fd,
                             numa_node=numa or 0)
        self.fd = fd if fd >= 0 else None
        self.rec["create"] = 0 if fd >= 0 else fd
        if fd >= 0:
            info = B.map_info(fd)
            self.rec["info"] = {"maxEntries": info["max_entries"], "flags": info["map_flags"]}
            self.rec["ops"] = self.ops
        self.progs = {}
        self.percpu = mtype in (B.BPF_MAP_TYPE_PERCPU_HASH, B.BPF_MAP_TYPE_PERCPU_ARRAY,
                                B.BPF_MAP_TYPE_LRU_PERCPU_HASH)

    # host value size as the syscall sees it
    def hvs(self):
        return r8(self.v) * POSSIBLE if self.percpu else self.v

    def split(self, raw):
        if raw is None:
            return None
        if not self.percpu:
            return raw.hex()
        s = r8(self.v)
        return [raw[i * s:(i + 1) * s].hex() for i in range(POSSIBLE)]

    def join(self, value):
        if isinstance(value, list):
            return b"".join(value)
        return value

    def update(self, k, v, flags=0, fd=None):
        """fd: symbolic name of the fd stored in the last 4 bytes of the value (fd maps); the
        recorded value is then the bytes before it."""
        raw = self.join(v)
        rc = B.map_update(self.fd, k, raw, flags)
        op = {"op": "update", "key": k.hex(), "value": self.split(raw) if self.percpu else raw.hex(),
              "flags": flags, "rc": rc}
        if fd is not None:
            op["value"], op["fd"] = raw[:-4].hex(), fd
        self.ops.append(op)
        return rc

    def lookup(self, k, flags=0, value_size=None, idat=None):
        """idat: byte offset of a program id in the value, recorded as the program's symbol."""
        rc, v = B.map_lookup(self.fd, k, value_size or self.hvs(), flags)
        op = {"op": "lookup", "key": k.hex(), "rc": rc}
        if flags:
            op["flags"] = flags
        if rc == 0:
            op["value"] = self.split(v)
            if idat is not None:
                pid = struct.unpack_from("<I", v, idat)[0]
                op["value"] = v[:idat].hex()
                if self.type in (B.BPF_MAP_TYPE_ARRAY_OF_MAPS, B.BPF_MAP_TYPE_HASH_OF_MAPS):
                    op["map"] = Case.symbols[("map", pid)]
                else:
                    op["prog"] = Case.symbols.get(pid) if pid else None
                    assert pid == 0 or pid in Case.symbols, pid
        self.ops.append(op)
        return rc, v

    def delete(self, k):
        rc = B.map_delete(self.fd, k)
        self.ops.append({"op": "delete", "key": k.hex(), "rc": rc})
        return rc

    def next(self, k):
        rc, nk = B.map_get_next_key(self.fd, k, self.k)
        op = {"op": "next", "key": hexs(k), "rc": rc}
        if rc == 0:
            op["next"] = nk.hex()
        self.ops.append(op)
        return rc, nk

    def walk(self, order=False):
        keys, k = [], None
        for _ in range(100000):
            rc, nk = B.map_get_next_key(self.fd, k, self.k)
            if rc != 0:
                break
            keys.append(nk.hex())
            k = nk
        # the order of a walk is only reproducible with BPF_F_ZERO_SEED (or for arrays / tries);
        # unordered walks are stored sorted so that re-recording gives the same file
        op = {"op": "walk", "keys": keys if order else sorted(keys), "rc": rc}
        if order:
            op["ordered"] = True
        self.ops.append(op)
        return keys

    def freeze(self):
        rc = B.map_freeze(self.fd)
        self.ops.append({"op": "freeze", "rc": rc})

    def _prog(self, op):
        if op not in self.progs:
            self.progs[op] = op_prog(self.fd, op, self.k, self.v)
        return self.progs[op]

    def _run(self, op, k, v, flags, cpu):
        fd, voff, length = self._prog(op)
        pkt = bytearray(max(length, 64))
        struct.pack_into("<I", pkt, 0, {"lookup": 0, "update": 1, "delete": 2, "stale": 3}[op])
        struct.pack_into("<Q", pkt, 8, flags)
        pkt[32:32 + len(k)] = k
        if v is not None:
            pkt[voff:voff + len(v)] = v
        pin(cpu)
        err, ret, out, _ = B.prog_test_run(fd, bytes(pkt))
        pin(0)
        assert err == 0 and ret == 2, (err, ret)
        rc = struct.unpack_from("<q", out, 16)[0]
        if op == "stale":
            return rc, out[voff + r8(self.v):voff + r8(self.v) + self.v]
        return rc, out[voff:voff + self.v]

    def plookup(self, k, cpu=0, idat=None):
        rc, v = self._run("lookup", k, None, 0, cpu)
        op = {"op": "plookup", "key": k.hex(), "cpu": cpu, "rc": rc}
        if rc == 0:
            op["value"] = v.hex()
            if idat is not None:
                pid = struct.unpack_from("<I", v, idat)[0]
                op["value"] = v[:idat].hex()
                op["prog"] = Case.symbols.get(pid) if pid else None
        self.ops.append(op)
        return rc

    def pupdate(self, k, v, flags=0, cpu=0):
        rc, _ = self._run("update", k, v, flags, cpu)
        self.ops.append({"op": "pupdate", "key": k.hex(), "value": v.hex(), "flags": flags,
                         "cpu": cpu, "rc": rc})
        return rc

    def pstale(self, k, v, flags=0, cpu=0):
        """Program: p = lookup(k); update(k, v, flags); read *p. Shows whether an update replaces
        the element (p still shows the old value) or writes in place."""
        rc, old = self._run("stale", k, v, flags, cpu)
        op = {"op": "pstale", "key": k.hex(), "value": v.hex(), "flags": flags, "cpu": cpu}
        if rc == -1000:
            op.update(found=False, rc=0)
        else:
            op.update(found=True, rc=rc, old=old.hex())
        self.ops.append(op)
        return rc

    def pdelete(self, k, cpu=0):
        rc, _ = self._run("delete", k, None, 0, cpu)
        self.ops.append({"op": "pdelete", "key": k.hex(), "cpu": cpu, "rc": rc})
        return rc

    def close(self):
        for fd, _, _ in self.progs.values():
            B.close(fd)
        if self.fd is not None:
            B.close(self.fd)


def run_case(cases, *a, body=None, **kw):
    c = Case(cases, *a, **kw)
    try:
        if c.fd is not None and body:
            body(c)
    finally:
        c.close()
    return c


def bisect_first_failing(lo, hi, fails):
    """Smallest n in (lo, hi] with fails(n), given not fails(lo) and fails(hi)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fails(mid):
            hi = mid
        else:
            lo = mid
    return hi


def create_rc(*a, **kw):
    fd = B.map_create_rc(*a, **kw)
    if fd >= 0:
        B.close(fd)
        return 0
    return fd


from record_maps_cases import array_cases, create_cases, hash_cases, percpu_cases  # noqa: E402
from record_maps_more import devmap_cases, lpm_cases, lru_cases, mapinmap_cases, progarray_cases  # noqa: E402


def dumps(doc):
    """JSON with one case header and one operation per line (diff-friendly, compact)."""
    head = {k: v for k, v in doc.items() if k != "cases"}
    lines = ["{" + json.dumps(head)[1:-1] + ', "cases": [']
    for i, c in enumerate(doc["cases"]):
        hdr = {k: v for k, v in c.items() if k != "ops"}
        if "ops" not in c:
            lines.append(" " + json.dumps(hdr) + ("," if i + 1 < len(doc["cases"]) else ""))
            continue
        lines.append(" " + json.dumps(hdr)[:-1] + ', "ops": [')
        for j, op in enumerate(c["ops"]):
            lines.append("  " + json.dumps(op) + ("," if j + 1 < len(c["ops"]) else ""))
        lines.append(" ]}" + ("," if i + 1 < len(doc["cases"]) else ""))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main():
    global POSSIBLE
    POSSIBLE = possible_cpus()
    pin(0)
    ctx = {"B": B, "Case": Case, "run": run_case, "create_rc": create_rc, "bisect": bisect_first_failing,
           "key": key, "val": val, "u32": u32, "u64": u64, "lpm": lpm, "r8": r8, "ncpus": POSSIBLE,
           "socket": socket, "meta": {}}
    constants = {}
    groups = {
        "create": lambda cs: create_cases(ctx, cs, constants),
        "hash": lambda cs: hash_cases(ctx, cs),
        "percpu": lambda cs: percpu_cases(ctx, cs),
        "lru": lambda cs: lru_cases(ctx, cs),
        "array": lambda cs: array_cases(ctx, cs),
        "lpm": lambda cs: lpm_cases(ctx, cs),
        "devmap": lambda cs: devmap_cases(ctx, cs),
        "progarray": lambda cs: progarray_cases(ctx, cs),
        "mapinmap": lambda cs: mapinmap_cases(ctx, cs),
    }
    os.makedirs(OUT, exist_ok=True)
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    for name, fn in groups.items():
        if only and name not in only:
            continue
        cases = []
        ctx["meta"] = {}
        fn(cases)
        doc = {"kernel": platform.release(), "possibleCpus": POSSIBLE,
               "constants": constants if name == "create" else {}}
        doc.update(ctx["meta"])  # e.g. "handles": the maps put into maps of maps, by symbol
        doc["cases"] = cases
        if "--print" in sys.argv:
            print(json.dumps(doc, indent=1))
            continue
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            f.write(dumps(doc))
        nops = sum(len(c.get("ops", [])) for c in cases)
        print(f"{name}: {len(cases)} cases, {nops} operations")


if __name__ == "__main__":
    main()
