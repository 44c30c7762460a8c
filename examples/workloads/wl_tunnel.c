// SPDX-License-Identifier: GPL-2.0 OR MIT
/* IP-in-IP encapsulator, as the kernel's xdp_tx_iptunnel sample is described: TCP and UDP packets
 * to a virtual IP and port listed in a hash map are wrapped in an outer IPv4 header (protocol 4)
 * towards the tunnel endpoint the map names, get the endpoint's next-hop MAC, and go back out of the
 * port (XDP_TX). Packets per inner protocol are counted; everything else passes. */
#include "../common.h"

struct vip {
	__be32 daddr;
	__be16 dport;
	__u8 protocol;
	__u8 pad;
};

struct tunnel {
	__be32 saddr;
	__be32 daddr;
	__u8 dmac[ETH_ALEN];
	__u8 pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct vip);
	__type(value, struct tunnel);
} vip2tnl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} rxcnt SEC(".maps");

SEC("xdp")
int wl_tunnel(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct vip key = {};
	struct tunnel *tnl;
	__u16 *ports;
	__u32 proto;
	__u64 *cnt;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > data_end)
		return XDP_PASS;
	key.daddr = ip->daddr;
	key.dport = ports[1];
	key.protocol = ip->protocol;
	tnl = bpf_map_lookup_elem(&vip2tnl, &key);
	if (!tnl)
		return XDP_PASS;
	proto = ip->protocol;
	cnt = bpf_map_lookup_elem(&rxcnt, &proto);
	if (cnt)
		*cnt += 1;

	__u16 inner_len = bpf_ntohs(ip->tot_len);
	__u8 smac[ETH_ALEN];
	__builtin_memcpy(smac, eth->h_dest, ETH_ALEN);
	struct tunnel t = *tnl;

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	struct iphdr *outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, t.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 8;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = t.saddr;
	outer->daddr = t.daddr;
	outer->check = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0));
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
