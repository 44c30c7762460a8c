// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Growing and shrinking the frame at both ends, plus metadata.
 *
 * tail_trim   snaps frames to `snap_len[0]` bytes (default 64) with a negative bpf_xdp_adjust_tail,
 *             like a packet sampler that only keeps headers.
 * tail_grow   appends an 8-byte trailer (magic "NS", original length, CPU number from
 *             bpf_get_smp_processor_id, a one-byte sequence) with a positive bpf_xdp_adjust_tail and
 *             bpf_xdp_store_bytes; the original length comes from bpf_xdp_get_buff_len.
 * meta_mark   reserves 8 bytes of metadata (bpf_xdp_adjust_meta) and stores a mark and the frame's
 *             ethertype there; the frame itself is untouched (test_run returns metadata + frame).
 * head_pad    prepends 4 zero bytes and then strips them again, checking that the frame survived;
 *             returns XDP_TX when it did.
 */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} snap_len SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} adjust_log SEC(".maps");

struct trailer {
	__u8 magic[2];
	__be16 orig_len;
	__u16 cpu;
	__u8 seq;
	__u8 pad;
};

struct mark {
	__u32 mark;
	__be16 ethertype;
	__u16 pad;
};

__u8 trailer_seq;

static __always_inline void log_result(__u32 slot, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&adjust_log, &slot);

	if (p)
		*p = v;
}

SEC("xdp")
int tail_trim(struct xdp_md *ctx)
{
	__u32 zero = 0, *snap = bpf_map_lookup_elem(&snap_len, &zero);
	__u32 len = ctx->data_end - ctx->data;
	__u32 want = 64;
	long err;

	if (snap && *snap >= ETH_HLEN)
		want = *snap;
	if (len <= want)
		return XDP_PASS;
	err = bpf_xdp_adjust_tail(ctx, (int)want - (int)len);
	log_result(0, err);
	return err ? XDP_ABORTED : XDP_PASS;
}

SEC("xdp")
int tail_grow(struct xdp_md *ctx)
{
	struct trailer t = { .magic = { 'N', 'S' } };
	__u64 len = bpf_xdp_get_buff_len(ctx);
	long err;

	t.orig_len = bpf_htons((__u16)len);
	t.cpu = bpf_get_smp_processor_id();
	t.seq = ++trailer_seq;
	err = bpf_xdp_adjust_tail(ctx, sizeof(t));
	log_result(1, err);
	if (err)
		return XDP_DROP;
	if (bpf_xdp_store_bytes(ctx, len, &t, sizeof(t)))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int meta_mark(struct xdp_md *ctx)
{
	void *data, *data_end;
	struct mark *m;
	struct ethhdr *eth;
	long err;

	err = bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m));
	log_result(2, err);
	if (err)
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	m = (void *)(long)ctx->data_meta;
	eth = data;
	if ((void *)(m + 1) > data || (void *)(eth + 1) > data_end)
		return XDP_DROP;
	m->mark = 0xc0ffee00 | (ctx->rx_queue_index & 0xff);
	m->ethertype = eth->h_proto;
	m->pad = 0;
	return XDP_PASS;
}

SEC("xdp")
int head_pad(struct xdp_md *ctx)
{
	__u32 before = ctx->data_end - ctx->data, after;
	__u8 first[4] = {};
	long err;

	err = bpf_xdp_adjust_head(ctx, -4);
	log_result(3, err);
	if (err)
		return XDP_DROP;
	if (bpf_xdp_store_bytes(ctx, 0, first, 4))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_head(ctx, 4))
		return XDP_ABORTED;
	after = ctx->data_end - ctx->data;
	return after == before ? XDP_TX : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
