/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The remark decision: which DSCP a frame should leave with, from the
 * configuration generation in force and its exemptions. Deciding is separate
 * from rewriting (rewrite.h), which differs between XDP and tc.
 */
#ifndef DW_BPF_REMARK_H
#define DW_BPF_REMARK_H

#include "maps.h"
#include "parse.h"

/* A rewrite to apply to the frame's IP header. */
struct dw_rewrite {
	__u8 apply;
	__u8 family;
	__u8 from;
	__u8 to;
	__u16 l3_off;
	__u16 pad;
};

DW_INLINE int dw_exempt_prefix(const struct dw_pkt *p, const struct dw_config *cfg, __u8 gen)
{
	if (p->family == 4) {
		struct dw_lpm_v4 k = { .prefixlen = 8 + 32, .gen = gen };

		if (!cfg->n_prefix_v4)
			return 0;
		__builtin_memcpy(k.addr, p->saddr, 4);
		if (bpf_map_lookup_elem(&dw_exempt_v4, &k))
			return 1;
		__builtin_memcpy(k.addr, p->daddr, 4);
		return bpf_map_lookup_elem(&dw_exempt_v4, &k) != NULL;
	} else {
		struct dw_lpm_v6 k = { .prefixlen = 8 + 128, .gen = gen };

		if (!cfg->n_prefix_v6)
			return 0;
		__builtin_memcpy(k.addr, p->saddr, 16);
		if (bpf_map_lookup_elem(&dw_exempt_v6, &k))
			return 1;
		__builtin_memcpy(k.addr, p->daddr, 16);
		return bpf_map_lookup_elem(&dw_exempt_v6, &k) != NULL;
	}
}

/* Ports are known only for TCP/UDP frames whose L4 header was parsed; a
 * non-initial fragment cannot match a port exemption. */
DW_INLINE int dw_exempt_port(const struct dw_pkt *p, const struct dw_config *cfg)
{
	__u32 n = cfg->n_port_ranges;

	if (!n || !p->l4_ok || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return 0;
#pragma unroll
	for (int i = 0; i < DW_MAX_PORT_RANGES; i++) {
		const struct dw_port_range *r = &cfg->ports[i];

		if (i >= n)
			break;
		if (r->proto != p->proto)
			continue;
		if ((p->sport >= r->lo && p->sport <= r->hi) ||
		    (p->dport >= r->lo && p->dport <= r->hi))
			return 1;
	}
	return 0;
}

/* Decide whether and how to remark this frame. One read of the active
 * generation selects both the config slot and the exemption entries. */
DW_INLINE void dw_remark_decide(const struct dw_pkt *p, __u8 dir, struct dw_rewrite *rw)
{
	struct dw_active *a;
	struct dw_config *cfg;
	__u32 zero = 0, slot;
	__u8 to;

	if (!p->l3_ok)
		return;
	a = bpf_map_lookup_elem(&dw_active, &zero);
	if (!a)
		return;
	slot = a->generation & 1;
	cfg = bpf_map_lookup_elem(&dw_config, &slot);
	if (!cfg || cfg->mode == DW_REMARK_OFF || !(cfg->dirs & (1u << dir)))
		return;
	if (cfg->mode == DW_REMARK_ZERO)
		to = 0;
	else if (cfg->mode == DW_REMARK_MAP)
		to = cfg->map[p->dscp & 63] & 63;
	else
		return;
	if (to == p->dscp)
		return;
	if (dw_exempt_prefix(p, cfg, slot)) {
		dw_count(DW_CNT_EXEMPT_PREFIX);
		return;
	}
	if (dw_exempt_port(p, cfg)) {
		dw_count(DW_CNT_EXEMPT_PORT);
		return;
	}
	rw->apply = 1;
	rw->family = p->family;
	rw->from = p->dscp;
	rw->to = to;
	rw->l3_off = p->l3_off;
}

#endif
