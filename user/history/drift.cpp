#include "history/drift.hpp"

#include <algorithm>

namespace dw {

std::optional<DriftAlert> DriftDetector::observe(HistoryStore& store, const std::string& server,
                                                 const std::string& sni, const std::string& day, int dscp) {
    if (dscp < 0) return std::nullopt;
    // Bounded memory: past this many servers, the windows start afresh.
    if (recent_.size() >= kMaxServers && !recent_.count({server, sni})) recent_.clear();
    auto& q = recent_[{server, sni}];
    q.push_back(dscp);
    while (q.size() > window_) q.pop_front();
    if (q.size() < window_ || !std::all_of(q.begin(), q.end(), [&](int d) { return d == dscp; })) return std::nullopt;
    auto before = store.dominant_before(server, sni, day);
    if (!before || *before == dscp || store.alerted(server, sni, day, dscp)) return std::nullopt;
    DriftAlert a{server, sni, day, *before, dscp};
    store.record_alert(a);
    return a;
}

}  // namespace dw
