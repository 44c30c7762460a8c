"""The scripted operation sequences of record-maps.py, one function per fixture file.

Each function receives the recorder's context (bpfsys as B, the Case class, helpers) and appends
cases. Sequences are written so that the kernel's results are deterministic when replayed from one
CPU (hash walks of maps without BPF_F_ZERO_SEED are compared as sets by the tests).
"""
import os
import struct

ENOENT, E2BIG, EINVAL = 2, 7, 22


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


# ---------------------------------------------------------------- LRU
def lru_cases(x, cs):
    B, run, key, val, n = x["B"], x["run"], x["key"], x["val"], x["ncpus"]
    NC = B.BPF_F_NO_COMMON_LRU

    def hv(c, v):
        return [val(v)] * n if c.percpu else val(v)

    def fill(c):
        for i in range(1, 25):
            c.update(key(i), hv(c, i))
            c.walk()

    def refbits(c):
        for i in range(1, 9):
            c.update(key(i), hv(c, i))
        for i in (1, 2, 3):
            c.plookup(key(i), 0)
        for i in range(9, 17):
            c.update(key(i), hv(c, i))
            c.walk()
            if i % 3 == 0:
                c.plookup(key(2), 0)
        for i in (1, 2, 3, 4):
            c.lookup(key(i))
        for i in range(17, 21):
            c.update(key(i), hv(c, i))
            c.walk()

    def existing(c):
        for i in range(1, 9):
            c.update(key(i), hv(c, i))
        c.walk()
        c.update(key(1), hv(c, 11))
        c.walk()
        c.update(key(2), hv(c, 12), 1)
        c.walk()
        c.update(key(3), hv(c, 13), 2)
        c.walk()
        c.update(key(99), hv(c, 13), 2)
        c.walk()
        c.delete(key(4))
        c.delete(key(4))
        c.walk()
        c.update(key(100), hv(c, 100))
        c.walk()
        for f in (3, 4, 8):
            c.update(key(5), hv(c, 5), f)
        c.pupdate(key(6), val(6), 4)
        c.pupdate(key(6), val(6), 3)
        c.walk()
        for i in range(1, 9):
            c.lookup(key(i))

    def progs(c):
        for i in range(1, 13):
            c.pupdate(key(i), val(i), 0, cpu=i % n)
            c.walk()
        for i in range(1, 13):
            c.plookup(key(i), cpu=(i + 1) % n)
        for i in range(13, 25):
            c.pupdate(key(i), val(i), 0, cpu=(i // 2) % n)
            c.walk()
        c.update(key(50), hv(c, 50))
        c.walk()
        c.pdelete(key(50), cpu=1 % n)
        c.walk()
        c.pupdate(key(51), val(51), 0, cpu=0)
        c.walk()

    def big(c):
        hot = list(range(1, 40, 4))
        for i in range(1, 520):
            c.update(key(i * 2654435761), hv(c, i))
            if i % 8 == 0:
                for h in hot:
                    c.plookup(key(h * 2654435761), 0)
            if i % 64 == 0:
                c.walk()
        c.walk()

    def reftail(m, r, every):
        # referenced nodes at the inactive tail: the scan limits (nr_scans) and the forced
        # eviction decide which keys go
        def body(c):
            for i in range(1, m + 1):
                c.update(key(i), hv(c, i))
            c.walk()
            for i in range(1, r + 1):
                c.plookup(key(i), 0)
            for i in range(m + 1, m + r + 11):
                c.update(key(i), hv(c, i))
                if i % every == 0:
                    c.walk()
            for i in range(1, m + r + 11, 3):
                c.plookup(key(i), 0)
            for i in range(m + r + 11, m + 2 * r + 30):
                c.update(key(i), hv(c, i))
                if i % every == 0:
                    c.walk()
            c.walk()
        return body

    for t, tn in ((B.BPF_MAP_TYPE_LRU_HASH, "lru_hash"), (B.BPF_MAP_TYPE_LRU_PERCPU_HASH, "lru_percpu_hash")):
        run(cs, f"{tn} percpu lists referenced tail", t, 4, 8, 64, NC, body=reftail(32, 20, 1))
        run(cs, f"{tn} common referenced tail", t, 4, 8, 64, 0, body=reftail(64, 20, 1))
        if t == B.BPF_MAP_TYPE_LRU_HASH:  # big ones once: the lists do not depend on the value kind
            run(cs, f"{tn} common 512 referenced tail", t, 4, 8, 512, 0, body=reftail(512, 200, 50))
            run(cs, f"{tn} percpu lists 512 referenced tail", t, 4, 8, 512, NC, body=reftail(256, 100, 50))
        for fl, fn in ((0, "common"), (NC, "percpu lists")):
            run(cs, f"{tn} {fn} fill", t, 4, 8, 8, fl, body=fill)
            run(cs, f"{tn} {fn} ref bits", t, 4, 8, 8, fl, body=refbits)
            run(cs, f"{tn} {fn} existing keys", t, 4, 8, 8, fl, body=existing)
            run(cs, f"{tn} {fn} program inserts", t, 4, 8, 8, fl, body=progs)
            run(cs, f"{tn} {fn} fill 5", t, 4, 8, 5, fl, body=fill)
        if t == B.BPF_MAP_TYPE_LRU_HASH:
            run(cs, f"{tn} common 256", t, 4, 8, 256, 0, body=big)
            run(cs, f"{tn} percpu lists 256", t, 4, 8, 256, NC, body=big)

    def zs(c):
        for i in range(1, 13):
            c.update(key(i), val(i))
        c.walk(order=True)
        c.update(key(11), val(0))
        c.walk(order=True)
    run(cs, "lru_hash zero_seed order", B.BPF_MAP_TYPE_LRU_HASH, 4, 8, 8, B.BPF_F_ZERO_SEED, body=zs)


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


# ---------------------------------------------------------------- LPM trie
def lpm_cases(x, cs):
    B, run, val, lpm, u32 = x["B"], x["run"], x["val"], x["lpm"], x["u32"]
    L, NP = B.BPF_MAP_TYPE_LPM_TRIE, B.BPF_F_NO_PREALLOC

    def walk_next(c):
        keys = c.walk(order=True)
        for k in keys:
            c.next(bytes.fromhex(k))
        return keys

    def v4(c):
        c.lookup(lpm(32, 10, 0, 0, 1))
        c.next(None)
        c.update(lpm(33, 10), val(1))
        c.update(lpm(8, 10), val(1), 3)
        c.update(lpm(8, 10), val(1), 4)
        c.update(lpm(8, 10), val(1), 2)
        prefixes = [(8, (10,)), (16, (10, 1)), (24, (10, 1, 1)), (16, (192, 168)), (24, (192, 168, 1)),
                    (0, ()), (32, (10, 1, 1, 7)), (9, (10, 128))]
        for i, (p, o) in enumerate(prefixes):
            c.update(lpm(p, *o), val(i + 1))
            if i in (2, 5):
                walk_next(c)
        walk_next(c)
        c.update(lpm(12, 172, 16), val(9))
        c.update(lpm(12, 172, 16), val(9), 1)
        c.update(lpm(12, 172, 16), val(9), 2)
        c.update(lpm(8, 10), val(11), 0)
        c.update(lpm(8, 10), val(12), 2)
        c.update(lpm(8, 10), val(13), 1)
        c.update(lpm(8, 10, 99, 99, 99), val(14), 0)
        for a in ((10, 1, 1, 7), (10, 1, 1, 8), (10, 1, 2, 1), (10, 2, 0, 0), (10, 200, 0, 1),
                  (192, 168, 1, 1), (192, 168, 2, 1), (8, 8, 8, 8), (11, 0, 0, 0)):
            c.lookup(lpm(32, *a))
        for p, a in ((16, (10, 1, 1, 7)), (0, (10, 1, 1, 7)), (24, (10, 1, 1, 0)), (31, (10, 1, 1, 7)),
                     (40, (10, 1, 1, 7)), (8, (10, 1, 1, 7)), (7, (10,))):
            c.lookup(lpm(p, *a))
        c.next(lpm(20, 1, 2, 3))
        c.next(lpm(33, 10))
        c.next(lpm(8, 10, 1, 2, 3))
        c.plookup(lpm(32, 10, 1, 1, 9))
        c.plookup(lpm(32, 9, 9, 9, 9))
        c.delete(lpm(16, 10, 1))
        walk_next(c)
        c.delete(lpm(16, 10, 1))
        c.delete(lpm(9, 10, 0))
        c.delete(lpm(33, 10))
        c.delete(lpm(8, 10, 77, 77, 77))
        walk_next(c)
        c.lookup(lpm(32, 10, 1, 2, 3))
        c.lookup(lpm(32, 10, 1, 1, 3))
        c.update(lpm(8, 11, 2, 3, 4), val(21))
        walk_next(c)
        c.update(lpm(8, 11, 9, 9, 9), val(22))
        walk_next(c)
        c.delete(lpm(32, 10, 1, 1, 7))
        c.delete(lpm(24, 10, 1, 1))
        walk_next(c)
        c.pupdate(lpm(16, 10, 1), val(31), 0)
        c.pupdate(lpm(16, 10, 1), val(32), 1)
        c.pupdate(lpm(16, 10, 2), val(32), 2)
        c.pupdate(lpm(40, 10, 2), val(32), 0)
        c.pdelete(lpm(0))
        c.pdelete(lpm(0))
        walk_next(c)
        for a in ((10, 1, 1, 7), (10, 2, 3, 4), (1, 1, 1, 1)):
            c.lookup(lpm(32, *a))
        for p, o in ((16, (192, 168)), (24, (192, 168, 1)), (8, (11,)), (16, (10, 1)), (9, (10, 128))):
            c.delete(lpm(p, *o))
        walk_next(c)
    run(cs, "lpm ipv4", L, 8, 8, 8, NP, body=v4)

    def v6(c):
        def k6(p, *groups):
            data = b"".join(struct.pack(">H", g) for g in groups)
            return u32(p) + data + bytes(16 - len(data))
        ents = [(32, (0x2001, 0xdb8)), (48, (0x2001, 0xdb8, 1)), (64, (0x2001, 0xdb8, 1, 2)),
                (128, (0x2001, 0xdb8, 1, 2, 0, 0, 0, 1)), (16, (0xfe80,)), (10, (0xfe80,)), (0, ())]
        for i, (p, g) in enumerate(ents):
            c.update(k6(p, *g), val(i + 1, 4))
        walk_next(c)
        for g in ((0x2001, 0xdb8, 1, 2, 0, 0, 0, 1), (0x2001, 0xdb8, 1, 2, 0, 0, 0, 2), (0x2001, 0xdb8, 1, 3),
                  (0x2001, 0xdb8, 2), (0xfe80, 0, 0, 0, 1), (0xfebf,), (0xfec0,), (0x2002,)):
            c.lookup(k6(128, *g))
        c.update(k6(129, 0x2001), val(1, 4))
        c.delete(k6(48, 0x2001, 0xdb8, 1))
        walk_next(c)
        c.plookup(k6(128, 0x2001, 0xdb8, 1, 2, 0, 0, 0, 9))
    run(cs, "lpm ipv6", L, 20, 4, 16, NP, body=v6)

    def bytekey(c):
        for p, b in ((0, 0), (1, 0x80), (2, 0xc0), (4, 0xa0), (8, 0xab), (3, 0x20), (8, 0x00), (7, 0x02)):
            c.update(u32(p) + bytes([b]), val(p * 1000 + b))
        walk_next(c)
        for b in (0x00, 0x01, 0x02, 0x03, 0x20, 0x3f, 0x80, 0xa5, 0xab, 0xc1, 0xff):
            c.lookup(u32(8) + bytes([b]))
        c.update(u32(9) + b"\x00", val(1))
        c.delete(u32(0) + b"\x00")
        c.delete(u32(1) + b"\xff")
        walk_next(c)
    run(cs, "lpm 1-byte data", L, 5, 8, 8, NP, body=bytekey)

    def wide(c):
        c.update(u32(2048) + bytes(range(256)), val(1))
        c.update(u32(2049) + bytes(256), val(1))
        c.update(u32(1000) + bytes(range(256)), val(2))
        c.lookup(u32(2048) + bytes(range(256)))
        c.lookup(u32(2048) + bytes(range(255)) + b"\x00")
        c.walk(order=True)
    run(cs, "lpm 256-byte data", L, 260, 8, 4, NP, body=wide)

    def small(c):
        c.update(lpm(8, 1), val(1))
        c.update(lpm(16, 1, 2), val(2))
        c.update(lpm(24, 1, 2, 3), val(3))
        c.update(lpm(9, 1, 0x80), val(3))
        c.delete(lpm(8, 1))
        c.update(lpm(9, 1, 0x80), val(4))
        c.walk(order=True)
    run(cs, "lpm max 2", L, 8, 8, 2, NP, body=small)


# ---------------------------------------------------------------- devmap, devmap_hash, cpumap, xskmap
def devmap_cases(x, cs):
    B, run, key, u32 = x["B"], x["run"], x["key"], x["u32"]
    progs = _load_progs(B, x["Case"].symbols)
    lo = 1
    bad_ifindex = 987654

    def s32(n):
        return struct.pack("<i", n)

    def dev4(c):
        c.lookup(key(0))
        c.update(key(0), u32(lo))
        c.lookup(key(0))
        c.update(key(1), u32(bad_ifindex))
        c.update(key(4), u32(lo))
        c.update(key(4), u32(bad_ifindex))
        c.update(key(0), u32(lo), 1)
        c.update(key(2), u32(lo), 1)
        c.update(key(2), u32(lo), 2)
        c.update(key(3), u32(0), 0)
        for f in (3, 4, 8):
            c.update(key(1), u32(lo), f)
        c.lookup(key(2))
        c.lookup(key(3))
        c.plookup(key(0))
        c.plookup(key(1))
        c.update(key(0), u32(0))
        c.lookup(key(0))
        c.delete(key(0))
        c.delete(key(2))
        c.delete(key(2))
        c.delete(key(4))
        for k in (None, key(0), key(3), key(9)):
            c.next(k)
        c.walk(order=True)
    run(cs, "devmap value 4", B.BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0, body=dev4)

    def dev8(c):
        c.update(key(0), u32(lo) + s32(0))
        c.lookup(key(0))
        c.update(key(1), u32(lo) + s32(-1))
        c.lookup(key(1))
        c.update(key(2), u32(0) + s32(-1))
        c.update(key(2), u32(lo) + s32(progs["A"]), fd="A")
        c.update(key(2), u32(lo) + s32(progs["D"]), fd="D")
        c.lookup(key(2), idat=4)
        c.update(key(3), u32(0) + s32(progs["D"]), fd="D")
        c.update(key(3), u32(lo) + s32(9999), fd="badfd")
        c.plookup(key(2), idat=4)
        c.plookup(key(1))
        c.walk(order=True)
    run(cs, "devmap value 8", B.BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0, body=dev8)

    def devh(c):
        c.lookup(key(100))
        c.next(None)
        for k in (100, 5, 7, 200):
            c.update(key(k), u32(lo))
        c.update(key(300), u32(lo))
        c.update(key(100), u32(lo), 1)
        c.update(key(100), u32(lo), 2)
        c.update(key(300), u32(lo), 2)
        c.update(key(5), u32(0))
        c.update(key(5), u32(bad_ifindex))
        for f in (3, 4):
            c.update(key(5), u32(lo), f)
        c.lookup(key(5))
        c.plookup(key(7))
        c.walk(order=True)
        c.update(key(7), u32(lo))
        keys = c.walk(order=True)
        for k in keys:
            c.next(bytes.fromhex(k))
        c.next(key(12345))
        c.delete(key(12345))
        c.delete(key(5))
        c.update(key(4), u32(lo), 2)
        c.update(key(8), u32(lo), 1)
        c.walk(order=True)
        c.delete(key(100))
        c.delete(key(4))
        c.walk(order=True)
    run(cs, "devmap_hash value 4", B.BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, 0, body=devh)

    def devh8(c):
        c.update(key(10), u32(lo) + s32(progs["D"]), fd="D")
        c.lookup(key(10), idat=4)
        c.update(key(11), u32(lo) + s32(progs["A"]), fd="A")
        c.update(key(11), u32(lo) + s32(-1))
        c.lookup(key(11))
    run(cs, "devmap_hash value 8", B.BPF_MAP_TYPE_DEVMAP_HASH, 4, 8, 8, 0, body=devh8)

    def cpum(c):
        c.lookup(key(0))
        c.update(key(0), u32(192))
        c.lookup(key(0))
        c.update(key(1), u32(16384))
        c.update(key(1), u32(16385))
        c.update(key(x["ncpus"]), u32(64))
        c.update(key(4), u32(64))
        c.update(key(0), u32(64), 1)
        c.update(key(1), u32(64), 2)
        for f in (3, 4):
            c.update(key(0), u32(64), f)
        c.lookup(key(1))
        c.update(key(0), u32(0))
        c.lookup(key(0))
        c.delete(key(0))
        c.delete(key(1))
        c.delete(key(4))
        c.walk(order=True)
        c.next(key(3))
    run(cs, "cpumap value 4", B.BPF_MAP_TYPE_CPUMAP, 4, 4, 4, 0, body=cpum)

    def cpum8(c):
        c.update(key(0), u32(64) + s32(0))
        c.lookup(key(0))
        c.update(key(1), u32(64) + s32(-1))
        c.lookup(key(1))
        c.update(key(1), u32(64) + s32(progs["C"]), fd="C")
        c.lookup(key(1), idat=4)
        c.update(key(0), u32(0) + s32(progs["C"]), fd="C")
        c.lookup(key(0))
        c.update(key(0), u32(64) + s32(progs["A"]), fd="A")
        c.update(key(0), u32(64) + s32(9999), fd="badfd")
        c.update(key(0), u32(64) + s32(progs["D"]), fd="D")
        c.lookup(key(0))
    run(cs, "cpumap value 8", B.BPF_MAP_TYPE_CPUMAP, 4, 8, 2, 0, body=cpum8)

    fds = _special_fds(B)

    def xsk(c):
        c.lookup(key(0))
        c.update(key(0), u32(fds["badfd"]), fd="badfd")
        c.update(key(0), u32(fds["notsock"]), fd="notsock")
        c.update(key(0), u32(fds["udp"]), fd="udp")
        c.update(key(0), u32(fds["xsk"]), fd="xsk")
        c.update(key(4), u32(fds["badfd"]), fd="badfd")
        c.update(key(0), u32(fds["badfd"]), 3, fd="badfd")
        c.update(key(0), u32(fds["badfd"]), 1, fd="badfd")
        c.delete(key(0))
        c.delete(key(4))
        c.walk(order=True)
        c.next(key(2))
    run(cs, "xskmap", B.BPF_MAP_TYPE_XSKMAP, 4, 4, 4, 0, body=xsk)
    for fd in list(progs.values()) + [fds["notsock"]]:
        B.close(fd)
    fds["udp_sock"].close()
    fds["xsk_sock"].close()


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


# ---------------------------------------------------------------- maps of maps
def mapinmap_cases(x, cs):
    B, run, key, u32 = x["B"], x["run"], x["key"], x["u32"]
    A = B.BPF_MAP_TYPE_ARRAY
    spec = {"type": A, "keySize": 4, "valueSize": 8, "maxEntries": 4, "flags": 0}
    template = B.map_create(A, 4, 8, 4)
    inner = {n: B.map_create(A, 4, 8, 4) for n in ("M1", "M2", "M3")}
    other = {"big": B.map_create(A, 4, 8, 8), "wide": B.map_create(A, 4, 16, 4),
             "hash": B.map_create(B.BPF_MAP_TYPE_HASH, 4, 8, 4), "rdonly_prog": B.map_create(A, 4, 8, 4, B.BPF_F_RDONLY_PROG)}
    handles = x["meta"].setdefault("handles", {})

    def remember(n, fd):
        info = B.map_info(fd)
        x["Case"].symbols[("map", info["id"])] = n
        handles[n] = {"type": info["type"], "keySize": info["key_size"], "valueSize": info["value_size"],
                      "maxEntries": info["max_entries"], "flags": info["map_flags"]}

    for n, fd in list(inner.items()) + list(other.items()):
        remember(n, fd)
    progs = _load_progs(B, x["Case"].symbols)
    fds = dict(inner)
    fds.update(other)
    fds["badfd"] = 9999
    fds["prog"] = progs["A"]

    def upd(c, k, sym, flags=0):
        c.update(key(k), u32(fds[sym]), flags, fd=sym)

    def aom(c):
        c.lookup(key(0))
        upd(c, 0, "M1")
        c.lookup(key(0), idat=0)
        upd(c, 1, "M2", 1)
        upd(c, 1, "M2", 2)
        upd(c, 4, "M2")
        upd(c, 4, "badfd", 1)
        upd(c, 1, "badfd")
        upd(c, 1, "prog")
        for o in other:
            upd(c, 1, o)
        upd(c, 1, "M2")
        upd(c, 1, "M3")
        c.lookup(key(1), idat=0)
        c.lookup(key(2))
        c.delete(key(2))
        c.delete(key(4))
        c.delete(key(0))
        c.delete(key(0))
        c.walk(order=True)
        c.next(key(9))
    run(cs, "array_of_maps", B.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, inner=spec, inner_fd=template, body=aom)

    def hom(c):
        c.lookup(key(1))
        upd(c, 1, "M1")
        c.lookup(key(1), idat=0)
        upd(c, 1, "M2", 1)
        upd(c, 2, "M2", 2)
        upd(c, 2, "badfd", 3)
        upd(c, 2, "badfd", 1)
        upd(c, 2, "big", 1)
        upd(c, 1, "M2", 2)
        c.lookup(key(1), idat=0)
        for k in (2, 3, 4):
            upd(c, k, "M3")
        upd(c, 5, "M3")
        upd(c, 1, "M1")
        c.walk(order=True)
        c.delete(key(9))
        c.delete(key(2))
        c.lookup(key(2))
        c.walk(order=True)
    run(cs, "hash_of_maps", B.BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 4, B.BPF_F_ZERO_SEED, inner=spec, inner_fd=template,
        body=hom)
    IM = B.BPF_F_INNER_MAP
    inner_big = dict(spec, flags=IM)
    tmpl2 = B.map_create(A, 4, 8, 4, IM)
    flagged = {"im4": B.map_create(A, 4, 8, 4, IM), "im8": B.map_create(A, 4, 8, 8, IM),
               "im1": B.map_create(A, 4, 8, 1, IM), "imwide": B.map_create(A, 4, 16, 4, IM)}
    for n, fd in flagged.items():
        remember(n, fd)
    fds.update(flagged)

    def inner_map_flag(c):
        upd(c, 0, "M1")
        upd(c, 0, "im4")
        upd(c, 1, "im8")
        upd(c, 2, "im1")
        upd(c, 3, "imwide")
        c.lookup(key(1), idat=0)
        c.lookup(key(2), idat=0)
    run(cs, "array_of_maps with BPF_F_INNER_MAP template", B.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0,
        inner=inner_big, inner_fd=tmpl2, body=inner_map_flag)
    hspec = {"type": B.BPF_MAP_TYPE_HASH, "keySize": 4, "valueSize": 8, "maxEntries": 4, "flags": 0}
    htmpl = B.map_create(B.BPF_MAP_TYPE_HASH, 4, 8, 4)
    hashes = {"H4": B.map_create(B.BPF_MAP_TYPE_HASH, 4, 8, 4), "H64": B.map_create(B.BPF_MAP_TYPE_HASH, 4, 8, 64),
              "Hnp": B.map_create(B.BPF_MAP_TYPE_HASH, 4, 8, 4, B.BPF_F_NO_PREALLOC),
              "L4": B.map_create(B.BPF_MAP_TYPE_LRU_HASH, 4, 8, 4)}
    for n, fd in hashes.items():
        remember(n, fd)
    fds.update(hashes)

    def hash_inner(c):
        for i, n in enumerate(("H4", "H64", "Hnp", "L4")):
            upd(c, i, n)
        c.lookup(key(1), idat=0)
    run(cs, "array_of_maps of hash maps", B.BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 4, 0, inner=hspec, inner_fd=htmpl,
        body=hash_inner)
    for fd in [template, tmpl2, htmpl] + list(inner.values()) + list(other.values()) + list(progs.values()) \
            + list(flagged.values()) + list(hashes.values()):
        B.close(fd)


# ---------------------------------------------------------------- prog_array
def progarray_cases(x, cs):
    B, run, key, u32 = x["B"], x["run"], x["key"], x["u32"]
    progs = _load_progs(B, x["Case"].symbols)
    fds = _special_fds(B)
    mapfd = B.map_create(B.BPF_MAP_TYPE_ARRAY, 4, 4, 1)

    def pa(c):
        c.lookup(key(0))
        c.update(key(0), u32(progs["A"]), fd="A")
        c.lookup(key(0), idat=0)
        c.update(key(1), u32(progs["B"]), 1, fd="B")
        c.update(key(1), u32(progs["B"]), 2, fd="B")
        c.update(key(1), u32(progs["B"]), 4, fd="B")
        c.update(key(4), u32(progs["B"]), fd="B")
        c.update(key(4), u32(progs["B"]), 1, fd="B")
        c.update(key(1), u32(fds["badfd"]), fd="badfd")
        c.update(key(1), u32(mapfd), fd="mapfd")
        c.update(key(1), u32(fds["notsock"]), fd="notsock")
        c.update(key(1), u32(progs["B"]), fd="B")
        c.lookup(key(1), idat=0)
        c.update(key(1), u32(progs["A"]), fd="A")
        c.lookup(key(1), idat=0)
        c.lookup(key(2))
        c.lookup(key(4))
        c.delete(key(2))
        c.delete(key(4))
        c.delete(key(0))
        c.delete(key(0))
        c.lookup(key(0))
        c.walk(order=True)
        c.next(key(3))
        c.next(key(77))
    run(cs, "prog_array", B.BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, body=pa)
    for fd in list(progs.values()) + [fds["notsock"], mapfd]:
        B.close(fd)
    fds["udp_sock"].close()
    fds["xsk_sock"].close()
