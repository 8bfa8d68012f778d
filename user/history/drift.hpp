// Drift detection: a server's ServerHello marking now, against its history.
// "Now" is the last `window` handshakes to that server and SNI all carrying
// the same DSCP; the history is the dominant DSCP of the days before today.
// One alert per server, SNI, day and new marking (stored, so a restart does
// not repeat it).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "history/store.hpp"

namespace dw {

class DriftDetector {
public:
    explicit DriftDetector(size_t window = 3) : window_(window ? window : 1) {}
    // Records one handshake's ServerHello-flight DSCP; returns the alert it raises, if any.
    std::optional<DriftAlert> observe(HistoryStore& store, const std::string& server, const std::string& sni,
                                      const std::string& day, int dscp);

    static constexpr size_t kMaxServers = 100000;  // (server, SNI) windows kept in memory

private:
    size_t window_;
    std::map<std::pair<std::string, std::string>, std::deque<int>> recent_;
};

}  // namespace dw
