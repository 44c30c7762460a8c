// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Tunnel termination: strips IPIP, 6in4, GRE and VXLAN encapsulations in XDP.
 *
 * Only tunnels addressed to a local endpoint listed in `endpoints` (outer IPv4 destination) are
 * terminated. IPIP / 6in4 / GRE (without checksum, key or sequence) drop the outer IPv4 (+ GRE)
 * header and keep the outer Ethernet addresses; VXLAN drops the outer Ethernet + IPv4 + UDP + VXLAN
 * headers, leaving the inner Ethernet frame, and counts the VNI in `vni_stats`.
 * The decapsulated frame is passed on (XDP_PASS); tunnels to foreign endpoints are dropped, anything
 * that is not a tunnel passes untouched.
 */
#include "common.h"

#define VXLAN_PORT 4789

struct gre_base {
	__be16 flags;
	__be16 proto;
};

struct vxlan_hdr {
	__be32 flags;
	__be32 vni;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __be32);
	__type(value, __u32);
} endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} vni_stats SEC(".maps");

enum { T_IPIP, T_SIT, T_GRE, T_VXLAN, T_FOREIGN, T_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, T_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tunnel_stats SEC(".maps");

static __always_inline void count(__u32 kind)
{
	__u64 *v = bpf_map_lookup_elem(&tunnel_stats, &kind);

	if (v)
		*v += 1;
}

/* Removes `strip` bytes after the Ethernet header, keeping the MACs and using `proto` as ethertype. */
static __always_inline int strip_after_eth(struct xdp_md *ctx, int strip, __be16 proto)
{
	struct ethhdr eth, *neth;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + sizeof(eth) > data_end)
		return XDP_DROP;
	__builtin_memcpy(&eth, data, sizeof(eth));
	eth.h_proto = proto;
	if (bpf_xdp_adjust_head(ctx, strip))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	neth = data;
	if ((void *)(neth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(neth, &eth, sizeof(eth));
	return XDP_PASS;
}

SEC("xdp")
int decap(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	__be32 dst;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = CURSOR_TAKE(&c, struct iphdr);
	if (!iph || iph->ihl != 5)
		return XDP_PASS;
	if (iph->protocol != IPPROTO_IPIP && iph->protocol != IPPROTO_IPV6 &&
	    iph->protocol != IPPROTO_GRE && iph->protocol != IPPROTO_UDP)
		return XDP_PASS;

	dst = iph->daddr;
	if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(&c, struct udphdr);
		struct vxlan_hdr *vx;
		__u64 *cnt, one = 1;
		__u32 vni;

		if (!uh || uh->dest != bpf_htons(VXLAN_PORT))
			return XDP_PASS;
		vx = CURSOR_TAKE(&c, struct vxlan_hdr);
		if (!vx || !(vx->flags & bpf_htonl(0x08000000)))
			return XDP_DROP;
		if (!bpf_map_lookup_elem(&endpoints, &dst)) {
			count(T_FOREIGN);
			return XDP_DROP;
		}
		vni = bpf_ntohl(vx->vni) >> 8;
		cnt = bpf_map_lookup_elem(&vni_stats, &vni);
		if (cnt)
			*cnt += 1;
		else
			bpf_map_update_elem(&vni_stats, &vni, &one, BPF_NOEXIST);
		count(T_VXLAN);
		if (bpf_xdp_adjust_head(ctx, sizeof(struct ethhdr) + sizeof(struct iphdr) +
						     sizeof(struct udphdr) + sizeof(struct vxlan_hdr)))
			return XDP_DROP;
		return XDP_PASS;
	}

	if (!bpf_map_lookup_elem(&endpoints, &dst)) {
		count(T_FOREIGN);
		return XDP_DROP;
	}
	if (iph->protocol == IPPROTO_IPIP) {
		count(T_IPIP);
		return strip_after_eth(ctx, sizeof(struct iphdr), bpf_htons(ETH_P_IP));
	}
	if (iph->protocol == IPPROTO_IPV6) {
		count(T_SIT);
		return strip_after_eth(ctx, sizeof(struct iphdr), bpf_htons(ETH_P_IPV6));
	}
	{
		struct gre_base *gre = CURSOR_TAKE(&c, struct gre_base);
		__be16 inner;

		if (!gre || gre->flags != 0)
			return XDP_DROP;
		inner = gre->proto;
		count(T_GRE);
		return strip_after_eth(ctx, sizeof(struct iphdr) + sizeof(*gre), inner);
	}
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
