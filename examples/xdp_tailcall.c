// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Tail-call dispatcher: one entry program and several protocol handlers in one object.
 *
 * `dispatcher` skips VLAN tags, records the L3 offset and ethertype in 8 bytes of XDP metadata
 * (bpf_xdp_adjust_meta), then tail-calls `jmp_table[slot]` (slot 0 IPv4, 1 IPv6, 2 ARP, 3 other).
 * An empty slot makes bpf_tail_call fall through: the miss is counted and the packet passes (with the
 * metadata still in front of it). Handlers read the metadata instead of re-parsing L2:
 *   handle_ipv4  counts by protocol; TCP is chained on to `jmp_table[4]` (handle_tcp); drops TTL <= 1
 *   handle_ipv6  counts, drops hop limit <= 1
 *   handle_arp   passes ARP requests, drops everything else that claims to be ARP
 *   handle_other drops
 *   handle_tcp   counts SYNs and strips the metadata again before passing
 */
#include "common.h"

enum { SLOT_IPV4, SLOT_IPV6, SLOT_ARP, SLOT_OTHER, SLOT_TCP, SLOT_MAX = 8 };
#define STAT_SYN 15

struct meta {
	__u16 l3_off;
	__be16 proto;
	__u32 magic;
};

#define META_MAGIC 0x4e494353 /* "NICS" */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} jmp_table SEC(".maps");

/* index: slot entered (0..7), 8 + slot for a miss (tail call to an empty slot), 15: SYNs seen */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} dispatch_stats SEC(".maps");

/* index: IP protocol number (IPv4 and IPv6 share it) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} l4_stats SEC(".maps");

static __always_inline void bump(void *map, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(map, &idx);

	if (v)
		*v += 1;
}

/* Returns a pointer to the metadata if it is there and valid. */
static __always_inline struct meta *get_meta(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	struct meta *m = (void *)(long)ctx->data_meta;

	if ((void *)(m + 1) > data || m->magic != META_MAGIC)
		return 0;
	return m;
}

SEC("xdp")
int dispatcher(struct xdp_md *ctx)
{
	void *data, *data_end;
	struct ethhdr *eth;
	struct meta *m;
	__u16 off = sizeof(struct ethhdr);
	__be16 proto;
	__u32 slot;
	int i;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct meta)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	m = (void *)(long)ctx->data_meta;
	eth = data;
	if ((void *)(m + 1) > data || (void *)(eth + 1) > data_end)
		return XDP_DROP;
	proto = eth->h_proto;

	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh = data + off;

		if (!is_vlan(proto))
			break;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		proto = vh->encap_proto;
		off += sizeof(*vh);
	}
	m->l3_off = off;
	m->proto = proto;
	m->magic = META_MAGIC;

	if (proto == bpf_htons(ETH_P_IP))
		slot = SLOT_IPV4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		slot = SLOT_IPV6;
	else if (proto == bpf_htons(ETH_P_ARP))
		slot = SLOT_ARP;
	else
		slot = SLOT_OTHER;

	bump(&dispatch_stats, slot);
	bpf_tail_call(ctx, &jmp_table, slot);
	bump(&dispatch_stats, 8 + slot);
	return XDP_PASS;
}

SEC("xdp")
int handle_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct meta *m = get_meta(ctx);
	struct iphdr *iph;

	if (!m || m->l3_off > 22)
		return XDP_DROP;
	iph = data + m->l3_off;
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	bump(&l4_stats, iph->protocol);
	if (iph->ttl <= 1)
		return XDP_DROP;
	if (iph->protocol == IPPROTO_TCP) {
		bpf_tail_call(ctx, &jmp_table, SLOT_TCP);
		bump(&dispatch_stats, 8 + SLOT_TCP);
	}
	return XDP_PASS;
}

SEC("xdp")
int handle_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct meta *m = get_meta(ctx);
	struct ipv6hdr *ip6h;

	if (!m || m->l3_off > 22)
		return XDP_DROP;
	ip6h = data + m->l3_off;
	if ((void *)(ip6h + 1) > data_end)
		return XDP_DROP;
	bump(&l4_stats, ip6h->nexthdr);
	return ip6h->hop_limit <= 1 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int handle_arp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct meta *m = get_meta(ctx);
	__be16 *op;

	if (!m || m->l3_off > 22)
		return XDP_DROP;
	op = data + m->l3_off + 6; /* htype(2) ptype(2) hlen(1) plen(1) op(2) */
	if ((void *)(op + 1) > data_end)
		return XDP_DROP;
	return *op == bpf_htons(1) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int handle_other(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int handle_tcp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct meta *m = get_meta(ctx);
	struct iphdr *iph;
	struct tcphdr *th;

	bump(&dispatch_stats, SLOT_TCP);
	if (!m || m->l3_off > 22)
		return XDP_DROP;
	iph = data + m->l3_off;
	if ((void *)(iph + 1) > data_end || iph->ihl != 5)
		return XDP_PASS;
	th = (void *)(iph + 1);
	if ((void *)(th + 1) > data_end)
		return XDP_DROP;
	if (th->syn && !th->ack)
		bump(&dispatch_stats, STAT_SYN);
	/* Hand the packet to the stack without metadata. */
	if (bpf_xdp_adjust_meta(ctx, (int)sizeof(struct meta)))
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
