#include "view/history_view.hpp"

#include <cstdio>

#include "view/table.hpp"

namespace dw {
namespace {

std::string percent(uint64_t part, uint64_t whole) {
    if (!whole) return "-";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.0f %%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

}  // namespace

std::string render_history_text(const std::vector<DayMarking>& days, const std::vector<DriftAlert>& alerts) {
    if (days.empty()) return "no history yet: `dscpwatch serve --history PATH` records it as handshakes finish\n";
    Table t({"server", "sni", "day", "handshakes", "completed", "success", "ServerHello flight DSCP"},
            {Align::Left, Align::Left, Align::Left, Align::Right, Align::Right, Align::Right, Align::Left});
    for (const auto& d : days) {
        const auto& m = d.marking;
        t.row({m.server, m.sni.empty() ? "-" : m.sni, d.day, std::to_string(m.handshakes), std::to_string(m.completed),
               percent(m.completed, m.handshakes), describe_marking(m)});
    }
    std::string out = t.str();
    if (!alerts.empty()) {
        out += "\ndrift alerts\n";
        for (const auto& a : alerts) out += "  " + a.message() + "\n";
    }
    return out;
}

nlohmann::json render_history_json(const std::vector<DayMarking>& days, const std::vector<DriftAlert>& alerts) {
    nlohmann::json j{{"days", nlohmann::json::array()}, {"alerts", nlohmann::json::array()}};
    for (const auto& d : days) {
        auto e = marking_to_json(d.marking);
        e["day"] = d.day;
        j["days"].push_back(std::move(e));
    }
    for (const auto& a : alerts)
        j["alerts"].push_back({{"server", a.server}, {"sni", a.sni}, {"day", a.day}, {"before", a.before},
                               {"dscp", a.now}, {"message", a.message()}});
    return j;
}

}  // namespace dw
