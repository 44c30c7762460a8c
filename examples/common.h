/* Small shared definitions for the nicsim XDP examples: header structs that the UAPI headers lack,
 * a bounds-checked parsing cursor, and checksum folding. Everything here is inline. */
#ifndef NICSIM_EXAMPLES_COMMON_H
#define NICSIM_EXAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

/* ICMP (v4) header as far as the echo fields; <linux/icmp.h> drags in libc socket headers. */
struct icmphdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* A parse position that only ever moves forward and is re-checked against data_end. */
struct cursor {
	void *pos;
	void *end;
};

static __always_inline void cursor_init(struct cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

/* Returns a pointer to `len` bytes at the cursor and advances it, or NULL if they are not there. */
#define CURSOR_TAKE(c, type)                                                    \
	({                                                                      \
		type *__p = (c)->pos;                                           \
		if ((void *)(__p + 1) > (c)->end)                               \
			__p = 0;                                                \
		else                                                            \
			(c)->pos = (void *)(__p + 1);                           \
		__p;                                                            \
	})

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Folds a 32-bit one's complement sum (as returned by bpf_csum_diff) to 16 bits. */
static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* RFC 1624 incremental update: checksum field `check` after a 16-bit word changes from old to new. */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check;
	sum += (__u16)~old;
	sum += new;
	return csum_fold32(sum);
}

#endif
