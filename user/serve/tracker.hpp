// Follows each handshake's verdict across refreshes: reports the changes
// (for the event log), counts the verdicts reached, and hands every finished
// handshake once to the history. Memory is bounded by the handshake table:
// flows that left it are forgotten.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "diag/verdict.hpp"

namespace dw {

struct VerdictChange {
    const FlowVerdict* flow = nullptr;
    std::string previous;  // verdict text before; "" for a flow first seen already decided
};

// A handshake that reached a verdict: what the history stores.
struct FinishedHandshake {
    std::string server, sni;
    int server_hello_dscp = -1;  // highest DSCP of the ServerHello flight; -1: none sent
    uint64_t handshakes = 0;     // 1 the first time the flow is decided, else 0
    uint64_t completed = 0;      // 1 when it completed (possibly after a stall)
};

class VerdictTracker {
public:
    struct Result {
        std::vector<VerdictChange> changes;
        std::vector<FinishedHandshake> finished;
    };
    Result update(const std::vector<FlowVerdict>& flows);
    // Verdicts reached since start, by (verdict label, stage label).
    const std::map<std::pair<std::string, std::string>, uint64_t>& totals() const { return totals_; }
    size_t size() const { return state_.size(); }

private:
    struct State {
        std::string verdict;
        bool decided = false, completed = false;
        uint64_t round = 0;
    };
    std::unordered_map<std::string, State> state_;
    std::map<std::pair<std::string, std::string>, uint64_t> totals_;
    uint64_t round_ = 0;
};

// "198.19.0.10:443", "[2001:db8::10]:443".
std::string server_endpoint(const FlowVerdict& v);
// The highest DSCP of the ServerHello flight's segments; -1 when there were none.
int server_hello_dscp(const FlowVerdict& v);

}  // namespace dw
