// How each server endpoint (and SNI) marks its ServerHello flight, and how its
// handshakes end. `baseline` compares this summary between two captures;
// `serve` keeps it per day as the DSCP history and alerts on a change.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "diag/verdict.hpp"

namespace dw {

struct ServerMarking {
    std::string server;        // "198.19.0.10:443", "[2001:db8::10]:443"
    std::string sni;           // "" when no ClientHello named one
    uint64_t handshakes = 0;   // TLS handshakes with a final outcome (completed, stalled, reset, alert)
    uint64_t completed = 0;
    uint64_t marked = 0;       // of them, those whose ServerHello flight was seen
    // Handshakes by the DSCP of their ServerHello flight. A flight that left
    // with two values counts once for each, so the sum can exceed `marked`.
    std::array<uint64_t, 64> sh_dscp{};

    int dominant_dscp() const;           // the most frequent value; -1 when none was seen
    double share(unsigned dscp) const;   // of `marked`, 0..1
    double success_rate() const;         // completed / handshakes, 0..1 (0 with no handshakes)
};

// One entry per (server endpoint, SNI), sorted by server then SNI. Only final
// verdicts count: handshakes still in progress and non-TLS flows are left out.
std::vector<ServerMarking> server_markings(const std::vector<FlowVerdict>& flows);

// Adds `more` (same server and SNI) into `into`: summing days or captures.
void merge_marking(ServerMarking& into, const ServerMarking& more);

// {"server", "sni", "handshakes", "completed", "marked", "server_hello_dscp": {"46": 6}}
nlohmann::json marking_to_json(const ServerMarking& m);
// The inverse; throws dw::Error naming the field on a malformed document.
ServerMarking marking_from_json(const nlohmann::json& j);

struct MarkingChange {
    enum class Kind { Same, Changed, New, Gone };
    Kind kind = Kind::Same;
    std::string server, sni;
    ServerMarking before, now;   // an empty summary for New / Gone
    int dscp = -1;               // the value whose share moved most (Changed); else the dominant one
    double before_share = 0, now_share = 0;
};
std::string_view to_string(MarkingChange::Kind k);  // "same", "changed", "new", "gone"

struct MarkingCompareOptions {
    double min_shift = 0.2;  // a DSCP's share of ServerHello flights must move this much (0..1)
};

// Matches summaries by (server, SNI). Changed: some DSCP's share of the
// ServerHello flights moved by at least min_shift between `before` and `now`
// (both must have seen a ServerHello flight). Sorted: changed first, then new,
// gone, same; by server within each.
std::vector<MarkingChange> compare_markings(const std::vector<ServerMarking>& before,
                                            const std::vector<ServerMarking>& now,
                                            const MarkingCompareOptions& opt = {});

// "46 (EF) in 100 % of 6 handshakes" / "46 (EF) in 60 %, 0 (CS0) in 40 % of 5 handshakes";
// "no ServerHello flight seen" when none was.
std::string describe_marking(const ServerMarking& m);

}  // namespace dw
