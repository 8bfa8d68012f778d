// What offline analysis read: per capture file its format, link type, time
// span, how frames were split into directions, and every problem with the
// frame number where it began. Text for people, JSON for programs.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "replay/replay.hpp"

namespace dw {

// One line per problem of one file ("gw.pcap: frame 17: ..."); empty when it was read cleanly.
std::vector<std::string> capture_problems(const FileReport& f);

std::string render_capture_text(const ReplayReport& r);
nlohmann::json render_capture_json(const ReplayReport& r);

}  // namespace dw
