// SPDX-License-Identifier: GPL-2.0 OR MIT
/* BPF-to-BPF calls and bounded loops (built with -mcpu=v4).
 *
 * The program `flow_summary` calls real subprograms instead of inlining everything:
 *   find_l4       global function (own BTF prototype, verified on its own): walks VLAN tags and IPv6
 *                 extension headers with bpf_xdp_load_bytes in a bounded, not unrolled loop; returns
 *                 the L4 offset (or a negative error) and the L4 protocol through a pointer.
 *   payload_sum   global function: one's complement sum of up to 64 payload bytes, read in 16-byte
 *                 chunks by a bounded loop.
 *   mix32         static __noinline helper, called in a loop to hash the ports.
 *   signed_bucket static __noinline helper using signed arithmetic (sdiv/smod/movsx at cpu v4).
 * The result of the last packet is stored in `last_result`, and the hash bucket is counted in
 * `buckets`. Packets without an L4 header are dropped.
 */
#include "common.h"

struct result {
	__s32 l4_off;
	__u32 proto;
	__u32 hash;
	__u32 payload_sum;
	__s32 bucket;
	__u32 calls;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct result);
} last_result SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} buckets SEC(".maps");

static __noinline __u32 mix32(__u32 h, __u32 w)
{
	h ^= w;
	h *= 0x01000193;
	h ^= h >> 15;
	return h;
}

static __noinline __s32 signed_bucket(__u32 hash, __s8 bias)
{
	__s32 v = (__s32)hash;

	/* Signed division and remainder on purpose: buckets -7..7 shifted to 0..14 (+ bias). */
	return (v / 3) % 8 + 7 + bias;
}

__noinline int find_l4(struct xdp_md *ctx, __u8 *proto_out)
{
	__u8 hdr[2];
	__be16 proto;
	__u32 off = 12;
	__u8 nh;
	int i;

	if (!proto_out)
		return -1;
	if (bpf_xdp_load_bytes(ctx, off, &proto, 2))
		return -2;
	for (i = 0; i < 2 && is_vlan(proto); i++) {
		off += 4;
		if (bpf_xdp_load_bytes(ctx, off, &proto, 2))
			return -2;
	}
	off += 2;
	if (proto == bpf_htons(ETH_P_IP)) {
		__u8 vihl;

		if (bpf_xdp_load_bytes(ctx, off, &vihl, 1) ||
		    bpf_xdp_load_bytes(ctx, off + 9, proto_out, 1))
			return -3;
		if ((vihl & 0x0f) < 5)
			return -3;
		return off + (vihl & 0x0f) * 4;
	}
	if (proto != bpf_htons(ETH_P_IPV6))
		return -4;
	if (bpf_xdp_load_bytes(ctx, off + 6, &nh, 1))
		return -3;
	off += sizeof(struct ipv6hdr);
#pragma clang loop unroll(disable)
	for (i = 0; i < 8; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT)
			break;
		if (bpf_xdp_load_bytes(ctx, off, hdr, 2))
			return -3;
		off += nh == IPPROTO_FRAGMENT ? 8 : (hdr[1] + 1) * 8;
		nh = hdr[0];
	}
	*proto_out = nh;
	return off;
}

__noinline __u32 payload_sum(struct xdp_md *ctx, __u32 off)
{
	__u16 words[8];
	__u32 sum = 0;
	int i, j;

#pragma clang loop unroll(disable)
	for (i = 0; i < 4; i++) {
		if (bpf_xdp_load_bytes(ctx, off + i * 16, words, sizeof(words)))
			break;
		for (j = 0; j < 8; j++)
			sum += words[j];
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

SEC("xdp")
int flow_summary(struct xdp_md *ctx)
{
	struct result *res;
	__u32 zero = 0, ports = 0, hash = 0x811c9dc5, bkt;
	__u8 proto = 0;
	__u64 *cnt;
	int off, i;

	res = bpf_map_lookup_elem(&last_result, &zero);
	if (!res)
		return XDP_ABORTED;
	off = find_l4(ctx, &proto);
	res->calls++;
	res->l4_off = off;
	res->proto = proto;
	if (off < 0)
		return XDP_DROP;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		if (bpf_xdp_load_bytes(ctx, off, &ports, 4))
			return XDP_DROP;
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < 4; i++)
		hash = mix32(hash, (ports >> (i * 8)) & 0xff);
	hash = mix32(hash, proto);

	res->hash = hash;
	res->payload_sum = payload_sum(ctx, off);
	res->bucket = signed_bucket(hash, (__s8)(proto & 0x80 ? -1 : 0));
	bkt = (__u32)res->bucket & 15;
	cnt = bpf_map_lookup_elem(&buckets, &bkt);
	if (cnt)
		*cnt += 1;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
