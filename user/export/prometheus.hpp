// The Prometheus text exposition format (version 0.0.4) of one daemon
// snapshot. Pure: the snapshot carries every value, names included, so the
// rendering is testable without a kernel. Label sets are bounded: interface,
// direction, DSCP, verdict, stage; never a label per flow.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/maps.hpp"

namespace dw {

// What the daemon itself counted since it started (not in the kernel maps).
struct DaemonCounters {
    uint64_t refreshes = 0;
    uint64_t refresh_errors = 0;      // a refresh failed (instance gone, map read error)
    uint64_t drift_alerts = 0;
    uint64_t eventlog_lines = 0;
    uint64_t eventlog_errors = 0;     // lines that could not be written (disk full, ...)
    uint64_t ipfix_messages = 0;
    uint64_t ipfix_records = 0;
    uint64_t ipfix_errors = 0;        // sends that failed (collector down, ...)
    uint64_t history_errors = 0;
};

struct MetricsSnapshot {
    bool instance_up = false;
    std::vector<IfCounter> counters;
    std::vector<RemarkCounter> remarks;
    Counters global{};
    std::map<uint32_t, std::string> ifnames;  // ifindex -> name
    uint64_t flows = 0, flow_capacity = 0;
    uint64_t handshakes_tracked = 0, handshake_capacity = 0;
    // Tracked handshakes now, by (verdict, stage) label values.
    std::map<std::pair<std::string, std::string>, uint64_t> handshakes;
    // Verdicts reached since the daemon started (a flow counts once per verdict).
    std::map<std::pair<std::string, std::string>, uint64_t> verdicts_total;
    // Stalled handshakes now, by DSCP of their never-ACKed segments.
    std::array<uint64_t, 64> stalled_by_lost_dscp{};
    uint32_t remark_mode = 0;  // enum dw_remark_mode
    DaemonCounters daemon;
    double refreshed_unix = 0;
    std::string version;
};

// "ServerHello flight" stages and outcomes as label values: "server_hello", "in_progress".
std::string outcome_label(std::string_view outcome);

// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

std::string render_prometheus(const MetricsSnapshot& s);

}  // namespace dw
