// Per-interface, per-direction, per-DSCP counters as a person or a program reads them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bpf/maps.hpp"

namespace dw {

// Resolves an ifindex to a name ("if7" when it is gone).
std::string ifname_of(uint32_t ifindex);

struct StatsView {
    std::vector<IfCounter> counters;
    std::vector<RemarkCounter> remarks;
    Counters global{};
};

std::string render_stats_text(const StatsView& v);
nlohmann::json render_stats_json(const StatsView& v);

}  // namespace dw
