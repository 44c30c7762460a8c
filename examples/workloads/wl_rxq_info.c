// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Receive-queue statistics, as the kernel's xdp_rxq_info sample is described: a config array gives
 * the action to take, the interface the program expects and options (swap MACs); every packet is
 * counted globally and per receive queue (ctx->rx_queue_index) in per-CPU arrays, packets from an
 * unexpected interface or a queue beyond the table are counted as errors. hXDP measured it with the
 * action XDP_DROP. */
#include "../common.h"

#define MAX_RXQ 64
#define OPT_SWAP_MACS 1

struct config {
	__u32 action;
	__u32 ifindex;
	__u32 options;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} config_map SEC(".maps");

struct record {
	__u64 processed;
	__u64 issue;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct record);
} stats_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_RXQ + 1); /* the last slot counts queues beyond the table */
	__type(key, __u32);
	__type(value, struct record);
} rx_queue_index_map SEC(".maps");

SEC("xdp")
int wl_rxq_info(struct xdp_md *ctx)
{
	__u32 key = 0, queue = ctx->rx_queue_index;
	struct config *cfg = bpf_map_lookup_elem(&config_map, &key);
	struct record *g, *q;

	if (!cfg)
		return XDP_ABORTED;
	g = bpf_map_lookup_elem(&stats_global, &key);
	if (!g)
		return XDP_ABORTED;
	g->processed++;
	if (cfg->ifindex && ctx->ingress_ifindex != cfg->ifindex)
		g->issue++;
	if (queue >= MAX_RXQ)
		queue = MAX_RXQ;
	q = bpf_map_lookup_elem(&rx_queue_index_map, &queue);
	if (!q)
		return XDP_ABORTED;
	q->processed++;
	if (queue == MAX_RXQ)
		q->issue++;
	if (cfg->options & OPT_SWAP_MACS) {
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;
		struct ethhdr *eth = data;
		__u8 tmp[ETH_ALEN];

		if ((void *)(eth + 1) > data_end)
			return XDP_DROP;
		__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	}
	return cfg->action;
}

char _license[] SEC("license") = "GPL";
