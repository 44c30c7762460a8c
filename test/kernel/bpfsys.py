"""Minimal bpf(2) bindings for the kernel-recording scripts (root only, x86_64).

Only the recording scripts use this module; `npm test` never does. It talks to the kernel directly
through ctypes so that raw instruction sequences (not just clang objects) can be loaded, run with
BPF_PROG_TEST_RUN, and their verifier logs captured.
"""
import ctypes
import ctypes.util
import errno
import json
import os
import re
import struct
import subprocess
import sys

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.syscall.restype = ctypes.c_long
SYS_bpf = 321  # x86_64

# commands
BPF_MAP_CREATE, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM = 0, 1, 2, 3
BPF_MAP_GET_NEXT_KEY, BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_MAP_FREEZE = 4, 5, 10, 22

# program types
BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP = 1, 6

# map types (subset)
BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PROG_ARRAY = 1, 2, 3
BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY = 5, 6
BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_LPM_TRIE = 9, 10, 11
BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_DEVMAP = 12, 13, 14
BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP, BPF_MAP_TYPE_DEVMAP_HASH = 16, 17, 25

# map_flags
BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE = 1 << 0, 1 << 1, 1 << 2
BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_ZERO_SEED = 1 << 3, 1 << 4, 1 << 6
BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_MMAPABLE = 1 << 7, 1 << 8, 1 << 10
BPF_F_PRESERVE_ELEMS, BPF_F_INNER_MAP = 1 << 11, 1 << 12

# update flags
BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK = 0, 1, 2, 4

BPF_OBJ_GET_INFO_BY_FD = 15
BPF_XDP_DEVMAP, BPF_XDP_CPUMAP = 33, 35  # expected_attach_type values

BPF_F_TEST_RUN_ON_CPU = 1 << 0


class BpfError(OSError):
    def __init__(self, err, what, log=""):
        super().__init__(err, f"{what}: {os.strerror(err)}")
        self.log = log


def _bpf(cmd, attr: bytearray):
    buf = (ctypes.c_char * len(attr)).from_buffer(attr)
    ret = _libc.syscall(SYS_bpf, cmd, buf, len(attr))
    if ret < 0:
        return -ctypes.get_errno()
    return ret


def _ptr(b):
    """Address of a ctypes buffer (kept alive by the caller)."""
    return ctypes.addressof(b) if b is not None else 0


def map_create_rc(map_type, key_size, value_size, max_entries, flags=0, name=b"",
                  inner_map_fd=0, numa_node=0, map_extra=0):
    """BPF_MAP_CREATE returning the fd or -errno (no exception)."""
    attr = bytearray(128)
    struct.pack_into("<IIIIIII", attr, 0, map_type, key_size, value_size, max_entries, flags,
                     inner_map_fd, numa_node)
    attr[28:28 + min(15, len(name))] = name[:15]
    struct.pack_into("<Q", attr, 64, map_extra)
    return _bpf(BPF_MAP_CREATE, attr)


def map_create(map_type, key_size, value_size, max_entries, flags=0, name=b"", **kw):
    fd = map_create_rc(map_type, key_size, value_size, max_entries, flags, name, **kw)
    if fd < 0:
        raise BpfError(-fd, "BPF_MAP_CREATE")
    return fd


def _elem(cmd, fd, key, value, flags):
    kb = ctypes.create_string_buffer(bytes(key), len(key)) if key is not None else None
    vb = ctypes.create_string_buffer(bytes(value), len(value)) if value is not None else None
    attr = bytearray(32)
    struct.pack_into("<IIQQQ", attr, 0, fd, 0, _ptr(kb), _ptr(vb), flags)
    r = _bpf(cmd, attr)
    return r, (vb.raw if vb is not None else None)


def map_update(fd, key, value, flags=BPF_ANY):
    """Returns 0 or -errno (like the kernel)."""
    return _elem(BPF_MAP_UPDATE_ELEM, fd, key, value, flags)[0]


def map_lookup(fd, key, value_size, flags=0):
    """Returns (0, value bytes) or (-errno, None)."""
    r, v = _elem(BPF_MAP_LOOKUP_ELEM, fd, key, bytes(value_size), flags)
    return (r, v) if r == 0 else (r, None)


def map_delete(fd, key):
    return _elem(BPF_MAP_DELETE_ELEM, fd, key, None, 0)[0]


def map_get_next_key(fd, key, key_size):
    """key None = first key. Returns (0, next key) or (-errno, None)."""
    r, v = _elem(BPF_MAP_GET_NEXT_KEY, fd, key, bytes(key_size), 0)
    return (r, v) if r == 0 else (r, None)


BPF_OBJ_GET, BPF_MAP_LOOKUP_BATCH, BPF_MAP_UPDATE_BATCH = 7, 24, 26


def obj_get(path):
    """BPF_OBJ_GET: an fd for a pinned object (raises BpfError)."""
    pb = ctypes.create_string_buffer(path.encode())
    attr = bytearray(16)
    struct.pack_into("<Q", attr, 0, _ptr(pb))
    fd = _bpf(BPF_OBJ_GET, attr)
    if fd < 0:
        raise BpfError(-fd, f"BPF_OBJ_GET {path}")
    return fd


def _batch_attr(fd, in_b, out_b, keys, values, count):
    attr = bytearray(56)
    struct.pack_into("<QQQQIIQQ", attr, 0, _ptr(in_b), _ptr(out_b), _ptr(keys), _ptr(values), count, fd, 0, 0)
    return attr


def map_update_batch(fd, keys: bytes, values: bytes, count):
    """BPF_MAP_UPDATE_BATCH of `count` keys and values (concatenated); raises on failure."""
    kb = ctypes.create_string_buffer(keys, len(keys))
    vb = ctypes.create_string_buffer(values, len(values))
    attr = _batch_attr(fd, None, None, kb, vb, count)
    r = _bpf(BPF_MAP_UPDATE_BATCH, attr)
    if r < 0:
        raise BpfError(-r, "BPF_MAP_UPDATE_BATCH")
    return struct.unpack_from("<I", attr, 32)[0]


def map_lookup_batch(fd, key_size, value_size, chunk=1 << 16, skip_zero=False):
    """Every (key, value) of a map with BPF_MAP_LOOKUP_BATCH, `chunk` entries per call (a generator;
    value_size is what the syscall copies: round_up(value_size, 8) * cpus for per-CPU maps);
    skip_zero: leave out all-zero values."""
    in_b = None
    out_b = ctypes.create_string_buffer(8)
    while True:
        kb = ctypes.create_string_buffer(key_size * chunk)
        vb = ctypes.create_string_buffer(value_size * chunk)
        attr = _batch_attr(fd, in_b, out_b, kb, vb, chunk)
        r = _bpf(BPF_MAP_LOOKUP_BATCH, attr)
        n = struct.unpack_from("<I", attr, 32)[0]
        if r < 0 and r != -errno.ENOENT:
            raise BpfError(-r, "BPF_MAP_LOOKUP_BATCH")
        keys, vals = kb.raw, vb.raw
        if not (skip_zero and vals.count(0) == len(vals)):
            for i in range(n):
                v = vals[i * value_size:(i + 1) * value_size]
                if not (skip_zero and v.count(0) == value_size):
                    yield keys[i * key_size:(i + 1) * key_size], v
        if r == -errno.ENOENT or n == 0:
            return
        in_b = ctypes.create_string_buffer(out_b.raw, 8)


def map_freeze(fd):
    attr = bytearray(8)
    struct.pack_into("<I", attr, 0, fd)
    return _bpf(BPF_MAP_FREEZE, attr)


def prog_load(insns: bytes, prog_type=BPF_PROG_TYPE_XDP, license=b"GPL", log_level=1,
              log_size=1 << 24, name=b"", prog_flags=0, expected_attach_type=0):
    """Loads raw instructions. Returns (fd or -errno, verifier log text)."""
    assert len(insns) % 8 == 0
    ib = ctypes.create_string_buffer(bytes(insns), len(insns))
    lb = ctypes.create_string_buffer(license + b"\0")
    log = ctypes.create_string_buffer(log_size) if log_level else None
    attr = bytearray(160)
    struct.pack_into("<IIQQIIQII", attr, 0, prog_type, len(insns) // 8, _ptr(ib), _ptr(lb),
                     log_level, log_size if log_level else 0, _ptr(log), 0, prog_flags)
    attr[48:48 + min(15, len(name))] = name[:15]
    struct.pack_into("<I", attr, 68, expected_attach_type)
    fd = _bpf(BPF_PROG_LOAD, attr)
    text = log.value.decode("utf-8", "replace") if log is not None else ""
    return fd, text


def prog_test_run(fd, data_in: bytes, repeat=1, data_out_size=None, ctx_in: bytes = None):
    """BPF_PROG_TEST_RUN. Returns (err, retval, data_out, duration_ns); err is 0 or -errno."""
    din = ctypes.create_string_buffer(bytes(data_in), max(1, len(data_in)))
    size_out = data_out_size if data_out_size is not None else len(data_in) + 4096
    dout = ctypes.create_string_buffer(size_out)
    cin = ctypes.create_string_buffer(bytes(ctx_in), len(ctx_in)) if ctx_in else None
    attr = bytearray(80)
    struct.pack_into("<IIIIQQII", attr, 0, fd, 0, len(data_in), size_out, _ptr(din), _ptr(dout), repeat, 0)
    if cin is not None:
        struct.pack_into("<IIQ", attr, 40, len(ctx_in), 0, _ptr(cin))
    r = _bpf(BPF_PROG_TEST_RUN, attr)
    retval, = struct.unpack_from("<I", attr, 4)
    out_len, = struct.unpack_from("<I", attr, 12)
    duration, = struct.unpack_from("<I", attr, 36)
    if r < 0:
        return r, None, None, None
    return 0, retval, dout.raw[:out_len], duration


def map_info(fd):
    """BPF_OBJ_GET_INFO_BY_FD on a map: dict of type, id, key_size, value_size, max_entries,
    map_flags, name (or -errno)."""
    info = ctypes.create_string_buffer(96)
    attr = bytearray(16)
    struct.pack_into("<IIQ", attr, 0, fd, 96, _ptr(info))
    r = _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    if r < 0:
        return r
    t, mid, ks, vs, me, fl = struct.unpack_from("<IIIIII", info.raw, 0)
    name = info.raw[24:40].split(b"\0")[0].decode()
    return {"type": t, "id": mid, "key_size": ks, "value_size": vs, "max_entries": me,
            "map_flags": fl, "name": name}


def prog_info_id(fd):
    """The kernel id of a loaded program (or -errno)."""
    info = ctypes.create_string_buffer(256)
    attr = bytearray(16)
    struct.pack_into("<IIQ", attr, 0, fd, 256, _ptr(info))
    r = _bpf(BPF_OBJ_GET_INFO_BY_FD, attr)
    if r < 0:
        return r
    return struct.unpack_from("<I", info.raw, 4)[0]


def close(fd):
    os.close(fd)


def insn(code, dst=0, src=0, off=0, imm=0) -> bytes:
    """Encodes one 8-byte instruction (little-endian)."""
    return struct.pack("<BBhi", code, (src << 4) | (dst & 0xF), off, imm)


def ld_map_fd(dst, fd) -> bytes:
    """lddw dst, map fd (BPF_PSEUDO_MAP_FD)."""
    return insn(0x18, dst, 1, 0, fd) + insn(0, 0, 0, 0, 0)


if __name__ == "__main__":
    # Self-check: r0 = 2; exit  -> XDP_PASS
    prog = insn(0xb7, 0, 0, 0, 2) + insn(0x95)
    fd, log = prog_load(prog, log_level=2)
    assert fd >= 0, log
    err, ret, out, dur = prog_test_run(fd, bytes(64), repeat=10)
    print("load ok; test_run:", err, ret, len(out), dur)
    m = map_create(BPF_MAP_TYPE_HASH, 4, 8, 2)
    print("update:", map_update(m, b"\1\0\0\0", bytes(8)), map_update(m, b"\1\0\0\0", bytes(8), BPF_NOEXIST))
    print("lookup:", map_lookup(m, b"\1\0\0\0", 8), map_lookup(m, b"\2\0\0\0", 8))
    close(m)
    close(fd)
    # A rejected program shows the verifier's reason.
    fd, log = prog_load(insn(0x95))
    print("exit without r0:", fd, log.strip().splitlines()[-2:])


# ---------------------------------------------------------------- loaders without CAP_PERFMON
UNPRIV_CAPS = (1 << 12) | (1 << 39)  # CAP_NET_ADMIN | CAP_BPF


def assert_unprivileged_child():
    """In a child started by run_unprivileged_child: the effective capabilities are exactly those."""
    status = open("/proc/self/status").read()
    eff = int(re.search(r"CapEff:\s*([0-9a-f]+)", status).group(1), 16)
    if eff != UNPRIV_CAPS:
        raise RuntimeError(f"unprivileged child has CapEff {eff:#x}, wanted {UNPRIV_CAPS:#x}")


def run_unprivileged_child(script, stdin="", args=("--child",)):
    """Runs `python3 script --child` with only CAP_BPF + CAP_NET_ADMIN; returns its stdout as JSON."""
    cmd = ["setpriv", "--inh-caps=-all,+bpf,+net_admin", "--ambient-caps=-all,+bpf,+net_admin",
           "--bounding-set=-all,+bpf,+net_admin", sys.executable, os.path.abspath(script), *args]
    out = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"unprivileged child failed:\n{out.stderr}")
    return json.loads(out.stdout)
