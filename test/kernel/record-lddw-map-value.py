#!/usr/bin/env python3
"""Records the kernel's answer to a map-value lddw (BPF_PSEUDO_MAP_VALUE) on maps of several types and
sizes: which ones map_direct_value_addr() serves, and the errno and last log message of the others.
Output: test/fixtures/verifier/lddw-map-value.json (read by test/verifier/hostile.test.ts).
Needs root and bpf(). Usage: python3 test/kernel/record-lddw-map-value.py"""
import ctypes, json, os, platform, struct

libc = ctypes.CDLL(None, use_errno=True)
ERRNO = {22: 'EINVAL', 524: 'ENOTSUPP', 13: 'EACCES'}


def bpf(cmd, attr):
    a = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(321, cmd, a, len(attr))
    return r, ctypes.get_errno()


def create_map(type_, key, value, entries):
    attr = bytearray(72)
    struct.pack_into('<IIII', attr, 0, type_, key, value, entries)
    fd, err = bpf(0, attr)
    assert fd >= 0, err
    return fd


def load(insns):
    log = ctypes.create_string_buffer(65536)
    code = ctypes.create_string_buffer(insns)
    lic = ctypes.create_string_buffer(b'GPL')
    attr = bytearray(152)
    struct.pack_into('<IIQQIIQ', attr, 0, 6, len(insns) // 8, ctypes.addressof(code), ctypes.addressof(lic), 1, len(log), ctypes.addressof(log))
    fd, err = bpf(5, attr)
    if fd >= 0:
        os.close(fd)
    lines = log.value.decode().strip().split('\n')
    return {'accepted': fd >= 0, 'errno': None if fd >= 0 else ERRNO.get(err, str(err)), 'message': None if fd >= 0 else lines[-2]}


def insn(code, regs, off, imm):
    return struct.pack('<BBhi', code, regs, off, imm)


MAPS = [('hash', 1, 4), ('array', 2, 1), ('array', 2, 2), ('percpu_array', 6, 1), ('lru_hash', 9, 4)]
cases = []
for name, type_, entries in MAPS:
    fd = create_map(type_, 4, 8, entries)
    for off in (0, 4, 8):
        # r1 = map_value(fd) + off; r0 = 0; exit
        prog = insn(0x18, 0x21, 0, fd) + insn(0, 0, 0, off) + insn(0xb7, 0, 0, 0) + insn(0x95, 0, 0, 0)
        cases.append({'map': name, 'key': 4, 'value': 8, 'entries': entries, 'off': off, **load(prog)})
    os.close(fd)
out = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'verifier', 'lddw-map-value.json')
with open(out, 'w') as f:
    json.dump({'kernel': platform.release(), 'cases': cases}, f, indent=1)
print(f'{len(cases)} cases -> {os.path.normpath(out)}')
