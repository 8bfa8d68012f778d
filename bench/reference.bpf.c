// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Reference programs for bench/dw_bench. They are yardsticks, not features:
 *
 *   xdp_empty / tc_empty          return the pass verdict and do nothing else:
 *                                 the fixed cost of BPF_PROG_TEST_RUN itself.
 *   xdp_reference / tc_reference  an honest minimal per-flow counter: parse
 *                                 Ethernet, IPv4 (IHL honoured, no options
 *                                 parsing) or IPv6 (no extension headers),
 *                                 TCP or UDP ports, then count packets and
 *                                 bytes in ONE LRU hash entry keyed by the
 *                                 plain (not canonical) 5-tuple.
 *
 * No VLANs, no fragments, no per-DSCP breakdown, no interface counters: what
 * a competent engineer would write for "count bytes per flow" and nothing more.
 * The key is struct dw_flow_key, so the hash work per lookup is the same as
 * the classifier's. The map size is set before load (bpf_map__set_max_entries)
 * to hold the same number of flows as the classifier's table.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "dscpwatch/abi.h"

struct ref_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DW_FLOWS_DEFAULT);
	__type(key, struct dw_flow_key);
	__type(value, struct ref_counter);
} ref_flows SEC(".maps");

/* Fill k from the frame; 0 if it is IPv4/IPv6 TCP/UDP with its ports in the data. */
static __always_inline int ref_parse(void *data, void *data_end, struct dw_flow_key *k)
{
	struct ethhdr *eth = data;
	void *l4;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 ihl;

		if ((void *)(ip + 1) > data_end)
			return -1;
		ihl = ip->ihl * 4;
		if (ihl < sizeof(*ip))
			return -1;
		proto = ip->protocol;
		__builtin_memcpy(k->addr_a, &ip->saddr, 4);
		__builtin_memcpy(k->addr_b, &ip->daddr, 4);
		k->family = 4;
		l4 = (void *)ip + ihl;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		proto = ip6->nexthdr;
		__builtin_memcpy(k->addr_a, &ip6->saddr, 16);
		__builtin_memcpy(k->addr_b, &ip6->daddr, 16);
		k->family = 6;
		l4 = ip6 + 1;
	} else {
		return -1;
	}

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return -1;
		k->port_a = bpf_ntohs(th->source);
		k->port_b = bpf_ntohs(th->dest);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return -1;
		k->port_a = bpf_ntohs(uh->source);
		k->port_b = bpf_ntohs(uh->dest);
	} else {
		return -1;
	}
	k->proto = proto;
	return 0;
}

static __always_inline void ref_count(void *data, void *data_end, __u64 len)
{
	struct dw_flow_key k = {};
	struct ref_counter *v;

	if (ref_parse(data, data_end, &k))
		return;
	v = bpf_map_lookup_elem(&ref_flows, &k);
	if (v) {
		__sync_fetch_and_add(&v->packets, 1);
		__sync_fetch_and_add(&v->bytes, len);
	} else {
		struct ref_counter init = { .packets = 1, .bytes = len };

		bpf_map_update_elem(&ref_flows, &k, &init, BPF_NOEXIST);
	}
}

SEC("xdp")
int xdp_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_reference(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	ref_count(data, data_end, data_end - data);
	return XDP_PASS;
}

SEC("tc")
int tc_empty(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tc_reference(struct __sk_buff *skb)
{
	ref_count((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
