#include "view/stats_view.hpp"

#include <net/if.h>

#include <map>
#include <tuple>

#include "core/counter_names.hpp"
#include "core/dscp.hpp"
#include "view/format.hpp"
#include "view/table.hpp"

namespace dw {
namespace {

struct Acc {
    uint64_t packets = 0, bytes = 0, remarked = 0;
};

using Key = std::tuple<uint32_t, uint8_t, uint8_t>;  // ifindex, dir, slot

bool wanted(const StatsOptions& o, uint32_t ifindex) { return !o.ifindex || *o.ifindex == ifindex; }

std::map<Key, Acc> accumulate(const StatsView& v, const StatsOptions& o) {
    std::map<Key, Acc> rows;
    for (const auto& c : v.counters) {
        if (!wanted(o, c.ifindex)) continue;
        auto& r = rows[{c.ifindex, c.dir, c.slot}];
        r.packets += c.packets;
        r.bytes += c.bytes;
    }
    for (const auto& r : v.remarks)
        if (wanted(o, r.ifindex) && r.from != r.to) rows[{r.ifindex, r.dir, r.from}].remarked += r.packets;
    return rows;
}

// Growth between two samples; a counter that went down was reset in between,
// so all of its current value is new.
uint64_t delta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

nlohmann::json rate_fields(nlohmann::json j, const std::optional<double>& pps, const std::optional<double>& bps) {
    if (pps) j["pps"] = *pps;
    if (bps) j["bits_per_s"] = *bps;
    return j;
}

}  // namespace

namespace {
std::map<uint32_t, std::string>& interface_aliases() {
    static std::map<uint32_t, std::string> m;
    return m;
}
}  // namespace

void set_interface_alias(uint32_t ifindex, std::string name) { interface_aliases()[ifindex] = std::move(name); }

std::string ifname_of(uint32_t ifindex) {
    if (auto it = interface_aliases().find(ifindex); it != interface_aliases().end()) return it->second;
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, buf)) return buf;
    return "if" + std::to_string(ifindex);
}

const char* dir_name(uint8_t d) { return d == DW_DIR_EGRESS ? "egress" : "ingress"; }

std::string slot_label(uint8_t slot) {
    if (slot == DW_SLOT_NONIP) return "non-IP";
    if (slot == DW_SLOT_MALFORMED) return "malformed";
    return dscp_label(slot);
}

std::vector<StatsRow> stats_rows(const StatsView& v, const StatsOptions& o) {
    const auto cur = accumulate(v, o);
    const bool rates = o.prev && o.interval_s > 0;
    std::map<Key, Acc> before;
    if (rates) before = accumulate(*o.prev, o);
    std::vector<StatsRow> out;
    out.reserve(cur.size());
    for (const auto& [k, a] : cur) {
        StatsRow r;
        std::tie(r.ifindex, r.dir, r.slot) = k;
        r.packets = a.packets;
        r.bytes = a.bytes;
        r.remarked = a.remarked;
        if (rates) {
            auto it = before.find(k);
            Acc b = it == before.end() ? Acc{} : it->second;
            r.pps = static_cast<double>(delta(a.packets, b.packets)) / o.interval_s;
            r.bits_per_s = static_cast<double>(delta(a.bytes, b.bytes)) * 8.0 / o.interval_s;
        }
        out.push_back(r);
    }
    return out;
}

std::vector<StatsTotal> stats_totals(const std::vector<StatsRow>& rows) {
    std::vector<StatsTotal> out;
    StatsTotal all;
    auto add = [](StatsTotal& t, const StatsRow& r) {
        t.packets += r.packets;
        t.bytes += r.bytes;
        t.remarked += r.remarked;
        if (r.pps) t.pps = t.pps.value_or(0) + *r.pps;
        if (r.bits_per_s) t.bits_per_s = t.bits_per_s.value_or(0) + *r.bits_per_s;
    };
    for (const auto& r : rows) {  // rows come sorted by (ifindex, dir)
        if (out.empty() || out.back().ifindex != r.ifindex || out.back().dir != r.dir) {
            StatsTotal t;
            t.ifindex = r.ifindex;
            t.dir = r.dir;
            out.push_back(t);
        }
        add(out.back(), r);
        add(all, r);
    }
    out.push_back(all);
    return out;
}

SumCheck check_sum(const StatsView& v) {
    SumCheck c;
    for (const auto& x : v.counters) c.dscp_sum += x.packets;
    c.frames = v.global[DW_CNT_FRAMES];
    c.frames_after = v.frames_after;
    c.entry_failures = v.global[DW_CNT_IFSTAT_FAIL];
    if (c.dscp_sum == c.frames)
        c.verdict = SumCheck::Verdict::Exact;
    else if (c.frames_after > c.frames && c.dscp_sum >= c.frames && c.dscp_sum <= c.frames_after)
        c.verdict = SumCheck::Verdict::Live;
    else if (c.dscp_sum < c.frames && c.frames - c.dscp_sum <= c.entry_failures)
        c.verdict = SumCheck::Verdict::EntriesMissing;
    else
        c.verdict = SumCheck::Verdict::Mismatch;
    return c;
}

const char* to_string(SumCheck::Verdict v) {
    switch (v) {
    case SumCheck::Verdict::Exact: return "exact";
    case SumCheck::Verdict::Live: return "live";
    case SumCheck::Verdict::EntriesMissing: return "entries_missing";
    case SumCheck::Verdict::Mismatch: return "mismatch";
    }
    return "?";
}

std::string SumCheck::text() const {
    const std::string sum = std::to_string(dscp_sum), fr = std::to_string(frames);
    switch (verdict) {
    case Verdict::Exact: return "per-DSCP sum " + sum + " = frames " + fr + ": ok";
    case Verdict::Live:
        return "per-DSCP sum " + sum + " within frames " + fr + ".." + std::to_string(frames_after) +
               " (traffic while reading): ok";
    case Verdict::EntriesMissing:
        return "per-DSCP sum " + sum + " < frames " + fr + ": " + std::to_string(frames - dscp_sum) +
               " frames not in the table (" + std::to_string(entry_failures) +
               " counter entries could not be created)";
    case Verdict::Mismatch: break;
    }
    return "per-DSCP sum " + sum + " != frames " + fr + ": MISMATCH (counters reset or read during heavy traffic?)";
}

std::string render_stats_text(const StatsView& v, const StatsOptions& o) {
    const auto rows = stats_rows(v, o);
    const bool rates = o.prev && o.interval_s > 0;
    std::vector<std::string> header{"interface", "dir", "dscp", "packets", "bytes", "remarked"};
    std::vector<Align> align{Align::Left, Align::Left, Align::Left};
    if (rates) {
        header.push_back("pps");
        header.push_back("bit/s");
    }
    Table t(header, align);
    for (const auto& r : rows) {
        std::vector<std::string> cells{ifname_of(r.ifindex), dir_name(r.dir), slot_label(r.slot),
                                       std::to_string(r.packets), std::to_string(r.bytes),
                                       std::to_string(r.remarked)};
        if (rates) {
            cells.push_back(human_rate(r.pps.value_or(0)));
            cells.push_back(human_bits(r.bits_per_s.value_or(0)));
        }
        t.row(std::move(cells));
    }
    std::string out;
    if (t.empty()) {
        out = o.ifindex ? "no packets counted on " + ifname_of(*o.ifindex) + " yet\n" : "no packets counted yet\n";
    } else {
        out = t.str();
        std::vector<std::string> th{"interface", "dir", "packets", "bytes", "remarked"};
        if (rates) {
            th.push_back("pps");
            th.push_back("bit/s");
        }
        Table tt(th, {Align::Left, Align::Left});
        for (const auto& s : stats_totals(rows)) {
            std::vector<std::string> cells{s.ifindex ? ifname_of(s.ifindex) : "all", s.ifindex ? dir_name(s.dir) : "",
                                           std::to_string(s.packets), std::to_string(s.bytes),
                                           std::to_string(s.remarked)};
            if (rates) {
                cells.push_back(human_rate(s.pps.value_or(0)));
                cells.push_back(human_bits(s.bits_per_s.value_or(0)));
            }
            tt.row(std::move(cells));
        }
        out += "\ntotals\n" + tt.str();
    }

    Table rt({"interface", "dir", "from", "to", "packets", "bytes"}, {Align::Left, Align::Left, Align::Left, Align::Left});
    for (const auto& r : v.remarks)
        if (wanted(o, r.ifindex))
            rt.row({ifname_of(r.ifindex), dir_name(r.dir), dscp_label(r.from), dscp_label(r.to),
                    std::to_string(r.packets), std::to_string(r.bytes)});
    if (!rt.empty()) out += "\nremarked\n" + rt.str();

    out += "\n";
    out += "fragments: first " + std::to_string(v.global[DW_CNT_FRAG_FIRST]) + ", later " +
           std::to_string(v.global[DW_CNT_FRAG_LATER]) + " (later fragments are counted per DSCP, without ports)\n";
    std::string mal;
    uint64_t mal_total = 0;
    for (unsigned i = DW_CNT_MAL_FIRST; i <= DW_CNT_MAL_LAST; i++) {
        mal_total += v.global[i];
        if (v.global[i])
            mal += std::string(mal.empty() ? "" : ", ") + std::string(counter_name(i)) + " " +
                   std::to_string(v.global[i]);
    }
    out += mal.empty() ? "malformed: none\n"
                       : "malformed (passed): " + std::to_string(mal_total) + ": " + mal + "\n";
    const auto c = check_sum(v);
    out += "check: " + c.text() + (o.ifindex ? " (all interfaces)" : "") + "\n";
    return out;
}

nlohmann::json render_stats_json(const StatsView& v, const StatsOptions& o) {
    const auto rows = stats_rows(v, o);
    nlohmann::json j;
    j["interfaces"] = nlohmann::json::array();
    for (const auto& r : rows) {
        nlohmann::json e{{"ifindex", r.ifindex}, {"interface", ifname_of(r.ifindex)}, {"direction", dir_name(r.dir)},
                         {"packets", r.packets}, {"bytes", r.bytes}, {"remarked", r.remarked}};
        if (r.slot < DW_DSCP_VALUES) {
            e["dscp"] = r.slot;
            e["name"] = std::string(dscp_name(r.slot));
        } else {
            e["dscp"] = nullptr;
            e["class"] = r.slot == DW_SLOT_NONIP ? "non-ip" : "malformed";
        }
        j["interfaces"].push_back(rate_fields(std::move(e), r.pps, r.bits_per_s));
    }
    j["totals"] = nlohmann::json::array();
    for (const auto& s : stats_totals(rows)) {
        nlohmann::json e{{"packets", s.packets}, {"bytes", s.bytes}, {"remarked", s.remarked}};
        if (s.ifindex) {
            e["ifindex"] = s.ifindex;
            e["interface"] = ifname_of(s.ifindex);
            e["direction"] = dir_name(s.dir);
            j["totals"].push_back(rate_fields(std::move(e), s.pps, s.bits_per_s));
        } else {
            j["total"] = rate_fields(std::move(e), s.pps, s.bits_per_s);
        }
    }
    j["remarks"] = nlohmann::json::array();
    for (const auto& r : v.remarks)
        if (wanted(o, r.ifindex))
            j["remarks"].push_back({{"ifindex", r.ifindex}, {"interface", ifname_of(r.ifindex)},
                                    {"direction", dir_name(r.dir)}, {"from", r.from}, {"to", r.to},
                                    {"packets", r.packets}, {"bytes", r.bytes}});
    j["counters"] = nlohmann::json::object();
    uint64_t mal_total = 0;
    for (unsigned i = 0; i < DW_CNT_MAX; i++) {
        j["counters"][std::string(counter_name(i))] = v.global[i];
        if (is_malformed_counter(i)) mal_total += v.global[i];
    }
    j["malformed_total"] = mal_total;
    const auto c = check_sum(v);
    j["check"] = {{"dscp_sum", c.dscp_sum}, {"frames", c.frames}, {"ifstat_insert_failed", c.entry_failures},
                  {"verdict", to_string(c.verdict)}, {"ok", c.ok()}};
    if (c.frames_after) j["check"]["frames_after"] = c.frames_after;
    if (o.ifindex) {
        j["filter"] = {{"ifindex", *o.ifindex}, {"interface", ifname_of(*o.ifindex)}};
    }
    if (o.prev && o.interval_s > 0) j["interval_s"] = o.interval_s;
    return j;
}

}  // namespace dw
