// `dscpwatch history`: the DSCP history per server, SNI and day, and the
// drift alerts, as a table or JSON.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "history/store.hpp"

namespace dw {

std::string render_history_text(const std::vector<DayMarking>& days, const std::vector<DriftAlert>& alerts);
nlohmann::json render_history_json(const std::vector<DayMarking>& days, const std::vector<DriftAlert>& alerts);

}  // namespace dw
