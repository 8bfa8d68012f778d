/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Includes and small helpers that every kernel file of the classifier uses. */
#ifndef DW_BPF_COMMON_H
#define DW_BPF_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "dscpwatch/abi.h"

#ifndef IPPROTO_ICMPV6
#define IPPROTO_ICMPV6 58
#endif

#define DW_INLINE static __always_inline

/* Keeps the compiler from copying a bounds-checked value before the check,
 * which would leave the verifier an unbounded copy. */
#define DW_BARRIER_VAR(v) asm volatile("" : "+r"(v))

#endif
