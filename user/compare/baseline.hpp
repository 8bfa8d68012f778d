// `dscpwatch baseline`: how each server marks its ServerHello flight in one
// capture (or saved summary) against another taken earlier. A capture is run
// through a private instance of the classifier (user/replay), so the summary
// is the one the live tool would have drawn; the summary itself and its
// comparison are diag/marking.hpp's, shared with the daemon's history.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "diag/marking.hpp"

namespace dw {

// One side of the comparison.
struct MarkingSet {
    std::string source;         // the capture, or the saved file it came from
    uint64_t first_ns = 0;      // the capture's first and last frame (Unix ns); 0 when unknown
    uint64_t last_ns = 0;
    uint64_t frames = 0;
    std::vector<std::string> warnings;  // the replay's: where reading stopped, frames skipped
    std::vector<ServerMarking> servers;
};

// Replays a capture (needs root: it loads the classifier) and summarises it.
// stall_after_ns: idle time after a retransmission before a handshake counts as stalled.
MarkingSet markings_from_capture(const std::string& path, uint64_t stall_after_ns = 1'000'000'000);

// The saved form: {"dscpwatch": "server-markings", "version": 1, "source",
// "first", "last" (Unix seconds), "frames", "servers": [marking_to_json...]}.
nlohmann::json markings_to_json(const MarkingSet& s);
// Throws dw::Error naming the file and the field.
MarkingSet markings_from_json(const nlohmann::json& j, const std::string& name);

// A saved summary (a JSON file) or a capture: decided by the file's first byte.
MarkingSet load_markings(const std::string& path, uint64_t stall_after_ns = 1'000'000'000);
void save_markings(const MarkingSet& s, const std::string& path);

}  // namespace dw
