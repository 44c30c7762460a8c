// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The three action workloads of the XDP paper and hXDP's evaluation: drop every packet, send every
 * packet back out of the port it came in on (XDP_TX), send every packet to the device in slot 0 of a
 * devmap (XDP_REDIRECT), with no other processing. They calibrate a profile's fixed per-packet costs
 * of each action: the programs themselves are a handful of instructions. wl_tx_swap is the XDP_TX
 * variant that swaps the MAC addresses first, as a real reflector must. */
#include "../common.h"

SEC("xdp")
int wl_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

static __always_inline int swap_macs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return -1;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return 0;
}

SEC("xdp")
int wl_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int wl_tx_swap(struct xdp_md *ctx)
{
	return swap_macs(ctx) ? XDP_DROP : XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

SEC("xdp")
int wl_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&tx_ports, 0, XDP_DROP);
}

char _license[] SEC("license") = "GPL";
