// `dscpwatch history`: the DSCP history per server, SNI and day, and the
// drift alerts, as a table or JSON.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "history/store.hpp"

namespace dw {

// One (server, SNI, day): handshakes, completions and the ServerHello DSCPs.
struct HistoryDay {
    std::string server, sni, day;
    uint64_t handshakes = 0, completed = 0;
    std::vector<std::pair<int, uint64_t>> by_dscp;  // ServerHello-flight DSCP -> handshakes, most first
};

std::vector<HistoryDay> history_days(const std::vector<MarkingRow>& rows);
std::string render_history_text(const std::vector<MarkingRow>& rows, const std::vector<DriftAlert>& alerts);
nlohmann::json render_history_json(const std::vector<MarkingRow>& rows, const std::vector<DriftAlert>& alerts);

}  // namespace dw
