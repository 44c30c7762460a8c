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
 * probe_limits measures, by binary search with bounded loops, how far the head, the metadata and
 *             the tail can grow, and records the error codes of a few refused adjustments, into
 *             `limits` (see enum limit_slot); the frame is restored before returning.
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

enum limit_slot {
	L_HEAD_MAX,		/* largest n with bpf_xdp_adjust_head(ctx, -n) == 0 */
	L_META_MAX,		/* largest n (multiple of 4) with bpf_xdp_adjust_meta(ctx, -n) == 0 */
	L_TAIL_MAX,		/* largest n with bpf_xdp_adjust_tail(ctx, n) == 0 */
	L_HEAD_TOO_FAR,		/* bpf_xdp_adjust_head(ctx, -512) */
	L_HEAD_PAST_END,	/* bpf_xdp_adjust_head(ctx, len - 13): fewer than 14 bytes left */
	L_META_ODD,		/* bpf_xdp_adjust_meta(ctx, -6) */
	L_META_TOO_BIG,		/* bpf_xdp_adjust_meta(ctx, -(L_META_MAX + 4)) */
	L_TAIL_TOO_FAR,		/* bpf_xdp_adjust_tail(ctx, 8192) */
	L_TAIL_BELOW_ETH,	/* bpf_xdp_adjust_tail(ctx, 13 - len) */
	L_NUMA_NODE,		/* bpf_get_numa_node_id() */
	L_MAX_SLOT = 16,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, L_MAX_SLOT);
	__type(key, __u32);
	__type(value, __s64);
} limits SEC(".maps");

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

static __always_inline void limit_put(__u32 slot, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&limits, &slot);

	if (p)
		*p = v;
}

/* Each probe grows by n and, if that worked, shrinks back by n. Returns 1 if growing worked. */
static __noinline int try_head(struct xdp_md *ctx, int n)
{
	if (bpf_xdp_adjust_head(ctx, -n))
		return 0;
	return bpf_xdp_adjust_head(ctx, n) == 0;
}

static __noinline int try_meta(struct xdp_md *ctx, int n)
{
	if (bpf_xdp_adjust_meta(ctx, -n))
		return 0;
	return bpf_xdp_adjust_meta(ctx, n) == 0;
}

static __noinline int try_tail(struct xdp_md *ctx, int n)
{
	if (bpf_xdp_adjust_tail(ctx, n))
		return 0;
	return bpf_xdp_adjust_tail(ctx, -n) == 0;
}

SEC("xdp")
int probe_limits(struct xdp_md *ctx)
{
	__u32 lo, hi, mid, meta_max;
	int i, len = ctx->data_end - ctx->data;
	long err;

	/* Invariant: growing by lo works, by hi does not. */
	lo = 0;
	hi = 1024;
	for (i = 0; i < 11; i++) {
		mid = (lo + hi) >> 1;
		if (try_head(ctx, mid))
			lo = mid;
		else
			hi = mid;
	}
	limit_put(L_HEAD_MAX, lo);

	lo = 0;
	hi = 512;
	for (i = 0; i < 8; i++) {
		mid = ((lo + hi) >> 1) & ~3u;
		if (mid == lo)
			break;
		if (try_meta(ctx, mid))
			lo = mid;
		else
			hi = mid;
	}
	meta_max = lo;
	limit_put(L_META_MAX, meta_max);

	lo = 0;
	hi = 8192;
	for (i = 0; i < 14; i++) {
		mid = (lo + hi) >> 1;
		if (try_tail(ctx, mid))
			lo = mid;
		else
			hi = mid;
	}
	limit_put(L_TAIL_MAX, lo);

	limit_put(L_HEAD_TOO_FAR, bpf_xdp_adjust_head(ctx, -512));
	err = bpf_xdp_adjust_head(ctx, len - 13);
	limit_put(L_HEAD_PAST_END, err);
	if (!err)
		return XDP_ABORTED;
	err = bpf_xdp_adjust_meta(ctx, -6);
	limit_put(L_META_ODD, err);
	if (!err)
		return XDP_ABORTED;
	err = bpf_xdp_adjust_meta(ctx, -(int)(meta_max + 4));
	limit_put(L_META_TOO_BIG, err);
	if (!err)
		return XDP_ABORTED;
	limit_put(L_TAIL_TOO_FAR, bpf_xdp_adjust_tail(ctx, 8192));
	err = bpf_xdp_adjust_tail(ctx, 13 - len);
	limit_put(L_TAIL_BELOW_ETH, err);
	if (!err)
		return XDP_ABORTED;
	limit_put(L_NUMA_NODE, bpf_get_numa_node_id());
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
