#!/usr/bin/env python3
"""Records what libbpf and the kernel do with test/fixtures/loader/loader.o when a loader changes it
before load, into test/fixtures/loader/kernel.json (root, libbpf.so.1, clang-19 to rebuild the object):

  - a map left at max_entries 0: bpf_object__load's errno and libbpf's message naming the map;
  - bpf_map__set_max_entries, bpf_program__set_autoload(false) for every program but the ones named,
    and writes into the .rodata initial value (what a skeleton's `skel->rodata->x = v` does, at the
    offset of the variable's symbol);
  - then BPF_PROG_TEST_RUN of the first named program on a 64-byte zero frame: retval, data_out, and
    prog_array slot 0 set to the second named program when there is one.

    sudo python3 test/kernel/record-loader.py
"""
import ctypes, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIR = os.path.join(ROOT, "test/fixtures/loader")
OBJ = os.path.join(DIR, "loader.o")

CASES = [
    # name, programs to load (the first runs), map sizes, globals
    ("unsized", ["good"], {}, {}),
    ("sized", ["good"], {"flows": 16}, {}),
    ("set", ["good"], {"flows": 16}, {"limit": 100, "delta": -100, "on": 0, "mode": 0, "big": 0xFFFFFFFFFFFFFFFF}),
    ("with_bad_xdp", ["good", "bad"], {"flows": 16}, {}),
    ("with_bad_tc", ["good", "bad_tc"], {"flows": 16}, {}),
    ("tail", ["dispatch", "tail"], {"flows": 16}, {}),
]

def rodata_layout():
    # The object's DATASEC has offsets 0 (libbpf fills them from the symbol table at open); the symbols
    # of .rodata give each variable's offset and size.
    out = subprocess.run(["llvm-nm-19", "--print-size", "--format=posix", OBJ], check=True, capture_output=True, text=True).stdout
    layout = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[1] in ("r", "R"):
            layout[f[0]] = (int(f[2], 16), int(f[3], 16))
    return layout

CHILD = r'''
import ctypes, json, sys
obj_path, progs, sizes, sets, layout = json.loads(sys.argv[1])
lb = ctypes.CDLL("libbpf.so.1", use_errno=True)
P = ctypes.c_void_p
def fn(name, res, *args):
    f = getattr(lb, name); f.restype = res; f.argtypes = list(args); return f
open_file = fn("bpf_object__open_file", P, ctypes.c_char_p, P)
load = fn("bpf_object__load", ctypes.c_int, P)
find_map = fn("bpf_object__find_map_by_name", P, P, ctypes.c_char_p)
find_prog = fn("bpf_object__find_program_by_name", P, P, ctypes.c_char_p)
next_prog = fn("bpf_object__next_program", P, P, P)
prog_name = fn("bpf_program__name", ctypes.c_char_p, P)
set_autoload = fn("bpf_program__set_autoload", ctypes.c_int, P, ctypes.c_bool)
set_max = fn("bpf_map__set_max_entries", ctypes.c_int, P, ctypes.c_uint32)
init_val = fn("bpf_map__initial_value", P, P, ctypes.POINTER(ctypes.c_size_t))
prog_fd = fn("bpf_program__fd", ctypes.c_int, P)
map_fd = fn("bpf_map__fd", ctypes.c_int, P)
update = fn("bpf_map_update_elem", ctypes.c_int, ctypes.c_int, P, P, ctypes.c_uint64)
class Opts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("data_in", P), ("data_out", P), ("data_size_in", ctypes.c_uint32),
                ("data_size_out", ctypes.c_uint32), ("ctx_in", P), ("ctx_out", P), ("ctx_size_in", ctypes.c_uint32),
                ("ctx_size_out", ctypes.c_uint32), ("retval", ctypes.c_uint32), ("repeat", ctypes.c_int),
                ("duration", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("cpu", ctypes.c_uint32), ("batch_size", ctypes.c_uint32)]
test_run = fn("bpf_prog_test_run_opts", ctypes.c_int, ctypes.c_int, ctypes.POINTER(Opts))
obj = open_file(obj_path.encode(), None)
p = next_prog(obj, None)
while p:
    set_autoload(p, prog_name(p).decode() in progs)
    p = next_prog(obj, p)
for name, n in sizes.items():
    set_max(find_map(obj, name.encode()), n)
if sets:
    ro = find_map(obj, b".rodata")
    size = ctypes.c_size_t()
    base = init_val(ro, ctypes.byref(size))
    for name, v in sets.items():
        off, sz = layout[name]
        ctypes.memmove(base + off, (v & ((1 << (8 * sz)) - 1)).to_bytes(sz, "little"), sz)
rc = load(obj)
res = {"load": rc}
if rc == 0:
    if len(progs) > 1 and progs[0] == "dispatch":
        k = ctypes.c_uint32(0); v = ctypes.c_uint32(prog_fd(find_prog(obj, progs[1].encode())))
        assert update(map_fd(find_map(obj, b"jmp")), ctypes.byref(k), ctypes.byref(v), 0) == 0
    din = (ctypes.c_ubyte * 64)(); dout = (ctypes.c_ubyte * 64)()
    o = Opts(sz=ctypes.sizeof(Opts), data_in=ctypes.cast(din, P), data_out=ctypes.cast(dout, P), data_size_in=64, data_size_out=64, repeat=1)
    assert test_run(prog_fd(find_prog(obj, progs[0].encode())), ctypes.byref(o)) == 0
    res.update(retval=o.retval, data_out=bytes(dout)[: o.data_size_out].hex())
print(json.dumps(res))
'''

def main():
    subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-mcpu=v3", "-I/usr/include/x86_64-linux-gnu",
                    "-c", "loader.c", "-o", "loader.o"], cwd=DIR, check=True)
    layout = rodata_layout()
    out = {"kernel": os.uname().release, "object": "loader.o", "cases": {}}
    for name, progs, sizes, sets in CASES:
        p = subprocess.run([sys.executable, "-c", CHILD, json.dumps([OBJ, progs, sizes, sets, layout])], capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{name}: {p.stderr}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        # libbpf's line naming the map or program that failed (its default print goes to stderr).
        fail = [l for l in p.stderr.splitlines() if "failed to create" in l or "program load failed" in l]
        res["libbpf"] = fail[0].strip() if fail else None
        out["cases"][name] = {"programs": progs, "map_sizes": sizes, "set": {k: str(v) for k, v in sets.items()}, **res}
        print(name, res)
    with open(os.path.join(DIR, "kernel.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")

main()
