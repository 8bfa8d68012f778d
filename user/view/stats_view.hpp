// Per-interface, per-direction, per-DSCP counters as a person or a program reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bpf/maps.hpp"

namespace dw {

// Resolves an ifindex to a name ("if7" when it is gone), or to the alias
// set for it (offline analysis names its replay interface after the capture).
std::string ifname_of(uint32_t ifindex);
void set_interface_alias(uint32_t ifindex, std::string name);

// "ingress" or "egress".
const char* dir_name(uint8_t dir);

// "46 (EF)", "non-IP", "malformed".
std::string slot_label(uint8_t slot);

// One sample of the counters.
struct StatsView {
    std::vector<IfCounter> counters;
    std::vector<RemarkCounter> remarks;
    Counters global{};
    // DW_CNT_FRAMES read again after the tables; 0 when not read. With traffic
    // flowing, the per-DSCP sum lies between global[DW_CNT_FRAMES] and this.
    uint64_t frames_after = 0;
};

struct StatsOptions {
    std::optional<uint32_t> ifindex;  // show this interface only
    const StatsView* prev = nullptr;  // an earlier sample: rows get rates
    double interval_s = 0;            // seconds between prev and this sample
};

// One (interface, direction, slot) row.
struct StatsRow {
    uint32_t ifindex = 0;
    uint8_t dir = 0;
    uint8_t slot = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t remarked = 0;             // packets of this slot rewritten to another DSCP
    std::optional<double> pps;         // with a previous sample
    std::optional<double> bits_per_s;
};

// Sum over the rows of one (interface, direction); ifindex 0 is the grand total.
struct StatsTotal {
    uint32_t ifindex = 0;
    uint8_t dir = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t remarked = 0;
    std::optional<double> pps;
    std::optional<double> bits_per_s;
};

// Rows sorted by interface, direction and slot.
std::vector<StatsRow> stats_rows(const StatsView& v, const StatsOptions& o = {});
// Per (interface, direction) totals of the rows, then the grand total (ifindex 0).
std::vector<StatsTotal> stats_totals(const std::vector<StatsRow>& rows);

// Every frame lands in exactly one slot, so the per-DSCP sum over all
// interfaces must equal the classifier's frame counter.
struct SumCheck {
    enum class Verdict {
        Exact,           // sum == frames
        Live,            // traffic while reading: frames <= sum <= frames_after
        EntriesMissing,  // short by no more than the failed counter-entry creations
        Mismatch,        // none of the above
    };
    uint64_t dscp_sum = 0;
    uint64_t frames = 0;
    uint64_t frames_after = 0;
    uint64_t entry_failures = 0;  // DW_CNT_IFSTAT_FAIL
    Verdict verdict = Verdict::Exact;
    bool ok() const { return verdict != Verdict::Mismatch; }
    std::string text() const;  // "per-DSCP sum 1234 = frames 1234: ok"
};
SumCheck check_sum(const StatsView& v);
const char* to_string(SumCheck::Verdict v);

std::string render_stats_text(const StatsView& v, const StatsOptions& o = {});
nlohmann::json render_stats_json(const StatsView& v, const StatsOptions& o = {});

}  // namespace dw
