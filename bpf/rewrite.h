/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rewriting the DSCP bits. ECN is never touched. IPv4: the header checksum is
 * updated incrementally (RFC 1624, eqn. 3) on the raw 16-bit words as they sit
 * in the packet, so no byte swapping is involved. IPv6: the traffic class spans
 * bytes 0-1 of the header and there is no header checksum. L4 checksums do not
 * cover the DSCP.
 *
 * XDP writes the packet directly. tc uses helpers: a direct write anywhere in a
 * tc program makes the verifier unclone every skb up front, which would copy
 * each cloned TCP segment even when nothing is rewritten.
 */
#ifndef DW_BPF_REWRITE_H
#define DW_BPF_REWRITE_H

#include "remark.h"

/* Largest l3_off: Ethernet plus DW_MAX_VLAN tags. */
#define DW_L3_OFF_MAX (14 + 4 * DW_MAX_VLAN)

/* RFC 1624: HC' = ~(~HC + ~m + m'), all in one's complement on raw words. */
DW_INLINE __u16 dw_csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32)new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

DW_INLINE __u8 dw_tos_with(__u8 tos, __u8 dscp)
{
	return (dscp << 2) | (tos & 0x03);
}

/* IPv6 bytes 0-1: version(4) | traffic class(8) | flow label(4 of 20). */
DW_INLINE void dw_tclass_with(__u8 *b0, __u8 *b1, __u8 dscp)
{
	*b0 = (*b0 & 0xf0) | (dscp >> 2);
	*b1 = (*b1 & 0x3f) | ((dscp & 0x03) << 6);
}

/* XDP: write in place. Returns 0 on success. */
DW_INLINE int dw_rewrite_direct(void *data, void *data_end, const struct dw_rewrite *rw)
{
	__u32 off = rw->l3_off;
	__u8 *b;

	DW_BARRIER_VAR(off);
	if (off > DW_L3_OFF_MAX)
		return -1;
	DW_BARRIER_VAR(off);
	b = data + off;
	if (rw->family == 4) {
		__u16 *w = (__u16 *)b, old;

		if ((void *)(b + 20) > data_end)
			return -1;
		old = w[0];
		b[1] = dw_tos_with(b[1], rw->to);
		w[5] = dw_csum_replace2(w[5], old, w[0]);
		return 0;
	}
	if ((void *)(b + 2) > data_end)
		return -1;
	dw_tclass_with(&b[0], &b[1], rw->to);
	return 0;
}

/* tc: write through helpers. bpf_l3_csum_replace takes the raw (network order)
 * old and new words; BPF_F_RECOMPUTE_CSUM keeps skb->csum right for
 * CHECKSUM_COMPLETE when the IPv6 traffic class changes. Returns 0 on success. */
DW_INLINE int dw_rewrite_skb(struct __sk_buff *skb, const struct dw_rewrite *rw)
{
	__u32 off = rw->l3_off;
	__u8 b[2];
	__u16 old, new;

	if (off > DW_L3_OFF_MAX)
		return -1;
	if (bpf_skb_load_bytes(skb, off, b, 2))
		return -1;
	__builtin_memcpy(&old, b, 2);
	if (rw->family == 4) {
		b[1] = dw_tos_with(b[1], rw->to);
		__builtin_memcpy(&new, b, 2);
		if (bpf_l3_csum_replace(skb, off + 10, old, new, 2))
			return -1;
		return bpf_skb_store_bytes(skb, off + 1, &b[1], 1, 0) ? -1 : 0;
	}
	dw_tclass_with(&b[0], &b[1], rw->to);
	return bpf_skb_store_bytes(skb, off, b, 2, BPF_F_RECOMPUTE_CSUM) ? -1 : 0;
}

#endif
