// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Packet parser with per-protocol counters.
 *
 * Walks Ethernet, up to two VLAN tags (802.1Q / 802.1ad), IPv4 (options, fragments) and IPv6 with up to
 * six extension headers, then counts the packet in a per-CPU array indexed by protocol class, and the
 * ethertype in a hash map. Malformed (truncated) packets are counted and dropped; everything else passes.
 */
#include "common.h"

enum proto_class {
	CLS_OTHER_L2 = 0,
	CLS_ARP,
	CLS_IPV4_TCP,
	CLS_IPV4_UDP,
	CLS_IPV4_ICMP,
	CLS_IPV4_OTHER,
	CLS_IPV4_FRAGMENT,
	CLS_IPV6_TCP,
	CLS_IPV6_UDP,
	CLS_IPV6_ICMP,
	CLS_IPV6_OTHER,
	CLS_IPV6_FRAGMENT,
	CLS_MALFORMED,
	CLS_MAX = 16,
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CLS_MAX);
	__type(key, __u32);
	__type(value, struct counter);
} proto_stats SEC(".maps");

/* Outermost ethertype after VLAN tags (network byte order) -> packets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u64);
} ethertypes SEC(".maps");

/* Number of VLAN tags (0, 1, 2) and IPv6 extension headers seen, indexed by count. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} depth_hist SEC(".maps");

static __always_inline void count_depth(__u32 depth)
{
	__u64 *v = bpf_map_lookup_elem(&depth_hist, &depth);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline int ipv6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT;
}

static __always_inline __u32 classify_ipv4(struct cursor *c)
{
	struct iphdr *iph = CURSOR_TAKE(c, struct iphdr);
	__u32 hlen;

	if (!iph || iph->ihl < 5)
		return CLS_MALFORMED;
	hlen = iph->ihl * 4;
	if (c->pos + (hlen - sizeof(*iph)) > c->end)
		return CLS_MALFORMED;
	c->pos += hlen - sizeof(*iph);
	if (iph->frag_off & bpf_htons(0x1fff))
		return CLS_IPV4_FRAGMENT;

	switch (iph->protocol) {
	case IPPROTO_TCP:
		return CURSOR_TAKE(c, struct tcphdr) ? CLS_IPV4_TCP : CLS_MALFORMED;
	case IPPROTO_UDP:
		return CURSOR_TAKE(c, struct udphdr) ? CLS_IPV4_UDP : CLS_MALFORMED;
	case IPPROTO_ICMP:
		return CURSOR_TAKE(c, struct icmphdr) ? CLS_IPV4_ICMP : CLS_MALFORMED;
	}
	return CLS_IPV4_OTHER;
}

static __always_inline __u32 classify_ipv6(struct cursor *c)
{
	struct ipv6hdr *ip6h = CURSOR_TAKE(c, struct ipv6hdr);
	__u8 nh;
	int i;

	if (!ip6h)
		return CLS_MALFORMED;
	nh = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < 6; i++) {
		struct ipv6_opt_hdr *opt;

		if (!ipv6_is_ext(nh))
			break;
		opt = CURSOR_TAKE(c, struct ipv6_opt_hdr);
		if (!opt)
			return CLS_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			struct frag_hdr {
				__u8 nexthdr, reserved;
				__be16 frag_off;
				__be32 id;
			} *fh = (void *)opt;

			if ((void *)(fh + 1) > c->end)
				return CLS_MALFORMED;
			if (fh->frag_off & bpf_htons(0xfff8))
				return CLS_IPV6_FRAGMENT;
			c->pos = fh + 1;
		} else {
			__u32 len = (opt->hdrlen + 1) * 8;

			if ((void *)opt + len > c->end)
				return CLS_MALFORMED;
			c->pos = (void *)opt + len;
		}
		nh = opt->nexthdr;
		count_depth(4 + (i < 3 ? i : 3));
	}

	switch (nh) {
	case IPPROTO_TCP:
		return CURSOR_TAKE(c, struct tcphdr) ? CLS_IPV6_TCP : CLS_MALFORMED;
	case IPPROTO_UDP:
		return CURSOR_TAKE(c, struct udphdr) ? CLS_IPV6_UDP : CLS_MALFORMED;
	case IPPROTO_ICMPV6:
		return CURSOR_TAKE(c, struct icmp6hdr) ? CLS_IPV6_ICMP : CLS_MALFORMED;
	}
	return CLS_IPV6_OTHER;
}

SEC("xdp")
int count_protocols(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct counter *cnt;
	__u64 *seen, one = 1;
	__u32 cls = CLS_OTHER_L2, tags = 0;
	__u16 proto;
	int i;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth) {
		cls = CLS_MALFORMED;
		goto out;
	}
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh;

		if (!is_vlan(proto))
			break;
		vh = CURSOR_TAKE(&c, struct vlan_hdr);
		if (!vh) {
			cls = CLS_MALFORMED;
			goto out;
		}
		proto = vh->encap_proto;
		tags++;
	}
	count_depth(tags);

	seen = bpf_map_lookup_elem(&ethertypes, &proto);
	if (seen)
		__sync_fetch_and_add(seen, 1);
	else
		bpf_map_update_elem(&ethertypes, &proto, &one, BPF_NOEXIST);

	if (proto == bpf_htons(ETH_P_IP))
		cls = classify_ipv4(&c);
	else if (proto == bpf_htons(ETH_P_IPV6))
		cls = classify_ipv6(&c);
	else if (proto == bpf_htons(ETH_P_ARP))
		cls = CLS_ARP;

out:
	cnt = bpf_map_lookup_elem(&proto_stats, &cls);
	if (cnt) {
		cnt->packets++;
		cnt->bytes += bpf_xdp_get_buff_len(ctx);
	}
	return cls == CLS_MALFORMED ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
