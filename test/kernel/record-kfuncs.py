#!/usr/bin/env python3
"""Records the kfuncs (kernel functions callable from BPF) of the running kernel and which of them an
XDP program may call: test/fixtures/kfuncs/xdp-kfuncs.json.

Usage (root, bpftool, from anywhere):
    test/kernel/record-kfuncs.py            # write the fixture
    test/kernel/record-kfuncs.py --print    # print it, write nothing

Sources of truth, one per fact:
  - names, BTF ids and prototypes: the kernel's own BTF (`bpftool btf dump file /sys/kernel/btf/vmlinux
    format raw`, plus every module BTF under /sys/kernel/btf/ that declares kfuncs). A kfunc is a FUNC
    carrying the DECL_TAG "bpf_kfunc" (what __bpf_kfunc emits since 6.8).
  - allowed in XDP or not: the verifier. Each kfunc is called from a tiny raw XDP program (r1..r5 = 0,
    `call` with src_reg 2 = BPF_PSEUDO_KFUNC_CALL, imm = its BTF id, `r0 = 0; exit`, GPL). The kernel
    answers "calling kernel function NAME is not allowed" for kfuncs not registered for XDP (by
    register_btf_kfunc_id_set); any other answer (an argument error, or acceptance) means the call got
    past that check. Both the verdict and the kernel's message are kept.
  - flags (KF_*): they live in the kernel's BTF_ID_FLAGS tables (.BTF_ids), which BTF does not carry.
    FLAGS below is transcribed from the registration tables of the 6.18 sources
    (net/netfilter/nf_conntrack_bpf.c nf_ct_kfunc_set, net/netfilter/nf_nat_bpf.c, net/core/xdp.c
    xdp_metadata_kfunc_ids, net/core/filter.c bpf_kfunc_check_set_xdp, net/xfrm/xfrm_state_bpf.c,
    kernel/bpf/helpers.c generic_btf_ids / common_btf_ids); a kfunc the kernel allows in XDP that is
    missing from FLAGS stops the recording, so the table cannot silently fall behind the kernel.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "test", "fixtures", "kfuncs", "xdp-kfuncs.json")
sys.path.insert(0, HERE)
import bpfsys  # noqa: E402

# KF_* flags of the kfuncs registered for XDP (BTF_ID_FLAGS in the files named above); [] = no flags.
FLAGS = {
    # nf_conntrack_bpf.c: nf_ct_kfunc_set (XDP and SCHED_CLS)
    "bpf_xdp_ct_alloc": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_xdp_ct_lookup": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_skb_ct_alloc": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_skb_ct_lookup": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_ct_insert_entry": ["KF_ACQUIRE", "KF_RET_NULL", "KF_RELEASE"],
    "bpf_ct_release": ["KF_RELEASE"],
    "bpf_ct_set_timeout": ["KF_TRUSTED_ARGS"],
    "bpf_ct_change_timeout": ["KF_TRUSTED_ARGS"],
    "bpf_ct_set_status": ["KF_TRUSTED_ARGS"],
    "bpf_ct_change_status": ["KF_TRUSTED_ARGS"],
    # nf_nat_bpf.c: nf_nat_kfunc_set (XDP and SCHED_CLS)
    "bpf_ct_set_nat_info": ["KF_TRUSTED_ARGS"],
    # xdp.c: xdp_metadata_kfunc_ids (XDP_METADATA_KFUNC -> KF_TRUSTED_ARGS); device-bound programs only
    "bpf_xdp_metadata_rx_timestamp": ["KF_TRUSTED_ARGS"],
    "bpf_xdp_metadata_rx_hash": ["KF_TRUSTED_ARGS"],
    "bpf_xdp_metadata_rx_vlan_tag": ["KF_TRUSTED_ARGS"],
    # filter.c: bpf_kfunc_check_set_xdp
    "bpf_dynptr_from_xdp": [],
    "bpf_xdp_pull_data": [],
    # xfrm_state_bpf.c: xfrm_state_kfunc_set (XDP)
    "bpf_xdp_get_xfrm_state": ["KF_RET_NULL", "KF_ACQUIRE"],
    "bpf_xdp_xfrm_state_release": ["KF_RELEASE"],
    # nf_flow_table_bpf.c (CONFIG_NF_FLOW_TABLE; absent from a kernel built without it)
    "bpf_xdp_flow_lookup": ["KF_TRUSTED_ARGS", "KF_RET_NULL"],
    # helpers.c: generic_btf_ids (TRACING, SCHED_CLS, XDP, STRUCT_OPS, SYSCALL, CGROUP_SKB)
    "crash_kexec": ["KF_DESTRUCTIVE"],
    "bpf_obj_new_impl": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_percpu_obj_new_impl": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_obj_drop_impl": ["KF_RELEASE"],
    "bpf_percpu_obj_drop_impl": ["KF_RELEASE"],
    "bpf_refcount_acquire_impl": ["KF_ACQUIRE", "KF_RET_NULL", "KF_RCU"],
    "bpf_list_push_front_impl": [],
    "bpf_list_push_back_impl": [],
    "bpf_list_pop_front": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_list_pop_back": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_list_front": ["KF_RET_NULL"],
    "bpf_list_back": ["KF_RET_NULL"],
    "bpf_task_acquire": ["KF_ACQUIRE", "KF_RCU", "KF_RET_NULL"],
    "bpf_task_release": ["KF_RELEASE"],
    "bpf_rbtree_remove": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_rbtree_add_impl": [],
    "bpf_rbtree_first": ["KF_RET_NULL"],
    "bpf_rbtree_root": ["KF_RET_NULL"],
    "bpf_rbtree_left": ["KF_RET_NULL"],
    "bpf_rbtree_right": ["KF_RET_NULL"],
    "bpf_cgroup_acquire": ["KF_ACQUIRE", "KF_RCU", "KF_RET_NULL"],
    "bpf_cgroup_release": ["KF_RELEASE"],
    "bpf_cgroup_ancestor": ["KF_ACQUIRE", "KF_RCU", "KF_RET_NULL"],
    "bpf_cgroup_from_id": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_task_under_cgroup": ["KF_RCU"],
    "bpf_task_get_cgroup1": ["KF_ACQUIRE", "KF_RCU", "KF_RET_NULL"],
    "bpf_task_from_pid": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_task_from_vpid": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_throw": [],
    "bpf_send_signal_task": ["KF_TRUSTED_ARGS"],
    # helpers.c: common_btf_ids (BPF_PROG_TYPE_UNSPEC: every program type)
    "bpf_cast_to_kern_ctx": ["KF_FASTCALL"],
    "bpf_rdonly_cast": ["KF_FASTCALL"],
    "bpf_rcu_read_lock": [],
    "bpf_rcu_read_unlock": [],
    "bpf_dynptr_slice": ["KF_RET_NULL"],
    "bpf_dynptr_slice_rdwr": ["KF_RET_NULL"],
    "bpf_iter_num_new": ["KF_ITER_NEW"],
    "bpf_iter_num_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_num_destroy": ["KF_ITER_DESTROY"],
    "bpf_iter_task_vma_new": ["KF_ITER_NEW", "KF_RCU"],
    "bpf_iter_task_vma_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_task_vma_destroy": ["KF_ITER_DESTROY"],
    "bpf_iter_css_task_new": ["KF_ITER_NEW", "KF_TRUSTED_ARGS"],
    "bpf_iter_css_task_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_css_task_destroy": ["KF_ITER_DESTROY"],
    "bpf_iter_css_new": ["KF_ITER_NEW", "KF_TRUSTED_ARGS", "KF_RCU_PROTECTED"],
    "bpf_iter_css_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_css_destroy": ["KF_ITER_DESTROY"],
    "bpf_iter_task_new": ["KF_ITER_NEW", "KF_TRUSTED_ARGS", "KF_RCU_PROTECTED"],
    "bpf_iter_task_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_task_destroy": ["KF_ITER_DESTROY"],
    "bpf_dynptr_adjust": [],
    "bpf_dynptr_is_null": [],
    "bpf_dynptr_is_rdonly": [],
    "bpf_dynptr_size": [],
    "bpf_dynptr_clone": [],
    "bpf_dynptr_copy": [],
    "bpf_dynptr_memset": [],
    "bpf_modify_return_test_tp": [],
    "bpf_wq_init": [],
    "bpf_wq_set_callback_impl": [],
    "bpf_wq_start": [],
    "bpf_preempt_disable": [],
    "bpf_preempt_enable": [],
    "bpf_iter_bits_new": ["KF_ITER_NEW"],
    "bpf_iter_bits_next": ["KF_ITER_NEXT", "KF_RET_NULL"],
    "bpf_iter_bits_destroy": ["KF_ITER_DESTROY"],
    "bpf_copy_from_user_str": ["KF_SLEEPABLE"],
    "bpf_copy_from_user_task_str": ["KF_SLEEPABLE"],
    "bpf_get_kmem_cache": [],
    "bpf_iter_kmem_cache_new": ["KF_ITER_NEW", "KF_SLEEPABLE"],
    "bpf_iter_kmem_cache_next": ["KF_ITER_NEXT", "KF_RET_NULL", "KF_SLEEPABLE"],
    "bpf_iter_kmem_cache_destroy": ["KF_ITER_DESTROY", "KF_SLEEPABLE"],
    "bpf_local_irq_save": [],
    "bpf_local_irq_restore": [],
    "bpf_probe_read_user_dynptr": [],
    "bpf_probe_read_kernel_dynptr": [],
    "bpf_probe_read_user_str_dynptr": [],
    "bpf_probe_read_kernel_str_dynptr": [],
    "bpf_copy_from_user_dynptr": ["KF_SLEEPABLE"],
    "bpf_copy_from_user_str_dynptr": ["KF_SLEEPABLE"],
    "bpf_copy_from_user_task_dynptr": ["KF_SLEEPABLE", "KF_TRUSTED_ARGS"],
    "bpf_copy_from_user_task_str_dynptr": ["KF_SLEEPABLE", "KF_TRUSTED_ARGS"],
    "bpf_iter_dmabuf_new": ["KF_ITER_NEW", "KF_SLEEPABLE"],
    "bpf_iter_dmabuf_next": ["KF_ITER_NEXT", "KF_RET_NULL", "KF_SLEEPABLE"],
    "bpf_iter_dmabuf_destroy": ["KF_ITER_DESTROY", "KF_SLEEPABLE"],
    "__bpf_trap": [],
    "bpf_strcmp": [], "bpf_strcasecmp": [], "bpf_strncasecmp": [], "bpf_strchr": [], "bpf_strchrnul": [],
    "bpf_strnchr": [], "bpf_strrchr": [], "bpf_strlen": [], "bpf_strnlen": [], "bpf_strspn": [],
    "bpf_strcspn": [], "bpf_strstr": [], "bpf_strcasestr": [], "bpf_strnstr": [], "bpf_strncasestr": [],
    "bpf_cgroup_read_xattr": ["KF_RCU"],
    "bpf_stream_vprintk_impl": [],
    "bpf_task_work_schedule_signal_impl": [],
    "bpf_task_work_schedule_resume_impl": [],
    # kernel/bpf/arena.c, res_spin_lock, map iter: registered for UNSPEC / XDP in 6.18
    "bpf_arena_alloc_pages": ["KF_TRUSTED_ARGS", "KF_SLEEPABLE", "KF_ARENA_RET", "KF_ARENA_ARG2"],
    "bpf_arena_free_pages": ["KF_TRUSTED_ARGS", "KF_SLEEPABLE", "KF_ARENA_ARG2"],
    "bpf_arena_reserve_pages": ["KF_TRUSTED_ARGS", "KF_SLEEPABLE", "KF_ARENA_ARG2"],
    "bpf_res_spin_lock": ["KF_RET_NULL"],
    "bpf_res_spin_unlock": [],
    "bpf_res_spin_lock_irqsave": ["KF_RET_NULL"],
    "bpf_res_spin_unlock_irqrestore": [],
    "bpf_map_sum_elem_count": ["KF_TRUSTED_ARGS"],
    "bpf_crypto_decrypt": [], "bpf_crypto_encrypt": [],
    "bpf_session_cookie": [], "bpf_session_is_return": [],
    # kernel/trace/bpf_trace.c: key_sig_kfunc_set (registered for every program type)
    "bpf_lookup_user_key": ["KF_ACQUIRE", "KF_RET_NULL", "KF_SLEEPABLE"],
    "bpf_lookup_system_key": ["KF_ACQUIRE", "KF_RET_NULL"],
    "bpf_key_put": ["KF_RELEASE"],
    "bpf_verify_pkcs7_signature": ["KF_SLEEPABLE"],
}


# ------------------------------------------------------------------ BTF (bpftool raw dump)
HEAD = re.compile(r"^\[(\d+)\] (\S+) '([^']*)'(.*)$")
MEMBER = re.compile(r"^\s+'([^']*)' type_id=(\d+)")


def parse_raw(text, base=None):
    types = dict(base or {})
    cur = None
    for line in text.split("\n"):
        m = HEAD.match(line)
        if m:
            cur = int(m.group(1))
            attrs = dict(re.findall(r"(\w+)=(\S+)", m.group(4)))
            types[cur] = {"kind": m.group(2), "name": m.group(3), "attrs": attrs, "members": []}
        elif cur is not None:
            mm = MEMBER.match(line)
            if mm:
                types[cur]["members"].append((mm.group(1), int(mm.group(2))))
    return types


def type_str(types, tid):
    """A C spelling of BTF type tid (typedef names kept, as the kernel's prototypes read)."""
    if tid == 0:
        return "void"
    t = types[tid]
    k, n = t["kind"], t["name"]
    if k == "PTR":
        return type_str(types, int(t["attrs"]["type_id"])) + " *"
    if k == "CONST":
        return "const " + type_str(types, int(t["attrs"]["type_id"]))
    if k == "VOLATILE":
        return "volatile " + type_str(types, int(t["attrs"]["type_id"]))
    if k in ("TYPE_TAG", "RESTRICT"):
        return type_str(types, int(t["attrs"]["type_id"]))
    if k == "STRUCT":
        return "struct " + n
    if k == "UNION":
        return "union " + n
    if k in ("ENUM", "ENUM64"):
        return "enum " + n
    if k == "FWD":
        return "struct " + n
    if k == "FUNC_PROTO":
        return "fn"
    return n  # INT, TYPEDEF


def resolve_size(types, tid):
    """Size in bytes of a scalar/pointer parameter (8 for pointers), following typedefs/modifiers."""
    while tid:
        t = types[tid]
        if t["kind"] == "PTR":
            return 8
        if t["kind"] in ("INT", "ENUM", "ENUM64", "STRUCT", "UNION"):
            return int(t["attrs"].get("size", "0"))
        tid = int(t["attrs"]["type_id"])
    return 0


MODIFIERS = ("CONST", "VOLATILE", "RESTRICT", "TYPEDEF", "TYPE_TAG")
KIND_STR = {"INT": "INT", "PTR": "PTR", "ARRAY": "ARRAY", "STRUCT": "STRUCT", "UNION": "UNION", "ENUM": "ENUM",
            "FWD": "FWD", "TYPEDEF": "TYPEDEF", "FUNC_PROTO": "FUNC_PROTO", "ENUM64": "ENUM64", "FLOAT": "FLOAT"}


def skip_mods(types, tid):
    """btf_type_skip_modifiers"""
    while tid and types[tid]["kind"] in MODIFIERS:
        tid = int(types[tid]["attrs"]["type_id"])
    return tid


def is_scalar(types, tid):
    return tid != 0 and types[tid]["kind"] in ("INT", "ENUM", "ENUM64")


def scalar_struct(types, tid, rec, log):
    """__btf_type_is_scalar_struct, with the message it prints."""
    t = types[tid]
    if t["kind"] not in ("STRUCT", "UNION"):
        return False
    for _, mt in t["members"]:
        m = skip_mods(types, mt)
        if m and types[m]["kind"] in ("STRUCT", "UNION"):
            if rec >= 3:
                log.append("max struct nesting depth exceeded")
                return False
            if not scalar_struct(types, m, rec + 1, log):
                return False
            continue
        if m and types[m]["kind"] == "ARRAY":
            a = types[m]["attrs"]
            if int(a.get("nr_elems", "0")) == 0:
                return False
            if not is_scalar(types, skip_mods(types, int(a["type_id"]))):
                return False
            continue
        if not is_scalar(types, m):
            return False
    return True


def resolved_size(types, tid):
    """btf_resolve_size: bytes of the type (arrays multiplied out), None where it cannot be determined."""
    n = 1
    while True:
        tid = skip_mods(types, tid)
        if tid == 0:
            return None
        t = types[tid]
        if t["kind"] == "ARRAY":
            n *= int(t["attrs"]["nr_elems"])
            tid = int(t["attrs"]["type_id"])
            continue
        if t["kind"] == "PTR":
            return 8 * n
        if t["kind"] in ("INT", "ENUM", "ENUM64", "STRUCT", "UNION", "FLOAT"):
            return int(t["attrs"]["size"]) * n
        return None


def pointee(types, tid):
    """What a pointer parameter or return value points to, as the verifier classifies it."""
    ref = skip_mods(types, int(types[tid]["attrs"]["type_id"]))
    if ref == 0:
        return {"kind": "VOID", "name": "", "size": None, "scalar": False, "scalar_struct": False,
                "scalar_struct_log": [], "first_member": None}
    t = types[ref]
    log = []
    ss = scalar_struct(types, ref, 0, log)
    first = None
    if t["kind"] == "STRUCT" and t["members"]:
        m = skip_mods(types, t["members"][0][1])
        if m and types[m]["kind"] == "STRUCT":
            first = types[m]["name"]
    return {"kind": KIND_STR.get(t["kind"], t["kind"]), "name": t["name"] if t["name"] != "(anon)" else "",
            "size": resolved_size(types, ref), "scalar": is_scalar(types, ref), "scalar_struct": ss,
            "scalar_struct_log": log, "first_member": first}


def param_info(types, pn, pt):
    t = skip_mods(types, pt)
    info = {"name": pn, "type": type_str(types, pt), "size": resolve_size(types, pt)}
    if t and types[t]["kind"] == "PTR":
        info["pointee"] = pointee(types, t)
    else:
        info["scalar"] = is_scalar(types, t)
    return info


def kfuncs_of(types, btf_name, ids):
    out = []
    for tid, t in types.items():
        if tid not in ids or t["kind"] != "DECL_TAG" or t["name"] != "bpf_kfunc":
            continue
        fid = int(t["attrs"]["type_id"])
        f = types[fid]
        proto = types[int(f["attrs"]["type_id"])]
        ret = int(proto["attrs"]["ret_type_id"])
        params = [param_info(types, pn, pt) for pn, pt in proto["members"]]
        sig = f"{type_str(types, ret)} {f['name']}({', '.join(p['type'] + ' ' + p['name'] for p in params) or 'void'})"
        out.append({"name": f["name"], "btf": btf_name, "btf_id": fid, "prototype": sig.replace("* ", "*"),
                    "ret": type_str(types, ret), "ret_size": resolve_size(types, ret), "params": params,
                    "ret_pointee": pointee(types, skip_mods(types, ret)) if ret and types[skip_mods(types, ret)]["kind"] == "PTR" else None})
    return out


def dump(path):
    return subprocess.run(["bpftool", "btf", "dump", "file", path, "format", "raw"], check=True,
                          capture_output=True, text=True).stdout


# ------------------------------------------------------------------ the verifier as the oracle
def probe(btf_id):
    code = b"".join(bpfsys.insn(0xb7, r, 0, 0, 0) for r in range(1, 6))
    code += bpfsys.insn(0x85, 0, 2, 0, btf_id) + bpfsys.insn(0xb7, 0, 0, 0, 0) + bpfsys.insn(0x95)
    fd, log = bpfsys.prog_load(code, log_level=4)
    if fd >= 0:
        bpfsys.close(fd)
    lines = [l for l in log.split("\n") if l and not re.match(r"^(verification time|stack depth|processed) ", l)]
    return fd, (lines[-1] if lines else "")


BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6


def load_bound(btf_id, ifindex, flags):
    """BPF_PROG_LOAD of a metadata-kfunc call (r2, r3 = two zeroed stack slots) with prog_ifindex."""
    import ctypes
    import struct
    code = bpfsys.insn(0x7a, 10, 0, -8, 0) + bpfsys.insn(0x7a, 10, 0, -16, 0)
    code += bpfsys.insn(0xbf, 2, 10) + bpfsys.insn(0x07, 2, 0, 0, -8) + bpfsys.insn(0xbf, 3, 10) + bpfsys.insn(0x07, 3, 0, 0, -16)
    code += bpfsys.insn(0x85, 0, 2, 0, btf_id) + bpfsys.insn(0x95)
    ib = ctypes.create_string_buffer(code, len(code))
    lb = ctypes.create_string_buffer(b"GPL\0")
    attr = bytearray(160)
    struct.pack_into("<IIQQIIQII", attr, 0, bpfsys.BPF_PROG_TYPE_XDP, len(code) // 8, bpfsys._ptr(ib), bpfsys._ptr(lb), 0, 0, 0, 0, flags)
    struct.pack_into("<I", attr, 64, ifindex)
    return bpfsys._bpf(bpfsys.BPF_PROG_LOAD, attr)


def dev_bound(rows):
    """The XDP metadata kfuncs in device-bound programs: loopback and a veth pair (whose driver implements
    them), load and BPF_PROG_TEST_RUN errnos."""
    import errno
    out = {}
    subprocess.run(["ip", "link", "add", "nicsimk0", "type", "veth", "peer", "name", "nicsimk1"], check=True)
    try:
        veth = int(open("/sys/class/net/nicsimk0/ifindex").read())
        for r in rows:
            if not r["name"].startswith("bpf_xdp_metadata_"):
                continue
            res = {}
            for dev, ifindex in (("lo", 1), ("veth", veth)):
                for mode, flags in (("dev_bound", BPF_F_XDP_DEV_BOUND_ONLY), ("offload", 0)):
                    fd = load_bound(r["btf_id"], ifindex, flags)
                    e = {"load": "ok" if fd >= 0 else errno.errorcode[-fd]}
                    if fd >= 0:
                        err = bpfsys.prog_test_run(fd, bytes(64))[0]
                        e["test_run"] = "ok" if err == 0 else errno.errorcode[-err]
                        bpfsys.close(fd)
                    res[f"{dev}_{mode}"] = e
            out[r["name"]] = res
    finally:
        subprocess.run(["ip", "link", "del", "nicsimk0"], check=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--print", action="store_true")
    args = ap.parse_args()
    vm_text = dump("/sys/kernel/btf/vmlinux")
    vm = parse_raw(vm_text)
    rows = kfuncs_of(vm, "vmlinux", set(vm))
    modules = []
    for mod in sorted(os.listdir("/sys/kernel/btf")):
        if mod == "vmlinux":
            continue
        text = subprocess.run(["bpftool", "btf", "dump", "file", f"/sys/kernel/btf/{mod}", "base",
                               "/sys/kernel/btf/vmlinux", "format", "raw"], check=True, capture_output=True,
                              text=True).stdout
        mt = parse_raw(text, vm)
        own = set(mt) - set(vm)
        found = kfuncs_of(mt, mod, own)
        if found:
            modules.append(mod)
            rows += found  # module kfuncs need the module's BTF fd in fd_array: not probed (none here)
    for r in rows:
        if r["btf"] != "vmlinux":
            r["xdp"] = None
            continue
        fd, msg = probe(r["btf_id"])
        r["xdp"] = not re.match(r"calling kernel function .* is not allowed", msg)
        r["kernel_message"] = msg if fd < 0 else None
        r["flags"] = FLAGS.get(r["name"]) if r["xdp"] else None
        if r["xdp"] and r["flags"] is None:
            sys.exit(f"{r['name']} is allowed in XDP but has no entry in FLAGS: read its BTF_ID_FLAGS line")
    rows.sort(key=lambda r: r["name"])
    absent = sorted(n for n in ("bpf_xdp_flow_lookup",) if n not in {r["name"] for r in rows})
    doc = {
        "kernel": os.uname().release,
        "recorded_by": "test/kernel/record-kfuncs.py",
        "module_btfs_with_kfuncs": modules,
        "absent": {n: "not in this kernel's BTF (built without the option that provides it)" for n in absent},
        "metadata_dev_bound": dev_bound(rows),
        "kfuncs": rows,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if args.print:
        sys.stdout.write(text)
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(text)
    n = sum(1 for r in rows if r["xdp"])
    print(f"{OUT}: {len(rows)} kfuncs, {n} callable from XDP")


if __name__ == "__main__":
    main()
