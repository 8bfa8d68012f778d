// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The dscpwatch classifier: one core (parse, count, decide), three entry
 * points (XDP, tc clsact ingress, tc clsact egress). It never drops: every
 * frame leaves with XDP_PASS or TC_ACT_UNSPEC (the clsact "continue" verdict,
 * which passes the frame and lets any later filter run).
 */
#include "common.h"
#include "clock.h"
#include "counters.h"
#include "flow.h"
#include "maps.h"
#include "parse.h"
#include "remark.h"
#include "rewrite.h"

/* Count the frame everywhere it belongs and decide its remark. */
DW_INLINE void dw_classify(const struct dw_pkt *p, __u32 ifindex, __u8 dir, struct dw_rewrite *rw)
{
	dw_frame_account(p);
	dw_if_account(p, ifindex, dir);
	if (!p->l3_ok)
		return;
	if (p->l4_ok && p->frag != DW_FRAG_LATER)
		dw_flow_account(p, ifindex, dw_now());
	dw_remark_decide(p, dir, rw);
}

DW_INLINE void dw_remark_done(const struct dw_pkt *p, __u32 ifindex, __u8 dir,
			      const struct dw_rewrite *rw, int err)
{
	if (err)
		dw_count(DW_CNT_REMARK_FAIL);
	else
		dw_remark_account(ifindex, dir, rw->from, rw->to, p->len);
}

SEC("xdp")
int dw_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct dw_pkt p = { .len = data_end - data };
	struct dw_rewrite rw = {};

	dw_parse(data, data_end, &p, 1);
	dw_classify(&p, ctx->ingress_ifindex, DW_DIR_INGRESS, &rw);
	if (rw.apply)
		dw_remark_done(&p, ctx->ingress_ifindex, DW_DIR_INGRESS, &rw,
			       dw_rewrite_direct(data, data_end, &rw));
	return XDP_PASS;
}

DW_INLINE int dw_tc(struct __sk_buff *skb, __u8 dir)
{
	struct dw_pkt p = { .len = skb->len };
	struct dw_rewrite rw = {};

	if (dw_parse((void *)(long)skb->data, (void *)(long)skb->data_end, &p, 0) ==
	    DW_PARSE_NEED_MORE) {
		/* Headers reach into paged data: make them linear, then parse anew. */
		bpf_skb_pull_data(skb, skb->len < DW_PULL_MAX ? skb->len : DW_PULL_MAX);
		__builtin_memset(&p, 0, sizeof(p));
		p.len = skb->len;
		dw_parse((void *)(long)skb->data, (void *)(long)skb->data_end, &p, 1);
	}
	dw_classify(&p, skb->ifindex, dir, &rw);
	if (rw.apply)
		dw_remark_done(&p, skb->ifindex, dir, &rw, dw_rewrite_skb(skb, &rw));
	return TC_ACT_UNSPEC;
}

SEC("tc")
int dw_tc_ingress(struct __sk_buff *skb)
{
	return dw_tc(skb, DW_DIR_INGRESS);
}

SEC("tc")
int dw_tc_egress(struct __sk_buff *skb)
{
	return dw_tc(skb, DW_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
