// `dscpwatch diff`: two captures of the same traffic at two points of a path,
// A upstream and B downstream, compared segment by segment.
//
// Flows are matched by their 5-tuple (the path has no NAT). In each direction
// of a flow a segment is identified by (sequence, payload length, SYN/FIN/RST/
// ACK flags, and for segments without payload the ACK number); its payload
// must agree too (a hash of what both captures hold). Retransmissions of the
// same sequence are told apart by the IPv4 id, window and TCP options (the
// timestamp option differs per transmission), then by order, then by the time
// each would take to cross; timestamps are only ever a tie-break, so the two
// captures' clocks need not agree. The clock offset and the one-way delay are
// estimated from the matched segments (medians in each direction).
//
// Which point each direction passes first is decided per flow: by the TTL
// (a router between the points lowers it), else by timing (the direction that
// takes longer from A to B runs A -> B), else the client is assumed to sit
// downstream (at B). For each direction, a segment seen at its upstream point
// and never at its downstream one is lost on the way; one seen downstream and
// never upstream appeared on the way (a middlebox forged it); a segment seen
// at both with another DSCP was remarked. A segment that would have crossed
// while the other capture was not running (before its first frame, or more
// than DiffOptions::end_slack_ns after its last) is counted as outside its
// window, not as lost.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compare/segment.hpp"
#include "dscpwatch/abi.h"

namespace dw {

// One capture, decoded.
struct CaptureSegments {
    std::string name;               // the file as given
    std::vector<Segment> segs;      // TCP segments, in capture order
    uint64_t frames = 0;            // every frame in the file
    uint64_t other_ip = 0;          // IP packets that are not TCP (UDP, ICMP, ...)
    uint64_t not_ip = 0, fragments = 0, malformed = 0;
    uint64_t first_ns = 0, last_ns = 0;  // timestamps of the first and last frame
};

struct DiffOptions {
    // Upper bounds (inclusive) of the IP length buckets; one more bucket above the last.
    std::vector<uint16_t> size_edges = {128, 576, 700, 1000, 1400};
    size_t list_max = 0;  // segments listed per flow and kind (0: all); counts are always complete
    // A capture is taken to run from its first frame until this long after its
    // last one: a pcap does not say when the capture stopped, and the last
    // packets of a failing handshake are often the ones that went missing.
    uint64_t end_slack_ns = 1'000'000'000;
};

enum class Point { A, B };
inline char point_name(Point p) { return p == Point::A ? 'A' : 'B'; }

struct StageCount {
    uint64_t sent = 0, lost = 0, appeared = 0;
    uint64_t lost_dscp = 0;  // mask
    uint16_t lost_min = 0, lost_max = 0;  // IP lengths
};

struct LostSegment {
    Segment seg;                   // as the upstream point saw it
    bool delivered_later = false;  // another transmission carried its data across
};

struct Remark {
    uint8_t from = 0, to = 0;
    uint64_t count = 0;
};

// One direction of a flow: from the sender, via the upstream point.
struct DirectionDiff {
    Endpoint from, to;
    Point upstream = Point::A;
    uint32_t isn = 0;           // the sender's initial sequence number (relative numbers count from it)
    uint64_t sent = 0;          // at the upstream point, inside the downstream capture's window
    uint64_t matched = 0;       // seen at both points
    uint64_t lost = 0;          // sent upstream, never seen downstream
    uint64_t lost_undelivered = 0;  // ... and no other transmission delivered the data
    uint64_t lost_bytes = 0;    // payload bytes of the lost transmissions
    uint64_t undelivered_bytes = 0;  // payload bytes that never crossed at all
    uint64_t appeared = 0;      // seen downstream, never upstream
    uint64_t outside = 0;       // seen at one point while the other was not capturing
    std::array<StageCount, DW_ST_MAX> stages{};
    std::vector<LostSegment> lost_segs;   // up to list_max
    std::vector<Segment> appeared_segs;   // up to list_max, as the downstream point saw them
    std::vector<Remark> remarks;          // (from, to) pairs with their counts
};

struct FlowDiff {
    FlowId id;
    Endpoint client, server;
    std::string sni;
    Point client_at = Point::B;     // where the client sits (the point nearer to it)
    std::string orientation;        // how that was decided: "TTL", "timing", "assumed"
    DirectionDiff c2s, s2c;         // client -> server, server -> client
    bool partly_outside = false;    // some segments fell outside the other capture's window
};

// A flow seen in one capture only.
struct OneSided {
    FlowId id;
    Endpoint client, server;
    Point seen_at = Point::A;
    uint64_t segments = 0;
    bool outside = false;  // entirely outside the other capture's window
};

struct LossCell {
    uint64_t sent = 0, lost = 0;
};

struct DiffResult {
    const CaptureSegments* a = nullptr;  // the inputs (kept by the caller)
    const CaptureSegments* b = nullptr;
    DiffOptions opt;
    // Clock: B's clock minus A's, and the one-way delay, from matched segments.
    uint64_t pairs_ab = 0, pairs_ba = 0;  // matched segments that ran A -> B and B -> A
    std::optional<int64_t> offset_ns;     // needs both directions (else: assumes no delay)
    std::optional<int64_t> delay_ns;
    int64_t ab_ns = 0, ba_ns = 0;         // medians of t(B) - t(A) and t(A) - t(B)
    std::vector<FlowDiff> flows;          // in both captures
    std::vector<OneSided> one_sided;
    // Totals over both directions of every flow in both captures.
    uint64_t sent = 0, matched = 0, lost = 0, lost_undelivered = 0, appeared = 0, outside = 0, remarked = 0;
    std::map<uint8_t, LossCell> by_dscp;            // DSCP at the upstream point
    std::vector<LossCell> by_size;                  // per bucket of opt.size_edges
    std::map<uint8_t, std::vector<LossCell>> by_dscp_size;
    std::map<std::pair<uint8_t, uint8_t>, uint64_t> remarks;
    bool differs() const { return lost || appeared || remarked; }
};

// "<=128", "129-576", ..., ">1400"
std::vector<std::string> size_bucket_names(const std::vector<uint16_t>& edges);
size_t size_bucket(const std::vector<uint16_t>& edges, uint16_t ip_len);

// Throws dw::Error when the captures have no flow in common, or are the same capture.
DiffResult diff_captures(CaptureSegments& a, CaptureSegments& b, const DiffOptions& opt = {});

}  // namespace dw
