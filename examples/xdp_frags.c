// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Multi-buffer aware XDP (SEC("xdp.frags")): frames larger than one buffer arrive as a linear part
 * plus fragments. Direct packet access only reaches the linear part; bpf_xdp_get_buff_len,
 * bpf_xdp_load_bytes and bpf_xdp_store_bytes see the whole frame.
 *
 * frag_inspect  records the total and linear lengths and the last 4 bytes of the frame in `frag_info`,
 *               stamps the frame's last byte with 0xee through bpf_xdp_store_bytes, and drops
 *               frames longer than `max_len`.
 * frag_trim     shrinks any frame longer than 1514 bytes to 1514 (bpf_xdp_adjust_tail may release
 *               whole fragments).
 */
#include "common.h"

struct info {
	__u64 buff_len;
	__u32 linear_len;
	__u8 last4[4];
	__s64 trim_err;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct info);
} frag_info SEC(".maps");

const volatile __u64 max_len = 9000;

SEC("xdp.frags")
int frag_inspect(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct info *in = bpf_map_lookup_elem(&frag_info, &zero);
	__u64 len = bpf_xdp_get_buff_len(ctx);
	__u8 mark = 0xee;

	if (!in)
		return XDP_ABORTED;
	in->buff_len = len;
	in->linear_len = ctx->data_end - ctx->data;
	if (len < 4 || len > 0xffff)
		return XDP_DROP;
	if (bpf_xdp_load_bytes(ctx, len - 4, in->last4, 4))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, len - 1, &mark, 1))
		return XDP_ABORTED;
	return len > max_len ? XDP_DROP : XDP_PASS;
}

SEC("xdp.frags")
int frag_trim(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct info *in = bpf_map_lookup_elem(&frag_info, &zero);
	__u64 len = bpf_xdp_get_buff_len(ctx);

	if (!in)
		return XDP_ABORTED;
	in->buff_len = len;
	if (len <= 1514)
		return XDP_PASS;
	in->trim_err = bpf_xdp_adjust_tail(ctx, 1514 - (int)len);
	in->linear_len = ctx->data_end - ctx->data;
	return in->trim_err ? XDP_ABORTED : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
