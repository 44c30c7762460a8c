// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Per-source token-bucket rate limiter (built with -mcpu=v4).
 *
 * IPv4 sources get a bucket in the LRU hash `buckets_v4`; IPv6 sources are bucketed per /64 in the
 * per-CPU LRU hash `buckets_v6` (no cross-CPU contention, the limit applies per CPU). A bucket starts
 * with `burst` tokens minus the packet that created it and refills at `rate_pps` tokens per second
 * (ktime_get_ns for IPv4, ktime_get_boot_ns for IPv6). Packets without a token are dropped.
 * Decisions are counted per CPU in `rl_stats`, and per destination port in the LRU per-CPU hash
 * `dport_hits`. `sample_every` = 1 counts every packet as sampled (bpf_get_prandom_u32 % 1 == 0).
 *
 * Deterministic outputs: with rate_pps = 1 no token is refilled within one test run; the timestamps
 * stored in the buckets (bytes 8..15 of each value) are not.
 */
#include "common.h"

struct bucket {
	__u64 tokens;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__type(key, __be32);
	__type(value, struct bucket);
} buckets_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 128);
	__type(key, __u64);
	__type(value, struct bucket);
} buckets_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u64);
} dport_hits SEC(".maps");

enum { RL_PASS, RL_DROP, RL_NEW_BUCKET, RL_NOT_IP, RL_SAMPLED, RL_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} rl_stats SEC(".maps");

const volatile __u64 rate_pps = 1;
const volatile __u64 burst = 4;
const volatile __u32 sample_every = 1;

static __always_inline void stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&rl_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void count_dport(struct cursor *c, __u8 proto)
{
	__u16 port;
	__u64 *v, one = 1;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = CURSOR_TAKE(c, struct tcphdr);

		if (!th)
			return;
		port = bpf_ntohs(th->dest);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(c, struct udphdr);

		if (!uh)
			return;
		port = bpf_ntohs(uh->dest);
	} else {
		return;
	}
	v = bpf_map_lookup_elem(&dport_hits, &port);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&dport_hits, &port, &one, BPF_ANY);
}

/* Takes one token from b (refilling first). Returns 1 if the packet may pass. The token is taken
 * with compare-and-swap and the refill timestamp swapped in with xchg, so concurrent CPUs sharing
 * the (non per-CPU) IPv4 bucket never hand out the same token twice. */
static __always_inline int take_token(struct bucket *b, __u64 now)
{
	__u64 elapsed = now - b->last_ns;
	__u64 refill = elapsed / 1000000000ull * rate_pps;
	__u64 old;

	if (refill) {
		__u64 prev = __sync_lock_test_and_set(&b->last_ns, now);

		if (prev + 1000000000ull <= now) {
			b->tokens += refill;
			if (b->tokens > burst)
				b->tokens = burst;
		}
	}
	old = b->tokens;
	if (!old)
		return 0;
	return __sync_val_compare_and_swap(&b->tokens, old, old - 1) == old;
}

static __always_inline int limit(void *map, void *key, __u64 now)
{
	struct bucket *b = bpf_map_lookup_elem(map, key);

	if (!b) {
		struct bucket fresh = { .tokens = burst - 1, .last_ns = now };

		bpf_map_update_elem(map, key, &fresh, BPF_NOEXIST);
		stat(RL_NEW_BUCKET);
		stat(RL_PASS);
		return XDP_PASS;
	}
	if (take_token(b, now)) {
		stat(RL_PASS);
		return XDP_PASS;
	}
	stat(RL_DROP);
	return XDP_DROP;
}

SEC("xdp")
int ratelimit(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return XDP_DROP;
	if (sample_every && bpf_get_prandom_u32() % sample_every == 0)
		stat(RL_SAMPLED);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = CURSOR_TAKE(&c, struct iphdr);
		__be32 src;

		if (!iph)
			return XDP_DROP;
		src = iph->saddr;
		if (iph->ihl == 5)
			count_dport(&c, iph->protocol);
		return limit(&buckets_v4, &src, bpf_ktime_get_ns());
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = CURSOR_TAKE(&c, struct ipv6hdr);
		__u64 prefix;

		if (!ip6h)
			return XDP_DROP;
		__builtin_memcpy(&prefix, &ip6h->saddr, 8);
		count_dport(&c, ip6h->nexthdr);
		return limit(&buckets_v6, &prefix, bpf_ktime_get_boot_ns());
	}
	stat(RL_NOT_IP);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
