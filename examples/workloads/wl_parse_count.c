// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The two packet-parsing workloads hXDP measured from the kernel's samples, as their descriptions
 * go: parse Ethernet (with up to two VLAN tags) and the IPv4 or IPv6 header, count the packet per
 * IP protocol number in a per-CPU array, then drop it (wl_xdp1) or swap its MAC addresses and send
 * it back out (wl_xdp2). */
#include "../common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} rxcnt SEC(".maps");

/* The IP protocol number of the packet, or -1 if it is not IP or truncated. */
static __always_inline int ip_protocol(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__be16 proto;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return -1;
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh;

		if (!is_vlan(proto))
			break;
		vh = CURSOR_TAKE(&c, struct vlan_hdr);
		if (!vh)
			return -1;
		proto = vh->encap_proto;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = CURSOR_TAKE(&c, struct iphdr);

		return ip ? ip->protocol : -1;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = CURSOR_TAKE(&c, struct ipv6hdr);

		return ip6 ? ip6->nexthdr : -1;
	}
	return -1;
}

static __always_inline void count(int protocol)
{
	__u32 key = protocol < 0 ? 0 : protocol;
	__u64 *v = bpf_map_lookup_elem(&rxcnt, &key);

	if (v)
		*v += 1;
}

SEC("xdp")
int wl_xdp1(struct xdp_md *ctx)
{
	count(ip_protocol(ctx));
	return XDP_DROP;
}

SEC("xdp")
int wl_xdp2(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];
	int protocol = ip_protocol(ctx);

	count(protocol);
	if (protocol < 0 || (void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
