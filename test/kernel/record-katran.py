#!/usr/bin/env python3
"""Records the kernel's run of katran's balancer on the katran bench's case into
test/fixtures/katran/balancer-vip.json (root, bpffs at /sys/fs/bpf, bpftool, node for the case).

The object is katran's balancer.bpf.o (facebookincubator/katran, built as its own build does; it stays
outside the project, default /tmp/katran/balancer.bpf.o). The case (one IPv4 TCP VIP, three reals on
its 65,537-slot ring, the router MAC, one TCP SYN) comes from bench/katran-case.ts, so the bench, the
test and this recording share one definition. What a user would do with bpftool:
  bpftool prog loadall balancer.bpf.o /sys/fs/bpf/nicsim_katran pinmaps /sys/fs/bpf/nicsim_katran/maps
  bpftool map update pinned ... (vip_map, ctl_array, reals)
  BPF_MAP_UPDATE_BATCH (bpfsys)   (the ring: ch_rings indexes 0..65536)
  bpftool -j prog run pinned .../balancer_ingress data_in F data_out G
  bpftool -j map dump pinned <every map of at most 65,536 entries>
The arrays larger than that (ch_rings: 33.5M slots, which the program only reads; server_id_map) are
not dumped (listed in "not_recorded"); array entries are kept when non-zero, as nicsim's default dump
shows them. The process pins itself to CPU 0, so per-CPU values land in slot 0.

Usage: sudo python3 test/kernel/record-katran.py [OBJECT]
"""
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
_spec = importlib.util.spec_from_file_location("record_examples", os.path.join(HERE, "record-examples.py"))
rex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rex)   # Loaded, prog_run, possible_cpus: the examples' recording plumbing

OUT = os.path.join(ROOT, "test", "fixtures", "katran", "balancer-vip.json")
PIN = "/sys/fs/bpf/nicsim_katran"
BIG = 1 << 16


def katran_case():
    p = subprocess.run(["npx", "tsx", os.path.join(ROOT, "bench", "katran-case.ts")], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def nonzero(e):
    return any(int(v, 16) for v in ([e["value"]] if "value" in e else e.get("values", [])))


def main(argv):
    if os.geteuid() != 0:
        sys.exit("record-katran.py needs root (bpffs pins, BPF_PROG_TEST_RUN)")
    obj = argv[0] if argv else "/tmp/katran/balancer.bpf.o"
    if not os.path.exists(obj):
        sys.exit(f"{obj}: no such object (build katran's balancer.bpf.o first)")
    os.sched_setaffinity(0, {0})
    case = katran_case()
    ncpus = rex.possible_cpus()
    with tempfile.TemporaryDirectory() as tmp, rex.Loaded(obj, PIN) as ld:
        din, dout = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
        with open(din, "wb") as f:
            f.write(bytes.fromhex(case["data_in"]))
        for u in case["map_updates"]:
            ld.update(u)
        for fl in case["map_fills"]:
            ld.fill(fl)
        p, doc, err = rex.prog_run(ld.progs[case["program"]][0], din, dout, 1)
        if p.returncode != 0:
            raise RuntimeError(f"bpftool prog run failed: {err.strip()}")
        big = sorted(n for n, (_, i) in ld.maps.items() if i["type"] in rex.INDEXED and i["max_entries"] > BIG)
        small = {n: v for n, v in ld.maps.items() if n not in big}
        ld.maps = small    # dump_maps walks ld.maps
        maps = ld.dump_maps(ncpus)
        for name, entries in maps.items():
            if small[name][1]["type"] in rex.INDEXED:
                maps[name] = [e for e in entries if nonzero(e)]
        rec = {
            "object": os.path.basename(obj),
            "object_sha256": hashlib.sha256(open(obj, "rb").read()).hexdigest(),
            "possible_cpus": ncpus,
            "case": case,
            "expected": {"retval": doc["retval"], "data_out": open(dout, "rb").read().hex(), "maps": maps},
            "not_recorded": big,
            # stats[MAX_VIPS + NEW_CONN_RATE_CNTR].v2 is when the current second of the new-connection
            # rate began: a bpf_ktime_get_ns() reading, the kernel's monotonic clock, not comparable
            "clock_fields": [{"map": "stats", "key": "02020000", "bytes": [8, 16]}],
        }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")
    print(f"{OUT}: retval {rec['expected']['retval']}, {len(rec['expected']['data_out']) // 2} bytes out, "
          f"{len(maps)} maps ({', '.join(big)} not recorded)")


if __name__ == "__main__":
    main(sys.argv[1:])
