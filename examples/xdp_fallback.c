// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Partial offload: a program with a map counter before and after an instruction some NICs cannot run.
 *
 * Every packet adds 1 to hits[H_BEFORE]. IPv4 UDP packets then take their destination port modulo a
 * configured divisor (cfg[0], a register-by-register BPF_MOD: the nfp JIT has no MOD, so on
 * agilio-cx-fallback those packets are punted to the host right there) and are dropped when the
 * remainder is 0, counted in hits[H_MOD]. Every packet finally adds 1 to hits[H_AFTER]. With host
 * fallback the result must be the same as running the whole program in one place: H_BEFORE counted on
 * the NIC exactly once, H_MOD and H_AFTER on the host for punted packets, each exactly once.
 */
#include "common.h"

enum { H_BEFORE, H_MOD, H_AFTER, H_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, H_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cfg SEC(".maps");

static __always_inline void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int fallback(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	__u32 zero = 0, *div;
	int action = XDP_PASS;

	bump(H_BEFORE);
	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		goto out;
	iph = CURSOR_TAKE(&c, struct iphdr);
	if (!iph || iph->ihl != 5 || iph->protocol != IPPROTO_UDP)
		goto out;
	udp = CURSOR_TAKE(&c, struct udphdr);
	div = bpf_map_lookup_elem(&cfg, &zero);
	if (!udp || !div || *div == 0)
		goto out;
	if (bpf_ntohs(udp->dest) % *div == 0) {
		bump(H_MOD);
		action = XDP_DROP;
	}
out:
	bump(H_AFTER);
	return action;
}

char LICENSE[] SEC("license") = "GPL";
