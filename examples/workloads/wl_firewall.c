// SPDX-License-Identifier: GPL-2.0 OR MIT
/* A simple stateful firewall, as hXDP's simple_firewall is described: TCP and UDP flows opened from
 * the trusted port (ingress ifindex TRUSTED) are recorded by their 5-tuple and forwarded; from the
 * other port only packets of a recorded flow (its reverse 5-tuple) are forwarded, the rest dropped.
 * Forwarding is XDP_TX with the MAC addresses swapped (a bump-in-the-wire test set-up). */
#include "../common.h"

#define TRUSTED 1

struct flow {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u32 protocol;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct flow);
	__type(value, __u64); /* packets seen from the trusted side */
} flows SEC(".maps");

SEC("xdp")
int wl_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct flow f = {};
	__be16 *ports;
	__u8 tmp[ETH_ALEN];

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > data_end)
		return XDP_DROP;
	f.protocol = ip->protocol;
	if (ctx->ingress_ifindex == TRUSTED) {
		f.src = ip->saddr;
		f.dst = ip->daddr;
		f.sport = ports[0];
		f.dport = ports[1];
		__u64 *seen = bpf_map_lookup_elem(&flows, &f);
		if (seen) {
			__sync_fetch_and_add(seen, 1);
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&flows, &f, &one, BPF_NOEXIST);
		}
	} else {
		f.src = ip->daddr;
		f.dst = ip->saddr;
		f.sport = ports[1];
		f.dport = ports[0];
		if (!bpf_map_lookup_elem(&flows, &f))
			return XDP_DROP;
	}
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
