"""Case lists for record-examples.py: which packets, map contents and tail-call slots each example runs with.

One function per example, each returning a list of case dicts (see `case`). Map updates are written in the
fixture's "<map>:<keyhex>:<valuehex>" form with the small encoders below; `GlobalPatch` describes an update of
an internal map (.data/.bss) by variable name, resolved by the recorder once the object is loaded.
"""
import ipaddress
import struct

# --------------------------------------------------------------------------------------------- values
def u8(v): return struct.pack("<B", v)
def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)
def be16(v): return struct.pack(">H", v)
def ip4(s): return bytes(int(x) for x in s.split("."))


def ip6(s):
    return ipaddress.IPv6Address(s).packed


def mac(s): return bytes.fromhex(s.replace(":", ""))


def mu(map_name, key: bytes, value: bytes):
    """A map update in the fixture's "<map>:<keyhex>:<valuehex>" form."""
    return f"{map_name}:{key.hex()}:{value.hex()}"


class GlobalPatch:
    """A map update of an internal map (.data/.bss) built from its initial contents with some
    variables replaced; resolved once the object is loaded (symbol offsets from llvm-objdump -t)."""

    def __init__(self, section, **fields):
        self.section = section
        self.fields = fields


def case(name, program, packet, repeat=1, map_updates=(), tail_calls=(), before=(), mask=None, map_fills=()):
    c = {"name": name, "program": program, "packet": packet, "repeat": repeat,
         "map_updates": list(map_updates), "tail_calls": list(tail_calls), "before": list(before)}
    if map_fills:
        c["map_fills"] = list(map_fills)
    if mask:
        c["mask"] = mask
    return c


# ------------------------------------------------------------------------------------------ the cases
def cases_count(pk):
    out = [case(f"all_{p}", "count_protocols", p) for p in pk]
    out.append(case("repeat3_ipv4_tcp_syn", "count_protocols", "ipv4_tcp_syn", repeat=3))
    out.append(case("before_twice_ipv6_ext_chain", "count_protocols", "ipv6_ext_chain_icmpv6",
                    before=["count_protocols", "count_protocols"]))
    out.append(case("seeded_ethertype_counter", "count_protocols", "ipv4_udp_dns",
                    map_updates=[mu("ethertypes", be16(0x0800), u64(41))]))
    return out


def cases_firewall(pk):
    def lpm4(prefix, plen): return u32(plen) + ip4(prefix)
    def lpm6(prefix, plen): return u32(plen) + ip6(prefix)
    def rule(action, rid): return u32(action) + u32(rid)
    def port(proto, p): return u32((proto << 16) | p)

    rules = [mu("rules_v4", lpm4("10.0.0.0", 8), rule(1, 1)),
             mu("rules_v4", lpm4("192.0.2.0", 24), rule(0, 2)),
             mu("rules_v4", lpm4("203.0.113.0", 24), rule(1, 3)),
             mu("rules_v6", lpm6("2001:db8:bad::", 48), rule(1, 10)),
             mu("rules_v6", lpm6("2001:db8::", 32), rule(0, 11)),
             mu("blocked_ports", port(6, 23), u32(1)),
             mu("blocked_ports", port(17, 53), u32(1))]
    hole = rules + [mu("rules_v4", lpm4("10.66.0.0", 16), rule(0, 4))]
    out = [case("norules_ipv4_tcp_syn", "firewall", "ipv4_tcp_syn"),
           case("norules_ipv6_tcp_blocked", "firewall", "ipv6_tcp_blocked")]
    for p in ["ipv4_tcp_syn", "ipv4_tcp_http", "ipv4_tcp_ssh_blocked", "ipv4_tcp_telnet", "ipv4_udp_dns",
              "ipv4_udp_echo", "ipv4_frag_later", "ipv4_options_udp", "ipv4_icmp_echo", "ipv6_tcp_syn",
              "ipv6_tcp_blocked", "ipv6_udp_echo", "ipv6_hbh_udp", "vlan_ipv4_udp", "qinq_ipv4_tcp",
              "arp_request", "ipv4_trunc_l3", "ipv4_tcp_trunc_l4", "ipv6_trunc_l3", "ipv6_udp_trunc_l4",
              "ipip_ipv4_udp", "runt_10"]:
        out.append(case(f"rules_{p}", "firewall", p, map_updates=rules))
    out.append(case("rules_repeat4_ipv4_tcp_syn", "firewall", "ipv4_tcp_syn", repeat=4, map_updates=rules))
    out.append(case("hole_ipv4_tcp_ssh_blocked", "firewall", "ipv4_tcp_ssh_blocked", map_updates=hole))
    out.append(case("hole_before_ipv4_tcp_ssh", "firewall", "ipv4_tcp_ssh_blocked", map_updates=hole,
                    before=["firewall"]))
    return out


LB_REALS = {1: ("10.0.1.1", "02:00:00:00:01:01"), 2: ("10.0.1.2", "02:00:00:00:01:02"),
            3: ("10.0.1.3", "02:00:00:00:01:03")}


def lb_setup(with_udp=True, ring=True):
    def vip(addr, port, proto): return ip4(addr) + be16(port) + u8(proto) + u8(0)
    ups = [mu("vips", vip("198.51.100.10", 80, 6), u32(0) + u32(0))]
    if with_udp:
        ups.append(mu("vips", vip("198.51.100.10", 80, 17), u32(1) + u32(0)))
    for idx, (addr, m) in LB_REALS.items():
        ups.append(mu("reals", u32(idx), ip4(addr) + mac(m) + u16(0)))
    if ring:
        for slot in range(8):
            ups.append(mu("ring", u32(slot), u32(1 + slot % 3)))      # VIP 0: reals 1, 2, 3
            ups.append(mu("ring", u32(8 + slot), u32(3)))             # VIP 1: real 3
    return ups


def cases_l4lb(pk):
    base = lb_setup()
    out = []
    for p in ["ipv4_tcp_syn", "ipv4_tcp_http", "ipv4_tcp_syn_c3", "ipv4_udp_vip", "ipv4_udp_dns",
              "ipv4_tcp_telnet", "ipv6_tcp_syn", "arp_request", "ipv4_tcp_trunc_l4", "ipv4_frag_first",
              "ipv4_icmp_echo", "ipv4_options_udp", "ipv4_tcp_ack_padded", "vlan_ipv4_udp", "runt_10"]:
        out.append(case(f"lb_{p}", "l4lb", p, map_updates=base))
    out.append(case("novips_ipv4_tcp_syn", "l4lb", "ipv4_tcp_syn"))
    out.append(case("noring_ipv4_tcp_syn", "l4lb", "ipv4_tcp_syn", map_updates=lb_setup(ring=False)))
    flow = (ip4("192.0.2.1") + ip4("198.51.100.10") + be16(40000) + be16(80) + u8(6) + bytes(3))
    out.append(case("pinned_flow_ipv4_tcp_syn", "l4lb", "ipv4_tcp_syn",
                    map_updates=base + [mu("flows", flow, u32(3) + u32(10))]))
    out.append(case("before_ipv4_tcp_http", "l4lb", "ipv4_tcp_http", map_updates=base, before=["l4lb"]))
    out.append(case("repeat3_ipv4_tcp_syn", "l4lb", "ipv4_tcp_syn", repeat=3, map_updates=base))
    out.append(case("rst_without_flow", "l4lb", "ipv4_tcp_rst", map_updates=base))
    out.append(case("rst_deletes_pinned_flow", "l4lb", "ipv4_tcp_rst",
                    map_updates=base + [mu("flows", flow, u32(3) + u32(10))]))
    return out


RL_MASK = [{"map": "buckets_v4", "offset": 8, "length": 8,
            "reason": "bucket.last_ns holds bpf_ktime_get_ns() of the packet that created the bucket"},
           {"map": "buckets_v6", "offset": 8, "length": 8,
            "reason": "bucket.last_ns holds bpf_ktime_get_boot_ns() of the packet that created the bucket"}]


def cases_ratelimit(pk):
    out = []
    for p in ["ipv4_tcp_syn", "ipv4_udp_dns", "ipv4_icmp_echo", "ipv6_tcp_syn", "ipv6_udp_echo",
              "ipv6_icmpv6_echo", "arp_request", "vlan_ipv4_udp", "ipv4_trunc_l3", "ipv6_trunc_l3",
              "ipv4_options_udp", "runt_10"]:
        out.append(case(f"one_{p}", "ratelimit", p, mask=RL_MASK))
    for n in (4, 5, 8):
        out.append(case(f"repeat{n}_ipv4_tcp_syn", "ratelimit", "ipv4_tcp_syn", repeat=n, mask=RL_MASK))
    out.append(case("repeat6_ipv6_udp_echo", "ratelimit", "ipv6_udp_echo", repeat=6, mask=RL_MASK))
    out.append(case("before3_repeat2_ipv4_udp_dns", "ratelimit", "ipv4_udp_dns", repeat=2,
                    before=["ratelimit"] * 3, mask=RL_MASK))
    return out


def cases_vlan(pk):
    out = []
    for p in ["vlan_ipv4_udp", "qinq_ipv4_tcp", "vlan_ipv6_icmpv6", "vlan_arp", "ipv4_tcp_syn", "eth_only",
              "runt_10"]:
        out.append(case(f"pop_{p}", "vlan_pop", p))
    out.append(case("pop_repeat2_qinq_ipv4_tcp", "vlan_pop", "qinq_ipv4_tcp", repeat=2))
    cfg_q = mu("push_cfg", u32(0), u16(0x8100) + u16(42) + u8(5) + bytes(3))
    cfg_ad = mu("push_cfg", u32(0), u16(0x88A8) + u16(1000) + u8(0) + bytes(3))
    out.append(case("push_unconfigured_ipv4_tcp_syn", "vlan_push", "ipv4_tcp_syn"))
    for p in ["ipv4_tcp_syn", "ipv6_icmpv6_echo", "arp_request", "eth_only", "ipv4_udp_1514"]:
        out.append(case(f"push_vid42_{p}", "vlan_push", p, map_updates=[cfg_q]))
    out.append(case("push_vid42_vlan_ipv4_udp", "vlan_push", "vlan_ipv4_udp", map_updates=[cfg_q]))
    out.append(case("push_qinq_vlan_ipv4_udp", "vlan_push", "vlan_ipv4_udp", map_updates=[cfg_ad]))
    out.append(case("push_repeat3_ipv4_udp_echo", "vlan_push", "ipv4_udp_echo", repeat=3, map_updates=[cfg_q]))
    out.append(case("push_then_pop_before", "vlan_pop", "ipv4_udp_dns", map_updates=[cfg_q],
                    before=["vlan_push"]))
    xlate = [mu("vid_map", u16(100), u16(200)), mu("vid_map", u16(300), u16(301))]
    for p in ["vlan_ipv4_udp", "qinq_ipv4_tcp", "vlan_ipv6_icmpv6", "vlan_arp", "ipv4_tcp_syn"]:
        out.append(case(f"translate_{p}", "vlan_translate", p, map_updates=xlate))
    out.append(case("translate_empty_vlan_ipv4_udp", "vlan_translate", "vlan_ipv4_udp"))
    return out


def cases_echo(pk):
    out = []
    for p in ["ipv4_icmp_echo", "ipv4_icmp_echo_big", "ipv4_udp_echo", "ipv4_udp_padded", "ipv6_udp_echo",
              "ipv6_icmpv6_echo", "ipv4_options_udp", "ipv4_tcp_syn", "ipv4_udp_dns", "ipv4_icmp_unreach",
              "ipv6_icmpv6_ns", "ipv6_hbh_udp", "vlan_ipv4_udp", "ipv4_trunc_l3", "ipv6_udp_trunc_l4",
              "ipv4_frag_first", "arp_request", "runt_10"]:
        out.append(case(f"echo_{p}", "echo_responder", p))
    out.append(case("repeat2_ipv4_icmp_echo", "echo_responder", "ipv4_icmp_echo", repeat=2))
    out.append(case("repeat3_ipv6_icmpv6_echo", "echo_responder", "ipv6_icmpv6_echo", repeat=3))
    return out


def cases_redirect(pk):
    nic = mac("02:00:00:00:00:02") + u16(0)
    macs = [mu("mac_table", nic, u32(1)), mu("mac_table", mac("02:00:00:00:00:01") + u16(0), u32(5))]
    ports = [mu("tx_ports", u32(1), u32(1))]   # port 1 -> ifindex 1 (lo)
    out = []
    for p in ["ipv4_tcp_syn", "ipv6_udp_echo", "arp_request", "eth_only"]:
        out.append(case(f"devmap_{p}", "redirect_devmap", p, map_updates=macs + ports))
    out.append(case("devmap_noport_ipv4_tcp_syn", "redirect_devmap", "ipv4_tcp_syn", map_updates=macs))
    out.append(case("devmap_nomac_ipv4_tcp_syn", "redirect_devmap", "ipv4_tcp_syn", map_updates=ports))
    out.append(case("devmap_repeat3_ipv4_tcp_syn", "redirect_devmap", "ipv4_tcp_syn", repeat=3,
                    map_updates=macs + ports))
    vl = [mu("vlan_ports", u32(100), u32(1))]
    for p in ["vlan_ipv4_udp", "vlan_ipv6_icmpv6", "qinq_ipv4_tcp", "ipv4_tcp_syn", "vlan_arp"]:
        out.append(case(f"vlan_{p}", "redirect_vlan", p, map_updates=vl))
    cpus = [mu("cpu_map", u32(0), u32(192)), mu("cpu_map", u32(1), u32(192))]
    for p in ["ipv4_udp_dns", "ipv6_tcp_syn", "arp_request"]:
        out.append(case(f"cpu_{p}", "redirect_cpu", p, map_updates=cpus))
    out.append(case("cpu_empty_ipv4_udp_dns", "redirect_cpu", "ipv4_udp_dns"))
    eg = [mu("egress_cfg", u32(0), u32(1) + bytes(12))]
    out.append(case("ifindex_ipv4_tcp_syn", "redirect_ifindex", "ipv4_tcp_syn", map_updates=eg))
    out.append(case("ifindex_unset_ipv4_tcp_syn", "redirect_ifindex", "ipv4_tcp_syn"))
    out.append(case("ifindex_repeat3_eth_only", "redirect_ifindex", "eth_only", repeat=3, map_updates=eg))
    out.append(case("ifindex_runt", "redirect_ifindex", "runt_10", map_updates=eg))
    return out


def cases_tailcall(pk):
    full = ["jmp_table:0:handle_ipv4", "jmp_table:1:handle_ipv6", "jmp_table:2:handle_arp",
            "jmp_table:3:handle_other", "jmp_table:4:handle_tcp"]
    out = []
    for p in ["ipv4_tcp_syn", "ipv4_udp_dns", "ipv4_icmp_echo", "ipv6_icmpv6_echo", "ipv6_tcp_syn",
              "arp_request", "vlan_arp", "eth_unknown_padded", "vlan_ipv4_udp", "qinq_ipv4_tcp",
              "ipv4_tcp_http", "ipv4_trunc_l3", "ipv4_tcp_trunc_l4", "ipv6_trunc_l3", "eth_only", "runt_10"]:
        out.append(case(f"full_{p}", "dispatcher", p, tail_calls=full))
    out.append(case("empty_ipv4_tcp_syn", "dispatcher", "ipv4_tcp_syn"))
    out.append(case("empty_arp_request", "dispatcher", "arp_request"))
    out.append(case("ipv4only_ipv4_tcp_syn", "dispatcher", "ipv4_tcp_syn", tail_calls=full[:1]))
    out.append(case("full_repeat2_ipv4_udp_dns", "dispatcher", "ipv4_udp_dns", repeat=2, tail_calls=full))
    out.append(case("full_repeat2_ipv4_tcp_syn", "dispatcher", "ipv4_tcp_syn", repeat=2, tail_calls=full))
    out.append(case("direct_handle_ipv4_nometa", "handle_ipv4", "ipv4_udp_dns", tail_calls=full))
    out.append(case("swapped_slots_ipv6_tcp_syn", "dispatcher", "ipv6_tcp_syn",
                    tail_calls=["jmp_table:1:handle_other", "jmp_table:3:handle_ipv6"]))
    return out


def cases_subprog(pk):
    out = []
    for p in ["ipv4_tcp_syn", "ipv4_udp_dns", "ipv4_icmp_echo", "ipv4_sctp", "ipv4_options_udp", "ipv6_tcp_syn",
              "ipv6_hbh_udp", "ipv6_routing_tcp", "ipv6_frag_udp", "ipv6_ext_chain_icmpv6", "vlan_ipv4_udp",
              "qinq_ipv4_tcp", "vlan_ipv6_icmpv6", "ipv6_trunc_l3", "ipv4_tcp_trunc_l4", "arp_request",
              "eth_only", "ipv4_udp_1514", "ipv4_udp_padded", "runt_10"]:
        out.append(case(f"summary_{p}", "flow_summary", p))
    out.append(case("repeat3_ipv6_routing_tcp", "flow_summary", "ipv6_routing_tcp", repeat=3))
    return out


def cases_globals(pk):
    out = []
    for p in ["ipv4_tcp_syn", "ipv4_tcp_telnet", "ipv4_udp_dns", "ipv4_udp_echo", "ipv6_tcp_syn", "ipv4_icmp_echo",
              "arp_request", "eth_unknown_padded", "ipv4_udp_1514", "ipv4_udp_jumbo_3000", "ipv4_trunc_l3",
              "ipv6_udp_trunc_l4", "runt_10"]:
        out.append(case(f"guard_{p}", "guard", p))
    out.append(case("guard_repeat5_ipv4_udp_echo", "guard", "ipv4_udp_echo", repeat=5))
    out.append(case("tune_only", "tune", "ipv4_tcp_syn"))
    out.append(case("tune_then_guard", "guard", "ipv4_tcp_syn", before=["tune", "tune"]))
    out.append(case("allow_echo_port", "guard", "ipv4_udp_echo",
                    map_updates=[GlobalPatch(".data", allowed_ports=u16(22) + u16(53) + u16(80) + u16(7),
                                             drop_budget=u64(1))]))
    out.append(case("bss_seeded_counters", "guard", "ipv4_tcp_syn",
                    map_updates=[GlobalPatch(".bss", total_packets=u64(1000), dropped=u32(7))]))
    return out


def cases_adjust(pk):
    out = []
    for p in ["ipv4_udp_1514", "ipv4_tcp_syn", "ipv4_tcp_http", "ipv4_udp_jumbo_3000", "eth_only", "runt_10"]:
        out.append(case(f"trim_{p}", "tail_trim", p))
    out.append(case("trim_snap100_ipv4_icmp_echo_big", "tail_trim", "ipv4_icmp_echo_big",
                    map_updates=[mu("snap_len", u32(0), u32(100))]))
    out.append(case("trim_snap14_ipv4_tcp_http", "tail_trim", "ipv4_tcp_http",
                    map_updates=[mu("snap_len", u32(0), u32(14))]))
    for p in ["ipv4_tcp_syn", "eth_only", "ipv4_udp_1514", "ipv4_udp_jumbo_3000", "ipv6_icmpv6_echo"]:
        out.append(case(f"grow_{p}", "tail_grow", p))
    out.append(case("grow_repeat3_ipv4_udp_dns", "tail_grow", "ipv4_udp_dns", repeat=3))
    out.append(case("grow_before_trim_ipv4_udp_1514", "tail_grow", "ipv4_udp_1514", before=["tail_trim"]))
    for p in ["ipv4_tcp_syn", "ipv6_udp_echo", "arp_request", "eth_only"]:
        out.append(case(f"meta_{p}", "meta_mark", p))
    out.append(case("meta_repeat2_ipv4_tcp_syn", "meta_mark", "ipv4_tcp_syn", repeat=2))
    for p in ["ipv4_tcp_syn", "eth_only", "ipv4_udp_1514"]:
        out.append(case(f"headpad_{p}", "head_pad", p))
    for p in ["eth_only", "ipv4_tcp_syn", "ipv4_udp_1514", "ipv4_udp_jumbo_3000", "ipv4_udp_3520", "ipv4_udp_3521",
              "ipv4_udp_jumbo_9000"]:
        out.append(case(f"limits_{p}", "probe_limits", p))
    out.append(case("grow_ipv4_udp_3520", "tail_grow", "ipv4_udp_3520"))
    return out


def cases_decap(pk):
    ep = [mu("endpoints", ip4("10.2.2.2"), u32(1))]
    out = []
    for p in ["ipip_ipv4_udp", "gre_ipv4_tcp", "vxlan_ipv4_icmp", "sit_ipv6_udp", "ipv4_udp_dns", "ipv4_tcp_syn",
              "ipv6_udp_echo", "ipv4_trunc_l3", "arp_request"]:
        out.append(case(f"local_{p}", "decap", p, map_updates=ep))
    for p in ["ipip_ipv4_udp", "vxlan_ipv4_icmp", "gre_ipv4_tcp"]:
        out.append(case(f"foreign_{p}", "decap", p))
    out.append(case("local_repeat2_vxlan_ipv4_icmp", "decap", "vxlan_ipv4_icmp", repeat=2, map_updates=ep))
    out.append(case("local_before_ipip", "decap", "ipip_ipv4_udp", map_updates=ep, before=["decap"]))
    return out


def cases_frags(pk):
    out = []
    for p in ["ipv4_tcp_syn", "eth_only", "ipv4_udp_1514", "ipv4_udp_jumbo_3000", "ipv4_udp_3520", "ipv4_udp_3521",
              "ipv4_udp_jumbo_9000", "runt_10"]:
        out.append(case(f"inspect_{p}", "frag_inspect", p))
    for p in ["ipv4_tcp_syn", "ipv4_udp_1514", "ipv4_udp_jumbo_3000", "ipv4_udp_3521", "ipv4_udp_jumbo_9000"]:
        out.append(case(f"trim_{p}", "frag_trim", p))
    return out


# xdp_balancer: katran's geometry (65,537 ring slots per VIP), VIPs and reals set by map updates,
# the rings filled by map_fills (BPF_MAP_UPDATE_BATCH in the kernel, --map-fill in nicsim).
BAL_RING = 65537


def bal_vip(addr, port, proto):
    a = ip6(addr) if ":" in addr else ip4(addr) + bytes(12)
    return a + be16(port) + u8(proto) + u8(0)


def bal_real(addr):
    return (ip6(addr) + u8(1) if ":" in addr else ip4(addr) + bytes(12) + u8(0)) + bytes(3)


def bal_ring(vip_num, reals):
    return f"ch_rings:{vip_num * BAL_RING}:{BAL_RING}:" + ",".join(u32(r).hex() for r in reals)


def bal_setup(vips=True, rings=True):
    ups = [mu("ctl", u32(0), mac("02:00:00:00:00:fe") + bytes(2))]
    for idx, addr in {1: "10.0.1.1", 2: "10.0.1.2", 3: "2001:db8:f::3", 4: "2001:db8:f::4", 5: "10.0.1.5"}.items():
        ups.append(mu("reals", u32(idx), bal_real(addr)))
    if vips:
        ups += [mu("vips", bal_vip("198.51.100.10", 80, 6), u32(0) + u32(0)),      # IPIP to reals 1, 2
                mu("vips", bal_vip("198.51.100.10", 80, 17), u32(0) + u32(1)),     # 4-in-6 to real 3
                mu("vips", bal_vip("2001:db8:2::10", 443, 6), u32(0) + u32(2)),    # IP6IP6 to reals 3, 4
                mu("vips", bal_vip("2001:db8:2::10", 0, 17), u32(1) + u32(3)),     # any UDP port, no source port:
                mu("vips", bal_vip("198.51.100.10", 23, 6), u32(0) + u32(4))]      #   its real is IPv4 (encap fails);
    # VIP 4 has no ring (dropped)
    fills = [bal_ring(0, [1, 2]), bal_ring(1, [3]), bal_ring(2, [3, 4]), bal_ring(3, [5])] if rings else []
    return ups, fills


def cases_balancer(pk):
    ups, fills = bal_setup()
    ring = {0: fills[0], 1: fills[1], 2: fills[2], 3: fills[3]}
    out = []
    # packets that reach a VIP's ring: every VIP and real configured, the ring of the packet's VIP
    # filled (65,537 slots; filling all four for every case only makes the cases slower)
    for p, vip in [("ipv4_tcp_syn", 0), ("ipv4_tcp_http", 0), ("ipv4_tcp_syn_c3", 0), ("ipv4_tcp_rst", 0),
                   ("ipv4_tcp_ack_padded", 0), ("ipv4_udp_vip", 1), ("ipv6_tcp_syn", 2), ("ipv6_udp_echo", 3)]:
        out.append(case(f"bal_{p}", "balancer", p, map_updates=ups, map_fills=[ring[vip]]))
    out.append(case("bal_all_rings_ipv4_tcp_syn", "balancer", "ipv4_tcp_syn", map_updates=ups, map_fills=fills))
    # VIP 4 (telnet) has no ring; packets that never reach a VIP (not IP, not TCP/UDP, fragments,
    # truncated, no VIP) need no ring either
    for p in ["ipv4_tcp_telnet", "ipv4_udp_dns", "vlan_ipv4_udp", "arp_request", "ipv4_frag_first", "ipv4_icmp_echo",
              "ipv6_icmpv6_echo", "ipv4_tcp_trunc_l4", "ipv6_udp_trunc_l4", "runt_10"]:
        out.append(case(f"bal_{p}", "balancer", p, map_updates=ups))
    out.append(case("novips_ipv4_tcp_syn", "balancer", "ipv4_tcp_syn", map_updates=bal_setup(vips=False)[0]))
    out.append(case("norings_ipv4_tcp_http", "balancer", "ipv4_tcp_http", map_updates=bal_setup(rings=False)[0]))
    flow = ip4("203.0.113.7") + bytes(12) + ip4("198.51.100.10") + bytes(12) + be16(51000) + be16(80) + u8(6) + bytes(3)
    out.append(case("pinned_flow_ipv4_tcp_http", "balancer", "ipv4_tcp_http",
                    map_updates=ups + [mu("flows", flow, u32(5) + u32(0) + u64(41))], map_fills=[ring[0]]))
    out.append(case("before_ipv4_tcp_http", "balancer", "ipv4_tcp_http", map_updates=ups, map_fills=[ring[0]],
                    before=["balancer"]))
    out.append(case("repeat3_ipv6_tcp_syn", "balancer", "ipv6_tcp_syn", repeat=3, map_updates=ups, map_fills=[ring[2]]))
    return out


CASES = {
    "xdp_count": cases_count,
    "xdp_firewall": cases_firewall,
    "xdp_l4lb": cases_l4lb,
    "xdp_ratelimit": cases_ratelimit,
    "xdp_vlan": cases_vlan,
    "xdp_echo": cases_echo,
    "xdp_redirect": cases_redirect,
    "xdp_tailcall": cases_tailcall,
    "xdp_subprog": cases_subprog,
    "xdp_globals": cases_globals,
    "xdp_adjust": cases_adjust,
    "xdp_decap": cases_decap,
    "xdp_frags": cases_frags,
    "xdp_balancer": cases_balancer,
}
