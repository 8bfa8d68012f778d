#include "serve/tracker.hpp"

#include "export/prometheus.hpp"

namespace dw {

int server_hello_dscp(const FlowVerdict& v) {
    const uint64_t m = v.stages[DW_ST_SERVER_HELLO].dscp_mask;
    return m ? 63 - __builtin_clzll(m) : -1;
}

std::string flow_id(const FlowVerdict& v, uint64_t now_ns) {
    const uint64_t start = now_ns - v.age_ns;
    std::string id(reinterpret_cast<const char*>(&v.key), sizeof(v.key));
    id.append(reinterpret_cast<const char*>(&start), sizeof(start));
    return id;
}

void VerdictTracker::preload(const std::vector<CountedFlow>& flows) {
    for (const auto& f : flows) {
        State& s = state_[f.id];
        s.verdict = f.verdict;
        s.decided = true;
        s.completed = f.completed;
        s.round = round_;
    }
}

VerdictTracker::Result VerdictTracker::update(const std::vector<FlowVerdict>& flows, uint64_t now_ns) {
    Result r;
    round_++;
    for (const auto& v : flows) {
        std::string id = flow_id(v, now_ns);
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
        if (s.decided)
            r.completed_late.push_back(&v);
        else
            r.decided.push_back(v);
        s.decided = true;
        s.completed = completed;
        r.counted.push_back({id, text, completed});
    }
    for (auto it = state_.begin(); it != state_.end();) {
        if (it->second.round == round_) {
            ++it;
            continue;
        }
        if (it->second.decided) r.forgotten.push_back(it->first);
        it = state_.erase(it);
    }
    return r;
}

}  // namespace dw
