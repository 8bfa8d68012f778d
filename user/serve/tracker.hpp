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


// A decided handshake, as the history database remembers it across restarts.
struct CountedFlow {
    std::string id;  // flow_id()
    std::string verdict;
    bool completed = false;
};

// Identifies one handshake: its flow key and its start (a key can come back).
std::string flow_id(const FlowVerdict& v, uint64_t now_ns);

class VerdictTracker {
public:
    struct Result {
        std::vector<VerdictChange> changes;
        // Handshakes that reached a final verdict (completed, stalled, reset,
        // alert) for the first time: each flow once.
        std::vector<FlowVerdict> decided;
        // Earlier decided handshakes that completed after all (a stall that recovered).
        std::vector<const FlowVerdict*> completed_late;
        // Decided handshakes whose state changed (new verdict, late completion):
        // what a restarted daemon must know not to count them again.
        std::vector<CountedFlow> counted;
        std::vector<std::string> forgotten;  // ids of decided flows that left the table
    };
    // now_ns: the diagnosis' clock (Diagnosis::now_ns), which dates the flows' starts.
    Result update(const std::vector<FlowVerdict>& flows, uint64_t now_ns);
    // Flows a previous run already counted (from the history database).
    void preload(const std::vector<CountedFlow>& flows);
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

// The highest DSCP of the ServerHello flight's segments; -1 when there were none.
int server_hello_dscp(const FlowVerdict& v);

}  // namespace dw
