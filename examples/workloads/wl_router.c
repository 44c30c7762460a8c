// SPDX-License-Identifier: GPL-2.0 OR MIT
/* IPv4 router, as the kernel's xdp_router_ipv4 sample is described: the destination address is
 * looked up in an LPM table of routes (egress port and gateway), the gateway (or the destination
 * itself when directly connected) in an ARP table; the frame gets the neighbour's MAC as
 * destination and the egress port's MAC as source, the TTL is decremented with an incremental
 * checksum update, and the packet leaves through the egress port's devmap slot. Anything the fast
 * path cannot route (no route, no neighbour, TTL about to expire, not IPv4) goes to the kernel. */
#include "../common.h"

struct route_key {
	__u32 prefixlen;
	__be32 addr;
};

struct route {
	__u32 port;   /* devmap slot and port_macs index */
	__be32 gw;    /* 0: directly connected */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);
	__type(value, __u64); /* MAC in the low 6 bytes (network order in memory) */
} arp_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} port_macs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0 routed, 1 to the kernel */
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline int count(__u32 k, int action)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		*v += 1;
	return action;
}

SEC("xdp")
int wl_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct route_key key = { .prefixlen = 32 };
	struct route *rt;
	__u64 *nh, *own;
	__be32 next;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(1, XDP_PASS);
	if (ip->ttl <= 1)
		return count(1, XDP_PASS);
	key.addr = ip->daddr;
	rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt)
		return count(1, XDP_PASS);
	next = rt->gw ? rt->gw : ip->daddr;
	nh = bpf_map_lookup_elem(&arp_table, &next);
	if (!nh)
		return count(1, XDP_PASS);
	__u32 port = rt->port;
	own = bpf_map_lookup_elem(&port_macs, &port);
	if (!own)
		return count(1, XDP_PASS);
	/* TTL is the high byte of the 16-bit word it shares with the protocol */
	__u16 old = *(__u16 *)&ip->ttl;
	ip->ttl--;
	ip->check = csum_replace2(ip->check, old, *(__u16 *)&ip->ttl);
	__builtin_memcpy(eth->h_dest, nh, ETH_ALEN);
	__builtin_memcpy(eth->h_source, own, ETH_ALEN);
	count(0, 0);
	return bpf_redirect_map(&tx_port, port, XDP_PASS);
}

char _license[] SEC("license") = "GPL";
