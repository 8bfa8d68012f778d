#include "serve/tracker.hpp"

#include "export/prometheus.hpp"

namespace dw {

std::string server_endpoint(const FlowVerdict& v) {
    const bool v6 = v.server.find(':') != std::string::npos;
    return (v6 ? "[" + v.server + "]" : v.server) + ":" + std::to_string(v.server_port);
}

int server_hello_dscp(const FlowVerdict& v) {
    const uint64_t m = v.stages[DW_ST_SERVER_HELLO].dscp_mask;
    return m ? 63 - __builtin_clzll(m) : -1;
}

VerdictTracker::Result VerdictTracker::update(const std::vector<FlowVerdict>& flows) {
    Result r;
    round_++;
    for (const auto& v : flows) {
        std::string id(reinterpret_cast<const char*>(&v.key), sizeof(v.key));
        auto [it, fresh] = state_.try_emplace(id);
        State& s = it->second;
        s.round = round_;
        const std::string text = v.verdict_text();
        const bool decided = v.outcome != Outcome::InProgress;
        if (text != s.verdict && (decided || !fresh)) {
            r.changes.push_back({&v, s.verdict});
            if (decided) totals_[{outcome_label(to_string(v.outcome)), std::string(stage_key(v.stage))}]++;
        }
        s.verdict = text;
        if (!decided || v.outcome == Outcome::NotTls) continue;
        const bool completed = v.outcome == Outcome::Completed;
        if (s.decided && (!completed || s.completed)) continue;
        FinishedHandshake f{server_endpoint(v), v.sni, server_hello_dscp(v), s.decided ? 0u : 1u,
                            completed ? 1u : 0u};
        s.decided = true;
        s.completed = completed;
        r.finished.push_back(std::move(f));
    }
    for (auto it = state_.begin(); it != state_.end();)
        it = it->second.round == round_ ? std::next(it) : state_.erase(it);
    return r;
}

}  // namespace dw
