#!/bin/bash
# Records the kernel's and libbpf's view of the ELF loader fixtures (test/fixtures/elf/*.o) into
# test/fixtures/elf/kernel/<object>.json. Needs root, bpffs at /sys/fs/bpf, bpftool and libbpf.so.1.
# Never run by `npm test`. Everything it pins is removed again.
#
# Per object:
#   libbpf   what libbpf (via libbpf.so.1) makes of the object after bpf_object__load: programs with
#            their final relocated instructions (map fds replaced by map names), type, attach type,
#            flags, autoload; maps with type, sizes, flags and initial contents. Objects libbpf
#            refuses are recorded with the errno.
#   bpftool  after `bpftool prog loadall`: `bpftool -j prog show` per program, `bpftool -j map show`
#            per map it uses, and `bpftool -j prog dump xlated ... linum` (the kernel's line info).
set -euo pipefail
cd "$(dirname "$0")/../fixtures/elf"
mkdir -p kernel

python3 - "$@" <<'PY'
import ctypes, errno, json, os, shutil, subprocess, sys

LOADALL = ["maps", "calls", "calls_v4", "nobtf", "core"]
LIBBPF = ["maps", "calls", "calls_v4", "nobtf", "core", "lazy", "legacy", "externs"]
PIN = "/sys/fs/bpf/nicsim_elf_rec"
EXTRA_PINS = ["/sys/fs/bpf/nicsim_elf_pinned"]  # maps.c pins one map by name

lb = ctypes.CDLL("libbpf.so.1", use_errno=True)
P = ctypes.c_void_p
def fn(name, res, *args):
    f = getattr(lb, name); f.restype = res; f.argtypes = list(args); return f
open_file = fn("bpf_object__open_file", P, ctypes.c_char_p, P)
obj_load = fn("bpf_object__load", ctypes.c_int, P)
obj_close = fn("bpf_object__close", None, P)
next_prog = fn("bpf_object__next_program", P, P, P)
next_map = fn("bpf_object__next_map", P, P, P)
libbpf_get_error = fn("libbpf_get_error", ctypes.c_long, P)
pname = fn("bpf_program__name", ctypes.c_char_p, P)
psec = fn("bpf_program__section_name", ctypes.c_char_p, P)
ptype = fn("bpf_program__type", ctypes.c_int, P)
pattach = fn("bpf_program__expected_attach_type", ctypes.c_int, P)
pflags = fn("bpf_program__flags", ctypes.c_uint32, P)
pautoload = fn("bpf_program__autoload", ctypes.c_bool, P)
pinsns = fn("bpf_program__insns", P, P)
pcnt = fn("bpf_program__insn_cnt", ctypes.c_size_t, P)
mname = fn("bpf_map__name", ctypes.c_char_p, P)
mfd = fn("bpf_map__fd", ctypes.c_int, P)
mtype = fn("bpf_map__type", ctypes.c_int, P)
mkey = fn("bpf_map__key_size", ctypes.c_uint32, P)
mval = fn("bpf_map__value_size", ctypes.c_uint32, P)
mmax = fn("bpf_map__max_entries", ctypes.c_uint32, P)
mflags = fn("bpf_map__map_flags", ctypes.c_uint32, P)
mnuma = fn("bpf_map__numa_node", ctypes.c_uint32, P)
minit = fn("bpf_map__initial_value", P, P, ctypes.POINTER(ctypes.c_size_t))
minner = fn("bpf_map__inner_map", P, P)
mkeyid = fn("bpf_map__btf_key_type_id", ctypes.c_uint32, P)
pfd = fn("bpf_program__fd", ctypes.c_int, P)
obj_info = fn("bpf_obj_get_info_by_fd", ctypes.c_int, ctypes.c_int, P, ctypes.POINTER(ctypes.c_uint32))
lookup = fn("bpf_map_lookup_elem", ctypes.c_int, ctypes.c_int, P, P)
mvalid = fn("bpf_map__btf_value_type_id", ctypes.c_uint32, P)

def cleanup():
    shutil.rmtree(PIN, ignore_errors=True)
    for p in EXTRA_PINS:
        if os.path.exists(p):
            os.unlink(p)

def iterate(nxt, obj):
    cur = None
    while True:
        cur = nxt(obj, cur)
        if not cur:
            return
        yield cur

def kernel_id(fd):
    buf = ctypes.create_string_buffer(256)
    ln = ctypes.c_uint32(256)
    if obj_info(fd, buf, ctypes.byref(ln)):
        raise OSError(ctypes.get_errno(), "bpf_obj_get_info_by_fd")
    return int.from_bytes(buf.raw[4:8], "little"), int.from_bytes(buf.raw[20:24], "little")

def slots(m, id2name):
    """Initialised slots of prog_array / array_of_maps maps, read back from the kernel."""
    out = []
    for i in range(mmax(m)):
        k = ctypes.c_uint32(i)
        v = ctypes.c_uint32(0)
        if lookup(mfd(m), ctypes.byref(k), ctypes.byref(v)) == 0:
            out.append({"index": i, "name": id2name.get(v.value, f"id{v.value}")})
    return out

def map_info(m):
    d = {"name": mname(m).decode(), "type": mtype(m), "key_size": mkey(m), "value_size": mval(m),
         "max_entries": mmax(m), "map_flags": mflags(m), "numa_node": mnuma(m),
         "btf_key_type_id": mkeyid(m), "btf_value_type_id": mvalid(m)}
    sz = ctypes.c_size_t(0)
    p = minit(m, ctypes.byref(sz))
    d["initial"] = ctypes.string_at(p, sz.value).hex() if p else None
    return d

def record_libbpf(name):
    path = f"{name}.o".encode()
    obj = open_file(path, None)
    if not obj or libbpf_get_error(obj):
        return {"open_errno": ctypes.get_errno()}
    out = {"maps": [], "programs": []}
    try:
        err = obj_load(obj)
        if err:
            return {"load_errno": -err}
        fd2name = {}
        for m in iterate(next_map, obj):
            info = map_info(m)
            fd2name[mfd(m)] = info["name"]
            inner = minner(m)
            if inner:
                info["inner"] = map_info(inner)
            out["maps"].append(info)
        id2name = {}
        for m in iterate(next_map, obj):
            id2name[kernel_id(mfd(m))[0]] = mname(m).decode()
        for p in iterate(next_prog, obj):
            if pfd(p) >= 0:
                id2name[kernel_id(pfd(p))[0]] = pname(p).decode()
        for m, info in zip(iterate(next_map, obj), out["maps"]):
            info["kernel_map_flags"] = kernel_id(mfd(m))[1]
            if mtype(m) in (3, 12):  # prog_array, array_of_maps
                info["slots"] = slots(m, id2name)
        for p in iterate(next_prog, obj):
            n = pcnt(p)
            raw = bytearray(ctypes.string_at(pinsns(p), 8 * n))
            refs = []
            for i in range(n):
                code, regs = raw[8 * i], raw[8 * i + 1]
                src = regs >> 4
                if code == 0x18 and src in (1, 2):  # BPF_PSEUDO_MAP_FD / MAP_VALUE
                    fd = int.from_bytes(raw[8 * i + 4: 8 * i + 8], "little", signed=True)
                    off = int.from_bytes(raw[8 * i + 12: 8 * i + 16], "little", signed=True)
                    refs.append({"pc": i, "src": src, "map": fd2name.get(fd, f"fd{fd}"), "offset": off})
                    raw[8 * i + 4: 8 * i + 8] = b"\0\0\0\0"
            out["programs"].append({
                "name": pname(p).decode(), "section": psec(p).decode(), "type": ptype(p),
                "expected_attach_type": pattach(p), "prog_flags": pflags(p), "autoload": bool(pautoload(p)),
                "insns": raw.hex(), "map_refs": refs})
        return out
    finally:
        obj_close(obj)

def bpftool(*args):
    return json.loads(subprocess.run(["bpftool", "-j", *args], check=True, capture_output=True, text=True).stdout)

def record_bpftool(name):
    cleanup()
    subprocess.run(["bpftool", "prog", "loadall", f"{name}.o", PIN], check=True, capture_output=True)
    try:
        progs, maps = [], {}
        for pin in sorted(os.listdir(PIN)):
            show = bpftool("prog", "show", "pinned", f"{PIN}/{pin}")
            names = []
            for mid in show.get("map_ids", []):
                m = bpftool("map", "show", "id", str(mid))
                maps[m["name"]] = {k: m.get(k) for k in ("type", "name", "flags", "bytes_key", "bytes_value", "max_entries", "frozen")}
                names.append(m["name"])
            xl = bpftool("prog", "dump", "xlated", "pinned", f"{PIN}/{pin}", "linum")
            lines = [{"xlated_pc": i, "file": e["file"], "line": e["line_num"], "col": e.get("line_col", 0), "src": e["src"]}
                     for i, e in enumerate(xl) if "src" in e]
            funcs = [e["proto"] for e in xl if "proto" in e]
            progs.append({"pin": pin, "name": show["name"], "type": show["type"], "bytes_xlated": show["bytes_xlated"],
                          "maps": sorted(names), "funcs": funcs, "lines": lines})
        # FUNC linkage in the BTF the kernel holds (libbpf may have turned hidden globals static).
        btf_id = bpftool("prog", "show", "pinned", f"{PIN}/{sorted(os.listdir(PIN))[0]}").get("btf_id")
        linkage = {}
        if btf_id:
            for t in bpftool("btf", "dump", "id", str(btf_id))["types"]:
                if t["kind"] == "FUNC":
                    linkage[t["name"]] = t["linkage"]
        return {"programs": progs, "maps": [maps[k] for k in sorted(maps)], "func_linkage": linkage}
    finally:
        cleanup()

for name in LIBBPF:
    rec = {"object": f"{name}.o", "libbpf": record_libbpf(name)}
    if name in LOADALL:
        rec["bpftool"] = record_bpftool(name)
    cleanup()
    with open(f"kernel/{name}.json", "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"recorded kernel/{name}.json")
PY
