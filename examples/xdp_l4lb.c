// SPDX-License-Identifier: GPL-2.0 OR MIT
/* L4 load balancer with IPIP encapsulation (Katran-style, much smaller).
 *
 * IPv4 TCP/UDP packets to a virtual IP:port listed in `vips` are assigned a real server: an existing
 * flow in `flows` keeps its real; a new flow hashes its 5-tuple onto the VIP's slice of `ring`
 * (RING_SIZE slots per VIP) which names an index into `reals`. The packet is then wrapped in an outer
 * IPv4 header (protocol 4) with bpf_xdp_adjust_head, addressed from `tunnel_src` to the real, its
 * checksum computed with bpf_csum_diff, and bounced out with XDP_TX. A TCP FIN or RST removes the
 * flow entry (bpf_map_delete_elem) after forwarding decisions are made. Anything else passes.
 */
#include "common.h"

#define RING_SIZE 8
#define MAX_VIPS 16
#define MAX_REALS 32

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 vip_num;
	__u32 flags;
};

struct real {
	__be32 addr;
	__u8 mac[6];
	__u16 pad;
};

struct flow_key {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow {
	__u32 real;
	__u32 packets;
};

struct vip_stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct real);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow_key);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS);
	__type(key, __u32);
	__type(value, struct vip_stats);
} stats SEC(".maps");

/* 10.0.0.1, the load balancer's own tunnel source address. */
const volatile __be32 tunnel_src = bpf_htonl(0x0a000001);

static __always_inline __u32 rol32(__u32 w, int s)
{
	return (w << s) | (w >> (32 - s));
}

/* A small avalanche mix of the 5-tuple (not jhash; deterministic and cheap). */
static __always_inline __u32 flow_hash(const struct flow_key *k)
{
	__u32 h = 0x9e3779b9;

	h ^= k->src;
	h = rol32(h * 0x85ebca6b, 13);
	h ^= k->dst;
	h = rol32(h * 0xc2b2ae35, 17);
	h ^= ((__u32)k->sport << 16) | k->dport;
	h = rol32(h * 0x27d4eb2f, 11);
	h ^= k->proto;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return h;
}

static __always_inline int encap_ipip(struct xdp_md *ctx, const struct real *r, __u16 inner_len)
{
	struct ethhdr *eth, *old_eth;
	struct iphdr *outer;
	void *data, *data_end;
	__u8 src_mac[6];
	__u32 sum;

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	old_eth = data + sizeof(struct iphdr);
	outer = data + sizeof(struct ethhdr);
	if ((void *)(old_eth + 1) > data_end || (void *)(outer + 1) > data_end)
		return XDP_DROP;

	/* New Ethernet: from the MAC the packet was sent to, towards the real server. */
	__builtin_memcpy(src_mac, old_eth->h_dest, 6);
	__builtin_memcpy(eth->h_source, src_mac, 6);
	__builtin_memcpy(eth->h_dest, r->mac, 6);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tunnel_src;
	outer->daddr = r->addr;
	sum = bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0);
	outer->check = csum_fold32(sum);
	return XDP_TX;
}

SEC("xdp")
int l4lb(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct vip_key vk = {};
	struct vip_meta *vip;
	struct flow_key fk = {};
	struct flow *fl, new_flow = {};
	struct vip_stats *st;
	struct real *r;
	__u32 *real_idx, slot, real_num;
	__u16 inner_len;
	int closing = 0;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = CURSOR_TAKE(&c, struct iphdr);
	if (!iph || iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
		return XDP_PASS;

	fk.src = iph->saddr;
	fk.dst = iph->daddr;
	fk.proto = iph->protocol;
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *th = CURSOR_TAKE(&c, struct tcphdr);

		if (!th)
			return XDP_DROP;
		fk.sport = th->source;
		fk.dport = th->dest;
		closing = th->fin || th->rst;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(&c, struct udphdr);

		if (!uh)
			return XDP_DROP;
		fk.sport = uh->source;
		fk.dport = uh->dest;
	} else {
		return XDP_PASS;
	}
	inner_len = bpf_ntohs(iph->tot_len);

	vk.addr = fk.dst;
	vk.port = fk.dport;
	vk.proto = fk.proto;
	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip)
		return XDP_PASS;

	fl = bpf_map_lookup_elem(&flows, &fk);
	if (fl) {
		real_num = fl->real;
		fl->packets++;
	} else {
		slot = vip->vip_num * RING_SIZE + flow_hash(&fk) % RING_SIZE;
		real_idx = bpf_map_lookup_elem(&ring, &slot);
		if (!real_idx)
			return XDP_DROP;
		real_num = *real_idx;
		new_flow.real = real_num;
		new_flow.packets = 1;
		bpf_map_update_elem(&flows, &fk, &new_flow, BPF_ANY);
	}
	/* The last packet of a TCP connection still goes to its real; the flow entry is forgotten. */
	if (closing)
		bpf_map_delete_elem(&flows, &fk);
	r = bpf_map_lookup_elem(&reals, &real_num);
	if (!r || !r->addr)
		return XDP_DROP;

	st = bpf_map_lookup_elem(&stats, &vip->vip_num);
	if (st) {
		st->packets++;
		st->bytes += inner_len;
	}
	return encap_ipip(ctx, r, inner_len);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
