// The diagnosis as a person reads it (aggregate verdicts first, then the
// worst flows) and as JSON.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "diag/collect.hpp"

namespace dw {

std::string render_diagnosis_text(const Diagnosis& d, size_t top_flows);
nlohmann::json render_diagnosis_json(const Diagnosis& d, size_t top_flows);
nlohmann::json flow_verdict_json(const FlowVerdict& f);

// A flow's handshake verdict by flow key (for the flows view's stage and
// history columns); nullptr when its handshake was not followed. The
// lookup refers to d, which must outlive it.
std::function<const FlowVerdict*(const dw_flow_key&)> verdict_lookup(const Diagnosis& d);

// The flows worth looking at first: failed ones, most retransmissions first.
std::vector<const FlowVerdict*> worst_flows(const Diagnosis& d, size_t top);

}  // namespace dw
