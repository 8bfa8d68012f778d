/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Per-flow accounting: one LRU record for both directions of a 5-tuple, with
 * client/server orientation and an exact per-DSCP breakdown per direction.
 * Counters are updated with atomics: the two directions of a flow often run on
 * different CPUs.
 */
#ifndef DW_BPF_FLOW_H
#define DW_BPF_FLOW_H

#include "maps.h"
#include "parse.h"

/* Build the canonical key. Returns the direction index of this packet in the
 * record: 0 if it was sent by endpoint A, 1 if by endpoint B. */
DW_INLINE int dw_flow_key(const struct dw_pkt *p, struct dw_flow_key *k)
{
	int src_is_b = 0, decided = 0;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u32 s, d;

		__builtin_memcpy(&s, p->saddr + 4 * i, 4);
		__builtin_memcpy(&d, p->daddr + 4 * i, 4);
		if (!decided && s != d) {
			src_is_b = bpf_ntohl(s) > bpf_ntohl(d);
			decided = 1;
		}
	}
	if (!decided)
		src_is_b = p->sport > p->dport;

	if (src_is_b) {
		__builtin_memcpy(k->addr_a, p->daddr, 16);
		__builtin_memcpy(k->addr_b, p->saddr, 16);
		k->port_a = p->dport;
		k->port_b = p->sport;
	} else {
		__builtin_memcpy(k->addr_a, p->saddr, 16);
		__builtin_memcpy(k->addr_b, p->daddr, 16);
		k->port_a = p->sport;
		k->port_b = p->dport;
	}
	k->proto = p->proto;
	k->family = p->family;
	k->pad = 0;
	return src_is_b;
}

#define DW_TCP_SYN 0x02
#define DW_TCP_ACK 0x10

/* Client side from this packet: a SYN's sender, a SYN-ACK's receiver; -1 if
 * the packet says nothing. */
DW_INLINE int dw_syn_client(const struct dw_pkt *p, int from_b)
{
	if (p->proto != IPPROTO_TCP || !(p->tcp_flags & DW_TCP_SYN))
		return -1;
	if (p->tcp_flags & DW_TCP_ACK)
		return from_b ? DW_SIDE_A : DW_SIDE_B;
	return from_b ? DW_SIDE_B : DW_SIDE_A;
}

/* Without a SYN, the lower port is the server; equal ports make A the client. */
DW_INLINE __u8 dw_port_client(const struct dw_flow_key *k)
{
	return k->port_a < k->port_b ? DW_SIDE_B : DW_SIDE_A;
}

DW_INLINE void dw_flow_dir_add(struct dw_flow_dir *d, __u8 dscp, __u32 len)
{
	__u64 before = __sync_fetch_and_add(&d->packets, 1);
	__u64 bit = 1ULL << (dscp & 63);
	__u32 tag = (__u32)dscp + 1;
	int placed = 0;

	__sync_fetch_and_add(&d->bytes, len);
#pragma unroll
	for (int i = 0; i < DW_FLOW_DSCP_SLOTS; i++) {
		__u32 cur;

		if (placed)
			break;
		cur = d->slot_tag[i];
		if (cur == 0)
			cur = __sync_val_compare_and_swap(&d->slot_tag[i], 0, tag) ?: tag;
		if (cur == tag) {
			__sync_fetch_and_add(&d->slot_packets[i], 1);
			__sync_fetch_and_add(&d->slot_bytes[i], len);
			placed = 1;
		}
	}
	if (!placed) {
		__sync_fetch_and_add(&d->other_packets, 1);
		__sync_fetch_and_add(&d->other_bytes, len);
	}
	if (!(d->seen_mask & bit))
		__sync_fetch_and_or(&d->seen_mask, bit);
	if (before && d->last_dscp != dscp)
		__sync_fetch_and_add(&d->dscp_changes, 1);
	d->last_dscp = dscp;
}

/* Find or create the record of this packet's flow. */
DW_INLINE struct dw_flow *dw_flow_get(const struct dw_pkt *p, const struct dw_flow_key *k,
				      int from_b, __u32 ifindex, __u64 now)
{
	struct dw_flow *f = bpf_map_lookup_elem(&dw_flows, k);
	struct dw_flow *init;
	__u32 zero = 0;
	int client;
	long err;

	if (f)
		return f;
	init = bpf_map_lookup_elem(&dw_scratch, &zero);
	if (!init)
		return NULL;
	__builtin_memset(init, 0, sizeof(*init));
	client = dw_syn_client(p, from_b);
	if (client >= 0) {
		init->client = client;
		init->orient = DW_ORIENT_SYN;
	} else {
		init->client = dw_port_client(k);
		init->orient = DW_ORIENT_PORT;
	}
	init->first_ns = now;
	init->first_ifindex = ifindex;
	err = bpf_map_update_elem(&dw_flows, k, init, BPF_NOEXIST);
	if (err == 0)
		dw_count(DW_CNT_FLOW_NEW);
	else if (err != -17 /* EEXIST: another CPU created it first */)
		dw_count(DW_CNT_FLOW_INSERT_FAIL);
	return bpf_map_lookup_elem(&dw_flows, k);
}

/* Returns the record (NULL if it could not be made). */
DW_INLINE struct dw_flow *dw_flow_account(const struct dw_pkt *p, const struct dw_flow_key *k, int from_b,
					  __u32 ifindex, __u8 dir, __u64 now)
{
	struct dw_flow_dir *d;
	struct dw_flow *f;
	int client;

	f = dw_flow_get(p, k, from_b, ifindex, now);
	if (!f)
		return NULL;
	client = dw_syn_client(p, from_b);
	if (client >= 0 && (f->orient != DW_ORIENT_SYN || f->client != client)) {
		f->client = client;
		f->orient = DW_ORIENT_SYN;
	}
	d = &f->dir[from_b & 1];
	if (!d->obs_ifindex) {
		d->obs_ifindex = ifindex;
		d->obs_dir = dir;
	}
	f->last_ns = now;
	f->last_ifindex = ifindex;
	if (d->obs_ifindex != ifindex || d->obs_dir != dir)
		return f; /* counted where it was first seen */
	dw_flow_dir_add(d, p->dscp, p->len);
	return f;
}

#endif
