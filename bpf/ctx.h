/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The hook a frame came through, and reading its bytes whatever the hook. */
#ifndef DW_BPF_CTX_H
#define DW_BPF_CTX_H

#include "common.h"

struct dw_ctx {
	struct __sk_buff *skb; /* tc */
	struct xdp_md *xdp;    /* XDP */
	__u32 ifindex;
	__u8 dir;              /* enum dw_dir */
	__u8 is_xdp;           /* a constant in each entry point, so the compiler keeps one branch */
	__u8 dscp;             /* the DSCP the frame leaves with (after any remark) */
};

/* Copies n bytes at off (from the frame start) into buf; 0 on success. Reads
 * through helpers, so paged skb data is reachable too. */
DW_INLINE long dw_load(const struct dw_ctx *c, __u32 off, void *buf, __u32 n)
{
	if (c->is_xdp)
		return bpf_xdp_load_bytes(c->xdp, off, buf, n);
	return bpf_skb_load_bytes(c->skb, off, buf, n);
}

#endif
