// Gathers the kernel's handshake records and events into verdicts.
#pragma once

#include <vector>

#include "bpf/maps.hpp"
#include "diag/verdict.hpp"

namespace dw {

// Drains the event ring; parses ClientHello/ServerHello snippets into the
// per-flow TlsInfo map so that later commands see SNI and versions too.
// Returns the number of events taken.
size_t absorb_events(MapSet& maps);

struct Diagnosis {
    uint64_t now_ns = 0;
    std::vector<FlowVerdict> flows;     // every tracked handshake
    std::vector<ServerVerdict> servers; // aggregated, most troubled first
    uint64_t events = 0, events_dropped = 0;
    uint64_t handshakes_tracked = 0, handshake_capacity = 0;
};

Diagnosis diagnose(MapSet& maps, VerdictOptions opt = {});

// CLOCK_MONOTONIC now, the clock of bpf_ktime_get_ns().
uint64_t monotonic_now_ns();

}  // namespace dw
