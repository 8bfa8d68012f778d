#include "view/baseline_view.hpp"

#include <time.h>

#include <cstdio>

namespace dw {
namespace {

// A capture's time (UTC) in strftime format `fmt`; `none` without one.
std::string utc(uint64_t ns, const char* fmt, const char* none) {
    if (!ns) return none;
    const time_t t = static_cast<time_t>(ns / 1'000'000'000);
    tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof(buf), fmt, &tm);
    return buf;
}

// The capture's date from its first frame.
std::string date_of(uint64_t ns) { return utc(ns, "%Y-%m-%d", "an unknown date"); }
std::string when(uint64_t ns) { return utc(ns, "%Y-%m-%d %H:%M:%S UTC", "time unknown"); }

std::string who(const MarkingChange& c) { return c.server + (c.sni.empty() ? "" : " (SNI " + c.sni + ")"); }

std::string completion(const ServerMarking& m) {
    return std::to_string(m.completed) + " of " + std::to_string(m.handshakes) + " handshakes completed";
}

std::string side_line(const char* label, const MarkingSet& s) {
    uint64_t hs = 0;
    for (const auto& m : s.servers) hs += m.handshakes;
    const size_t n = s.servers.size();
    return std::string(label) + s.source + ", captured " + when(s.first_ns) + ": " + std::to_string(hs) +
           (hs == 1 ? " TLS handshake to " : " TLS handshakes to ") + std::to_string(n) +
           (n == 1 ? " server endpoint\n" : " server endpoints\n");
}

}  // namespace

bool marking_changed(const std::vector<MarkingChange>& changes) {
    for (const auto& c : changes)
        if (c.kind == MarkingChange::Kind::Changed) return true;
    return false;
}

std::string change_sentence(const MarkingChange& c, const MarkingSet& before) {
    const std::string base = "the baseline from " + date_of(before.first_ns);
    switch (c.kind) {
    case MarkingChange::Kind::Changed:
        return who(c) + " marked its ServerHello flight " + describe_marking(c.now) + "; " + base + " shows " +
               describe_marking(c.before);
    case MarkingChange::Kind::Same:
        return who(c) + ": no change, " + describe_marking(c.now) + " (" + base + ": " + describe_marking(c.before) + ")";
    case MarkingChange::Kind::New:
        return who(c) + ": not in " + base + "; now " + describe_marking(c.now);
    case MarkingChange::Kind::Gone:
        return who(c) + ": no handshake now; " + base + " shows " + describe_marking(c.before);
    }
    return who(c);
}

std::string render_baseline_text(const MarkingSet& before, const MarkingSet& now, const std::vector<MarkingChange>& changes) {
    std::string s = side_line("baseline: ", before) + side_line("now:      ", now) + "\n";
    for (const auto& c : changes) {
        s += change_sentence(c, before) + "\n";
        if (c.kind == MarkingChange::Kind::Changed || c.kind == MarkingChange::Kind::Same)
            s += "  now " + completion(c.now) + "; in the baseline " + completion(c.before) + "\n";
    }
    if (changes.empty()) s += "no TLS handshake with a final outcome in either input\n";
    s += marking_changed(changes) ? "\nverdict: marking changed\n" : "\nverdict: no change in marking\n";
    return s;
}

nlohmann::json render_baseline_json(const MarkingSet& before, const MarkingSet& now,
                                    const std::vector<MarkingChange>& changes) {
    nlohmann::json out;
    auto side = [](const MarkingSet& s) {
        return nlohmann::json{{"source", s.source}, {"first", s.first_ns / 1e9}, {"last", s.last_ns / 1e9},
                              {"date", date_of(s.first_ns)}, {"frames", s.frames}};
    };
    out["baseline"] = side(before);
    out["now"] = side(now);
    auto& arr = out["servers"] = nlohmann::json::array();
    for (const auto& c : changes)
        arr.push_back({{"server", c.server},
                       {"sni", c.sni},
                       {"change", std::string(to_string(c.kind))},
                       {"dscp", c.dscp},
                       {"baseline_share", c.before_share},
                       {"now_share", c.now_share},
                       {"baseline", marking_to_json(c.before)},
                       {"now", marking_to_json(c.now)},
                       {"text", change_sentence(c, before)}});
    out["changed"] = marking_changed(changes);
    return out;
}

}  // namespace dw
