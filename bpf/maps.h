/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the classifier. Keys and values are declared in
 * include/dscpwatch/abi.h; the README's "BPF maps" section describes each one.
 */
#ifndef DW_BPF_MAPS_H
#define DW_BPF_MAPS_H

#include "common.h"

/* Packets and bytes per (ifindex, direction, DSCP slot). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dw_if_key);
	__type(value, struct dw_counter);
} dw_if_stats SEC(".maps");

/* Remarks per (ifindex, direction, old DSCP, new DSCP). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct dw_remark_key);
	__type(value, struct dw_counter);
} dw_remarks SEC(".maps");

/* Global event counters, indexed by enum dw_cnt. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DW_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} dw_counters SEC(".maps");

/* One record per bidirectional 5-tuple. The size is a load-time option
 * (bpf_map__set_max_entries before load). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DW_FLOWS_DEFAULT);
	__type(key, struct dw_flow_key);
	__type(value, struct dw_flow);
} dw_flows SEC(".maps");

/* Two configuration generations (slot = generation & 1). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct dw_config);
} dw_config SEC(".maps");

/* The generation in force. Mmapable, so that a writer publishes it with one
 * atomic 64-bit store. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dw_active);
} dw_active SEC(".maps");

/* Exempt prefixes, keyed by generation slot + address. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DW_LPM_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dw_lpm_v4);
	__type(value, __u8);
} dw_exempt_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DW_LPM_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dw_lpm_v6);
	__type(value, __u8);
} dw_exempt_v6 SEC(".maps");

/* Caller-provided clock, read only when use_clock_map is set at load; one
 * slot per CPU. Mmapable, so that replay sets each frame's time with a store,
 * not a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DW_CLOCK_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct dw_clock);
} dw_clock SEC(".maps");

/* Per-CPU scratch space for building a new flow record off the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dw_flow);
} dw_scratch SEC(".maps");

/* Handshake records, keyed like dw_flows; created on SYN / SYN-ACK only.
 * The size is a load-time option. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DW_HS_DEFAULT);
	__type(key, struct dw_flow_key);
	__type(value, struct dw_hs);
} dw_hs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dw_hs);
} dw_hs_scratch SEC(".maps");

/* Hello snippets and stage changes for userspace (SNI, versions, verdicts). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DW_RINGBUF_BYTES);
} dw_events SEC(".maps");

DW_INLINE void dw_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&dw_counters, &idx);

	if (v)
		*v += 1;
}

#endif
