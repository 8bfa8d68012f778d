/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP and TLS handshake tracking. For flows whose SYN (or SYN-ACK) we see, a
 * dw_hs record follows the handshake flight by flight:
 *
 *  - TCP control: SYN, SYN-ACK, the handshake ACK, FIN and RST, and who sent them.
 *  - TLS records that start a segment: content type, handshake message type,
 *    cleartext alerts. A side's new flight begins with its first new data after
 *    the peer spoke; the record at its start names the stage (TLS 1.3's
 *    encrypted flights are inferred from their order). Segments that continue
 *    a flight count for it even without a record header.
 *  - Per stage: DSCP of its segments, sizes, the largest one the peer ACKed,
 *    retransmissions (data whose sequence range was already sent), duplicate
 *    ACKs and SACKs from the peer.
 *  - Events on the ring buffer: the first bytes of ClientHello and ServerHello
 *    (SNI, versions, cipher) and stage changes. A full ring is counted.
 *
 * Tracking stops a few segments after the handshake is established, so a bulk
 * transfer pays one map lookup per packet and nothing more. Updates are plain
 * stores: the two directions may race on another CPU, which can lose a count
 * in a diagnostic field but never corrupts the record.
 */
#ifndef DW_BPF_HANDSHAKE_H
#define DW_BPF_HANDSHAKE_H

#include "ctx.h"
#include "maps.h"
#include "parse.h"

#define DW_TCP_FIN 0x01
#define DW_TCP_SYN_F 0x02
#define DW_TCP_RST 0x04
#define DW_TCP_ACK_F 0x10

#define DW_REC_CCS 20
#define DW_REC_ALERT 21
#define DW_REC_HANDSHAKE 22
#define DW_REC_APPDATA 23

/* Segments tracked after both sides are established, before tracking stops. */
#define DW_HS_TAIL 8

/* The first 8 bytes of the HelloRetryRequest random (RFC 8446, 4.1.3). */
#define DW_HRR_RANDOM 0xcf21ad74e59a6111ULL

DW_INLINE __u64 dw_bit(__u8 v)
{
	return 1ULL << (v & 63);
}

DW_INLINE int dw_seq_lt(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/* Word by word: a byte-wise memcpy from a pointer argument goes through the stack. */
DW_INLINE void dw_copy_key(struct dw_flow_key *dst, const struct dw_flow_key *src)
{
	const __u64 *s = (const __u64 *)src;
	__u64 *d = (__u64 *)dst;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
	d[3] = s[3];
	d[4] = s[4];
}

DW_INLINE void dw_hist(struct dw_hs *hs, char c)
{
	__u8 n = hs->hist_len;

	if (n < DW_HS_HIST - 1) {
		hs->hist[n] = c;
		hs->hist_len = n + 1;
	} else if (n == DW_HS_HIST - 1) {
		hs->hist[n] = '+'; /* more events than room */
		hs->hist_len = n + 1;
	}
}

/* Client letters are upper case, server letters lower case. */
DW_INLINE void dw_hist_side(struct dw_hs *hs, int side, char upper)
{
	dw_hist(hs, side == DW_HS_CLIENT ? upper : upper + ('a' - 'A'));
}

DW_INLINE struct dw_hs_stage *dw_stage_of(struct dw_hs *hs, __u32 st)
{
	DW_BARRIER_VAR(st);
	if (st >= DW_ST_MAX)
		return NULL;
	DW_BARRIER_VAR(st);
	return &hs->stage[st];
}

/* what: type | side << 8 | stage << 16 | dscp << 24 | dir << 30. Out of line:
 * it is called from many places, and each inlined copy would cost stack.
 * Scalars only, so the caller's context stays a compile-time constant. The
 * time is hs->last_ns. */
static __noinline void dw_event_small_out(const struct dw_flow_key *k, const struct dw_hs *hs,
					  const struct dw_pkt *p, __u32 what, __u32 ifindex)
{
	struct dw_event *ev = bpf_ringbuf_reserve(&dw_events, sizeof(*ev), 0);
	__u8 side = (what >> 8) & 1;

	if (!ev) {
		dw_count(DW_CNT_EVENTS_DROPPED);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = hs->last_ns;
	dw_copy_key(&ev->key, k);
	ev->ifindex = ifindex;
	ev->type = what & 0xff;
	ev->side = side;
	ev->stage = (what >> 16) & 0xff;
	ev->dscp = (what >> 24) & 63;
	ev->client = hs->client;
	ev->dir = (what >> 30) & 1;
	ev->seg_len = p->l3_len;
	ev->alert_level = hs->side[side].alert_level;
	ev->alert_desc = hs->side[side].alert_desc;
	bpf_ringbuf_submit(ev, 0);
	dw_count(DW_CNT_EVENTS);
}

DW_INLINE void dw_event_small(const struct dw_ctx *c, const struct dw_flow_key *k,
			      const struct dw_hs *hs, const struct dw_pkt *p, __u8 type, int side,
			      __u8 stage, __u64 now)
{
	(void)now; /* hs->last_ns is now */
	dw_event_small_out(k, hs, p,
			   type | (side & 1) << 8 | (__u32)(stage & 0xff) << 16 | (__u32)(c->dscp & 63) << 24 |
				   (__u32)(c->dir & 1) << 30,
			   c->ifindex);
}

/* The first bytes of a hello record, for SNI, versions and cipher. */
DW_INLINE void dw_event_hello(const struct dw_ctx *c, const struct dw_flow_key *k,
			      const struct dw_hs *hs, const struct dw_pkt *p, int side, __u32 off,
			      __u32 plen, __u64 now)
{
	struct dw_event *ev = bpf_ringbuf_reserve(&dw_events, sizeof(*ev) + DW_SNIPPET_MAX, 0);
	__u32 n = plen < DW_SNIPPET_MAX ? plen : DW_SNIPPET_MAX, m;

	if (!ev) {
		dw_count(DW_CNT_EVENTS_DROPPED);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now;
	dw_copy_key(&ev->key, k);
	ev->ifindex = c->ifindex;
	ev->type = DW_EV_HELLO;
	ev->side = side;
	ev->stage = side == DW_HS_CLIENT ? DW_ST_CLIENT_HELLO : DW_ST_SERVER_HELLO;
	ev->dscp = c->dscp;
	ev->client = hs->client;
	ev->dir = c->dir;
	ev->seg_len = p->l3_len;
	/* The load helpers need a length of 1 or more that the verifier can see.
	 * Bound n - 1 in its own register and add the 1 after the check: Linux
	 * 6.1's verifier does not carry a bound on n - 1 back to n. */
	m = n - 1;
	DW_BARRIER_VAR(m);
	if (m < DW_SNIPPET_MAX) {
		DW_BARRIER_VAR(m);
		n = m + 1;
		if (dw_load(c, off, (void *)(ev + 1), n))
			n = 0;
	} else {
		n = 0;
	}
	ev->snippet_len = n;
	bpf_ringbuf_submit(ev, 0);
	dw_count(DW_CNT_EVENTS);
}

/* Start a record: the SYN's sender (or the SYN-ACK's receiver) is the client. */
DW_INLINE struct dw_hs *dw_hs_create(const struct dw_pkt *p, const struct dw_flow_key *k,
				     int from_b, __u64 now)
{
	__u32 zero = 0;
	struct dw_hs *init = bpf_map_lookup_elem(&dw_hs_scratch, &zero);
	int synack = p->tcp_flags & DW_TCP_ACK_F;

	if (!init)
		return NULL;
	__builtin_memset(init, 0, sizeof(*init));
	init->start_ns = now;
	/* sender is B: client is B for a SYN, A for a SYN-ACK */
	init->client = (from_b ^ (synack ? 1 : 0)) ? DW_SIDE_B : DW_SIDE_A;
	if (bpf_map_update_elem(&dw_hs, k, init, BPF_ANY)) {
		dw_count(DW_CNT_HS_INSERT_FAIL);
		return NULL;
	}
	dw_count(DW_CNT_HS_NEW);
	return bpf_map_lookup_elem(&dw_hs, k);
}

/*
 * A few decisions run as global functions: the verifier checks each once with
 * unknown arguments, instead of once for every path that leads to it. That
 * keeps the whole program's verification time in check.
 */

/* The stage a relative sequence number of this side belongs to. */
__noinline int dw_stage_at_g(const struct dw_hs *hs, int side, __u32 rel)
{
	const struct dw_hs_side *sd;
	__u8 found;

	if (!hs)
		return 0;
	sd = &hs->side[side & 1];
	found = sd->stage;

	for (int st = DW_ST_SYN; st < DW_ST_MAX; st++) {
		int mine = st == DW_ST_ESTABLISHED ||
			   (side == DW_HS_CLIENT ? (st == DW_ST_SYN || st == DW_ST_ACK || st == DW_ST_CLIENT_HELLO ||
						    st == DW_ST_CLIENT_FINISHED)
						 : (st == DW_ST_SYNACK || st == DW_ST_SERVER_HELLO ||
						    st == DW_ST_SERVER_FINISHED));

		/* ESTABLISHED is shared: the peer's segments alone can make its count
		 * non-zero. This side is in it only once it entered it: stage_seq set
		 * (data starts at relative sequence 1, so 0 means never). */
		int entered = st == DW_ST_ESTABLISHED ? sd->stage_seq[st] != 0 : hs->stage[st].segs != 0;

		if (mine && entered && !dw_seq_lt(rel, sd->stage_seq[st]))
			found = st;
	}
	return found;
}

DW_INLINE __u8 dw_stage_at(const struct dw_hs *hs, const struct dw_hs_side *sd, int side, __u32 rel)
{
	(void)sd;
	return dw_stage_at_g(hs, side, rel) & 0x0f;
}

DW_INLINE void dw_seg_remember(struct dw_hs_side *sd, __u32 end, __u16 len, __u8 dscp, __u8 stage)
{
	__u32 slot = sd->seg_head;

	DW_BARRIER_VAR(slot);
	if (slot >= DW_HS_SEGS)
		slot = 0;
	DW_BARRIER_VAR(slot);
	sd->segs[slot].end = end;
	sd->segs[slot].len = len;
	sd->segs[slot].dscp = dscp;
	sd->segs[slot].stage = stage;
	sd->seg_head = slot + 1 < DW_HS_SEGS ? slot + 1 : 0;
}

/* Marks the side's remembered segments whose end lies in (left, right] as
 * arrived. A bpf_loop callback: the verifier checks the body once instead of
 * once per iteration and per path. */
struct dw_mark_ctx {
	struct dw_hs *hs;
	struct dw_hs_side *sd;
	__u32 left;
	__u32 right;
};

static long dw_mark_cb(__u64 index, void *data)
{
	struct dw_mark_ctx *m = data;
	__u32 i = index;
	struct dw_hs_seg *g;
	struct dw_hs_stage *s;

	DW_BARRIER_VAR(i);
	if (i >= DW_HS_SEGS)
		return 1;
	DW_BARRIER_VAR(i);
	g = &m->sd->segs[i];
	if (!g->end || (g->stage & DW_HS_SEG_ACKED) || !dw_seq_lt(m->left, g->end) || dw_seq_lt(m->right, g->end))
		return 0;
	g->stage |= DW_HS_SEG_ACKED;
	s = dw_stage_of(m->hs, g->stage & 0x0f);
	if (!s)
		return 0;
	if (g->len > s->max_acked_len)
		s->max_acked_len = g->len;
	s->acked_dscp_mask |= dw_bit(g->dscp);
	return 0;
}

DW_INLINE void dw_seg_mark(struct dw_hs *hs, struct dw_hs_side *sd, __u32 left, __u32 right)
{
	struct dw_mark_ctx m = { .hs = hs, .sd = sd, .left = left, .right = right };

	bpf_loop(DW_HS_SEGS, dw_mark_cb, &m, 0);
}

/* The peer ACKed everything up to rel (relative to this side's ISN). */
DW_INLINE void dw_seg_acked(struct dw_hs *hs, struct dw_hs_side *sd, __u32 rel)
{
	dw_seg_mark(hs, sd, rel - 0x7fffffff, rel);
}

/* Segments of the peer inside a SACK block arrived: count them as ACKed. */
DW_INLINE void dw_sack_block(const struct dw_ctx *c, struct dw_hs *hs, struct dw_hs_side *peer, __u32 off)
{
	__u32 edge[2] = {};

	if (dw_load(c, off, edge, 8))
		return;
	dw_seg_mark(hs, peer, bpf_ntohl(edge[0]) - peer->isn, bpf_ntohl(edge[1]) - peer->isn);
}

/* Walks the TCP options of a peer's ACK; SACK blocks mark the segments that
 * arrived. Returns whether there was a SACK option. Option by option through
 * the load helper, to keep the stack small. */
DW_INLINE int dw_sack_scan_in(const struct dw_ctx *c, struct dw_hs *hs, struct dw_hs_side *peer,
			   const struct dw_pkt *p)
{
	__u32 off = p->l4_off + 20, end = p->l4_off + p->l4_hlen;

	if (p->l4_hlen <= 20 || p->l4_hlen > 60)
		return 0;
	for (int k = 0; k < 10; k++) {
		__u8 o[2] = {};

		if (off >= end || dw_load(c, off, o, off + 1 < end ? 2 : 1))
			break;
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			off++;
			continue;
		}
		if (o[1] < 2)
			break;
		if (o[0] == 5) {
			/* The first blocks are the most recent; two are enough to see what got through. */
			if (o[1] >= 10 && off + 10 <= end)
				dw_sack_block(c, hs, peer, off + 2);
			if (o[1] >= 18 && off + 18 <= end)
				dw_sack_block(c, hs, peer, off + 10);
			return 1;
		}
		off += o[1];
	}
	return 0;
}

/* What a TLS record at the start of a segment says. */
struct dw_rec {
	__u8 valid;
	__u8 type;     /* content type */
	__u8 msg;      /* handshake message type (type 22) */
	__u8 hrr;      /* ServerHello that is a HelloRetryRequest */
	__u16 len;     /* record length */
	__u8 alert_level;
	__u8 alert_desc;
};

DW_INLINE void dw_peek_record_in(const struct dw_ctx *c, __u32 off, __u32 plen, struct dw_rec *r)
{
	__u8 h[7] = {};
	__u64 rnd = 0;

	if (plen < 5 || dw_load(c, off, h, plen >= 7 ? 7 : 5))
		return;
	if (h[0] < DW_REC_CCS || h[0] > DW_REC_APPDATA || h[1] != 3 || h[2] > 4)
		return;
	r->len = (__u16)h[3] << 8 | h[4];
	if (r->len > 16384 + 2048)
		return;
	r->valid = 1;
	r->type = h[0];
	if (plen >= 6)
		r->msg = h[5];
	if (h[0] == DW_REC_ALERT && r->len == 2 && plen >= 7) {
		r->alert_level = h[5];
		r->alert_desc = h[6];
	}
	if (h[0] == DW_REC_HANDSHAKE && r->msg == DW_TLS_SERVER_HELLO && plen >= 19 &&
	    dw_load(c, off + 11, &rnd, 8) == 0 && bpf_be64_to_cpu(rnd) == DW_HRR_RANDOM)
		r->hrr = 1;
}

/*
 * Out-of-line copies of the two option/record readers keep the handshake
 * function's stack small. One copy per context type, chosen at compile time,
 * so each program only calls the load helper it is allowed to.
 */
static __noinline int dw_sack_scan_xdp(struct xdp_md *x, struct dw_hs *hs, struct dw_hs_side *peer,
				       const struct dw_pkt *p)
{
	struct dw_ctx c = { .xdp = x, .is_xdp = 1 };

	return dw_sack_scan_in(&c, hs, peer, p);
}

static __noinline int dw_sack_scan_tc(struct __sk_buff *skb, struct dw_hs *hs, struct dw_hs_side *peer,
				      const struct dw_pkt *p)
{
	struct dw_ctx c = { .skb = skb };

	return dw_sack_scan_in(&c, hs, peer, p);
}

DW_INLINE int dw_sack_scan(const struct dw_ctx *c, struct dw_hs *hs, struct dw_hs_side *peer,
			   const struct dw_pkt *p)
{
	if (c->is_xdp)
		return dw_sack_scan_xdp(c->xdp, hs, peer, p);
	return dw_sack_scan_tc(c->skb, hs, peer, p);
}

static __noinline void dw_peek_record_xdp(struct xdp_md *x, __u32 off, __u32 plen, struct dw_rec *r)
{
	struct dw_ctx c = { .xdp = x, .is_xdp = 1 };

	dw_peek_record_in(&c, off, plen, r);
}

static __noinline void dw_peek_record_tc(struct __sk_buff *skb, __u32 off, __u32 plen, struct dw_rec *r)
{
	struct dw_ctx c = { .skb = skb };

	dw_peek_record_in(&c, off, plen, r);
}

DW_INLINE void dw_peek_record(const struct dw_ctx *c, __u32 off, __u32 plen, struct dw_rec *r)
{
	if (c->is_xdp)
		dw_peek_record_xdp(c->xdp, off, plen, r);
	else
		dw_peek_record_tc(c->skb, off, plen, r);
}

/* The stage of a side's new flight, from the record at its start. */
__noinline int dw_flight_stage_g(int cur, int side, const struct dw_rec *r)
{
	if (!r)
		return cur;

	if (!r->valid)
		return cur >= DW_ST_CLIENT_HELLO ? cur : DW_ST_ESTABLISHED; /* mid-record, or not TLS */
	if (r->type == DW_REC_ALERT)
		return cur;
	if (side == DW_HS_CLIENT) {
		if (r->type == DW_REC_HANDSHAKE && r->msg == DW_TLS_CLIENT_HELLO)
			return DW_ST_CLIENT_HELLO;
		return cur < DW_ST_CLIENT_FINISHED ? DW_ST_CLIENT_FINISHED : DW_ST_ESTABLISHED;
	}
	if (r->type == DW_REC_HANDSHAKE &&
	    (r->msg == DW_TLS_SERVER_HELLO || r->msg == DW_TLS_CERTIFICATE ||
	     r->msg == DW_TLS_SERVER_KEY_EXCHANGE || r->msg == DW_TLS_SERVER_HELLO_DONE) &&
	    cur < DW_ST_SERVER_HELLO)
		return DW_ST_SERVER_HELLO;
	if (cur < DW_ST_SERVER_HELLO)
		return DW_ST_ESTABLISHED; /* data from the server before any hello: not TLS */
	if (cur == DW_ST_SERVER_HELLO && r->type != DW_REC_APPDATA)
		return DW_ST_SERVER_FINISHED; /* TLS 1.2: NewSessionTicket / ChangeCipherSpec / Finished */
	return DW_ST_ESTABLISHED;          /* TLS 1.3 tickets and application data */
}

DW_INLINE __u8 dw_flight_stage(const struct dw_hs_side *sd, int side, const struct dw_rec *r)
{
	return dw_flight_stage_g(sd->stage, side, r) & 0x0f;
}

/* History letters and TLS facts for the record at a segment start. */
__noinline int dw_note_record_g(struct dw_hs *hs, int side, const struct dw_rec *r)
{
	struct dw_hs_side *sd;
	char l = 0;

	if (!hs || !r || !r->valid)
		return 0;
	side &= 1;
	sd = &hs->side[side];
	sd->tls |= DW_TLSF_RECORD;
	if (r->type == DW_REC_HANDSHAKE && !(sd->tls & DW_TLSF_CCS)) {
		if (r->msg < 32)
			sd->hs_msgs |= 1u << r->msg;
		switch (r->msg) {
		case DW_TLS_CLIENT_HELLO:
		case DW_TLS_SERVER_HELLO: l = r->hrr ? 'V' : 'H'; break;
		case DW_TLS_CERTIFICATE: l = 'X'; break;
		case DW_TLS_SERVER_KEY_EXCHANGE:
		case DW_TLS_CLIENT_KEY_EXCHANGE: l = 'K'; break;
		case DW_TLS_SERVER_HELLO_DONE: l = 'O'; break;
		case DW_TLS_NEW_SESSION_TICKET: l = 'N'; break;
		}
		if (r->hrr)
			sd->tls |= DW_TLSF_HRR;
	} else if (r->type == DW_REC_HANDSHAKE) {
		l = 'E'; /* encrypted handshake message (TLS 1.2 Finished) */
	} else if (r->type == DW_REC_CCS) {
		sd->tls |= DW_TLSF_CCS;
		l = 'G';
	} else if (r->type == DW_REC_ALERT) {
		l = 'L';
		if (r->len == 2 && !(sd->tls & DW_TLSF_CCS)) {
			sd->tls |= DW_TLSF_ALERT;
			sd->alert_level = r->alert_level;
			sd->alert_desc = r->alert_desc;
		} else {
			sd->tls |= DW_TLSF_ENC_ALERT;
		}
		if (!(hs->flags & (DW_HSF_ALERT | DW_HSF_RESET))) {
			hs->end_stage = hs->reached;
			hs->end_side = side;
		}
		hs->flags |= DW_HSF_ALERT;
	}
	if (l)
		dw_hist_side(hs, side, l);
	return 0;
}

DW_INLINE void dw_note_record(struct dw_hs *hs, struct dw_hs_side *sd, int side, const struct dw_rec *r)
{
	(void)sd;
	dw_note_record_g(hs, side, r);
}

DW_INLINE void dw_stage_add(struct dw_hs *hs, __u8 st, const struct dw_pkt *p, __u8 dscp, __u32 now_us,
				int retrans)
{
	struct dw_hs_stage *s = dw_stage_of(hs, st);
	__u16 len = p->l3_len;

	if (!s)
		return;
	if (!s->segs)
		s->first_us = now_us;
	s->last_us = now_us;
	s->segs++;
	s->dscp_mask |= dw_bit(dscp);
	if (len > s->max_len)
		s->max_len = len;
	if (retrans) {
		s->retrans++;
		s->lost_dscp_mask |= dw_bit(dscp);
		if (!s->min_lost_len || len < s->min_lost_len)
			s->min_lost_len = len;
		if (len > s->max_lost_len)
			s->max_lost_len = len;
	}
}

DW_INLINE void dw_enter_stage(const struct dw_ctx *c, const struct dw_flow_key *k, struct dw_hs *hs,
			      struct dw_hs_side *sd, int side, __u8 st, __u32 rel,
			      const struct dw_pkt *p, __u64 now)
{
	__u32 i = st;

	DW_BARRIER_VAR(i);
	if (i >= DW_ST_MAX)
		return;
	DW_BARRIER_VAR(i);
	sd->stage = st;
	sd->stage_seq[i] = rel;
	if (st > hs->reached)
		hs->reached = st;
	dw_event_small(c, k, hs, p, DW_EV_STAGE, side, st, now);
}

/* SYN, SYN-ACK and the handshake ACK; FIN and RST. */
DW_INLINE void dw_hs_control(const struct dw_ctx *c, const struct dw_flow_key *k, struct dw_hs *hs,
			     struct dw_hs_side *sd, int side, const struct dw_pkt *p, __u32 plen,
			     __u64 now, __u32 now_us)
{
	__u8 fl = p->tcp_flags;
	struct dw_hs_side *peer = &hs->side[(side ^ 1) & 1];

	if (fl & DW_TCP_SYN_F) {
		__u8 st = side == DW_HS_CLIENT ? DW_ST_SYN : DW_ST_SYNACK;
		__u8 bit = side == DW_HS_CLIENT ? DW_TCPF_SYN : DW_TCPF_SYNACK;
		int again = (sd->tcp & bit) && sd->isn_valid && p->seq == sd->isn;

		if (side == DW_HS_SERVER && !peer->isn_valid) {
			/* The SYN went unseen: the SYN-ACK tells the client's ISN. */
			peer->isn = p->ack - 1;
			peer->isn_valid = 1;
			peer->nxt = 1;
		}
		if (!(sd->tcp & bit)) {
			sd->isn = p->seq;
			sd->isn_valid = 1;
			sd->nxt = 1;
			sd->tcp |= bit;
			dw_hist_side(hs, side, 'S');
			dw_enter_stage(c, k, hs, sd, side, st, 0, p, now);
			dw_seg_remember(sd, 1, p->l3_len, c->dscp, st);
		}
		dw_stage_add(hs, st, p, c->dscp, now_us, again);
		if (again && !(sd->retrans_noted & (1u << (st - 1)))) {
			sd->retrans_noted |= 1u << (st - 1);
			dw_hist_side(hs, side, 'T');
		}
	} else if (side == DW_HS_CLIENT && (fl & DW_TCP_ACK_F) && !(sd->tcp & DW_TCPF_ACK) &&
		   (peer->tcp & DW_TCPF_SYNACK) && plen == 0 && !(fl & (DW_TCP_FIN | DW_TCP_RST))) {
		sd->tcp |= DW_TCPF_ACK;
		dw_hist(hs, 'A');
		dw_enter_stage(c, k, hs, sd, side, DW_ST_ACK, sd->nxt, p, now);
		dw_stage_add(hs, DW_ST_ACK, p, c->dscp, now_us, 0);
	}
	if ((fl & DW_TCP_FIN) && !(sd->tcp & DW_TCPF_FIN)) {
		sd->tcp |= DW_TCPF_FIN;
		hs->flags |= DW_HSF_FIN;
		dw_hist_side(hs, side, 'F');
	}
	if ((fl & DW_TCP_RST) && !(sd->tcp & DW_TCPF_RST)) {
		sd->tcp |= DW_TCPF_RST;
		if (!(hs->flags & (DW_HSF_ALERT | DW_HSF_RESET))) {
			hs->end_stage = hs->reached;
			hs->end_side = side;
		}
		hs->flags |= DW_HSF_RESET;
		dw_hist_side(hs, side, 'R');
		dw_event_small(c, k, hs, p, DW_EV_RESET, side, hs->reached, now);
	}
}

/* The peer's data that this packet ACKs; duplicate ACKs and SACKs. */
DW_INLINE void dw_hs_ack(const struct dw_ctx *c, struct dw_hs *hs, const struct dw_pkt *p, int side,
			 __u32 plen)
{
	struct dw_hs_side *peer = &hs->side[(side ^ 1) & 1];
	__u32 rel;
	__u8 st;
	int sack;

	if (!(p->tcp_flags & DW_TCP_ACK_F) || !peer->isn_valid)
		return;
	rel = p->ack - peer->isn;
	if (dw_seq_lt(peer->acked, rel)) {
		peer->acked = rel;
		dw_seg_acked(hs, peer, rel);
		return; /* SACK blocks are read on repeated ACKs, where the holes show */
	}
	if (rel != peer->acked || (p->tcp_flags & (DW_TCP_SYN_F | DW_TCP_RST)))
		return;
	sack = dw_sack_scan(c, hs, peer, p);
	if (plen || (p->tcp_flags & DW_TCP_FIN) || !dw_seq_lt(rel, peer->nxt))
		return;
	/* Same ACK again while the peer has data outstanding: a duplicate ACK. */
	st = dw_stage_at(hs, peer, side ^ 1, rel);
	{
		struct dw_hs_stage *s = dw_stage_of(hs, st);

		if (!s)
			return;
		s->dupacks++;
		if (sack)
			s->sacks++;
	}
}

/* A segment with payload. */
DW_INLINE void dw_hs_data(const struct dw_ctx *c, const struct dw_flow_key *k, struct dw_hs *hs,
			  struct dw_hs_side *sd, int side, const struct dw_pkt *p, __u32 plen,
			  __u64 now, __u32 now_us)
{
	struct dw_hs_side *peer = &hs->side[(side ^ 1) & 1];
	__u32 off = p->l4_off + p->l4_hlen;
	struct dw_rec r = {};
	__u32 rel, end;
	__u8 st;

	if (!sd->isn_valid)
		return;
	rel = p->seq - sd->isn;
	end = rel + plen;
	if (dw_seq_lt(rel, sd->nxt)) {
		/* Its sequence range was already sent: a retransmission. */
		st = dw_stage_at(hs, sd, side, rel);
		dw_stage_add(hs, st, p, c->dscp, now_us, 1);
		if (st >= 1 && st < DW_ST_MAX && !(sd->retrans_noted & (1u << (st - 1)))) {
			sd->retrans_noted |= 1u << (st - 1);
			dw_hist_side(hs, side, 'T');
		}
		if (dw_seq_lt(sd->nxt, end))
			sd->nxt = end;
		return;
	}
	dw_peek_record(c, off, plen, &r);
	st = sd->stage;
	if (sd->peer_spoke || st < DW_ST_CLIENT_HELLO) {
		/* The first new data since the peer spoke: a new flight. */
		st = dw_flight_stage(sd, side, &r);
		if (!r.valid && sd->stage < DW_ST_CLIENT_HELLO)
			sd->tls |= DW_TLSF_NOT_TLS;
		if (st != sd->stage) {
			if (st == DW_ST_ESTABLISHED)
				dw_hist_side(hs, side, 'D');
			dw_enter_stage(c, k, hs, sd, side, st, rel, p, now);
		}
		sd->peer_spoke = 0;
	}
	dw_note_record(hs, sd, side, &r);
	if (r.valid && r.type == DW_REC_HANDSHAKE &&
	    (r.msg == DW_TLS_CLIENT_HELLO || r.msg == DW_TLS_SERVER_HELLO) && !(sd->tls & DW_TLSF_CCS))
		dw_event_hello(c, k, hs, p, side, off, plen, now);
	if (r.valid && r.type == DW_REC_ALERT)
		dw_event_small(c, k, hs, p, DW_EV_ALERT, side, hs->reached, now);
	dw_stage_add(hs, st, p, c->dscp, now_us, 0);
	dw_seg_remember(sd, end, p->l3_len, c->dscp, st);
	sd->nxt = end;
	peer->peer_spoke = 1;
}

/* Track one TCP segment of a flow (key and direction as dw_flow_key() made them).
 * Returns the flow's enum dw_hs_state after this segment. */
DW_INLINE int dw_hs_track(const struct dw_ctx *c, const struct dw_pkt *p, const struct dw_flow_key *k,
			   int from_b, __u64 now)
{
	struct dw_hs *hs;
	struct dw_hs_side *sd;
	__u32 plen, hdrs, now_us;
	int side, syn_only;

	if (p->proto != IPPROTO_TCP || !p->l4_ok)
		return DW_HS_NONE;
	syn_only = (p->tcp_flags & (DW_TCP_SYN_F | DW_TCP_ACK_F)) == DW_TCP_SYN_F;
	hs = bpf_map_lookup_elem(&dw_hs, k);
	if (hs && syn_only && hs->side[DW_HS_CLIENT].isn_valid && p->seq != hs->side[DW_HS_CLIENT].isn)
		hs = NULL; /* a new connection on the same 5-tuple: start over */
	if (!hs) {
		if (!(p->tcp_flags & DW_TCP_SYN_F))
			return DW_HS_NONE;
		hs = dw_hs_create(p, k, from_b, now);
		if (!hs)
			return DW_HS_NONE;
	}
	if (hs->flags & DW_HSF_DONE)
		return DW_HS_FINISHED;
	side = (from_b ? DW_SIDE_B : DW_SIDE_A) == hs->client ? DW_HS_CLIENT : DW_HS_SERVER;
	sd = &hs->side[side & 1];
	/* Follow each side at one point: the same segment seen again on a second
	 * interface of a gateway is not a retransmission. */
	if (!sd->obs_ifindex) {
		sd->obs_ifindex = c->ifindex;
		sd->obs_dir = c->dir;
	} else if (sd->obs_ifindex != c->ifindex || sd->obs_dir != c->dir) {
		return DW_HS_TRACKING;
	}
	hdrs = (__u32)(p->l4_off - p->l3_off) + p->l4_hlen;
	plen = p->l3_len > hdrs ? p->l3_len - hdrs : 0;
	now_us = (now - hs->start_ns) / 1000;
	hs->last_ns = now;

	dw_hs_control(c, k, hs, sd, side, p, plen, now, now_us);
	dw_hs_ack(c, hs, p, side, plen);
	if (plen && !(p->tcp_flags & DW_TCP_SYN_F))
		dw_hs_data(c, k, hs, sd, side, p, plen, now, now_us);
	if (hs->side[0].stage == DW_ST_ESTABLISHED && hs->side[1].stage == DW_ST_ESTABLISHED &&
	    ++hs->after_done >= DW_HS_TAIL)
		hs->flags |= DW_HSF_DONE;
	return (hs->flags & DW_HSF_DONE) ? DW_HS_FINISHED : DW_HS_TRACKING;
}

#endif
