#include "view/flows_view.hpp"

#include <algorithm>
#include <bit>
#include <unordered_map>
#include <utility>

#include "core/dscp.hpp"
#include "core/error.hpp"
#include "view/format.hpp"
#include "view/stats_view.hpp"
#include "view/table.hpp"

namespace dw {

// ---- selection ----------------------------------------------------------------

std::string_view to_string(FlowSort s) {
    switch (s) {
    case FlowSort::Packets: return "pkts";
    case FlowSort::Bytes: return "bytes";
    case FlowSort::Last: return "last";
    }
    return "?";
}

std::optional<FlowSort> parse_flow_sort(std::string_view t) {
    if (t == "pkts" || t == "packets") return FlowSort::Packets;
    if (t == "bytes") return FlowSort::Bytes;
    if (t == "last") return FlowSort::Last;
    return std::nullopt;
}

FlowRow orient(const FlowEntry& e) { return FlowRow{&e, e.flow.client == DW_SIDE_A}; }

bool proto_has_ports(uint8_t proto) { return proto == 6 || proto == 17; }

bool flow_matches(const FlowEntry& e, const FlowQuery& q) {
    if (q.dscp) {
        const uint64_t bit = 1ull << (*q.dscp & 63);
        if (!((e.flow.dir[0].seen_mask | e.flow.dir[1].seen_mask) & bit)) return false;
    }
    if (q.port) {
        if (!proto_has_ports(e.key.proto)) return false;
        if (e.key.port_a != *q.port && e.key.port_b != *q.port) return false;
    }
    if (q.host) {
        if (!q.host->contains(e.key.family, e.key.addr_a) && !q.host->contains(e.key.family, e.key.addr_b))
            return false;
    }
    return true;
}

namespace {

uint64_t sort_key(const FlowEntry& e, FlowSort s) {
    switch (s) {
    case FlowSort::Packets: return e.flow.dir[0].packets + e.flow.dir[1].packets;
    case FlowSort::Bytes: return e.flow.dir[0].bytes + e.flow.dir[1].bytes;
    case FlowSort::Last: return e.flow.last_ns;
    }
    return 0;
}

}  // namespace

FlowSelection select_flows(const std::vector<FlowEntry>& flows, const FlowQuery& q) {
    FlowSelection sel;
    sel.total = flows.size();
    // (key, index): sorting 16-byte pairs, not 328-byte records, and no
    // allocation per flow.
    std::vector<std::pair<uint64_t, size_t>> keys;
    keys.reserve(flows.size());
    const bool filtered = q.dscp || q.host || q.port;
    for (size_t i = 0; i < flows.size(); i++) {
        if (filtered && !flow_matches(flows[i], q)) continue;
        keys.emplace_back(sort_key(flows[i], q.sort), i);
    }
    sel.matching = keys.size();
    const size_t n = q.top == 0 ? keys.size() : std::min(q.top, keys.size());
    // Largest first; ties in input order, so the output is deterministic.
    auto better = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
    if (n == keys.size())
        std::sort(keys.begin(), keys.end(), better);
    else
        std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n), keys.end(), better);
    sel.rows.reserve(n);
    for (size_t i = 0; i < n; i++) sel.rows.push_back(orient(flows[keys[i].second]));
    return sel;
}

// ---- DSCP breakdown ----------------------------------------------------------------

DscpBreakdown dscp_breakdown(const dw_flow_dir& d) {
    DscpBreakdown b;
    uint64_t in_slots = 0;
    for (unsigned i = 0; i < DW_FLOW_DSCP_SLOTS; i++) {
        if (d.slot_tag[i] == 0 || d.slot_tag[i] > DW_DSCP_VALUES) continue;
        const uint8_t v = static_cast<uint8_t>(d.slot_tag[i] - 1);
        b.slots.push_back({v, d.slot_packets[i], d.slot_bytes[i]});
        in_slots |= 1ull << v;
    }
    b.other_packets = d.other_packets;
    b.other_bytes = d.other_bytes;
    for (uint64_t m = d.seen_mask; m; m &= m - 1) {
        const auto v = static_cast<uint8_t>(std::countr_zero(m));
        b.seen.push_back(v);
        if (!(in_slots & (1ull << v))) b.other_values.push_back(v);
    }
    return b;
}

namespace {

std::string short_dscp(uint8_t v) {
    auto n = dscp_name(v);
    return n.empty() ? std::to_string(v) : std::string(n);
}

}  // namespace

std::string dscp_breakdown_text(const dw_flow_dir& d) {
    if (d.packets == 0) return "-";
    const auto b = dscp_breakdown(d);
    std::string s;
    for (const auto& sh : b.slots) {
        if (!s.empty()) s += ' ';
        s += short_dscp(sh.dscp) + ":" + std::to_string(sh.packets);
    }
    if (b.other_packets || !b.other_values.empty()) {
        if (!s.empty()) s += ' ';
        s += "+" + std::to_string(b.other_packets) + "(";
        for (size_t i = 0; i < b.other_values.size(); i++) s += (i ? "," : "") + short_dscp(b.other_values[i]);
        s += ")";
    }
    return s;
}

// ---- columns ------------------------------------------------------------------------

namespace {

std::string age_text(uint64_t now, uint64_t then) {
    if (now == 0 || then == 0) return "-";
    return human_duration_ns(now > then ? now - then : 0);
}

std::string proto_text(const FlowRow& r) {
    std::string s = proto_name(r.key().proto);
    if ((r.key().proto == 1 || r.key().proto == 58) && r.key().port_a) s += " id=" + std::to_string(r.key().port_a);
    return s;
}

using CellFn = std::string (*)(const FlowRow&, const FlowRenderOptions&);

struct ColumnSpec {
    FlowColumn id;
    std::string_view name;    // for --columns
    std::string_view header;  // table header
    Align align;
    CellFn cell;
};

// The single place that says how each column looks.
const ColumnSpec kColumns[] = {
    {FlowColumn::Proto, "proto", "proto", Align::Left, [](const FlowRow& r, const FlowRenderOptions&) { return proto_text(r); }},
    {FlowColumn::Client, "client", "client", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) {
         return endpoint_str(r.key().family, r.client_addr(), r.client_port(), proto_has_ports(r.key().proto));
     }},
    {FlowColumn::Server, "server", "server", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) {
         return endpoint_str(r.key().family, r.server_addr(), r.server_port(), proto_has_ports(r.key().proto));
     }},
    {FlowColumn::PktsC2S, "pkts_c2s", "c>s pkts", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions&) { return std::to_string(r.c2s().packets); }},
    {FlowColumn::BytesC2S, "bytes_c2s", "c>s bytes", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions&) { return std::to_string(r.c2s().bytes); }},
    {FlowColumn::PktsS2C, "pkts_s2c", "s>c pkts", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions&) { return std::to_string(r.s2c().packets); }},
    {FlowColumn::BytesS2C, "bytes_s2c", "s>c bytes", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions&) { return std::to_string(r.s2c().bytes); }},
    {FlowColumn::DscpC2S, "dscp_c2s", "c>s dscp", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) { return dscp_breakdown_text(r.c2s()); }},
    {FlowColumn::DscpS2C, "dscp_s2c", "s>c dscp", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) { return dscp_breakdown_text(r.s2c()); }},
    {FlowColumn::Changes, "changes", "changes", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions&) {
         return std::to_string(r.c2s().dscp_changes) + "/" + std::to_string(r.s2c().dscp_changes);
     }},
    {FlowColumn::Age, "age", "age", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions& o) { return age_text(o.now_ns, r.flow().first_ns); }},
    {FlowColumn::Idle, "idle", "idle", Align::Right,
     [](const FlowRow& r, const FlowRenderOptions& o) { return age_text(o.now_ns, r.flow().last_ns); }},
    {FlowColumn::Orient, "orient", "by", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) {
         return std::string(r.flow().orient == DW_ORIENT_SYN ? "syn" : "port");
     }},
    {FlowColumn::Iface, "iface", "iface", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions&) { return ifname_of(r.flow().last_ifindex); }},
    {FlowColumn::Stage, "stage", "handshake", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions& o) {
         const FlowVerdict* v = o.handshake ? o.handshake(r.key()) : nullptr;
         return v ? v->verdict_text() : std::string("-");
     }},
    {FlowColumn::History, "history", "history", Align::Left,
     [](const FlowRow& r, const FlowRenderOptions& o) {
         const FlowVerdict* v = o.handshake ? o.handshake(r.key()) : nullptr;
         return v && !v->history.empty() ? v->history : std::string("-");
     }},
};

const ColumnSpec& spec_of(FlowColumn c) {
    for (const auto& s : kColumns)
        if (s.id == c) return s;
    return kColumns[0];  // unreachable: every FlowColumn has an entry
}

std::string columns_list() {
    std::string s;
    for (const auto& c : kColumns) s += (s.empty() ? "" : ",") + std::string(c.name);
    return s;
}

}  // namespace

std::string_view to_string(FlowColumn c) { return spec_of(c).name; }

std::optional<FlowColumn> parse_flow_column(std::string_view name) {
    for (const auto& s : kColumns)
        if (s.name == name) return s.id;
    return std::nullopt;
}

std::vector<FlowColumn> parse_flow_columns(std::string_view list) {
    std::vector<FlowColumn> out;
    size_t pos = 0;
    while (pos <= list.size()) {
        auto comma = list.find(',', pos);
        auto item = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        auto c = parse_flow_column(item);
        if (!c) throw Error("unknown flow column '" + std::string(item) + "'", "the columns are " + columns_list());
        out.push_back(*c);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

const std::vector<FlowColumn>& default_flow_columns() {
    static const std::vector<FlowColumn> cols{
        FlowColumn::Proto,    FlowColumn::Client,  FlowColumn::Server,  FlowColumn::PktsC2S, FlowColumn::BytesC2S,
        FlowColumn::PktsS2C,  FlowColumn::BytesS2C, FlowColumn::DscpC2S, FlowColumn::DscpS2C, FlowColumn::Changes,
        FlowColumn::Age,      FlowColumn::Idle,    FlowColumn::Orient,  FlowColumn::Stage,   FlowColumn::History,
    };
    return cols;
}

const std::vector<FlowColumn>& all_flow_columns() {
    static const std::vector<FlowColumn> cols = [] {
        std::vector<FlowColumn> v;
        for (const auto& s : kColumns) v.push_back(s.id);
        return v;
    }();
    return cols;
}

// ---- rendering ------------------------------------------------------------------------

namespace {

std::string summary_line(const FlowSelection& s, const FlowRenderOptions& o, const FlowQuery& q) {
    const std::string cap = o.capacity ? " (capacity " + std::to_string(*o.capacity) + ")" : "";
    if (s.total == 0) return "no flows in the table yet" + cap + "\n";
    std::string line = std::to_string(s.total) + (s.total == 1 ? " flow" : " flows") + " in the table" + cap;
    if (q.dscp || q.host || q.port) {
        line += ", " + std::to_string(s.matching) + " match";
        std::string f;
        if (q.dscp) f += " dscp " + dscp_label(*q.dscp);
        if (q.host) f += " host " + q.host->str();
        if (q.port) f += " port " + std::to_string(*q.port);
        line += " (" + f.substr(1) + ")";
    }
    line += "; showing " + std::to_string(s.rows.size()) + " by " + std::string(to_string(q.sort));
    return line + "\n";
}

nlohmann::json dir_json(const dw_flow_dir& d) {
    const auto b = dscp_breakdown(d);
    nlohmann::json j{{"packets", d.packets}, {"bytes", d.bytes}, {"changes", d.dscp_changes}};
    j["dscp"] = nlohmann::json::array();
    for (const auto& s : b.slots)
        j["dscp"].push_back({{"value", s.dscp}, {"name", std::string(dscp_name(s.dscp))}, {"packets", s.packets},
                             {"bytes", s.bytes}});
    j["other"] = {{"packets", b.other_packets}, {"bytes", b.other_bytes}, {"values", b.other_values}};
    j["seen"] = b.seen;
    if (d.packets) j["last_dscp"] = d.last_dscp;
    return j;
}

}  // namespace

std::string render_flows_text(const FlowSelection& s, const FlowRenderOptions& o, const FlowQuery& q) {
    std::string out = summary_line(s, o, q);
    if (s.rows.empty()) return out;
    std::vector<std::string> header;
    std::vector<Align> align;
    for (auto c : o.columns) {
        header.emplace_back(spec_of(c).header);
        align.push_back(spec_of(c).align);
    }
    Table t(std::move(header), std::move(align));
    for (const auto& r : s.rows) {
        std::vector<std::string> cells;
        cells.reserve(o.columns.size());
        for (auto c : o.columns) cells.push_back(spec_of(c).cell(r, o));
        t.row(std::move(cells));
    }
    return out + t.str();
}

nlohmann::json flow_json(const FlowRow& r, const FlowRenderOptions& o) {
    const auto& k = r.key();
    const auto& f = r.flow();
    const bool ports = proto_has_ports(k.proto);
    nlohmann::json c{{"addr", addr_str(k.family, r.client_addr())}};
    nlohmann::json s{{"addr", addr_str(k.family, r.server_addr())}};
    if (ports) {
        c["port"] = r.client_port();
        s["port"] = r.server_port();
    }
    nlohmann::json j{{"proto", k.proto},
                     {"proto_name", proto_name(k.proto)},
                     {"family", k.family},
                     {"client", std::move(c)},
                     {"server", std::move(s)},
                     {"orientation", f.orient == DW_ORIENT_SYN ? "syn" : "port"},
                     {"packets", r.packets()},
                     {"bytes", r.bytes()},
                     {"c2s", dir_json(r.c2s())},
                     {"s2c", dir_json(r.s2c())},
                     {"first_ns", f.first_ns},
                     {"last_ns", f.last_ns},
                     {"first_ifindex", f.first_ifindex},
                     {"last_ifindex", f.last_ifindex}};
    if ((k.proto == 1 || k.proto == 58)) j["icmp_id"] = k.port_a;
    if (const FlowVerdict* v = o.handshake ? o.handshake(k) : nullptr) {
        j["handshake"] = {{"verdict", v->verdict_text()},
                          {"outcome", std::string(to_string(v->outcome))},
                          {"stage", std::string(stage_key(v->stage))},
                          {"history", v->history},
                          {"sni", v->sni}};
    }
    if (o.now_ns) {
        j["age_ns"] = o.now_ns > f.first_ns ? o.now_ns - f.first_ns : 0;
        j["idle_ns"] = o.now_ns > f.last_ns ? o.now_ns - f.last_ns : 0;
    }
    return j;
}

nlohmann::json render_flows_json(const FlowSelection& s, const FlowRenderOptions& o, const FlowQuery& q) {
    nlohmann::json j{{"total", s.total}, {"matching", s.matching}, {"shown", s.rows.size()},
                     {"sort", std::string(to_string(q.sort))}, {"top", q.top}};
    if (o.capacity) j["capacity"] = *o.capacity;
    if (o.now_ns) j["now_ns"] = o.now_ns;
    nlohmann::json filter = nlohmann::json::object();
    if (q.dscp) filter["dscp"] = *q.dscp;
    if (q.host) filter["host"] = q.host->str();
    if (q.port) filter["port"] = *q.port;
    j["filter"] = std::move(filter);
    // Interface names: one lookup per interface, not per flow.
    std::unordered_map<uint32_t, std::string> names;
    auto name = [&](uint32_t ifindex) -> const std::string& {
        auto it = names.find(ifindex);
        if (it == names.end()) it = names.emplace(ifindex, ifname_of(ifindex)).first;
        return it->second;
    };
    j["flows"] = nlohmann::json::array();
    for (const auto& r : s.rows) {
        auto f = flow_json(r, o);
        f["first_interface"] = name(r.flow().first_ifindex);
        f["last_interface"] = name(r.flow().last_ifindex);
        j["flows"].push_back(std::move(f));
    }
    return j;
}

}  // namespace dw
