// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Packet sampling to user space through both output channels (tcpdump-like tracing, pping-style
 * probes): a perf event array and a BPF ring buffer.
 *
 * `sample` sends every packet's metadata (length, EtherType, sequence number) with
 * bpf_perf_event_output on the current CPU, with up to SNAP_LEN bytes of the packet appended by the
 * kernel (the ctx-size bits of the flags); then the same metadata with bpf_ringbuf_output, and a
 * reserved ring-buffer record holding the first 32 packet bytes that is submitted, or discarded for
 * ARP. The return codes, failed reservations and bpf_ringbuf_query's four answers are kept in
 * `out_stats`, so an overflowing ring (4 KiB, no consumer during a --repeat run) shows -EAGAIN and
 * NULL reservations. `sample_cpu1` writes to perf slot 1 explicitly (not the running CPU's:
 * -EOPNOTSUPP), `sample_bad` passes flags the kernel refuses (-EINVAL) and a snapshot longer than the
 * packet (-EFAULT).
 */
#include "common.h"

#define SNAP_LEN 64
#define RB_SIZE 4096

struct meta {
	__u16 len;
	__be16 proto;
	__u32 seq;
};

struct rec {
	__u32 len;
	__u32 seq;
	__u8 head[32];
};

/* out_stats slots */
enum {
	ST_SEQ,
	ST_PERF_RC,
	ST_RB_OUTPUT_RC,
	ST_RESERVE_FAIL,
	ST_SUBMITTED,
	ST_DISCARDED,
	ST_AVAIL,
	ST_SIZE,
	ST_CONS,
	ST_PROD,
	ST_BAD_FLAGS_RC,
	ST_BAD_LEN_RC,
	ST_RB_BAD_FLAGS_RC,
	ST_RESERVE_BAD_FLAGS,
	ST_MAX
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u32);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RB_SIZE);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __s64);
} out_stats SEC(".maps");

static __always_inline void put(__u32 slot, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&out_stats, &slot);

	if (p)
		*p = v;
}

static __always_inline void add(__u32 slot, __s64 v)
{
	__s64 *p = bpf_map_lookup_elem(&out_stats, &slot);

	if (p)
		*p += v;
}

static __always_inline __u32 next_seq(void)
{
	__u32 slot = ST_SEQ;
	__s64 *p = bpf_map_lookup_elem(&out_stats, &slot);

	if (!p)
		return 0;
	*p += 1;
	return *p;
}

static __always_inline int fill_meta(struct xdp_md *ctx, struct meta *m)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	m->len = data_end - data;
	m->proto = eth->h_proto;
	m->seq = next_seq();
	return 0;
}

SEC("xdp")
int sample(struct xdp_md *ctx)
{
	struct meta m = {};
	struct rec *r;
	__u64 snap;
	void *data, *data_end;

	if (fill_meta(ctx, &m))
		return XDP_PASS;
	snap = m.len < SNAP_LEN ? m.len : SNAP_LEN;
	put(ST_PERF_RC, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | (snap << 32), &m, sizeof(m)));
	put(ST_RB_OUTPUT_RC, bpf_ringbuf_output(&rb, &m, sizeof(m), 0));

	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		add(ST_RESERVE_FAIL, 1);
	} else {
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		r->len = m.len;
		r->seq = m.seq;
		if (data + 32 <= data_end)
			__builtin_memcpy(r->head, data, 32);
		else
			__builtin_memset(r->head, 0, 32);
		if (m.proto == bpf_htons(ETH_P_ARP)) {
			bpf_ringbuf_discard(r, 0);
			add(ST_DISCARDED, 1);
		} else {
			bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
			add(ST_SUBMITTED, 1);
		}
	}
	put(ST_AVAIL, bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA));
	put(ST_SIZE, bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE));
	put(ST_CONS, bpf_ringbuf_query(&rb, BPF_RB_CONS_POS));
	put(ST_PROD, bpf_ringbuf_query(&rb, BPF_RB_PROD_POS));
	return XDP_PASS;
}

SEC("xdp")
int sample_cpu1(struct xdp_md *ctx)
{
	struct meta m = {};

	if (fill_meta(ctx, &m))
		return XDP_PASS;
	put(ST_PERF_RC, bpf_perf_event_output(ctx, &events, 1, &m, sizeof(m)));
	return XDP_PASS;
}

SEC("xdp")
int sample_bad(struct xdp_md *ctx)
{
	struct meta m = {};
	void *r;

	if (fill_meta(ctx, &m))
		return XDP_PASS;
	/* a flag bit outside BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK */
	put(ST_BAD_FLAGS_RC, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | (1ULL << 60), &m, sizeof(m)));
	/* more packet bytes than the packet has */
	put(ST_BAD_LEN_RC, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | ((__u64)0xfffff << 32), &m, sizeof(m)));
	put(ST_RB_BAD_FLAGS_RC, bpf_ringbuf_output(&rb, &m, sizeof(m), 4));
	r = bpf_ringbuf_reserve(&rb, 16, 1);
	put(ST_RESERVE_BAD_FLAGS, r ? 1 : 0);
	if (r)
		bpf_ringbuf_discard(r, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
