#include "view/history_view.hpp"

#include <algorithm>
#include <cstdio>

#include "view/table.hpp"

namespace dw {
namespace {

std::string percent(uint64_t part, uint64_t whole) {
    if (!whole) return "-";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.0f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string dscp_mix(const HistoryDay& d) {
    std::string s;
    for (const auto& [dscp, n] : d.by_dscp) {
        if (!s.empty()) s += ", ";
        s += (dscp < 0 ? std::string("no ServerHello") : marking_name(dscp)) + " " + std::to_string(n);
    }
    return s;
}

}  // namespace

std::vector<HistoryDay> history_days(const std::vector<MarkingRow>& rows) {
    std::vector<HistoryDay> out;
    for (const auto& r : rows) {  // rows come ordered by server, SNI, day
        if (out.empty() || out.back().server != r.server || out.back().sni != r.sni || out.back().day != r.day)
            out.push_back({r.server, r.sni, r.day, 0, 0, {}});
        auto& d = out.back();
        d.handshakes += r.handshakes;
        d.completed += r.completed;
        if (r.handshakes) d.by_dscp.emplace_back(r.dscp, r.handshakes);
    }
    for (auto& d : out)
        std::stable_sort(d.by_dscp.begin(), d.by_dscp.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
    return out;
}

std::string render_history_text(const std::vector<MarkingRow>& rows, const std::vector<DriftAlert>& alerts) {
    const auto days = history_days(rows);
    if (days.empty()) return "no history yet: `dscpwatch serve --history PATH` records it as handshakes finish\n";
    Table t({"server", "sni", "day", "handshakes", "completed", "success", "ServerHello DSCP"},
            {Align::Left, Align::Left, Align::Left, Align::Right, Align::Right, Align::Right, Align::Left});
    for (const auto& d : days)
        t.row({d.server, d.sni.empty() ? "-" : d.sni, d.day, std::to_string(d.handshakes), std::to_string(d.completed),
               percent(d.completed, d.handshakes), dscp_mix(d)});
    std::string out = t.str();
    if (!alerts.empty()) {
        out += "\ndrift alerts\n";
        for (const auto& a : alerts) out += "  " + a.message() + "\n";
    }
    return out;
}

nlohmann::json render_history_json(const std::vector<MarkingRow>& rows, const std::vector<DriftAlert>& alerts) {
    nlohmann::json j{{"days", nlohmann::json::array()}, {"alerts", nlohmann::json::array()}};
    for (const auto& d : history_days(rows)) {
        nlohmann::json by = nlohmann::json::object();
        for (const auto& [dscp, n] : d.by_dscp) by[dscp < 0 ? "none" : std::to_string(dscp)] = n;
        j["days"].push_back({{"server", d.server}, {"sni", d.sni}, {"day", d.day}, {"handshakes", d.handshakes},
                             {"completed", d.completed}, {"server_hello_dscp", by}});
    }
    for (const auto& a : alerts)
        j["alerts"].push_back({{"server", a.server}, {"sni", a.sni}, {"day", a.day}, {"before", a.before},
                               {"dscp", a.now}, {"message", a.message()}});
    return j;
}

}  // namespace dw
