// SPDX-License-Identifier: GPL-2.0 OR MIT
/* "Packet too big" responder, as the kernel's xdp_adjust_tail sample is described: an IPv4 packet
 * longer than MAX_PKT bytes is turned into an ICMP "destination unreachable, fragmentation needed"
 * reply to its sender, carrying the original IP header and the first 8 bytes of its payload; the
 * frame grows at the head for the new IP + ICMP headers and is trimmed at the tail. Smaller and
 * non-IPv4 packets pass. Replies are counted. */
#include "../common.h"

#define MAX_PKT 600
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4
/* new IP header + ICMP header in front of the quoted original header */
#define GROW (sizeof(struct iphdr) + sizeof(struct icmphdr))
#define QUOTE (sizeof(struct iphdr) + 8)
#define REPLY_LEN (sizeof(struct ethhdr) + GROW + QUOTE)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} icmpcnt SEC(".maps");

SEC("xdp")
int wl_adjust_tail(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *orig;
	__u32 orig_saddr, orig_daddr, key = 0;
	__u64 *cnt;
	int len = data_end - data;

	if (data + sizeof(*eth) + sizeof(struct iphdr) > data_end)
		return XDP_PASS;
	orig = (void *)(eth + 1);
	if (eth->h_proto != bpf_htons(ETH_P_IP) || orig->ihl != 5 || len <= MAX_PKT)
		return XDP_PASS;
	orig_saddr = orig->saddr;
	orig_daddr = orig->daddr;

	if (bpf_xdp_adjust_head(ctx, -(int)GROW))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + REPLY_LEN > data_end)
		return XDP_PASS;
	/* the old Ethernet header sits GROW bytes in: move it to the front, addresses swapped */
	struct ethhdr *neth = data;
	struct ethhdr *oeth = data + GROW;
	__u8 mac[ETH_ALEN];
	__builtin_memcpy(mac, oeth->h_source, ETH_ALEN);
	__builtin_memcpy(neth->h_source, oeth->h_dest, ETH_ALEN);
	__builtin_memcpy(neth->h_dest, mac, ETH_ALEN);
	neth->h_proto = bpf_htons(ETH_P_IP);

	struct iphdr *ip = (void *)(neth + 1);
	struct icmphdr *icmp = (void *)(ip + 1);
	/* the quoted original header now follows the ICMP header: its place did not move */
	ip->version = 4;
	ip->ihl = 5;
	ip->tos = 0;
	ip->tot_len = bpf_htons(GROW + QUOTE);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_ICMP;
	ip->check = 0;
	ip->saddr = orig_daddr;
	ip->daddr = orig_saddr;
	ip->check = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0));

	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_FRAG_NEEDED;
	icmp->checksum = 0;
	icmp->id = 0;                       /* unused */
	icmp->sequence = bpf_htons(MAX_PKT); /* next-hop MTU */
	icmp->checksum = csum_fold32(bpf_csum_diff(0, 0, (__be32 *)icmp, sizeof(*icmp) + QUOTE, 0));

	if (bpf_xdp_adjust_tail(ctx, (int)REPLY_LEN - (int)((long)data_end - (long)data)))
		return XDP_DROP;
	cnt = bpf_map_lookup_elem(&icmpcnt, &key);
	if (cnt)
		*cnt += 1;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
