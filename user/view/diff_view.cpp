#include "view/diff_view.hpp"

#include <cstdio>

#include "core/dscp.hpp"
#include "diag/verdict.hpp"
#include "view/format.hpp"
#include "view/table.hpp"

namespace dw {
namespace {

std::string seconds(int64_t ns) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%+.6f s", ns / 1e9);
    return buf;
}

std::string millis(int64_t ns) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.3f ms", ns / 1e6);
    return buf;
}

std::string percent(uint64_t part, uint64_t whole) {
    if (!whole) return "-";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.1f %%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string dscp_set(uint64_t mask) {
    std::string s;
    for (unsigned d = 0; d < 64; d++)
        if (mask & (1ull << d)) s += (s.empty() ? "" : ", ") + dscp_label(d);
    return s;
}

std::string capture_line(char tag, const CaptureSegments& c) {
    return std::string(1, tag) + "  " + c.name + ": " + std::to_string(c.frames) + " frames, " +
           std::to_string(c.segs.size()) + " TCP segments, " +
           (c.frames ? local_time(c.first_ns / 1'000'000'000) + " .. " + local_time(c.last_ns / 1'000'000'000)
                     : std::string("empty")) +
           (c.other_ip ? ", " + std::to_string(c.other_ip) + " other IP packets not compared" : "") +
           (c.fragments ? ", " + std::to_string(c.fragments) + " IP fragments not compared" : "") +
           (c.malformed ? ", " + std::to_string(c.malformed) + " malformed frames" : "") + "\n";
}

std::string clock_line(const DiffResult& r) {
    std::string s = "clock: ";
    if (!r.offset_ns) return s + "unknown (no segment seen at both points); windows compared as if the clocks agreed\n";
    s += "B - A = " + seconds(*r.offset_ns);
    if (r.delay_ns)
        s += ", one-way delay A <-> B " + millis(*r.delay_ns);
    else
        s += " (delay included: matched segments ran one way only)";
    return s + " (medians of " + std::to_string(r.pairs_ab) + " segments A -> B and " + std::to_string(r.pairs_ba) +
           " B -> A)\n";
}

std::string segment_line(const char* what, char point, const Segment& s, uint32_t isn, const std::string& note) {
    char buf[200];
    std::snprintf(buf, sizeof(buf), "      %-8s %c#%-6llu %-8s seq +%-8u len %-5u %5u B  %-8s %s", what, point,
                  static_cast<unsigned long long>(s.frame), tcp_flags_text(s.flags).c_str(), s.seq - isn,
                  s.payload_len, s.ip_len, dscp_label(s.dscp).c_str(), std::string(stage_name(s.stage)).c_str());
    std::string out = buf;
    if (s.record && s.record_type == 21)
        out += "  TLS alert " + std::to_string(s.alert_desc);
    else if (s.record)
        out += "  TLS record " + std::to_string(s.record_type) + "/" + std::to_string(s.record_msg);
    if (s.truncated()) out += "  (captured " + std::to_string(s.captured) + " B of payload)";
    return out + note + "\n";
}

std::string direction_text(const char* label, const DirectionDiff& d) {
    const char up = point_name(d.upstream), down = d.upstream == Point::A ? 'B' : 'A';
    std::string s = std::string("  ") + label + ", " + up + " upstream: " + std::to_string(d.sent) + " sent at " + up;
    if (!d.lost)
        s += ", all seen at " + std::string(1, down);
    else
        s += ", " + std::to_string(d.lost) + " never seen at " + down + " (" + std::to_string(d.lost_undelivered) +
             " with data never delivered, " + std::to_string(d.lost - d.lost_undelivered) +
             " whose data arrived in another transmission or carried none)";
    if (d.appeared) s += "; " + std::to_string(d.appeared) + " appeared at " + down + " that " + up + " never sent";
    if (d.outside) s += "; " + std::to_string(d.outside) + " outside the other capture's window";
    s += "\n";
    for (unsigned st = 0; st < DW_ST_MAX; st++) {
        const auto& c = d.stages[st];
        if (!c.lost) continue;
        s += "    " + std::string(stage_name(st)) + ": " + std::to_string(c.sent) + " sent, " + std::to_string(c.lost) +
             " lost (" + dscp_set(c.lost_dscp) + ", " + std::to_string(c.lost_min) + "-" + std::to_string(c.lost_max) +
             " B)\n";
    }
    for (const auto& rm : d.remarks)
        s += "    remarked " + dscp_label(rm.from) + " -> " + dscp_label(rm.to) + ": " + std::to_string(rm.count) +
             " segments\n";
    for (const auto& l : d.lost_segs)
        s += segment_line("lost", up, l.seg, d.isn, l.delivered_later ? "  (data delivered later)" : "");
    for (const auto& a : d.appeared_segs) s += segment_line("appeared", down, a, d.isn, "");
    return s;
}

std::string loss_tables(const DiffResult& r) {
    std::string s;
    Table by_dscp({"dscp", "sent", "lost", "rate"});
    for (const auto& [d, c] : r.by_dscp)
        by_dscp.row({dscp_label(d), std::to_string(c.sent), std::to_string(c.lost), percent(c.lost, c.sent)});
    s += "\nloss by DSCP (segments sent at the upstream point of their direction, never seen downstream)\n" +
         by_dscp.str();
    const auto names = size_bucket_names(r.opt.size_edges);
    Table by_size({"IP length", "sent", "lost", "rate"});
    for (size_t i = 0; i < names.size(); i++)
        by_size.row({names[i], std::to_string(r.by_size[i].sent), std::to_string(r.by_size[i].lost),
                     percent(r.by_size[i].lost, r.by_size[i].sent)});
    s += "\nloss by IP length (bytes)\n" + by_size.str();
    std::vector<std::string> head = {"dscp \\ IP length"};
    head.insert(head.end(), names.begin(), names.end());
    Table cross(head);
    for (const auto& [d, row] : r.by_dscp_size) {
        std::vector<std::string> cells = {dscp_label(d)};
        for (const auto& c : row)
            cells.push_back(c.sent ? std::to_string(c.lost) + "/" + std::to_string(c.sent) + " " + percent(c.lost, c.sent)
                                   : "-");
        cross.row(cells);
    }
    s += "\nloss by DSCP and IP length (lost/sent)\n" + cross.str();
    return s;
}

nlohmann::json segment_json(const Segment& s, uint32_t isn) {
    nlohmann::json j = {{"frame", s.frame},
                        {"time", s.ts_ns / 1e9},
                        {"flags", tcp_flags_text(s.flags)},
                        {"seq", s.seq},
                        {"rel_seq", s.seq - isn},
                        {"len", s.payload_len},
                        {"ip_len", s.ip_len},
                        {"dscp", s.dscp},
                        {"ttl", s.ttl},
                        {"stage", stage_key(s.stage)},
                        {"captured", s.captured}};
    if (s.record) j["tls_record"] = {{"type", s.record_type}, {"msg", s.record_msg}};
    if (s.record && s.record_type == 21) j["tls_alert"] = s.alert_desc;
    return j;
}

nlohmann::json direction_json(const DirectionDiff& d) {
    nlohmann::json j = {{"from", to_string(d.from)},
                        {"to", to_string(d.to)},
                        {"upstream", std::string(1, point_name(d.upstream))},
                        {"sent", d.sent},
                        {"matched", d.matched},
                        {"lost", d.lost},
                        {"lost_undelivered", d.lost_undelivered},
                        {"lost_bytes", d.lost_bytes},
                        {"undelivered_bytes", d.undelivered_bytes},
                        {"appeared", d.appeared},
                        {"outside", d.outside}};
    auto& st = j["stages"] = nlohmann::json::object();
    for (unsigned i = 0; i < DW_ST_MAX; i++) {
        const auto& c = d.stages[i];
        if (!c.sent && !c.appeared) continue;
        nlohmann::json dscps = nlohmann::json::array();
        for (unsigned v = 0; v < 64; v++)
            if (c.lost_dscp & (1ull << v)) dscps.push_back(v);
        st[std::string(stage_key(i))] = {{"sent", c.sent}, {"lost", c.lost}, {"appeared", c.appeared},
                                         {"lost_dscp", dscps}, {"lost_min_len", c.lost_min},
                                         {"lost_max_len", c.lost_max}};
    }
    auto& lost = j["lost_segments"] = nlohmann::json::array();
    for (const auto& l : d.lost_segs) {
        auto x = segment_json(l.seg, d.isn);
        x["delivered_later"] = l.delivered_later;
        lost.push_back(x);
    }
    auto& app = j["appeared_segments"] = nlohmann::json::array();
    for (const auto& a : d.appeared_segs) app.push_back(segment_json(a, d.isn));
    auto& rm = j["remarked"] = nlohmann::json::array();
    for (const auto& r : d.remarks) rm.push_back({{"from", r.from}, {"to", r.to}, {"count", r.count}});
    return j;
}

nlohmann::json capture_json(const CaptureSegments& c) {
    return {{"file", c.name},       {"frames", c.frames},       {"tcp_segments", c.segs.size()},
            {"other_ip", c.other_ip}, {"fragments", c.fragments}, {"not_ip", c.not_ip},
            {"malformed", c.malformed}, {"first", c.first_ns / 1e9}, {"last", c.last_ns / 1e9}};
}

nlohmann::json cell_json(const LossCell& c) { return {{"sent", c.sent}, {"lost", c.lost}}; }

}  // namespace

std::string render_diff_text(const DiffResult& r) {
    std::string s = capture_line('A', *r.a) + capture_line('B', *r.b) + clock_line(r);
    s += std::to_string(r.flows.size()) + " TCP flows in both captures";
    size_t only[2] = {0, 0}, outside = 0;
    for (const auto& o : r.one_sided) {
        only[o.seen_at == Point::A ? 0 : 1]++;
        outside += o.outside;
    }
    s += "; " + std::to_string(only[0]) + " only at A, " + std::to_string(only[1]) + " only at B";
    if (outside) s += " (" + std::to_string(outside) + " of them outside the other capture's window)";
    s += "\n";
    s += "totals: " + std::to_string(r.sent) + " segments sent, " + std::to_string(r.lost) + " lost (" +
         std::to_string(r.lost_undelivered) + " with data never delivered), " + std::to_string(r.appeared) +
         " appeared on the way, " + std::to_string(r.remarked) + " remarked, " + std::to_string(r.outside) +
         " outside a capture window\n";
    for (const auto& f : r.flows) {
        s += "\n" + to_string(f.client) + " -> " + to_string(f.server);
        if (!f.sni.empty()) s += " (SNI " + f.sni + ")";
        s += ": client at " + std::string(1, point_name(f.client_at)) + " (" +
             (f.orientation == "assumed" ? std::string("assumed: no TTL or timing difference") : "by " + f.orientation) +
             ")" + (f.partly_outside ? ", partly outside a capture window" : "") + "\n";
        s += direction_text("server -> client", f.s2c);
        s += direction_text("client -> server", f.c2s);
    }
    for (const auto& o : r.one_sided)
        s += "\nonly at " + std::string(1, point_name(o.seen_at)) + ": " + to_string(o.client) + " -> " +
             to_string(o.server) + ", " + std::to_string(o.segments) + " segments" +
             (o.outside ? " (outside the other capture's window)" : "") + "\n";
    return s + loss_tables(r);
}

nlohmann::json render_diff_json(const DiffResult& r) {
    nlohmann::json j;
    j["a"] = capture_json(*r.a);
    j["b"] = capture_json(*r.b);
    auto& clk = j["clock"];
    clk["pairs_a_to_b"] = r.pairs_ab;
    clk["pairs_b_to_a"] = r.pairs_ba;
    clk["offset_s"] = r.offset_ns ? nlohmann::json(*r.offset_ns / 1e9) : nlohmann::json(nullptr);
    clk["delay_s"] = r.delay_ns ? nlohmann::json(*r.delay_ns / 1e9) : nlohmann::json(nullptr);
    j["totals"] = {{"sent", r.sent},         {"matched", r.matched},   {"lost", r.lost},
                   {"lost_undelivered", r.lost_undelivered},          {"appeared", r.appeared},
                   {"remarked", r.remarked}, {"outside", r.outside},   {"differs", r.differs()}};
    auto& flows = j["flows"] = nlohmann::json::array();
    for (const auto& f : r.flows)
        flows.push_back({{"client", to_string(f.client)},
                         {"server", to_string(f.server)},
                         {"sni", f.sni},
                         {"client_at", std::string(1, point_name(f.client_at))},
                         {"orientation", f.orientation},
                         {"partly_outside", f.partly_outside},
                         {"server_to_client", direction_json(f.s2c)},
                         {"client_to_server", direction_json(f.c2s)}});
    auto& one = j["one_sided"] = nlohmann::json::array();
    for (const auto& o : r.one_sided)
        one.push_back({{"client", to_string(o.client)}, {"server", to_string(o.server)},
                       {"seen_at", std::string(1, point_name(o.seen_at))}, {"segments", o.segments},
                       {"outside", o.outside}});
    auto& bd = j["loss_by_dscp"] = nlohmann::json::object();
    for (const auto& [d, c] : r.by_dscp) bd[std::to_string(d)] = cell_json(c);
    const auto names = size_bucket_names(r.opt.size_edges);
    auto& bs = j["loss_by_size"] = nlohmann::json::object();
    for (size_t i = 0; i < names.size(); i++) bs[names[i]] = cell_json(r.by_size[i]);
    auto& x = j["loss_by_dscp_size"] = nlohmann::json::object();
    for (const auto& [d, row] : r.by_dscp_size)
        for (size_t i = 0; i < row.size(); i++)
            if (row[i].sent) x[std::to_string(d)][names[i]] = cell_json(row[i]);
    auto& rm = j["remarked"] = nlohmann::json::array();
    for (const auto& [k, n] : r.remarks) rm.push_back({{"from", k.first}, {"to", k.second}, {"count", n}});
    return j;
}

}  // namespace dw
