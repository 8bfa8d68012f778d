// The diagnosis as a person reads it (aggregate verdicts first, then the
// worst flows) and as JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "diag/collect.hpp"

namespace dw {

std::string render_diagnosis_text(const Diagnosis& d, size_t top_flows);
nlohmann::json render_diagnosis_json(const Diagnosis& d, size_t top_flows);
nlohmann::json flow_verdict_json(const FlowVerdict& f);

// The flows worth looking at first: failed ones, most retransmissions first.
std::vector<const FlowVerdict*> worst_flows(const Diagnosis& d, size_t top);

}  // namespace dw
