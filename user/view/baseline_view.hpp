// `dscpwatch baseline` output: one sentence per server endpoint and SNI, text
// for people and JSON for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compare/baseline.hpp"

namespace dw {

// "198.19.0.10:443 (SNI chat.example.test) marked its ServerHello flight 46 (EF)
// in 100 % of 6 handshakes; the baseline from 2026-11-02 shows 0 (CS0) in 100 %
// of 6 handshakes"
std::string change_sentence(const MarkingChange& c, const MarkingSet& before);

std::string render_baseline_text(const MarkingSet& before, const MarkingSet& now, const std::vector<MarkingChange>& changes);
nlohmann::json render_baseline_json(const MarkingSet& before, const MarkingSet& now,
                                    const std::vector<MarkingChange>& changes);

// True when some server's marking changed.
bool marking_changed(const std::vector<MarkingChange>& changes);

}  // namespace dw
