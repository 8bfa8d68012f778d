/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-interface counters: (ifindex, direction, DSCP slot) and (ifindex, direction, old, new). */
#ifndef DW_BPF_COUNTERS_H
#define DW_BPF_COUNTERS_H

#include "maps.h"
#include "parse.h"

/* Add one frame to a per-CPU counter map whose value is struct dw_counter,
 * creating the entry on first use. Per-CPU values need no atomics. */
DW_INLINE void dw_counter_add(void *map, const void *key, __u32 len)
{
	struct dw_counter *c = bpf_map_lookup_elem(map, key);

	if (!c) {
		struct dw_counter zero = {};

		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(map, key);
		if (!c) {
			dw_count(DW_CNT_IFSTAT_FAIL);
			return;
		}
	}
	c->packets += 1;
	c->bytes += len;
}

/* The slot of a frame: its DSCP, or non-IP, or malformed (IP header unusable). */
DW_INLINE __u8 dw_slot(const struct dw_pkt *p)
{
	if (p->l3_ok)
		return p->dscp;
	if (p->family == 0 && !p->malformed)
		return DW_SLOT_NONIP;
	return DW_SLOT_MALFORMED;
}

DW_INLINE void dw_if_account(const struct dw_pkt *p, __u32 ifindex, __u8 dir)
{
	struct dw_if_key k = { .ifindex = ifindex, .dir = dir, .slot = dw_slot(p) };

	dw_counter_add(&dw_if_stats, &k, p->len);
}

DW_INLINE void dw_remark_account(__u32 ifindex, __u8 dir, __u8 from, __u8 to, __u32 len)
{
	struct dw_remark_key k = { .ifindex = ifindex, .dir = dir, .from = from, .to = to };

	dw_counter_add(&dw_remarks, &k, len);
	dw_count(DW_CNT_REMARKED);
}

/* The global event counters that describe this frame. */
DW_INLINE void dw_frame_account(const struct dw_pkt *p)
{
	dw_count(DW_CNT_FRAMES);
	if (p->malformed)
		dw_count(p->malformed);
	if (p->vlans)
		dw_count(DW_CNT_VLAN);
	if (p->family == 0) {
		if (!p->malformed)
			dw_count(DW_CNT_NONIP);
		return;
	}
	dw_count(p->family == 4 ? DW_CNT_IPV4 : DW_CNT_IPV6);
	if (p->frag == DW_FRAG_FIRST)
		dw_count(DW_CNT_FRAG_FIRST);
	else if (p->frag == DW_FRAG_LATER)
		dw_count(DW_CNT_FRAG_LATER);
	if (p->l4_ok && p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
	    !(p->family == 4 && p->proto == IPPROTO_ICMP) && !(p->family == 6 && p->proto == IPPROTO_ICMPV6))
		dw_count(DW_CNT_OTHER_PROTO);
}

#endif
