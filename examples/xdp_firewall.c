// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Stateless IPv4/IPv6 firewall on longest-prefix-match tries (built with -mcpu=v4).
 *
 * Source addresses are looked up in `rules_v4` / `rules_v6`; the longest matching prefix decides
 * (value.action: 0 allow, 1 deny), so a /32 allow can punch a hole in a /8 deny. Destination ports can
 * be blocked outright in `blocked_ports` (key: protocol << 16 | port). Each rule's hit counter lives in
 * `rule_hits` (atomic fetch-add), verdict totals in `verdicts` (V_REPEAT_HIT: a rule hit again). One VLAN tag is skipped. Non-IP traffic passes.
 */
#include "common.h"

#define ACTION_ALLOW 0
#define ACTION_DENY 1

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct rule {
	__u32 action;
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, struct rule);
} rules_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v6_key);
	__type(value, struct rule);
} rules_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} rule_hits SEC(".maps");

enum { V_PASS_NOMATCH, V_PASS_RULE, V_DROP_RULE, V_DROP_PORT, V_NOT_IP, V_MALFORMED, V_REPEAT_HIT, V_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, V_MAX);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int verdict(__u32 v, int action)
{
	__u64 *cnt = bpf_map_lookup_elem(&verdicts, &v);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return action;
}

static __always_inline void hit(__u32 rule_id)
{
	__u64 *cnt = bpf_map_lookup_elem(&rule_hits, &rule_id);
	__u64 one = 1;

	if (!cnt) {
		bpf_map_update_elem(&rule_hits, &rule_id, &one, BPF_NOEXIST);
		return;
	}
	/* The previous count tells first hits (already counted at creation) from repeated ones. */
	if (__atomic_fetch_add(cnt, 1, __ATOMIC_RELAXED) != 0)
		verdict(V_REPEAT_HIT, 0);
}

static __always_inline int port_blocked(struct cursor *c, __u8 proto)
{
	__u32 key;
	__be16 dport;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = CURSOR_TAKE(c, struct tcphdr);

		if (!th)
			return -1;
		dport = th->dest;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = CURSOR_TAKE(c, struct udphdr);

		if (!uh)
			return -1;
		dport = uh->dest;
	} else {
		return 0;
	}
	key = ((__u32)proto << 16) | bpf_ntohs(dport);
	return bpf_map_lookup_elem(&blocked_ports, &key) != 0;
}

static __always_inline int decide(struct rule *r, int blocked)
{
	if (blocked < 0)
		return verdict(V_MALFORMED, XDP_DROP);
	if (r) {
		hit(r->rule_id);
		if (r->action == ACTION_DENY)
			return verdict(V_DROP_RULE, XDP_DROP);
	}
	if (blocked)
		return verdict(V_DROP_PORT, XDP_DROP);
	return verdict(r ? V_PASS_RULE : V_PASS_NOMATCH, XDP_PASS);
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__be16 proto;

	cursor_init(&c, ctx);
	eth = CURSOR_TAKE(&c, struct ethhdr);
	if (!eth)
		return verdict(V_MALFORMED, XDP_DROP);
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = CURSOR_TAKE(&c, struct vlan_hdr);

		if (!vh)
			return verdict(V_MALFORMED, XDP_DROP);
		proto = vh->encap_proto;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = CURSOR_TAKE(&c, struct iphdr);
		struct lpm_v4_key key = { .prefixlen = 32 };
		struct rule *r;
		int blocked = 0;

		if (!iph || iph->ihl != 5)
			return verdict(V_MALFORMED, XDP_DROP);
		__builtin_memcpy(key.addr, &iph->saddr, 4);
		r = bpf_map_lookup_elem(&rules_v4, &key);
		if (!(iph->frag_off & bpf_htons(0x1fff)))
			blocked = port_blocked(&c, iph->protocol);
		return decide(r, blocked);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = CURSOR_TAKE(&c, struct ipv6hdr);
		struct lpm_v6_key key = { .prefixlen = 128 };
		struct rule *r;

		if (!ip6h)
			return verdict(V_MALFORMED, XDP_DROP);
		__builtin_memcpy(key.addr, &ip6h->saddr, 16);
		r = bpf_map_lookup_elem(&rules_v6, &key);
		return decide(r, port_blocked(&c, ip6h->nexthdr));
	}
	return verdict(V_NOT_IP, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
