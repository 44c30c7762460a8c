"""The scripted operation sequences of record-maps.py, one function per fixture file.

Each function receives the recorder's context (bpfsys as B, the Case class, helpers) and appends
cases. Sequences are written so that the kernel's results are deterministic when replayed from one
CPU (hash walks of maps without BPF_F_ZERO_SEED are compared as sets by the tests).
"""
import os

E2BIG, EINVAL = 7, 22


def _types(B):
    return {"hash": B.BPF_MAP_TYPE_HASH, "array": B.BPF_MAP_TYPE_ARRAY, "prog_array": B.BPF_MAP_TYPE_PROG_ARRAY,
            "percpu_hash": B.BPF_MAP_TYPE_PERCPU_HASH, "percpu_array": B.BPF_MAP_TYPE_PERCPU_ARRAY,
            "lru_hash": B.BPF_MAP_TYPE_LRU_HASH, "lru_percpu_hash": B.BPF_MAP_TYPE_LRU_PERCPU_HASH,
            "lpm_trie": B.BPF_MAP_TYPE_LPM_TRIE, "array_of_maps": B.BPF_MAP_TYPE_ARRAY_OF_MAPS,
            "hash_of_maps": B.BPF_MAP_TYPE_HASH_OF_MAPS, "devmap": B.BPF_MAP_TYPE_DEVMAP,
            "cpumap": B.BPF_MAP_TYPE_CPUMAP, "xskmap": B.BPF_MAP_TYPE_XSKMAP,
            "devmap_hash": B.BPF_MAP_TYPE_DEVMAP_HASH}


# ---------------------------------------------------------------- creation checks
def create_cases(x, cs, constants):
    B, run, create_rc, bisect = x["B"], x["run"], x["create_rc"], x["bisect"]
    T = _types(B)
    NP = B.BPF_F_NO_PREALLOC
    # (type, key, value, max, flags that must always be added)
    base = {
        "hash": (4, 8, 4, 0), "percpu_hash": (4, 8, 4, 0), "lru_hash": (4, 8, 4, 0),
        "lru_percpu_hash": (4, 8, 4, 0), "array": (4, 8, 4, 0), "percpu_array": (4, 8, 4, 0),
        "prog_array": (4, 4, 4, 0), "lpm_trie": (8, 8, 4, NP), "devmap": (4, 4, 4, 0),
        "devmap_hash": (4, 4, 4, 0), "cpumap": (4, 4, 4, 0), "xskmap": (4, 4, 4, 0),
    }
    for name, (k, v, m, must) in base.items():
        t = T[name]
        run(cs, f"{name} ok", t, k, v, m, must)
        run(cs, f"{name} max_entries 0", t, k, v, 0, must)
        run(cs, f"{name} key_size 0", t, 0, v, m, must)
        run(cs, f"{name} value_size 0", t, k, 0, m, must)
        for bit in range(19):
            f = (1 << bit) | must
            run(cs, f"{name} flag bit {bit}", t, k, v, m, f, numa=0 if bit == 2 else None)
        run(cs, f"{name} flag bit 25", t, k, v, m, (1 << 25) | must)
        run(cs, f"{name} rdonly|wronly", t, k, v, m, B.BPF_F_RDONLY | B.BPF_F_WRONLY | must)
        run(cs, f"{name} rdonly_prog|wronly_prog", t, k, v, m,
            B.BPF_F_RDONLY_PROG | B.BPF_F_WRONLY_PROG | must)
        run(cs, f"{name} numa node 1", t, k, v, m, B.BPF_F_NUMA_NODE | must, numa=1)
        run(cs, f"{name} zero_seed|no_prealloc", t, k, v, m, B.BPF_F_ZERO_SEED | NP)
    for name in ("hash", "percpu_hash", "lru_hash", "lru_percpu_hash"):
        t = T[name]
        for k in (1, 3, 7, 512, 1024):
            run(cs, f"{name} key_size {k}", t, k, 8, 4)
        run(cs, f"{name} value_size 1", t, 4, 1, 4)
    for name in ("percpu_hash", "lru_percpu_hash", "percpu_array"):
        t = T[name]
        run(cs, f"{name} value_size 32768", t, 4, 32768, 1)
        run(cs, f"{name} value_size 32769", t, 4, 32769, 1)
        run(cs, f"{name} value_size 32761", t, 4, 32761, 1)
    for name in ("lru_hash", "lru_percpu_hash"):
        for m in (1, 2, 3, 5, 7):
            run(cs, f"{name} no_common_lru max {m}", T[name], 4, 8, m, B.BPF_F_NO_COMMON_LRU)
        run(cs, f"{name} no_common_lru|numa", T[name], 4, 8, 4, B.BPF_F_NO_COMMON_LRU | B.BPF_F_NUMA_NODE,
            numa=0)
    # hash: key_size + value_size limit (KMALLOC_MAX_SIZE - sizeof(struct htab_elem))
    th = bisect(8, 1 << 24, lambda k: create_rc(T["hash"], k, 1, 1, NP) == -E2BIG)
    constants["hashKeyPlusValueLimit"] = th + 1
    run(cs, "hash key+value just below limit", T["hash"], th - 1, 1, 1, NP)
    run(cs, "hash key+value at limit", T["hash"], th, 1, 1, NP)
    run(cs, "hash key+value above limit", T["hash"], th + 100, 1, 1, NP)
    # array value size limit
    ta = bisect(8, 1 << 31, lambda v: create_rc(T["array"], 4, v, 1) == -E2BIG)
    constants["arrayValueLimit"] = ta - 1
    run(cs, "array value_size at limit", T["array"], 4, ta - 1, 1)
    run(cs, "array value_size above limit", T["array"], 4, ta, 1)
    run(cs, "array value_size 2^31", T["array"], 4, 1 << 31, 1)
    for k in (1, 8):
        run(cs, f"array key_size {k}", T["array"], k, 8, 4)
        run(cs, f"percpu_array key_size {k}", T["percpu_array"], k, 8, 4)
        run(cs, f"prog_array key_size {k}", T["prog_array"], k, 4, 4)
    run(cs, "prog_array value_size 8", T["prog_array"], 4, 8, 4)
    run(cs, "array max 2^31+1", T["array"], 4, 8, (1 << 31) + 1, B.BPF_F_NO_PREALLOC)
    # lpm limits
    for k in (4, 5, 6, 20, 260, 261):
        run(cs, f"lpm_trie key_size {k}", T["lpm_trie"], k, 8, 4, NP)
    run(cs, "lpm_trie without no_prealloc", T["lpm_trie"], 8, 8, 4, 0)
    tl = bisect(8, 1 << 24, lambda v: create_rc(T["lpm_trie"], 8, v, 1, NP) == -EINVAL)
    constants["lpmValueLimit"] = tl - 1
    run(cs, "lpm_trie value at limit", T["lpm_trie"], 8, tl - 1, 1, NP)
    run(cs, "lpm_trie value above limit", T["lpm_trie"], 8, tl, 1, NP)
    # fd-ish maps: value sizes
    for name in ("devmap", "devmap_hash", "cpumap", "xskmap"):
        for v in (1, 4, 8, 12):
            run(cs, f"{name} value_size {v}", T[name], 4, v, 4)
        run(cs, f"{name} key_size 8", T[name], 8, 4, 4)
    run(cs, "devmap_hash max 2^31+1", T["devmap_hash"], 4, 4, (1 << 31) + 1)
    tc = bisect(1, 1 << 22, lambda m: create_rc(T["cpumap"], 4, 4, m) == -E2BIG)
    constants["cpumapMaxEntries"] = tc - 1
    run(cs, "cpumap max NR_CPUS", T["cpumap"], 4, 4, tc - 1)
    run(cs, "cpumap max NR_CPUS+1", T["cpumap"], 4, 4, tc)
    run(cs, "hash max 2^31+1", T["hash"], 4, 8, (1 << 31) + 1, NP)
    # n_buckets * sizeof(struct bucket) must fit in a u32
    run(cs, "hash max 2^28+1", T["hash"], 4, 8, (1 << 28) + 1, NP)
    run(cs, "hash max 2^27+1", T["hash"], 4, 8, (1 << 27) + 1, NP)
    for t in (0, 99, 1 << 20):
        run(cs, f"type {t}", t, 4, 8, 4)
    # output channels: ringbuf (27) sizes and flags, perf_event_array (4) like the fd arrays
    RB, PEA = 27, 4
    for m in (0, 1, 2048, 4096, 4097, 8192, 12288, 16384, 1 << 20, 1 << 31):
        run(cs, f"ringbuf max {m}", RB, 0, 0, m)
    run(cs, "ringbuf key_size 4", RB, 4, 0, 4096)
    run(cs, "ringbuf value_size 4", RB, 0, 4, 4096)
    for bit in range(13):
        run(cs, f"ringbuf flag bit {bit}", RB, 0, 0, 4096, 1 << bit, numa=0 if bit == 2 else None)
    run(cs, "perf_event_array ok", PEA, 4, 4, 4)
    run(cs, "perf_event_array max 0", PEA, 4, 4, 0)
    run(cs, "perf_event_array value_size 8", PEA, 4, 8, 4)
    run(cs, "perf_event_array key_size 8", PEA, 8, 4, 4)
    for bit in range(13):
        run(cs, f"perf_event_array flag bit {bit}", PEA, 4, 4, 4, 1 << bit, numa=0 if bit == 2 else None)
    # maps of maps
    inner = B.map_create(T["array"], 4, 8, 4)
    try:
        spec = {"type": T["array"], "keySize": 4, "valueSize": 8, "maxEntries": 4, "flags": 0}
        run(cs, "array_of_maps", T["array_of_maps"], 4, 4, 4, inner=spec, inner_fd=inner)
        run(cs, "hash_of_maps", T["hash_of_maps"], 4, 4, 4, inner=spec, inner_fd=inner)
        run(cs, "array_of_maps value 8", T["array_of_maps"], 4, 8, 4, inner=spec, inner_fd=inner)
        run(cs, "hash_of_maps key 8", T["hash_of_maps"], 8, 4, 4, inner=spec, inner_fd=inner)
        run(cs, "array_of_maps no inner", T["array_of_maps"], 4, 4, 4)
    finally:
        B.close(inner)


# ---------------------------------------------------------------- hash
def _hash_basic(x, ordered):
    key, val = x["key"], x["val"]

    def body(c):
        c.lookup(key(1))
        c.next(None)
        c.next(key(1))
        c.update(key(1), val(100))
        c.lookup(key(1))
        c.update(key(1), val(101), 1)
        c.update(key(2), val(200), 2)
        c.update(key(2), val(200), 1)
        c.update(key(3), val(300), 0)
        c.update(key(4), val(400), 2)
        c.update(key(4), val(400), 0)
        c.walk(order=ordered)
        c.update(key(5), val(500), 0)
        c.update(key(5), val(500), 1)
        c.update(key(5), val(500), 2)
        c.update(key(1), val(111), 0)
        c.update(key(2), val(222), 2)
        c.walk(order=ordered)
        for f in (3, 4, 5, 6, 8, 16, 1 << 32):
            c.update(key(3), val(0), f)
        c.lookup(key(1), flags=4)
        c.lookup(key(1), flags=1)
        c.delete(key(9))
        c.delete(key(2))
        c.lookup(key(2))
        c.update(key(5), val(500))
        keys = c.walk(order=ordered)
        if ordered:
            c.next(key(77))
            for k in keys:
                c.next(bytes.fromhex(k))
        c.plookup(key(1))
        c.plookup(key(9))
        c.pupdate(key(1), val(1234), 2)
        c.lookup(key(1))
        c.pupdate(key(6), val(6), 0)
        c.pupdate(key(6), val(6), 2)
        c.pupdate(key(1), val(6), 1)
        c.pupdate(key(6), val(6), 4)
        c.pupdate(key(1), val(6), 5)
        c.pupdate(key(1), val(6), 3)
        c.pdelete(key(1))
        c.pdelete(key(1))
        c.lookup(key(1))
        c.pupdate(key(6), val(66), 1)
        c.walk(order=ordered)
        for k in (3, 4, 5, 6):
            c.delete(key(k))
        c.walk(order=ordered)
        c.next(None)
    return body


def hash_cases(x, cs):
    B, run, key, val = x["B"], x["run"], x["key"], x["val"]
    H, ZS, NP = B.BPF_MAP_TYPE_HASH, B.BPF_F_ZERO_SEED, B.BPF_F_NO_PREALLOC
    run(cs, "hash basic zero_seed", H, 4, 8, 4, ZS, body=_hash_basic(x, True))
    run(cs, "hash basic zero_seed no_prealloc", H, 4, 8, 4, ZS | NP, body=_hash_basic(x, True))
    run(cs, "hash basic random seed", H, 4, 8, 4, 0, body=_hash_basic(x, False))
    run(cs, "hash basic random seed no_prealloc", H, 4, 8, 4, NP, body=_hash_basic(x, False))

    # iteration order with the kernel's jhash, for several key sizes (byte tail and word paths)
    for ks in (1, 2, 3, 4, 5, 7, 8, 12, 13, 16, 17, 24, 40):
        def body(c, ks=ks):
            for i in range(12):
                k = bytes(((i * 37 + j * 11 + 1) & 0xFF) for j in range(ks))
                c.update(k, val(i))
            keys = c.walk(order=True)
            for k in keys[:4]:
                c.next(bytes.fromhex(k))
            c.next(bytes(ks))
        run(cs, f"hash order key_size {ks}", H, ks, 8, 16, ZS, body=body)

    # bigger map: delete half, re-add, replacement moves a key to the head of its bucket
    def big(c):
        for i in range(64):
            c.update(key(i * 7919), val(i))
        c.walk(order=True)
        for i in range(0, 64, 2):
            c.delete(key(i * 7919))
        c.walk(order=True)
        for i in range(1, 64, 3):
            c.update(key(i * 7919), val(1000 + i))
        c.walk(order=True)
        for i in range(64, 96):
            c.update(key(i * 7919), val(i))
        c.walk(order=True)
        c.update(key(12345678), val(1))
    run(cs, "hash 64 entries zero_seed", H, 4, 8, 64, ZS, body=big)

    def small_values(c):
        c.update(key(1), b"\x01")
        c.update(key(2), b"\xff")
        c.lookup(key(1))
        c.lookup(key(2))
        c.plookup(key(2))
        c.pupdate(key(3), b"\x33")
        c.lookup(key(3))
    run(cs, "hash value_size 1", H, 4, 1, 4, ZS, body=small_values)

    def v3(c):
        c.update(key(1), b"abc")
        c.lookup(key(1))
        c.pupdate(key(2), b"xyz")
        c.lookup(key(2))
        c.plookup(key(1))
    run(cs, "hash value_size 3", H, 4, 3, 4, ZS, body=v3)

    def rdonly(c):
        c.update(key(1), val(1))
        c.pupdate(key(1), val(7))
        c.lookup(key(1))
        c.delete(key(1))
        c.next(None)
        c.walk()
    run(cs, "hash rdonly", H, 4, 8, 4, B.BPF_F_RDONLY, body=rdonly)

    def wronly(c):
        c.update(key(1), val(1))
        c.lookup(key(1))
        c.next(None)
        c.plookup(key(1))
        c.delete(key(1))
        c.delete(key(1))
    run(cs, "hash wronly", H, 4, 8, 4, B.BPF_F_WRONLY, body=wronly)

    def frozen(c):
        c.update(key(1), val(1))
        c.freeze()
        c.update(key(2), val(2))
        c.delete(key(1))
        c.lookup(key(1))
        c.freeze()
        c.pupdate(key(2), val(2))
        c.pdelete(key(1))
        c.walk()
    run(cs, "hash frozen", H, 4, 8, 4, 0, body=frozen)

    def stale(c):
        def hv(v):
            return [val(v)] * x["ncpus"] if c.percpu else val(v)
        c.pstale(key(1), val(1))
        c.update(key(1), hv(0x1111))
        c.pstale(key(1), val(0x2222))
        c.pstale(key(1), val(0x3333))
        c.pstale(key(1), val(0x4444), 1)
        c.lookup(key(1))
        c.update(key(2), hv(0x5555))
        c.pstale(key(2), val(0x6666), 2)
        c.pstale(key(2), val(0x7777))
        c.lookup(key(2))
    run(cs, "hash stale pointer after update", H, 4, 8, 4, ZS, body=stale)
    run(cs, "hash no_prealloc stale pointer after update", H, 4, 8, 4, ZS | NP, body=stale)
    run(cs, "percpu_hash stale pointer after update", B.BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, ZS, body=stale)
    run(cs, "lru_hash stale pointer after update", B.BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, ZS, body=stale)
    run(cs, "lru_percpu_hash stale pointer after update", B.BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4, ZS, body=stale)
    run(cs, "array stale pointer after update", B.BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0, body=stale)

    def rdprog(c):
        c.update(key(1), val(1))
        c.lookup(key(1))
        c.plookup(key(1))
    run(cs, "hash rdonly_prog", H, 4, 8, 4, B.BPF_F_RDONLY_PROG, body=rdprog)


# ---------------------------------------------------------------- per-CPU hash and array
def percpu_cases(x, cs):
    B, run, key, val, n = x["B"], x["run"], x["key"], x["val"], x["ncpus"]
    ZS = B.BPF_F_ZERO_SEED

    def pv(*vals, size=8):
        return [val(v, size) for v in vals]

    def phash(c):
        c.lookup(key(1))
        c.update(key(1), pv(*[10 + i for i in range(n)]))
        c.lookup(key(1))
        for cpu in range(n):
            c.plookup(key(1), cpu)
        c.pupdate(key(2), val(22), 0, cpu=n - 1)
        c.lookup(key(2))
        c.pupdate(key(2), val(33), 0, cpu=0)
        c.lookup(key(2))
        c.pupdate(key(2), val(44), 1, cpu=0)
        c.pupdate(key(3), val(44), 2, cpu=0)
        c.update(key(1), pv(*[1] * n), 1)
        c.update(key(5), pv(*[1] * n), 2)
        for f in (3, 4, 8, 16, 24):
            c.update(key(1), pv(*[7] * n), f)
        c.update(key(3), pv(*[3] * n))
        c.update(key(4), pv(*[4] * n))
        c.update(key(5), pv(*[5] * n))
        c.pupdate(key(5), val(5), 0, cpu=0)
        c.update(key(1), pv(*[9] * n))
        c.lookup(key(1))
        c.walk(order=True)
        c.delete(key(1))
        c.pdelete(key(1))
        c.pdelete(key(2))
        c.update(key(6), pv(*[6] * n), 0)
        c.lookup(key(6))
        c.walk(order=True)
    run(cs, "percpu_hash basic", B.BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4, ZS, body=phash)
    run(cs, "percpu_hash basic no_prealloc", B.BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 4,
        ZS | B.BPF_F_NO_PREALLOC, body=phash)

    def padding(c):
        # host writes 8 bytes per CPU for a 4-byte value: are the padding bytes kept?
        c.update(key(1), [bytes.fromhex("11223344aabbccdd")] * n)
        c.lookup(key(1))
        c.plookup(key(1), 0)
        c.pupdate(key(1), bytes.fromhex("55667788"), 0, cpu=0)
        c.lookup(key(1))
        c.pupdate(key(2), bytes.fromhex("99aabbccddeeff11"), 0, cpu=0)
        c.lookup(key(2))
        c.pupdate(key(2), bytes.fromhex("0102030405060708"), 0, cpu=1)
        c.lookup(key(2))
    run(cs, "percpu_hash value_size 4", B.BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 4, ZS, body=padding)

    def parray(c):
        c.lookup(key(0))
        c.update(key(0), pv(*[100 + i for i in range(n)]))
        c.lookup(key(0))
        for cpu in range(n):
            c.plookup(key(0), cpu)
        c.pupdate(key(1), val(5), 0, cpu=n - 1)
        c.lookup(key(1))
        c.pupdate(key(1), val(6), 2, cpu=0)
        c.lookup(key(1))
        c.pupdate(key(1), val(6), 1, cpu=0)
        c.pupdate(key(9), val(6), 0, cpu=0)
        c.update(key(1), pv(*[1] * n), 1)
        c.update(key(1), pv(*[1] * n), 2)
        c.update(key(4), pv(*[1] * n), 0)
        c.update(key(4), pv(*[1] * n), 1)
        for f in (3, 4, 8, 16):
            c.update(key(2), pv(*[2] * n), f)
        c.delete(key(0))
        c.pdelete(key(0))
        c.lookup(key(4))
        c.walk(order=True)
        c.next(key(3))
        c.next(key(100))
    run(cs, "percpu_array basic", B.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0, body=parray)

    def parray_pad(c):
        c.update(key(0), [bytes.fromhex("0102030405060708090a0b0c0d0e0f10")] * n)
        c.lookup(key(0))
        c.plookup(key(0), 0)
        c.pupdate(key(0), bytes.fromhex("aabbccddeeff0011ff"), 0, cpu=0)
        c.lookup(key(0))
    run(cs, "percpu_array value_size 12", B.BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 2, 0, body=parray_pad)


# ---------------------------------------------------------------- array
def array_cases(x, cs):
    B, run, key, val = x["B"], x["run"], x["key"], x["val"]
    A = B.BPF_MAP_TYPE_ARRAY

    def basic(c):
        c.lookup(key(0))
        c.lookup(key(4))
        c.lookup(key(0xffffffff))
        for i in range(4):
            c.update(key(i), val(10 + i))
        c.update(key(4), val(1))
        c.update(key(4), val(1), 1)
        c.update(key(4), val(1), 2)
        c.update(key(1), val(1), 1)
        c.update(key(1), val(11), 2)
        for f in (3, 4, 5, 6, 8):
            c.update(key(2), val(1), f)
        c.lookup(key(1), flags=4)
        c.delete(key(0))
        c.delete(key(9))
        for k in (None, key(0), key(1), key(3), key(4), key(7), key(0xffffffff)):
            c.next(k)
        c.walk(order=True)
        c.plookup(key(1))
        c.plookup(key(4))
        c.pupdate(key(2), val(77), 0)
        c.lookup(key(2))
        c.pupdate(key(9), val(77), 0)
        c.pupdate(key(2), val(77), 1)
        c.pupdate(key(2), val(78), 2)
        for f in (3, 4, 5, 6):
            c.pupdate(key(2), val(79), f)
        c.pupdate(key(9), val(79), 4)
        c.pdelete(key(2))
        c.pdelete(key(9))
        for i in range(5):
            c.lookup(key(i))
    run(cs, "array basic", A, 4, 8, 4, 0, body=basic)
    run(cs, "array mmapable", A, 4, 8, 4, B.BPF_F_MMAPABLE, body=basic)

    def v5(c):
        c.update(key(0), b"hello")
        c.lookup(key(0))
        c.lookup(key(1))
        c.pupdate(key(2), b"world")
        c.plookup(key(2))
        c.lookup(key(2))
    run(cs, "array value_size 5", A, 4, 5, 3, 0, body=v5)

    def one(c):
        c.next(None)
        c.next(key(0))
        c.next(key(1))
        c.walk(order=True)
    run(cs, "array max 1", A, 4, 8, 1, 0, body=one)

    def rdonly(c):
        c.update(key(0), val(1))
        c.lookup(key(0))
        c.delete(key(0))
        c.pupdate(key(0), val(5))
        c.lookup(key(0))
    run(cs, "array rdonly", A, 4, 8, 2, B.BPF_F_RDONLY, body=rdonly)

    def wronly(c):
        c.update(key(0), val(1))
        c.lookup(key(0))
        c.next(None)
        c.delete(key(0))
        c.plookup(key(0))
    run(cs, "array wronly", A, 4, 8, 2, B.BPF_F_WRONLY, body=wronly)

    def frozen(c):
        c.update(key(0), val(1))
        c.freeze()
        c.freeze()
        c.update(key(0), val(2))
        c.delete(key(0))
        c.lookup(key(0))
        c.pupdate(key(1), val(3))
        c.lookup(key(1))
    run(cs, "array frozen", A, 4, 8, 2, 0, body=frozen)


def _load_progs(B, symbols):
    ret2 = B.insn(0xb7, 0, 0, 0, 2) + B.insn(0x95)
    out = {}
    for name, pt, eat in (("A", B.BPF_PROG_TYPE_XDP, 0), ("D", B.BPF_PROG_TYPE_XDP, B.BPF_XDP_DEVMAP),
                          ("C", B.BPF_PROG_TYPE_XDP, B.BPF_XDP_CPUMAP), ("B", B.BPF_PROG_TYPE_XDP, 0)):
        fd, log = B.prog_load(ret2, pt, expected_attach_type=eat)
        assert fd >= 0, log
        out[name] = fd
        symbols[B.prog_info_id(fd)] = name
    return out


def _special_fds(B):
    import socket
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    xsk = socket.socket(44, socket.SOCK_RAW)  # AF_XDP, unbound
    notsock = os.open("/dev/null", os.O_RDONLY)
    return {"badfd": 9999, "notsock": notsock, "udp": udp.fileno(), "xsk": xsk.fileno(),
            "udp_sock": udp, "xsk_sock": xsk}
