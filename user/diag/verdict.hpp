// What became of each handshake, and what the handshakes to one server say
// together: the diagnosis of `dscpwatch diagnose`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bpf/maps.hpp"
#include "dscpwatch/abi.h"

namespace dw {

std::string_view stage_name(unsigned stage);  // "ServerHello flight", ...
std::string_view stage_key(unsigned stage);   // "server_hello", ... (JSON)

enum class Outcome { Completed, Stalled, Reset, Alert, InProgress, NotTls };
std::string_view to_string(Outcome o);

// One segment the diagnosis looks at: sent by the flight's owner.
struct SegmentFact {
    uint16_t len = 0;  // IP length
    uint8_t dscp = 0;
    uint8_t stage = 0;
    bool acked = false;
};

struct FlowVerdict {
    dw_flow_key key{};
    // Endpoints, client -> server (host order ports).
    std::string client, server;
    uint16_t client_port = 0, server_port = 0;
    std::string sni;
    uint16_t version = 0;  // chosen TLS version, when the ServerHello was seen
    Outcome outcome = Outcome::InProgress;
    uint8_t stage = 0;       // where it stalled, reset or got the alert; else the furthest stage
    std::string history;     // one letter per event
    std::string alert;       // alert name, for Outcome::Alert
    uint8_t end_side = 0;    // who reset / alerted (DW_HS_CLIENT/SERVER)
    uint32_t retrans = 0;    // retransmitted segments, all stages
    uint32_t dupacks = 0, sacks = 0;
    uint64_t idle_ns = 0;    // since the last segment
    uint64_t age_ns = 0;     // since the SYN
    uint64_t flight_dscp = 0;  // DSCP mask of the stalled/last server flight
    std::vector<SegmentFact> segments;  // the last data segments of both sides (ring)
    // Per stage summaries, indexed by enum dw_stage.
    dw_hs_stage stages[DW_ST_MAX]{};
    std::string verdict_text() const;  // "stalled at ServerHello flight"
    std::string server_endpoint() const;  // "198.19.0.10:443", "[2001:db8::10]:443"
};

struct VerdictOptions {
    uint64_t now_ns = 0;              // the classifier's clock (CLOCK_MONOTONIC) now
    uint64_t stall_after_ns = 1'000'000'000;  // idle this long with retransmissions: stalled
    uint64_t give_up_ns = 3'000'000'000;      // idle this long without them: stalled too
};

FlowVerdict judge(const HandshakeEntry& e, const TlsInfo* tls, const VerdictOptions& opt);

// ---- aggregate ----

struct DscpSizeFacts {
    uint64_t segments = 0;
    uint16_t max_len = 0;      // largest segment of the class
    uint16_t max_acked = 0;    // largest that arrived (ACKed or SACKed)
    uint16_t min_lost = 0;     // smallest never ACKed in a stalled handshake (0: none)
    uint64_t lost = 0;         // never ACKed, in stalled handshakes
    uint64_t retrans = 0;      // retransmissions of the class, any handshake
};

struct ServerVerdict {
    std::string server;  // "198.19.0.10:443"
    std::string sni;
    uint64_t total = 0, completed = 0, stalled = 0, reset = 0, alert = 0, in_progress = 0, not_tls = 0;
    uint64_t by_stage[DW_ST_MAX] = {};        // stalled handshakes by stage
    uint64_t reset_by_stage[DW_ST_MAX] = {};
    uint64_t stalled_dscp = 0, completed_dscp = 0;  // masks of the server flights' DSCP
    uint64_t lost_dscp = 0, acked_dscp = 0, retrans_dscp = 0;
    DscpSizeFacts per_dscp[64];
    std::vector<std::string> alerts;  // distinct alert names
    // Conclusion
    bool blames_dscp = false;
    int blamed_dscp = -1;
    uint16_t threshold_lo = 0, threshold_hi = 0;  // arrived <= lo < threshold <= hi never arrived
    std::string confidence;  // "high", "medium", "low"
    std::string summary;     // one sentence
    std::vector<std::string> evidence;  // the counts behind it
    std::string action;      // recommended action
};

// Aggregates per server endpoint and SNI; the most troubled servers first.
// all_flows: per-DSCP evidence from every flow (unmarked traffic that got through).
std::vector<ServerVerdict> aggregate(const std::vector<FlowVerdict>& flows);

}  // namespace dw
