/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between the dscpwatch classifier (bpf/) and its userspace (user/).
 *
 * Every map key and value that crosses the boundary is declared here, once, with
 * fixed-width types and explicit padding, so that clang -target bpf and the host
 * C++ compiler lay them out identically. DW_ABI_ASSERT pins each size; a change
 * that moves a field breaks the build on both sides instead of corrupting data.
 */
#ifndef DSCPWATCH_ABI_H
#define DSCPWATCH_ABI_H

#include <linux/types.h>

#ifdef __cplusplus
#define DW_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DW_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* ---- directions and hooks ------------------------------------------------ */

/* Interface direction of a packet, as the hook sees it. XDP is always ingress. */
enum dw_dir {
	DW_DIR_INGRESS = 0,
	DW_DIR_EGRESS = 1,
	DW_DIR_MAX = 2,
};

/* ---- per-interface, per-direction, per-DSCP counters --------------------- */

/* Slots 0..63 are DSCP values. Every frame lands in exactly one slot, so the sum
 * over all slots of an (ifindex, dir) is the frame total. */
#define DW_DSCP_VALUES 64
#define DW_SLOT_NONIP 64     /* not IPv4/IPv6 (ARP, LLDP, ...) */
#define DW_SLOT_MALFORMED 65 /* IP, but the L3 header is unusable */
#define DW_SLOTS 66

struct dw_if_key {
	__u32 ifindex;
	__u8 dir;  /* enum dw_dir */
	__u8 slot; /* DSCP 0..63, DW_SLOT_NONIP or DW_SLOT_MALFORMED */
	__u16 pad;
};
DW_ABI_ASSERT(sizeof(struct dw_if_key) == 8, "dw_if_key layout");

/* Value of the per-CPU counter maps (interface counters and remark counters). */
struct dw_counter {
	__u64 packets;
	__u64 bytes; /* whole frames, L2 header included */
};
DW_ABI_ASSERT(sizeof(struct dw_counter) == 16, "dw_counter layout");

/* Remarks done, per interface, direction and (old, new) DSCP. */
struct dw_remark_key {
	__u32 ifindex;
	__u8 dir;
	__u8 from; /* DSCP before */
	__u8 to;   /* DSCP after */
	__u8 pad;
};
DW_ABI_ASSERT(sizeof(struct dw_remark_key) == 8, "dw_remark_key layout");

/* ---- global event counters (per-CPU array indexed by enum dw_cnt) --------- */

enum dw_cnt {
	DW_CNT_FRAMES = 0,        /* every frame the classifier saw */
	DW_CNT_NONIP,             /* frames that are not IPv4/IPv6 */
	DW_CNT_IPV4,
	DW_CNT_IPV6,
	DW_CNT_VLAN,              /* frames with one or two VLAN tags */
	DW_CNT_FRAG_FIRST,        /* first fragments (offset 0, more fragments) */
	DW_CNT_FRAG_LATER,        /* non-initial fragments: per DSCP only, no ports */
	DW_CNT_OTHER_PROTO,       /* IP protocols other than TCP/UDP/ICMP/ICMPv6 */
	/* malformed, by reason; such frames still pass */
	DW_CNT_MAL_L2_TRUNC,      /* Ethernet or VLAN header cut */
	DW_CNT_MAL_L3_TRUNC,      /* IP fixed header cut */
	DW_CNT_MAL_L4_TRUNC,      /* TCP/UDP/ICMP header cut, or IPv6 ext header cut */
	DW_CNT_MAL_BAD_IHL,       /* IPv4 IHL < 5 or the options run past the frame */
	DW_CNT_MAL_BAD_LEN,       /* IP length field shorter than the header or longer than the frame */
	DW_CNT_MAL_BAD_VERSION,   /* EtherType says IPv4/IPv6 but the version nibble disagrees */
	DW_CNT_MAL_V6_TOO_DEEP,   /* more IPv6 extension headers than DW_V6_MAX_EXT, or past DW_L4_MAX_OFF */
	/* flow table */
	DW_CNT_FLOW_NEW,          /* flow records created */
	DW_CNT_FLOW_INSERT_FAIL,  /* flow record could not be created */
	DW_CNT_IFSTAT_FAIL,       /* interface counter entry could not be created */
	/* remark */
	DW_CNT_REMARKED,          /* frames whose DSCP was rewritten */
	DW_CNT_EXEMPT_PREFIX,     /* frames left alone: source or destination prefix exempt */
	DW_CNT_EXEMPT_PORT,       /* frames left alone: protocol/port range exempt */
	DW_CNT_REMARK_FAIL,       /* rewrite helper failed (tc only); frame passed unchanged */
	DW_CNT_MAX,
};

/* The malformed reasons are a contiguous range of enum dw_cnt. */
#define DW_CNT_MAL_FIRST DW_CNT_MAL_L2_TRUNC
#define DW_CNT_MAL_LAST DW_CNT_MAL_V6_TOO_DEEP

/* ---- flows --------------------------------------------------------------- */

/* Canonical, direction-free key: endpoint A is the smaller (address, port) pair,
 * compared as bytes of the address then the port. Both directions of a 5-tuple
 * map to the same key. IPv4 addresses use the first 4 bytes, the rest is zero.
 * ICMP/ICMPv6 echo use the identifier as both ports; other ICMP and other
 * protocols use port 0. Ports are in host byte order. */
struct dw_flow_key {
	__u8 addr_a[16];
	__u8 addr_b[16];
	__u16 port_a;
	__u16 port_b;
	__u8 proto;  /* IPPROTO_* */
	__u8 family; /* 4 or 6 */
	__u16 pad;
};
DW_ABI_ASSERT(sizeof(struct dw_flow_key) == 40, "dw_flow_key layout");

/* Exact per-value DSCP breakdown for the first DW_FLOW_DSCP_SLOTS distinct values
 * of a direction; further values are summed in other_*, and seen_mask lists every
 * value ever seen. Totals are always exact. */
#define DW_FLOW_DSCP_SLOTS 4

struct dw_flow_dir {
	__u64 packets;
	__u64 bytes;
	__u64 slot_packets[DW_FLOW_DSCP_SLOTS];
	__u64 slot_bytes[DW_FLOW_DSCP_SLOTS];
	__u64 other_packets;
	__u64 other_bytes;
	__u64 seen_mask;                  /* bit v set: DSCP v seen in this direction */
	__u32 slot_tag[DW_FLOW_DSCP_SLOTS]; /* 0: free, else DSCP value + 1 */
	__u32 dscp_changes;               /* packets whose DSCP differed from the previous one */
	__u8 last_dscp;
	__u8 pad[3];
};
DW_ABI_ASSERT(sizeof(struct dw_flow_dir) == 128, "dw_flow_dir layout");

/* Which endpoint of the key is the client. */
enum dw_side {
	DW_SIDE_A = 0,
	DW_SIDE_B = 1,
};

/* How the client was decided. */
enum dw_orient {
	DW_ORIENT_PORT = 0, /* no SYN seen: the lower port is the server */
	DW_ORIENT_SYN = 1,  /* from a SYN (client) or SYN-ACK (server) */
};

struct dw_flow {
	struct dw_flow_dir dir[2]; /* [0]: packets from A to B, [1]: from B to A */
	__u64 first_ns;            /* classifier clock (see dw_clock), nanoseconds */
	__u64 last_ns;
	__u32 first_ifindex;
	__u32 last_ifindex;
	__u8 client; /* enum dw_side */
	__u8 orient; /* enum dw_orient */
	__u8 pad[6];
};
DW_ABI_ASSERT(sizeof(struct dw_flow) == 2 * 128 + 32, "dw_flow layout");

#define DW_FLOWS_DEFAULT 262144u
#define DW_FLOWS_MAX 16777216u

/* ---- remark configuration ------------------------------------------------ */

enum dw_remark_mode {
	DW_REMARK_OFF = 0,  /* count only */
	DW_REMARK_ZERO = 1, /* every DSCP becomes 0 (CS0 / default) */
	DW_REMARK_MAP = 2,  /* DSCP v becomes map[v] */
};

/* Bits of dw_config.dirs: which interface directions are remarked. */
#define DW_DIRS_INGRESS (1u << DW_DIR_INGRESS)
#define DW_DIRS_EGRESS (1u << DW_DIR_EGRESS)
#define DW_DIRS_ALL (DW_DIRS_INGRESS | DW_DIRS_EGRESS)

#define DW_MAX_PORT_RANGES 16

/* A protocol plus port range exemption; matches the source or the destination port. */
struct dw_port_range {
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
	__u16 lo; /* inclusive, host byte order */
	__u16 hi; /* inclusive */
	__u16 pad2;
};
DW_ABI_ASSERT(sizeof(struct dw_port_range) == 8, "dw_port_range layout");

/*
 * One configuration generation. The config map holds two of them; the active
 * map names the generation in force, and the program uses slot (gen & 1).
 * A writer fills the idle slot (and its generation's LPM entries) completely,
 * then publishes it with a single 64-bit store to the active map, so a packet
 * sees either the old or the new configuration, never a mix.
 */
struct dw_config {
	__u64 generation;
	__u64 published_ns; /* CLOCK_MONOTONIC at publication (for writers' pacing) */
	__u32 mode;         /* enum dw_remark_mode */
	__u32 dirs;         /* DW_DIRS_* */
	__u32 n_prefix_v4;  /* LPM entries of this generation; 0 skips the lookup */
	__u32 n_prefix_v6;
	__u32 n_port_ranges;
	__u32 pad;
	__u8 map[DW_DSCP_VALUES]; /* DW_REMARK_MAP: new value for each old value */
	struct dw_port_range ports[DW_MAX_PORT_RANGES];
};
DW_ABI_ASSERT(sizeof(struct dw_config) == 40 + 64 + 8 * DW_MAX_PORT_RANGES, "dw_config layout");

struct dw_active {
	__u64 generation;
};
DW_ABI_ASSERT(sizeof(struct dw_active) == 8, "dw_active layout");

/* LPM keys of the exemption tries. The first data byte is the generation slot
 * (gen & 1), so both generations live side by side; prefixlen counts it (8 + len). */
struct dw_lpm_v4 {
	__u32 prefixlen;
	__u8 gen;
	__u8 addr[4];
	__u8 pad[3];
};
DW_ABI_ASSERT(sizeof(struct dw_lpm_v4) == 12, "dw_lpm_v4 layout");

struct dw_lpm_v6 {
	__u32 prefixlen;
	__u8 gen;
	__u8 addr[16];
	__u8 pad[3];
};
DW_ABI_ASSERT(sizeof(struct dw_lpm_v6) == 24, "dw_lpm_v6 layout");

#define DW_LPM_MAX 1024

/* ---- clock ---------------------------------------------------------------- */

/* When the load-time option use_clock_map is set, the classifier takes "now"
 * from this map instead of bpf_ktime_get_ns(): replay of a capture sets each
 * frame's timestamp, and tests make times exact. Live instances never set it. */
struct dw_clock {
	__u64 now_ns;
};
DW_ABI_ASSERT(sizeof(struct dw_clock) == 8, "dw_clock layout");

/* ---- parser limits --------------------------------------------------------- */

#define DW_MAX_VLAN 2
#define DW_V6_MAX_EXT 6     /* hop-by-hop, routing, destination options, fragment, AH */
#define DW_L4_MAX_OFF 2048  /* an L4 header (or next extension header) must start before this */

#endif /* DSCPWATCH_ABI_H */
