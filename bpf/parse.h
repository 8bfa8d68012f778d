/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing: Ethernet, up to two VLAN tags, IPv4 (options, fragments),
 * IPv6 (extension chain), TCP/UDP/ICMP/ICMPv6. Pure: it only fills struct dw_pkt,
 * so a caller may parse again (tc, after pulling non-linear data) without
 * counting anything twice. Every access is bounds-checked right before use.
 */
#ifndef DW_BPF_PARSE_H
#define DW_BPF_PARSE_H

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "common.h"

/* linux/icmp.h drags in libc headers that do not build for -target bpf. */
#define DW_ICMP_ECHOREPLY 0
#define DW_ICMP_ECHO 8
#define DW_ICMPV6_ECHO_REQUEST 128
#define DW_ICMPV6_ECHO_REPLY 129

enum dw_frag {
	DW_FRAG_NONE = 0,
	DW_FRAG_FIRST = 1, /* offset 0, more fragments follow: carries the ports */
	DW_FRAG_LATER = 2, /* offset > 0: no L4 header */
};

/* What the parser learnt about one frame. */
struct dw_pkt {
	__u32 len;     /* whole frame, bytes */
	__u16 l3_off;  /* IP header offset (14, 18 or 22) */
	__u8 family;   /* 0: not IP, 4, 6 (from the EtherType) */
	__u8 proto;    /* IPPROTO_*, after IPv6 extension headers */
	__u8 dscp;
	__u8 frag;     /* enum dw_frag */
	__u8 vlans;
	__u8 l3_ok;    /* the IP header is sound: DSCP valid, may be rewritten */
	__u8 l4_ok;    /* ports known (0 for protocols without ports): flow accounting */
	__u8 tcp_flags;
	__u8 malformed; /* 0, or the enum dw_cnt reason */
	__u8 pad;
	__u16 sport;   /* host order */
	__u16 dport;
	__u16 l3_len;  /* IP length: header + payload, as a policer sees it */
	__u16 l4_off;  /* TCP header offset */
	__u16 l4_hlen; /* TCP header length (data offset * 4) */
	__u16 pad2;
	__u32 seq;     /* TCP, host order */
	__u32 ack;
	__u8 saddr[16];
	__u8 daddr[16];
};

enum dw_parse_status {
	DW_PARSE_DONE = 0,
	DW_PARSE_NEED_MORE = 1, /* headers run past the linear data of a longer skb */
};

/* tc pulls at most this much into the linear area: every header the parser walks. */
#define DW_PULL_MAX (DW_L4_MAX_OFF + 64)

struct dw_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct dw_v6_ext {
	__u8 nexthdr;
	__u8 hdrlen;
	__be16 frag_off; /* fragment header only */
	__be32 rest;
};

/* Headers end before the frame does. Where the frame is longer than the linear
 * data (tc), the caller may pull and parse again; otherwise it is malformed. */
DW_INLINE int dw_cut(struct dw_pkt *p, void *data, void *data_end, __u8 reason, int final)
{
	if (!final && (__u32)(data_end - data) < p->len)
		return DW_PARSE_NEED_MORE;
	p->malformed = reason;
	return DW_PARSE_DONE;
}

DW_INLINE int dw_bad(struct dw_pkt *p, __u8 reason)
{
	p->malformed = reason;
	return DW_PARSE_DONE;
}

DW_INLINE int dw_is_v6_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/* Is an L4 header of `need` bytes at off inside the IP packet and the linear data?
 * Returns 1 if so; otherwise sets *status. */
DW_INLINE int dw_l4_fits(void *data, void *data_end, __u32 off, __u32 need, __u32 l3_end,
			 struct dw_pkt *p, int final, int *status)
{
	if (off + need > l3_end) {
		*status = dw_bad(p, DW_CNT_MAL_L4_TRUNC);
		return 0;
	}
	if (data + off + need > data_end) {
		*status = dw_cut(p, data, data_end, DW_CNT_MAL_L4_TRUNC, final);
		return 0;
	}
	return 1;
}

/* L4 header at off; l3_end is where the IP packet ends (never past the frame). */
DW_INLINE int dw_parse_l4(void *data, void *data_end, __u32 off, __u32 l3_end,
			  struct dw_pkt *p, int final)
{
	__u8 proto = p->proto;
	int status = DW_PARSE_DONE;

	if (off > l3_end) /* an extension header ran past the packet */
		return dw_bad(p, DW_CNT_MAL_L4_TRUNC);
	if (off > DW_L4_MAX_OFF)
		return dw_bad(p, DW_CNT_MAL_V6_TOO_DEEP);

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;

		if (!dw_l4_fits(data, data_end, off, sizeof(*th), l3_end, p, final, &status))
			return status;
		if ((void *)(th + 1) > data_end)
			return DW_PARSE_DONE; /* unreachable; for the verifier */
		if (th->doff < 5 || off + th->doff * 4 > l3_end)
			return dw_bad(p, DW_CNT_MAL_L4_TRUNC);
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		p->tcp_flags = ((__u8 *)th)[13];
		p->seq = bpf_ntohl(th->seq);
		p->ack = bpf_ntohl(th->ack_seq);
		p->l4_off = off;
		p->l4_hlen = th->doff * 4;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;

		if (!dw_l4_fits(data, data_end, off, sizeof(*uh), l3_end, p, final, &status))
			return status;
		if ((void *)(uh + 1) > data_end)
			return DW_PARSE_DONE;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
	} else if ((proto == IPPROTO_ICMP && p->family == 4) ||
		   (proto == IPPROTO_ICMPV6 && p->family == 6)) {
		__u8 *ic = data + off;
		int echo;

		if (!dw_l4_fits(data, data_end, off, 8, l3_end, p, final, &status))
			return status;
		if ((void *)(ic + 8) > data_end)
			return DW_PARSE_DONE;
		echo = p->family == 4 ? (ic[0] == DW_ICMP_ECHO || ic[0] == DW_ICMP_ECHOREPLY)
				      : (ic[0] == DW_ICMPV6_ECHO_REQUEST || ic[0] == DW_ICMPV6_ECHO_REPLY);
		if (echo) {
			__u16 id = bpf_ntohs(*(__be16 *)(ic + 4));

			p->sport = id;
			p->dport = id;
		}
	}
	/* any other protocol: a flow without ports */
	p->l4_ok = 1;
	return DW_PARSE_DONE;
}

DW_INLINE int dw_parse_ipv4(void *data, void *data_end, __u32 off, struct dw_pkt *p, int final)
{
	struct iphdr *ip = data + off;
	__u32 ihl, tot, avail;
	__u16 frag;

	p->family = 4;
	if ((void *)(ip + 1) > data_end)
		return dw_cut(p, data, data_end, DW_CNT_MAL_L3_TRUNC, final);
	if (ip->version != 4)
		return dw_bad(p, DW_CNT_MAL_BAD_VERSION);
	ihl = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	avail = p->len - off;
	if (ihl < sizeof(*ip) || ihl > avail)
		return dw_bad(p, DW_CNT_MAL_BAD_IHL);
	if (tot < ihl || tot > avail)
		return dw_bad(p, DW_CNT_MAL_BAD_LEN);
	if (data + off + ihl > data_end)
		return dw_cut(p, data, data_end, DW_CNT_MAL_BAD_IHL, final);

	p->dscp = ip->tos >> 2;
	p->proto = ip->protocol;
	p->l3_len = tot;
	p->l3_ok = 1;
	__builtin_memcpy(p->saddr, &ip->saddr, 4);
	__builtin_memcpy(p->daddr, &ip->daddr, 4);

	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff) {
		p->frag = DW_FRAG_LATER;
		return DW_PARSE_DONE;
	}
	if (frag & 0x2000)
		p->frag = DW_FRAG_FIRST;
	return dw_parse_l4(data, data_end, off + ihl, off + tot, p, final);
}

DW_INLINE int dw_parse_ipv6(void *data, void *data_end, __u32 off, struct dw_pkt *p, int final)
{
	struct ipv6hdr *ip6 = data + off;
	__u32 plen, avail, l3_end, cur;
	__u8 nh, *b;

	p->family = 6;
	if ((void *)(ip6 + 1) > data_end)
		return dw_cut(p, data, data_end, DW_CNT_MAL_L3_TRUNC, final);
	if (ip6->version != 6)
		return dw_bad(p, DW_CNT_MAL_BAD_VERSION);
	plen = bpf_ntohs(ip6->payload_len);
	avail = p->len - off;
	if (sizeof(*ip6) + plen > avail)
		return dw_bad(p, DW_CNT_MAL_BAD_LEN);
	/* payload_len 0 with a hop-by-hop jumbo option: the frame bounds the packet */
	l3_end = plen ? off + sizeof(*ip6) + plen : p->len;
	p->l3_len = l3_end - off;

	b = (__u8 *)ip6;
	p->dscp = ((b[0] & 0x0f) << 2) | (b[1] >> 6);
	p->l3_ok = 1;
	__builtin_memcpy(p->saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->daddr, &ip6->daddr, 16);

	nh = ip6->nexthdr;
	cur = off + sizeof(*ip6);
#pragma unroll
	for (int i = 0; i < DW_V6_MAX_EXT; i++) {
		struct dw_v6_ext *eh;

		if (!dw_is_v6_ext(nh))
			break;
		if (cur > DW_L4_MAX_OFF)
			return dw_bad(p, DW_CNT_MAL_V6_TOO_DEEP);
		if (cur + sizeof(*eh) > l3_end)
			return dw_bad(p, DW_CNT_MAL_L4_TRUNC);
		eh = data + cur;
		if ((void *)(eh + 1) > data_end)
			return dw_cut(p, data, data_end, DW_CNT_MAL_L4_TRUNC, final);
		if (nh == IPPROTO_FRAGMENT) {
			__u16 fo = bpf_ntohs(eh->frag_off);

			if (fo & 0xfff8) {
				p->frag = DW_FRAG_LATER;
				p->proto = eh->nexthdr;
				return DW_PARSE_DONE;
			}
			if (fo & 1)
				p->frag = DW_FRAG_FIRST;
			cur += 8;
		} else if (nh == IPPROTO_AH) {
			cur += (eh->hdrlen + 2) * 4;
		} else {
			cur += (eh->hdrlen + 1) * 8;
		}
		nh = eh->nexthdr;
		if (cur > l3_end) /* this header runs past the packet */
			return dw_bad(p, DW_CNT_MAL_L4_TRUNC);
	}
	p->proto = nh;
	if (dw_is_v6_ext(nh))
		return dw_bad(p, DW_CNT_MAL_V6_TOO_DEEP);
	return dw_parse_l4(data, data_end, cur, l3_end, p, final);
}

/* Parse one frame. final: the data cannot grow (XDP, or tc after a pull). */
DW_INLINE int dw_parse(void *data, void *data_end, struct dw_pkt *p, int final)
{
	struct ethhdr *eth = data;
	__be16 proto;
	__u32 off = sizeof(*eth);

	if ((void *)(eth + 1) > data_end)
		return dw_cut(p, data, data_end, DW_CNT_MAL_L2_TRUNC, final);
	proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < DW_MAX_VLAN; i++) {
		struct dw_vlan_hdr *vh;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = data + off;
		if ((void *)(vh + 1) > data_end)
			return dw_cut(p, data, data_end, DW_CNT_MAL_L2_TRUNC, final);
		proto = vh->proto;
		off += sizeof(*vh);
		p->vlans++;
	}
	p->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		return dw_parse_ipv4(data, data_end, off, p, final);
	if (proto == bpf_htons(ETH_P_IPV6))
		return dw_parse_ipv6(data, data_end, off, p, final);
	return DW_PARSE_DONE; /* not IP (including a third VLAN tag) */
}

#endif
