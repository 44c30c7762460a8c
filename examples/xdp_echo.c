// SPDX-License-Identifier: GPL-2.0 OR MIT
/* ICMP / ICMPv6 / UDP echo responder answering with XDP_TX.
 *
 * ICMP echo request  -> echo reply: MACs and addresses swapped, type 8 -> 0 with an RFC 1624
 *                       incremental checksum update, TTL reset to 64 (IPv4 checksum updated the same way).
 * ICMPv6 echo request -> echo reply: type 128 -> 129, checksum updated with bpf_csum_diff over the
 *                       changed 32-bit word; hop limit 64.
 * UDP to port 7 (IPv4 and IPv6) -> addresses and ports swapped (the checksum is unchanged by the swap);
 *                       for IPv4 the TTL is reset and the header checksum recomputed from scratch with
 *                       bpf_csum_diff.
 * Everything else passes. Counters per kind in `echo_stats`.
 */
#include "common.h"

#define ECHO_PORT 7

enum { E_ICMP4, E_ICMP6, E_UDP4, E_UDP6, E_PASS, E_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, E_MAX);
	__type(key, __u32);
	__type(value, __u64);
} echo_stats SEC(".maps");

static __always_inline int count(__u32 kind, int action)
{
	__u64 *v = bpf_map_lookup_elem(&echo_stats, &kind);

	if (v)
		*v += 1;
	return action;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline void swap_v4(struct iphdr *iph)
{
	__be32 tmp = iph->saddr;

	iph->saddr = iph->daddr;
	iph->daddr = tmp;
}

static __always_inline void swap_v6(struct ipv6hdr *ip6h)
{
	struct in6_addr tmp = ip6h->saddr;

	ip6h->saddr = ip6h->daddr;
	ip6h->daddr = tmp;
}

/* TTL lives in the high byte of the 16-bit word it shares with the protocol. */
static __always_inline void set_ttl(struct iphdr *iph, __u8 ttl)
{
	__u16 old = *(__u16 *)&iph->ttl;

	iph->ttl = ttl;
	iph->check = csum_replace2(iph->check, old, *(__u16 *)&iph->ttl);
}

static __always_inline int echo_v4(struct ethhdr *eth, struct cursor *c)
{
	struct iphdr *iph = CURSOR_TAKE(c, struct iphdr);

	if (!iph || iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
		return count(E_PASS, XDP_PASS);

	if (iph->protocol == IPPROTO_ICMP) {
		struct icmphdr *ic = CURSOR_TAKE(c, struct icmphdr);
		__u16 old;

		if (!ic || ic->type != ICMP_ECHO || ic->code != 0)
			return count(E_PASS, XDP_PASS);
		old = *(__u16 *)ic;
		ic->type = ICMP_ECHOREPLY;
		ic->checksum = csum_replace2(ic->checksum, old, *(__u16 *)ic);
		swap_v4(iph);
		set_ttl(iph, 64);
		swap_macs(eth);
		return count(E_ICMP4, XDP_TX);
	}
	if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(c, struct udphdr);
		__be16 port;

		if (!uh || uh->dest != bpf_htons(ECHO_PORT))
			return count(E_PASS, XDP_PASS);
		port = uh->source;
		uh->source = uh->dest;
		uh->dest = port;
		swap_v4(iph);
		iph->ttl = 64;
		iph->check = 0;
		iph->check = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)iph, sizeof(*iph), 0));
		swap_macs(eth);
		return count(E_UDP4, XDP_TX);
	}
	return count(E_PASS, XDP_PASS);
}

static __always_inline int echo_v6(struct ethhdr *eth, struct cursor *c)
{
	struct ipv6hdr *ip6h = CURSOR_TAKE(c, struct ipv6hdr);

	if (!ip6h)
		return count(E_PASS, XDP_PASS);

	if (ip6h->nexthdr == IPPROTO_ICMPV6) {
		struct icmp6hdr *ic = CURSOR_TAKE(c, struct icmp6hdr);
		__be32 old, new;
		__u32 sum;

		if (!ic || ic->icmp6_type != ICMPV6_ECHO_REQUEST || ic->icmp6_code != 0)
			return count(E_PASS, XDP_PASS);
		old = *(__be32 *)ic;
		ic->icmp6_type = ICMPV6_ECHO_REPLY;
		new = *(__be32 *)ic;
		/* Seed with the complemented old checksum, add the difference, complement again. */
		sum = bpf_csum_diff(&old, 4, &new, 4, (__u16)~ic->icmp6_cksum);
		ic->icmp6_cksum = csum_fold32(sum);
		swap_v6(ip6h);
		ip6h->hop_limit = 64;
		swap_macs(eth);
		return count(E_ICMP6, XDP_TX);
	}
	if (ip6h->nexthdr == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(c, struct udphdr);
		__be16 port;

		if (!uh || uh->dest != bpf_htons(ECHO_PORT))
			return count(E_PASS, XDP_PASS);
		port = uh->source;
		uh->source = uh->dest;
		uh->dest = port;
		swap_v6(ip6h);
		ip6h->hop_limit = 64;
		swap_macs(eth);
		return count(E_UDP6, XDP_TX);
	}
	return count(E_PASS, XDP_PASS);
}

SEC("xdp")
int echo_responder(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return count(E_PASS, XDP_PASS);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return echo_v4(eth, &c);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return echo_v6(eth, &c);
	return count(E_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
