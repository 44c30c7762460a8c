// SPDX-License-Identifier: GPL-2.0 OR MIT
/* VLAN tag handling: pop, push and translate.
 *
 * vlan_pop       removes the outermost 802.1Q/802.1ad tag (counted per VID in `popped`).
 * vlan_push      adds a tag described by `push_cfg[0]` (TPID, VID, PCP); an untagged frame gets an
 *                802.1Q tag, a frame that is already tagged gets the configured outer TPID (QinQ).
 *                An all-zero config (VID 0) means "push nothing". The MAC addresses are moved with
 *                bpf_xdp_load_bytes / bpf_xdp_store_bytes.
 * vlan_translate rewrites the outer VID through `vid_map` (old VID -> new VID), keeping PCP/DEI;
 *                untranslated VIDs are dropped.
 */
#include "common.h"

struct push_cfg {
	__u16 tpid; /* host order, 0x8100 or 0x88a8 */
	__u16 vid;
	__u8 pcp;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct push_cfg);
} push_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);
	__type(value, __u64);
} popped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);
	__type(value, __u16);
} vid_map SEC(".maps");

SEC("xdp")
int vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *neth;
	struct vlan_hdr *vh = data + sizeof(*eth);
	struct ethhdr copy;
	__u64 *cnt, one = 1;
	__u16 vid;

	if ((void *)(vh + 1) > data_end)
		return XDP_PASS;
	if (!is_vlan(eth->h_proto))
		return XDP_PASS;
	vid = bpf_ntohs(vh->tci) & 0x0fff;

	/* The new header is the old MACs followed by the encapsulated ethertype. */
	__builtin_memcpy(&copy, eth, 12);
	copy.h_proto = vh->encap_proto;
	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_hdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	neth = data;
	if ((void *)(neth + 1) > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(neth, &copy, sizeof(copy));

	cnt = bpf_map_lookup_elem(&popped, &vid);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&popped, &vid, &one, BPF_NOEXIST);
	return XDP_PASS;
}

SEC("xdp")
int vlan_push(struct xdp_md *ctx)
{
	struct push_cfg *cfg;
	__u32 zero = 0;
	__u8 macs[12];
	struct vlan_hdr tag;
	__be16 tpid;

	cfg = bpf_map_lookup_elem(&push_cfg, &zero);
	if (!cfg || !cfg->vid)
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 0, macs, sizeof(macs)))
		return XDP_PASS;
	if (bpf_xdp_load_bytes(ctx, 12, &tag.encap_proto, 2))
		return XDP_PASS;

	tpid = is_vlan(tag.encap_proto) ? bpf_htons(cfg->tpid ? cfg->tpid : ETH_P_8021AD) :
					  bpf_htons(ETH_P_8021Q);
	tag.tci = bpf_htons(((__u16)cfg->pcp << 13) | (cfg->vid & 0x0fff));

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct vlan_hdr)))
		return XDP_ABORTED;
	/* New layout: MACs (12), TPID (2), TCI (2), then the old ethertype, which is already in place. */
	if (bpf_xdp_store_bytes(ctx, 0, macs, sizeof(macs)) ||
	    bpf_xdp_store_bytes(ctx, 12, &tpid, 2) ||
	    bpf_xdp_store_bytes(ctx, 14, &tag.tci, 2))
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int vlan_translate(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vh = data + sizeof(*eth);
	__u16 tci, vid, *new_vid;

	if ((void *)(vh + 1) > data_end || !is_vlan(eth->h_proto))
		return XDP_PASS;
	tci = bpf_ntohs(vh->tci);
	vid = tci & 0x0fff;
	new_vid = bpf_map_lookup_elem(&vid_map, &vid);
	if (!new_vid)
		return XDP_DROP;
	vh->tci = bpf_htons((tci & 0xf000) | (*new_vid & 0x0fff));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
