"""libbpf.so.1 through ctypes, for the recording scripts: the calls they use and libbpf's own messages.

One place for the function signatures and the print callback, so each recorder only says what it loads.
Needs the system's libbpf (Debian: libbpf1, pulled in by bpftool / libbpf-dev) and root to load.
"""
import ctypes

_vp, _cp, _ci = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int

# name -> (result type, argument types)
SIGNATURES = {
    "bpf_object__open_file": (_vp, [_cp, _vp]),
    "bpf_object__next_program": (_vp, [_vp, _vp]),
    "bpf_object__load": (_ci, [_vp]),
    "bpf_object__close": (None, [_vp]),
    "bpf_program__name": (_cp, [_vp]),
    "bpf_program__type": (_ci, [_vp]),
    "bpf_program__set_autoload": (_ci, [_vp, ctypes.c_bool]),
    "bpf_program__set_log_level": (_ci, [_vp, ctypes.c_uint32]),
    "bpf_program__set_log_buf": (_ci, [_vp, _cp, ctypes.c_size_t]),
    "bpf_program__fd": (_ci, [_vp]),
    "bpf_object__next_map": (_vp, [_vp, _vp]),
    "bpf_map__set_pin_path": (_ci, [_vp, _cp]),
    "bpf_map__name": (_cp, [_vp]),
    "bpf_map__type": (_ci, [_vp]),
    "bpf_map__max_entries": (ctypes.c_uint32, [_vp]),
    "bpf_map__set_max_entries": (_ci, [_vp, ctypes.c_uint32]),
}


class Libbpf:
    """Opens libbpf with SIGNATURES typed and collects what libbpf prints into self.messages."""

    def __init__(self):
        lb = ctypes.CDLL("libbpf.so.1", use_errno=True)
        for name, (res, args) in SIGNATURES.items():
            f = getattr(lb, name)
            f.restype, f.argtypes = res, args
        self.lb = lb
        self.messages = []
        libc = ctypes.CDLL(None)
        libc.vsnprintf.argtypes = [_cp, ctypes.c_size_t, _cp, _vp]
        proto = ctypes.CFUNCTYPE(_ci, _ci, _cp, _vp)

        def printer(_level, fmt, args):
            buf = ctypes.create_string_buffer(4096)
            libc.vsnprintf(buf, len(buf), fmt, args)
            self.messages.append(buf.value.decode("utf-8", "replace"))
            return 0

        self._printer = proto(printer)  # kept alive as long as the library may call it
        lb.libbpf_set_print.argtypes = [proto]
        lb.libbpf_set_print.restype = _vp
        lb.libbpf_set_print(self._printer)
