// Turns flow-table snapshots into IPFIX records of what changed since the
// last export: one record per flow direction and DSCP (the flow record keeps
// an exact per-DSCP breakdown), deltas only. A flow is exported when its
// active timeout passes, when it has been idle for the idle timeout (its end),
// and on flush (shutdown). Flows that leave the table are forgotten; what they
// did since their last export is lost with them (the kernel evicted it).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/maps.hpp"
#include "core/remark_config.hpp"
#include "export/ipfix.hpp"

namespace dw {

struct FlowExportOptions {
    uint64_t active_timeout_ns = 60'000'000'000;  // a long flow is reported at least this often
    uint64_t idle_timeout_ns = 15'000'000'000;    // idle this long: the flow ended, report it now
};

// The DSCP a frame leaves with under cfg, or nullopt when it is not remarked
// (mode off, direction not remarked, exempt, or the target is the same value).
std::optional<uint8_t> remarked_dscp(const RemarkConfig& cfg, uint8_t dscp, uint8_t hook_dir, int family,
                                     const uint8_t* src, const uint8_t* dst, uint8_t proto, uint16_t sport,
                                     uint16_t dport);

class FlowExporter {
public:
    explicit FlowExporter(FlowExportOptions o = {}) : opt_(o) {}
    // mono_now_ns: the classifier's clock (CLOCK_MONOTONIC); unix_now_ns: wall clock, for the timestamps.
    std::vector<IpfixRecord> collect(const std::vector<FlowEntry>& flows, const RemarkConfig& cfg,
                                     uint64_t mono_now_ns, uint64_t unix_now_ns, bool flush_all);
    size_t remembered() const { return sent_.size(); }

private:
    static constexpr int kBuckets = DW_FLOW_DSCP_SLOTS + 1;  // the slots, then "other"
    struct Sent {
        uint64_t packets[2][kBuckets] = {};
        uint64_t bytes[2][kBuckets] = {};
        uint64_t first_ns = 0;        // identifies the record: a new flow with the same key restarts
        uint64_t exported_ns = 0;     // last export (CLOCK_MONOTONIC)
        uint64_t seen_round = 0;
    };
    FlowExportOptions opt_;
    std::unordered_map<std::string, Sent> sent_;
    uint64_t round_ = 0;
};

}  // namespace dw
