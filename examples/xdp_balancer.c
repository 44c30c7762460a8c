// SPDX-License-Identifier: GPL-2.0 OR MIT
/* L4 load balancer at production scale: the map geometry of katran (facebookincubator/katran,
 * balancer_consts.h / balancer_maps.h: 512 VIPs, 4096 reals, a consistent-hash ring of 65,537 slots
 * per VIP, flow tables of millions of entries, per-CPU statistics), written for nicsim.
 *
 * IPv4 and IPv6 TCP/UDP packets to a VIP (address, port, protocol; port 0 in `vips` matches every
 * port of an address) are sent to a real server: a known flow keeps its real (the LRU flow table,
 * per-CPU LRU lists as katran's per-CPU LRU maps); a new flow (and every TCP SYN) hashes its 5-tuple
 * (without the source port if the VIP says so) onto the VIP's 65,537 ring slots, which name an index
 * into `reals` (0: no real, dropped). The packet is then encapsulated towards the real: IPv4 in IPv4
 * (IPIP), IPv6 in IPv6 or IPv4 in IPv6 (real flagged IPv6), with an outer source address derived
 * from the flow hash, the gateway MAC from `ctl` slot 0, and sent back out with XDP_TX. IPv6 VIPs
 * with IPv4 reals cannot be encapsulated and are dropped. Per-CPU counters per VIP, per real, and
 * for LRU misses, ring drops and encapsulation failures. Everything else passes.
 */
#include "common.h"

#define RING_SIZE 65537
#define MAX_VIPS 512
#define MAX_REALS 4096
#define CH_RINGS_SIZE (MAX_VIPS * RING_SIZE)
#define STATS_SIZE (MAX_VIPS * 2)
#define FLOW_ENTRIES 4000000
#define CTL_SIZE 16

/* stats indexes after the per-VIP ones */
#define STAT_LRU_MISS (MAX_VIPS + 0)
#define STAT_RING_DROP (MAX_VIPS + 1)
#define STAT_ENCAP_FAIL (MAX_VIPS + 2)

/* vip_meta.flags */
#define VIP_NO_SRC_PORT 1
/* real.flags */
#define REAL_IPV6 1

#define IPPROTO_IPV6_IN 41

struct vip_key {
	__be32 addr[4]; /* IPv4 VIPs in addr[0], the rest zero */
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 flags;
	__u32 vip_num;
};

struct real {
	__be32 addr[4];
	__u8 flags;
	__u8 pad[3];
};

struct flow_key {
	__be32 src[4];
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow {
	__u32 real;
	__u32 pad;
	__u64 packets;
};

struct counter {
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
	__uint(max_entries, CH_RINGS_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct real);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, FLOW_ENTRIES);
	__type(key, struct flow_key);
	__type(value, struct flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STATS_SIZE);
	__type(key, __u32);
	__type(value, struct counter);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct counter);
} real_stats SEC(".maps");

/* slot 0: the gateway's MAC address (6 bytes, then zeroes) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CTL_SIZE);
	__type(key, __u32);
	__type(value, __u64);
} ctl SEC(".maps");

static __always_inline __u32 rotl(__u32 w, int s)
{
	return (w << s) | (w >> (32 - s));
}

/* A murmur-style mix of the flow key's words (our own; any good mix spreads flows over the ring). */
static __always_inline __u32 flow_hash(const struct flow_key *k, int no_sport)
{
	__u32 h = 0x2545f491;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		h ^= k->src[i];
		h = rotl(h * 0xcc9e2d51, 15) * 0x1b873593;
		h ^= k->dst[i];
		h = rotl(h * 0xcc9e2d51, 15) * 0x1b873593;
	}
	h ^= ((__u32)(no_sport ? 0 : k->sport) << 16) | k->dport;
	h = rotl(h * 0xcc9e2d51, 13) * 5 + 0xe6546b64;
	h ^= k->proto;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline void count(void *map, __u32 idx, __u64 bytes)
{
	struct counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* Pushes `outer` bytes in front of the packet and writes a new Ethernet header; NULL on failure. */
static __always_inline void *push_outer(struct xdp_md *ctx, int outer, __be16 proto, __u8 *eth_src, const __u8 *gw)
{
	void *data, *data_end;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_head(ctx, -outer))
		return 0;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if (data + sizeof(*eth) + outer > data_end)
		return 0;
	__builtin_memcpy(eth->h_source, eth_src, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, gw, ETH_ALEN);
	eth->h_proto = proto;
	return eth + 1;
}

static __always_inline int encap_v4(struct xdp_md *ctx, const struct real *r, __u32 h, __u16 inner_len, __u8 *eth_src, const __u8 *gw)
{
	struct iphdr *ip = push_outer(ctx, sizeof(struct iphdr), bpf_htons(ETH_P_IP), eth_src, gw);
	__u16 *w;
	__u32 sum = 0;
	int i;

	if (!ip)
		return -1;
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_IPIP;
	ip->check = 0;
	ip->saddr = bpf_htonl(0xac100000 | (h & 0xffff)); /* 172.16.0.0/16 by flow */
	ip->daddr = r->addr[0];
	w = (__u16 *)ip;
#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	ip->check = csum_fold32(sum);
	return 0;
}

static __always_inline int encap_v6(struct xdp_md *ctx, const struct real *r, __u32 h, __u16 inner_len, __u8 nexthdr, __u8 *eth_src, const __u8 *gw)
{
	struct ipv6hdr *ip6 = push_outer(ctx, sizeof(struct ipv6hdr), bpf_htons(ETH_P_IPV6), eth_src, gw);

	if (!ip6)
		return -1;
	ip6->version = 6;
	ip6->priority = 0;
	ip6->flow_lbl[0] = 0;
	ip6->flow_lbl[1] = 0;
	ip6->flow_lbl[2] = 0;
	ip6->payload_len = bpf_htons(inner_len);
	ip6->nexthdr = nexthdr;
	ip6->hop_limit = 64;
	/* fd00::<flow hash>: a per-flow outer source */
	ip6->saddr.in6_u.u6_addr32[0] = bpf_htonl(0xfd000000);
	ip6->saddr.in6_u.u6_addr32[1] = 0;
	ip6->saddr.in6_u.u6_addr32[2] = 0;
	ip6->saddr.in6_u.u6_addr32[3] = bpf_htonl(h);
	ip6->daddr.in6_u.u6_addr32[0] = r->addr[0];
	ip6->daddr.in6_u.u6_addr32[1] = r->addr[1];
	ip6->daddr.in6_u.u6_addr32[2] = r->addr[2];
	ip6->daddr.in6_u.u6_addr32[3] = r->addr[3];
	return 0;
}

SEC("xdp")
int balancer(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct vip_key vk = {};
	struct flow_key fk = {};
	struct flow *fl, nf = {};
	struct vip_meta *vip;
	struct real *r;
	__u32 *slot_real, slot, real_idx, h, vip_num;
	__u64 *gw;
	__u8 eth_src[ETH_ALEN], gw_mac[ETH_ALEN];
	__u16 inner_len;
	__u8 l4;
	int is_v6, syn = 0, rc;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = CURSOR_TAKE(&c, struct iphdr);

		if (!ip || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
			return XDP_PASS;
		is_v6 = 0;
		l4 = ip->protocol;
		fk.src[0] = ip->saddr;
		fk.dst[0] = ip->daddr;
		inner_len = bpf_ntohs(ip->tot_len);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = CURSOR_TAKE(&c, struct ipv6hdr);

		if (!ip6)
			return XDP_PASS;
		is_v6 = 1;
		l4 = ip6->nexthdr;
		__builtin_memcpy(fk.src, &ip6->saddr, 16);
		__builtin_memcpy(fk.dst, &ip6->daddr, 16);
		inner_len = bpf_ntohs(ip6->payload_len) + sizeof(struct ipv6hdr);
	} else {
		return XDP_PASS;
	}
	if (l4 == IPPROTO_TCP) {
		struct tcphdr *th = CURSOR_TAKE(&c, struct tcphdr);

		if (!th)
			return XDP_DROP;
		fk.sport = th->source;
		fk.dport = th->dest;
		syn = th->syn && !th->ack;
	} else if (l4 == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(&c, struct udphdr);

		if (!uh)
			return XDP_DROP;
		fk.sport = uh->source;
		fk.dport = uh->dest;
	} else {
		return XDP_PASS;
	}
	fk.proto = l4;

	__builtin_memcpy(vk.addr, fk.dst, 16);
	vk.port = fk.dport;
	vk.proto = l4;
	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip) {
		vk.port = 0;
		vip = bpf_map_lookup_elem(&vips, &vk);
		if (!vip)
			return XDP_PASS;
	}
	vip_num = vip->vip_num;
	if (vip_num >= MAX_VIPS)
		return XDP_PASS;
	count(&stats, vip_num, inner_len);

	h = flow_hash(&fk, vip->flags & VIP_NO_SRC_PORT);
	fl = syn ? 0 : bpf_map_lookup_elem(&flows, &fk);
	if (fl) {
		real_idx = fl->real;
		fl->packets++;
	} else {
		count(&stats, STAT_LRU_MISS, inner_len);
		slot = vip_num * RING_SIZE + h % RING_SIZE;
		slot_real = bpf_map_lookup_elem(&ch_rings, &slot);
		if (!slot_real)
			return XDP_DROP;
		real_idx = *slot_real;
		if (!real_idx) {
			count(&stats, STAT_RING_DROP, inner_len);
			return XDP_DROP;
		}
		nf.real = real_idx;
		nf.packets = 1;
		bpf_map_update_elem(&flows, &fk, &nf, BPF_ANY);
	}
	r = bpf_map_lookup_elem(&reals, &real_idx);
	if (!r)
		return XDP_DROP;
	count(&real_stats, real_idx, inner_len);

	slot = 0;
	gw = bpf_map_lookup_elem(&ctl, &slot);
	if (!gw)
		return XDP_DROP;
	__builtin_memcpy(gw_mac, gw, ETH_ALEN);
	__builtin_memcpy(eth_src, eth->h_dest, ETH_ALEN);

	if (r->flags & REAL_IPV6)
		rc = encap_v6(ctx, r, h, inner_len, is_v6 ? IPPROTO_IPV6_IN : IPPROTO_IPIP, eth_src, gw_mac);
	else if (!is_v6)
		rc = encap_v4(ctx, r, h, inner_len, eth_src, gw_mac);
	else
		rc = -1;
	if (rc) {
		count(&stats, STAT_ENCAP_FAIL, inner_len);
		return XDP_DROP;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
