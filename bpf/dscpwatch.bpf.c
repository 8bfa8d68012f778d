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
#include "ctx.h"
#include "flow.h"
#include "handshake.h"
#include "maps.h"
#include "parse.h"
#include "remark.h"
#include "rewrite.h"

/*
 * Handshake tracking runs in global functions, one per context type: the
 * verifier checks each once, on its own, instead of once per parser path.
 * where: bit 0 the sender is endpoint B, bit 1 egress, bits 8-13 the DSCP the
 * frame leaves with.
 */
__noinline int dw_hs_xdp(struct xdp_md *ctx, const struct dw_pkt *p, const struct dw_flow_key *k,
			 int where, __u64 now)
{
	struct dw_ctx c = { .xdp = ctx, .ifindex = ctx->ingress_ifindex,
			    .dir = (where & 2) ? DW_DIR_EGRESS : DW_DIR_INGRESS, .is_xdp = 1 };

	if (!p || !k)
		return DW_HS_NONE;
	c.dscp = (where >> 8) & 63;
	return dw_hs_track(&c, p, k, where & 1, now);
}

__noinline int dw_hs_tc(struct __sk_buff *skb, const struct dw_pkt *p, const struct dw_flow_key *k,
			int where, __u64 now)
{
	struct dw_ctx c = { .skb = skb, .ifindex = skb->ifindex,
			    .dir = (where & 2) ? DW_DIR_EGRESS : DW_DIR_INGRESS };

	if (!p || !k)
		return DW_HS_NONE;
	c.dscp = (where >> 8) & 63;
	return dw_hs_track(&c, p, k, where & 1, now);
}

/* Count the frame everywhere it belongs, decide its remark, and follow its
 * handshake with the DSCP it leaves with (what the path after us sees). */
DW_INLINE void dw_classify(const struct dw_ctx *c, const struct dw_pkt *p, struct dw_rewrite *rw)
{
	dw_frame_account(p);
	dw_if_account(p, c->ifindex, c->dir);
	if (!p->l3_ok)
		return;
	dw_remark_decide(p, c->dir, rw);
	if (p->l4_ok && p->frag != DW_FRAG_LATER) {
		struct dw_flow_key k;
		int from_b = dw_flow_key(p, &k);
		__u64 now = dw_now();
		/* bit 0: sender is B; bit 1: egress; bits 8-13: the DSCP it leaves with */
		int where = from_b | (c->dir == DW_DIR_EGRESS ? 2 : 0) |
			    ((rw->apply ? rw->to : p->dscp) & 63) << 8;

		struct dw_flow *f = dw_flow_account(p, &k, from_b, c->ifindex, c->dir, now);

		/* The handshake record matters for SYNs and for flows being followed. */
		if (p->proto == IPPROTO_TCP &&
		    (!f || f->hs_state == DW_HS_TRACKING || (p->tcp_flags & DW_TCP_SYN_F))) {
			int st = c->is_xdp ? dw_hs_xdp(c->xdp, p, &k, where, now)
					   : dw_hs_tc(c->skb, p, &k, where, now);

			if (f && f->hs_state != st)
				f->hs_state = st;
		}
	}
}

DW_INLINE void dw_remark_done(const struct dw_pkt *p, __u32 ifindex, __u8 dir,
			      const struct dw_rewrite *rw, int err)
{
	if (err)
		dw_count(DW_CNT_REMARK_FAIL);
	else
		dw_remark_account(ifindex, dir, rw->from, rw->to, p->len);
}

DW_INLINE int dw_xdp_run(struct xdp_md *ctx, __u8 dir)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct dw_ctx c = { .xdp = ctx, .ifindex = ctx->ingress_ifindex, .dir = dir, .is_xdp = 1 };
	struct dw_pkt p = { .len = data_end - data };
	struct dw_rewrite rw = {};

	dw_parse(data, data_end, &p, 1);
	dw_classify(&c, &p, &rw);
	data = (void *)(long)ctx->data; /* helpers may have moved nothing, but the verifier wants fresh bounds */
	data_end = (void *)(long)ctx->data_end;
	if (rw.apply)
		dw_remark_done(&p, ctx->ingress_ifindex, dir, &rw, dw_rewrite_direct(data, data_end, &rw));
	return XDP_PASS;
}

SEC("xdp")
int dw_xdp(struct xdp_md *ctx)
{
	return dw_xdp_run(ctx, DW_DIR_INGRESS);
}

/*
 * Replay only (`dscpwatch analyze`), never attached, and loaded only with the
 * replay clock: the same core for frames that LEFT through the interface. A
 * test run on XDP costs about half one on tc (no skb is built), and replay
 * runs one per captured frame.
 */
SEC("xdp")
int dw_xdp_egress(struct xdp_md *ctx)
{
	return dw_xdp_run(ctx, DW_DIR_EGRESS);
}

DW_INLINE int dw_tc(struct __sk_buff *skb, __u8 dir)
{
	struct dw_ctx c = { .skb = skb, .ifindex = skb->ifindex, .dir = dir };
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
	dw_classify(&c, &p, &rw);
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
