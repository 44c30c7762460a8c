"""More scripted sequences of record-maps.py: LRU maps, LPM tries, devmap / cpumap / xskmap,
prog_array and maps of maps (see record_maps_cases.py for the conventions)."""
import struct

from record_maps_cases import _load_progs, _special_fds


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
