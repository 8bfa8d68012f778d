/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The classifier's notion of "now": the kernel clock live, the caller's clock in replay. */
#ifndef DW_BPF_CLOCK_H
#define DW_BPF_CLOCK_H

#include "maps.h"

/* Load-time option (rodata): take time from dw_clock. The verifier prunes the
 * branch that is not taken, so live instances pay nothing for it. */
const volatile __u8 use_clock_map = 0;

DW_INLINE __u64 dw_now(void)
{
	if (use_clock_map) {
		__u32 slot = bpf_get_smp_processor_id() & (DW_CLOCK_SLOTS - 1);
		struct dw_clock *c = bpf_map_lookup_elem(&dw_clock, &slot);

		return c ? c->now_ns : 0;
	}
	return bpf_ktime_get_ns();
}

#endif
