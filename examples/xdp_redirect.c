// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Redirection through device maps, a CPU map and bpf_redirect (built with -mcpu=v4).
 *
 * redirect_devmap   L2 forwarding: destination MAC -> port number (`mac_table`), port -> device in the
 *                   DEVMAP `tx_ports`; an unknown MAC is flooded to the stack (XDP_PASS), a known MAC
 *                   whose port has no device falls back to the flags' default action (XDP_DROP).
 * redirect_vlan     VLAN-to-device switching on the DEVMAP_HASH `vlan_ports` (key: VID).
 * redirect_cpu      steers IPv4 to CPU 0 and IPv6 to CPU 1 through the CPUMAP `cpu_map`.
 * redirect_ifindex  bpf_redirect() to the ifindex in `egress_cfg` (no map lookup: always XDP_REDIRECT
 *                   in test_run) and records the context's ingress_ifindex / rx_queue_index.
 * Counters per program and outcome in the per-CPU array `redir_stats`.
 */
#include "common.h"

struct mac_key {
	__u8 addr[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct mac_key);
	__type(value, __u32);
} mac_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} vlan_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} cpu_map SEC(".maps");

struct egress {
	__u32 ifindex;
	__u32 seen_ingress_ifindex;
	__u32 seen_rx_queue;
	__u32 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct egress);
} egress_cfg SEC(".maps");

/* index = program * 8 + outcome (the program's return value) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} redir_stats SEC(".maps");

static __always_inline int account(__u32 prog, long action)
{
	__u32 idx = prog * 8 + ((__u32)action & 7);
	__u64 *v = bpf_map_lookup_elem(&redir_stats, &idx);

	if (v)
		*v += 1;
	return (int)action;
}

SEC("xdp")
int redirect_devmap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct mac_key key = {};
	__u32 *port;

	if ((void *)(eth + 1) > data_end)
		return account(0, XDP_DROP);
	__builtin_memcpy(key.addr, eth->h_dest, ETH_ALEN);
	port = bpf_map_lookup_elem(&mac_table, &key);
	if (!port)
		return account(0, XDP_PASS);
	return account(0, bpf_redirect_map(&tx_ports, *port, XDP_DROP));
}

SEC("xdp")
int redirect_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vh = data + sizeof(*eth);
	__u32 vid;

	if ((void *)(vh + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_8021Q))
		return account(1, XDP_PASS);
	vid = bpf_ntohs(vh->tci) & 0x0fff;
	return account(1, bpf_redirect_map(&vlan_ports, vid, XDP_PASS));
}

SEC("xdp")
int redirect_cpu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 cpu;

	if ((void *)(eth + 1) > data_end)
		return account(2, XDP_DROP);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		cpu = 0;
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		cpu = 1;
	else
		return account(2, XDP_PASS);
	return account(2, bpf_redirect_map(&cpu_map, cpu, 0));
}

SEC("xdp")
int redirect_ifindex(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct egress *e = bpf_map_lookup_elem(&egress_cfg, &zero);

	if (!e)
		return account(3, XDP_ABORTED);
	e->seen_ingress_ifindex = ctx->ingress_ifindex;
	e->seen_rx_queue = ctx->rx_queue_index;
	e->packets++;
	if (!e->ifindex)
		return account(3, XDP_PASS);
	return account(3, bpf_redirect(e->ifindex, 0));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
