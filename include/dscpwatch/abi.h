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
	/* handshake tracking */
	DW_CNT_HS_NEW,            /* handshake records created (a SYN or SYN-ACK was seen) */
	DW_CNT_HS_INSERT_FAIL,    /* handshake record could not be created */
	DW_CNT_EVENTS,            /* events written to the ring buffer */
	DW_CNT_EVENTS_DROPPED,    /* events lost: the ring buffer was full */
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
	__u8 obs_dir;                     /* the hook direction that counts this direction (see below) */
	__u8 pad[2];
	__u32 obs_ifindex;                /* the interface that counts this direction */
	__u32 pad2;
};
DW_ABI_ASSERT(sizeof(struct dw_flow_dir) == 136, "dw_flow_dir layout");

/* A flow that crosses several attached interfaces (a gateway's two NICs) is one
 * record, and each of its directions is counted once: at the first interface
 * and hook direction that saw it (obs_ifindex, obs_dir). The per-interface
 * counters still count every frame at every hook. */

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
	__u8 hs_state; /* enum dw_hs_state: whether packets still need the handshake record */
	__u8 pad[5];
};

/* dw_flow.hs_state: lets a packet skip the handshake lookup once it is pointless. */
enum dw_hs_state {
	DW_HS_NONE = 0,     /* no handshake record (no SYN seen) */
	DW_HS_TRACKING = 1, /* a handshake is being followed */
	DW_HS_FINISHED = 2, /* followed to its end; later packets skip it */
};
DW_ABI_ASSERT(sizeof(struct dw_flow) == 2 * 136 + 32, "dw_flow layout");

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

/* ---- TCP and TLS handshakes ---------------------------------------------- */

/*
 * Handshake state lives in a companion LRU map (dw_hs) with the same key as the
 * flow record. It is created only when a SYN or SYN-ACK is seen, so the flow
 * table stays lean and mid-stream flows cost nothing extra.
 *
 * Stages, in the order a TLS handshake over TCP passes them. Each belongs to the
 * side that sends it (C client, S server); ESTABLISHED to both.
 */
enum dw_stage {
	DW_ST_NONE = 0,
	DW_ST_SYN,             /* C: SYN */
	DW_ST_SYNACK,          /* S: SYN-ACK */
	DW_ST_ACK,             /* C: the handshake ACK (TCP established) */
	DW_ST_CLIENT_HELLO,    /* C: first TLS flight (ClientHello) */
	DW_ST_SERVER_HELLO,    /* S: first flight: ServerHello .. ServerHelloDone (1.2), or .. encrypted Finished (1.3) */
	DW_ST_CLIENT_FINISHED, /* C: second flight: ClientKeyExchange/ChangeCipherSpec/Finished */
	DW_ST_SERVER_FINISHED, /* S: TLS 1.2 NewSessionTicket/ChangeCipherSpec/Finished */
	DW_ST_ESTABLISHED,     /* C and S: application data */
	DW_ST_MAX,
};

/* Sides of a handshake record (not the key's A/B). */
#define DW_HS_CLIENT 0
#define DW_HS_SERVER 1

/* TCP control segments a side sent (dw_hs_side.tcp). */
#define DW_TCPF_SYN 0x01
#define DW_TCPF_SYNACK 0x02
#define DW_TCPF_ACK 0x04 /* the client's handshake ACK */
#define DW_TCPF_FIN 0x08
#define DW_TCPF_RST 0x10

/* TLS facts about a side (dw_hs_side.tls). */
#define DW_TLSF_RECORD 0x01  /* sent at least one TLS record header */
#define DW_TLSF_CCS 0x02     /* sent ChangeCipherSpec */
#define DW_TLSF_ALERT 0x04   /* sent a cleartext alert (level/desc valid) */
#define DW_TLSF_ENC_ALERT 0x08 /* sent an encrypted alert (TLS 1.2, after CCS) */
#define DW_TLSF_HRR 0x10     /* server: sent a HelloRetryRequest */
#define DW_TLSF_NOT_TLS 0x20 /* first data was not a TLS record */

/* Handshake record flags (dw_hs.flags). */
#define DW_HSF_DONE 0x01     /* established: per-segment tracking stopped */
#define DW_HSF_RESET 0x02
#define DW_HSF_ALERT 0x04
#define DW_HSF_FIN 0x08

/* Handshake message types, as bits of dw_hs_side.hs_msgs (1 << type for types < 32). */
#define DW_TLS_CLIENT_HELLO 1
#define DW_TLS_SERVER_HELLO 2
#define DW_TLS_NEW_SESSION_TICKET 4
#define DW_TLS_CERTIFICATE 11
#define DW_TLS_SERVER_KEY_EXCHANGE 12
#define DW_TLS_SERVER_HELLO_DONE 14
#define DW_TLS_CLIENT_KEY_EXCHANGE 16
#define DW_TLS_FINISHED 20

/* Per stage: what its segments looked like and what became of them. Sizes are
 * IP lengths, as a policer sees them. Times are microseconds since the SYN. */
struct dw_hs_stage {
	__u64 dscp_mask;       /* DSCP values of the stage's segments */
	__u64 acked_dscp_mask; /* ... of its data segments the peer ACKed */
	__u64 lost_dscp_mask;  /* ... of its retransmitted segments */
	__u32 first_us;
	__u32 last_us;
	__u16 segs;            /* segments, retransmissions included */
	__u16 retrans;         /* segments whose sequence range was already sent */
	__u16 max_len;         /* largest segment */
	__u16 max_acked_len;   /* largest segment the peer ACKed */
	__u16 min_lost_len;    /* smallest retransmitted segment; 0: none */
	__u16 max_lost_len;    /* largest retransmitted segment */
	__u16 dupacks;         /* duplicate ACKs from the peer while it was outstanding */
	__u16 sacks;           /* peer ACKs with SACK blocks while it was outstanding */
};
DW_ABI_ASSERT(sizeof(struct dw_hs_stage) == 48, "dw_hs_stage layout");

/* A recently sent data segment, kept until the peer ACKs it. */
#define DW_HS_SEGS 12
#define DW_HS_SEG_ACKED 0x80
struct dw_hs_seg {
	__u32 end;   /* relative sequence number after the segment; 0: free */
	__u16 len;   /* IP length */
	__u8 dscp;
	__u8 stage;  /* enum dw_stage | DW_HS_SEG_ACKED */
};
DW_ABI_ASSERT(sizeof(struct dw_hs_seg) == 8, "dw_hs_seg layout");

struct dw_hs_side {
	__u32 isn;        /* initial sequence number (SYN / SYN-ACK) */
	__u32 nxt;        /* highest relative sequence sent, + 1 */
	__u32 acked;      /* highest relative sequence the peer ACKed */
	__u32 hs_msgs;    /* bit per handshake message type seen at a record start */
	__u32 stage_seq[DW_ST_MAX]; /* relative sequence where each of this side's stages began */
	__u8 stage;       /* stage of this side's current flight */
	__u8 tcp;         /* DW_TCPF_* */
	__u8 tls;         /* DW_TLSF_* */
	__u8 peer_spoke;  /* the peer sent new data since this side's flight began */
	__u8 alert_level;
	__u8 alert_desc;
	__u8 isn_valid;
	__u8 retrans_noted; /* bit (stage - 1): retransmission already in the history */
	__u8 seg_head;      /* next slot of segs to (over)write */
	__u8 obs_dir;       /* the hook direction that follows this side */
	__u8 pad[2];
	__u32 obs_ifindex;  /* the interface that follows this side (first to see it) */
	struct dw_hs_seg segs[DW_HS_SEGS]; /* the last DW_HS_SEGS data segments sent */
};
DW_ABI_ASSERT(sizeof(struct dw_hs_side) == 16 + 4 * DW_ST_MAX + 16 + 8 * DW_HS_SEGS, "dw_hs_side layout");

#define DW_HS_HIST 30

struct dw_hs {
	__u64 start_ns;   /* the first SYN (or SYN-ACK) */
	__u64 last_ns;
	struct dw_hs_side side[2]; /* [DW_HS_CLIENT], [DW_HS_SERVER] */
	struct dw_hs_stage stage[DW_ST_MAX];
	__u8 client;      /* enum dw_side: the key endpoint that is the client */
	__u8 reached;     /* furthest stage reached */
	__u8 flags;       /* DW_HSF_* */
	__u8 end_stage;   /* stage when the first RST or alert came */
	__u8 end_side;    /* side that sent it */
	__u8 after_done;  /* segments seen since established (tracking stops at a bound) */
	__u8 hist_len;
	char hist[DW_HS_HIST]; /* one letter per event: client upper case, server lower case */
	__u8 pad[11];
};
DW_ABI_ASSERT(sizeof(struct dw_hs) == 16 + 2 * 164 + DW_ST_MAX * 48 + 48, "dw_hs layout");

#define DW_HS_DEFAULT 65536u

/* Events on the ring buffer. */
enum dw_event_type {
	DW_EV_HELLO = 1, /* first bytes of a ClientHello or ServerHello record */
	DW_EV_STAGE = 2, /* a side entered a stage */
	DW_EV_ALERT = 3, /* a cleartext TLS alert */
	DW_EV_RESET = 4, /* a TCP RST */
};

#define DW_SNIPPET_MAX 640

struct dw_event {
	__u64 ts_ns;
	struct dw_flow_key key;
	__u32 ifindex;
	__u8 type;    /* enum dw_event_type */
	__u8 side;    /* DW_HS_CLIENT / DW_HS_SERVER */
	__u8 stage;   /* enum dw_stage */
	__u8 dscp;
	__u8 client;  /* enum dw_side */
	__u8 dir;     /* enum dw_dir */
	__u16 seg_len;     /* IP length of the segment */
	__u16 snippet_len; /* bytes in snippet (DW_EV_HELLO) */
	__u8 alert_level;
	__u8 alert_desc;
	/* A DW_EV_HELLO event is followed by DW_SNIPPET_MAX bytes, snippet_len of them used. */
};
DW_ABI_ASSERT(sizeof(struct dw_event) == 64, "dw_event layout");

#define DW_RINGBUF_BYTES (1u << 20)

/* ---- clock ---------------------------------------------------------------- */

/* When the load-time option use_clock_map is set, the classifier takes "now"
 * from this map instead of bpf_ktime_get_ns(): replay of a capture sets each
 * frame's timestamp, and tests make times exact. Live instances never set it.
 * The map is mmapable: userspace writes now_ns through the mapping. */
struct dw_clock {
	__u64 now_ns;
};
DW_ABI_ASSERT(sizeof(struct dw_clock) == 8, "dw_clock layout");

/* One clock per CPU (slot = CPU id & (DW_CLOCK_SLOTS - 1)): replay threads,
 * each pinned to its CPU, each set their own frame's time. One page mmapped. */
#define DW_CLOCK_SLOTS 256

/* ---- parser limits --------------------------------------------------------- */

#define DW_MAX_VLAN 2
#define DW_V6_MAX_EXT 6     /* hop-by-hop, routing, destination options, fragment, AH */
#define DW_L4_MAX_OFF 2048  /* an L4 header (or next extension header) must start before this */

#endif /* DSCPWATCH_ABI_H */
