#include "view/diagnose_view.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <cstdio>

#include "core/dscp.hpp"
#include "core/tls.hpp"
#include "view/table.hpp"

namespace dw {
namespace {

std::string ms(uint64_t ns) {
    char buf[32];
    if (ns >= 10'000'000'000ull)
        std::snprintf(buf, sizeof(buf), "%.0fs", ns / 1e9);
    else if (ns >= 1'000'000'000ull)
        std::snprintf(buf, sizeof(buf), "%.1fs", ns / 1e9);
    else
        std::snprintf(buf, sizeof(buf), "%.0fms", ns / 1e6);
    return buf;
}

std::string masks(uint64_t m) {
    std::string s;
    for (unsigned d = 0; d < 64; d++)
        if (m & (1ULL << d)) {
            auto n = dscp_name(d);
            s += (s.empty() ? "" : ",") + (n.empty() ? std::to_string(d) : std::string(n));
        }
    return s.empty() ? "-" : s;
}

int badness(const FlowVerdict& f) {
    switch (f.outcome) {
    case Outcome::Stalled: return 4;
    case Outcome::Reset: return 3;
    case Outcome::Alert: return 3;
    case Outcome::InProgress: return 1;
    default: return 0;
    }
}

std::string endpoint(const std::string& a, uint16_t port, bool v6) {
    return v6 ? "[" + a + "]:" + std::to_string(port) : a + ":" + std::to_string(port);
}

}  // namespace

std::vector<const FlowVerdict*> worst_flows(const Diagnosis& d, size_t top) {
    std::vector<const FlowVerdict*> v;
    for (const auto& f : d.flows) v.push_back(&f);
    std::stable_sort(v.begin(), v.end(), [](const FlowVerdict* a, const FlowVerdict* b) {
        if (badness(*a) != badness(*b)) return badness(*a) > badness(*b);
        if (a->retrans != b->retrans) return a->retrans > b->retrans;
        return a->age_ns < b->age_ns;
    });
    if (top && v.size() > top) v.resize(top);
    return v;
}

std::string render_diagnosis_text(const Diagnosis& d, size_t top_flows) {
    std::string out;
    char head[256];
    std::snprintf(head, sizeof(head), "%zu TCP handshakes tracked (table %llu/%llu); events %llu, lost %llu\n\n",
                  d.flows.size(), static_cast<unsigned long long>(d.handshakes_tracked),
                  static_cast<unsigned long long>(d.handshake_capacity), static_cast<unsigned long long>(d.events),
                  static_cast<unsigned long long>(d.events_dropped));
    out += head;
    if (d.servers.empty()) out += "no TCP handshakes seen yet: attach dscpwatch where the handshakes pass, then retry\n";
    for (const auto& s : d.servers) {
        out += s.server + (s.sni.empty() ? "" : " (SNI " + s.sni + ")") + ": ";
        if (s.blames_dscp)
            out += "DSCP " + dscp_label(static_cast<unsigned>(s.blamed_dscp)) + " blamed";
        else
            out += s.stalled ? "stalls, DSCP not blamed" : (s.reset || s.alert) ? "refused" : "healthy";
        out += ", confidence " + s.confidence + "\n";
        out += "  " + s.summary + "\n";
        for (const auto& e : s.evidence) out += "    - " + e + "\n";
        out += "  action: " + s.action + "\n\n";
    }
    auto worst = worst_flows(d, top_flows);
    if (!worst.empty()) {
        Table t({"client", "server", "sni", "verdict", "history", "retrans", "dupack", "server dscp", "age", "idle"});
        for (const auto* f : worst) {
            bool v6 = f->key.family == 6;
            t.row({endpoint(f->client, f->client_port, v6), endpoint(f->server, f->server_port, v6),
                   f->sni.empty() ? "-" : f->sni, f->verdict_text(), f->history, std::to_string(f->retrans),
                   std::to_string(f->dupacks), masks(f->flight_dscp), ms(f->age_ns), ms(f->idle_ns)});
        }
        out += "worst flows\n" + t.str();
    }
    return out;
}

nlohmann::json flow_verdict_json(const FlowVerdict& f) {
    nlohmann::json j{{"client", f.client},
                     {"client_port", f.client_port},
                     {"server", f.server},
                     {"server_port", f.server_port},
                     {"sni", f.sni},
                     {"tls_version", f.version ? std::string(tls_version_name(f.version)) : ""},
                     {"outcome", std::string(to_string(f.outcome))},
                     {"stage", std::string(stage_key(f.stage))},
                     {"verdict", f.verdict_text()},
                     {"history", f.history},
                     {"alert", f.alert},
                     {"retransmissions", f.retrans},
                     {"dupacks", f.dupacks},
                     {"sacks", f.sacks},
                     {"age_ms", f.age_ns / 1'000'000},
                     {"idle_ms", f.idle_ns / 1'000'000}};
    nlohmann::json stages = nlohmann::json::object();
    for (unsigned i = 1; i < DW_ST_MAX; i++) {
        const auto& s = f.stages[i];
        if (!s.segs) continue;
        nlohmann::json dscp = nlohmann::json::array(), acked = nlohmann::json::array(), lost = nlohmann::json::array();
        for (unsigned d = 0; d < 64; d++) {
            if (s.dscp_mask & (1ULL << d)) dscp.push_back(d);
            if (s.acked_dscp_mask & (1ULL << d)) acked.push_back(d);
            if (s.lost_dscp_mask & (1ULL << d)) lost.push_back(d);
        }
        stages[std::string(stage_key(i))] = {{"segments", s.segs},       {"retransmissions", s.retrans},
                                             {"max_len", s.max_len},     {"max_acked_len", s.max_acked_len},
                                             {"min_lost_len", s.min_lost_len}, {"max_lost_len", s.max_lost_len},
                                             {"dupacks", s.dupacks},     {"sacks", s.sacks},
                                             {"dscp", dscp},             {"acked_dscp", acked},
                                             {"retransmitted_dscp", lost}, {"first_us", s.first_us},
                                             {"last_us", s.last_us}};
    }
    j["stages"] = stages;
    nlohmann::json segs = nlohmann::json::array();
    for (const auto& g : f.segments)
        segs.push_back({{"len", g.len}, {"dscp", g.dscp}, {"stage", std::string(stage_key(g.stage))}, {"acked", g.acked}});
    j["segments"] = segs;
    return j;
}

nlohmann::json render_diagnosis_json(const Diagnosis& d, size_t top_flows) {
    nlohmann::json j;
    j["handshakes_tracked"] = d.handshakes_tracked;
    j["handshake_capacity"] = d.handshake_capacity;
    j["events"] = d.events;
    j["events_dropped"] = d.events_dropped;
    j["servers"] = nlohmann::json::array();
    for (const auto& s : d.servers) {
        nlohmann::json stalled = nlohmann::json::object(), reset = nlohmann::json::object();
        for (unsigned i = 0; i < DW_ST_MAX; i++) {
            if (s.by_stage[i]) stalled[std::string(stage_key(i))] = s.by_stage[i];
            if (s.reset_by_stage[i]) reset[std::string(stage_key(i))] = s.reset_by_stage[i];
        }
        nlohmann::json per = nlohmann::json::array();
        for (unsigned d2 = 0; d2 < 64; d2++) {
            const auto& f = s.per_dscp[d2];
            if (!f.segments) continue;
            per.push_back({{"dscp", d2}, {"segments", f.segments}, {"max_len", f.max_len},
                           {"max_acked_len", f.max_acked}, {"never_acked", f.lost}, {"min_never_acked_len", f.min_lost},
                           {"retransmitted_stages", f.retrans}});
        }
        nlohmann::json e{{"server", s.server},
                         {"sni", s.sni},
                         {"handshakes", s.total},
                         {"completed", s.completed},
                         {"stalled", s.stalled},
                         {"reset", s.reset},
                         {"alert", s.alert},
                         {"in_progress", s.in_progress},
                         {"not_tls", s.not_tls},
                         {"stalled_by_stage", stalled},
                         {"reset_by_stage", reset},
                         {"alerts", s.alerts},
                         {"per_dscp", per},
                         {"blames_dscp", s.blames_dscp},
                         {"blamed_dscp", s.blames_dscp ? nlohmann::json(s.blamed_dscp) : nlohmann::json(nullptr)},
                         {"threshold", s.blames_dscp ? nlohmann::json{{"largest_arrived", s.threshold_lo},
                                                                      {"smallest_lost", s.threshold_hi}}
                                                     : nlohmann::json(nullptr)},
                         {"confidence", s.confidence},
                         {"summary", s.summary},
                         {"evidence", s.evidence},
                         {"action", s.action}};
        j["servers"].push_back(e);
    }
    j["flows"] = nlohmann::json::array();
    for (const auto* f : worst_flows(d, top_flows)) j["flows"].push_back(flow_verdict_json(*f));
    return j;
}

std::function<const FlowVerdict*(const dw_flow_key&)> verdict_lookup(const Diagnosis& d) {
    auto key_bytes = [](const dw_flow_key& k) { return std::string(reinterpret_cast<const char*>(&k), sizeof(k)); };
    auto by_key = std::make_shared<std::map<std::string, const FlowVerdict*>>();
    for (const auto& f : d.flows) (*by_key)[key_bytes(f.key)] = &f;
    return [by_key, key_bytes](const dw_flow_key& k) -> const FlowVerdict* {
        auto it = by_key->find(key_bytes(k));
        return it == by_key->end() ? nullptr : it->second;
    };
}

}  // namespace dw
