// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Global variables instead of maps: `.rodata` configuration, `.data` tables, `.bss` state.
 *
 * `const volatile` values are set by the loader before load (here: their defaults) and are read-only
 * for the program; the verifier knows their values. `.data` holds initialised, writable globals
 * (a port allow-list and a drop budget); `.bss` zero-initialised counters and the last packet seen.
 *
 * guard    passes ARP and IPv4/IPv6 TCP/UDP to allowed ports, drops frames longer than max_frame and
 *          traffic to blocked_port (logged with bpf_printk), counts everything in .bss, remembers the
 *          ingress ifindex, the CPU (bpf_get_smp_processor_id) and the source MAC of the last packet.
 * tune     adds 1 to every entry of `port_hits` and spends one unit of `drop_budget`:
 *          a program that only writes .data, to check that two programs share the same globals.
 */
#include "common.h"

const volatile __u16 blocked_port = 23;
const volatile __u32 max_frame = 1518;
const volatile __u8 log_drops = 1;
const volatile __u8 router_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };

__u16 allowed_ports[4] = { 22, 53, 80, 443 };
__u64 port_hits[4] = { 0, 0, 0, 0 };
__s64 drop_budget = 3;
char tag[8] = "nicsim";

__u64 total_packets;
__u64 total_bytes;
__u64 to_router;
__u32 dropped;
__u32 last_ingress_ifindex;
__u32 last_cpu;
__u8 last_src_mac[ETH_ALEN];
__u16 last_dport;

static __always_inline int port_index(__u16 port)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		if (allowed_ports[i] == port)
			return i;
	return -1;
}

static __always_inline int is_router_mac(const __u8 *mac)
{
	int i;

#pragma unroll
	for (i = 0; i < ETH_ALEN; i++)
		if (mac[i] != router_mac[i])
			return 0;
	return 1;
}

static __always_inline int drop(__u16 port)
{
	dropped++;
	if (drop_budget > 0) {
		drop_budget--;
		if (log_drops)
			bpf_printk("guard: drop port %d (%s)", port, tag);
	}
	return XDP_DROP;
}

SEC("xdp")
int guard(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__u8 proto = 0;
	__u16 dport;
	int idx;

	total_packets++;
	total_bytes += ctx->data_end - ctx->data;
	last_ingress_ifindex = ctx->ingress_ifindex;
	last_cpu = bpf_get_smp_processor_id();

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return XDP_DROP;
	__builtin_memcpy(last_src_mac, eth->h_source, ETH_ALEN);
	if (is_router_mac(eth->h_dest))
		to_router++;
	if (ctx->data_end - ctx->data > max_frame)
		return drop(0);

	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = CURSOR_TAKE(&c, struct iphdr);

		if (!iph || iph->ihl != 5)
			return XDP_DROP;
		proto = iph->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = CURSOR_TAKE(&c, struct ipv6hdr);

		if (!ip6h)
			return XDP_DROP;
		proto = ip6h->nexthdr;
	} else {
		return XDP_PASS;
	}
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = CURSOR_TAKE(&c, struct tcphdr);

		if (!th)
			return XDP_DROP;
		dport = bpf_ntohs(th->dest);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(&c, struct udphdr);

		if (!uh)
			return XDP_DROP;
		dport = bpf_ntohs(uh->dest);
	} else {
		return XDP_PASS;
	}
	last_dport = dport;
	if (dport == blocked_port)
		return drop(dport);
	idx = port_index(dport);
	if (idx < 0)
		return drop(dport);
	port_hits[idx & 3]++;
	return XDP_PASS;
}

SEC("xdp")
int tune(struct xdp_md *ctx)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		port_hits[i] += 1;
	if (drop_budget > 0)
		drop_budget--;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
