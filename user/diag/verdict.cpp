#include "diag/verdict.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>

#include "core/dscp.hpp"
#include "core/tls.hpp"

namespace dw {

std::string_view stage_name(unsigned stage) {
    switch (stage) {
    case DW_ST_NONE: return "start";
    case DW_ST_SYN: return "SYN";
    case DW_ST_SYNACK: return "SYN-ACK";
    case DW_ST_ACK: return "TCP handshake ACK";
    case DW_ST_CLIENT_HELLO: return "ClientHello";
    case DW_ST_SERVER_HELLO: return "ServerHello flight";
    case DW_ST_CLIENT_FINISHED: return "client Finished flight";
    case DW_ST_SERVER_FINISHED: return "server Finished flight";
    case DW_ST_ESTABLISHED: return "established";
    }
    return "?";
}

std::string_view stage_key(unsigned stage) {
    switch (stage) {
    case DW_ST_NONE: return "none";
    case DW_ST_SYN: return "syn";
    case DW_ST_SYNACK: return "synack";
    case DW_ST_ACK: return "ack";
    case DW_ST_CLIENT_HELLO: return "client_hello";
    case DW_ST_SERVER_HELLO: return "server_hello";
    case DW_ST_CLIENT_FINISHED: return "client_finished";
    case DW_ST_SERVER_FINISHED: return "server_finished";
    case DW_ST_ESTABLISHED: return "established";
    }
    return "?";
}

std::string_view to_string(Outcome o) {
    switch (o) {
    case Outcome::Completed: return "completed";
    case Outcome::Stalled: return "stalled";
    case Outcome::Reset: return "reset";
    case Outcome::Alert: return "alert";
    case Outcome::InProgress: return "in progress";
    case Outcome::NotTls: return "not TLS";
    }
    return "?";
}

std::string FlowVerdict::verdict_text() const {
    switch (outcome) {
    case Outcome::Completed: return "completed";
    case Outcome::Stalled: return "stalled at " + std::string(stage_name(stage));
    case Outcome::Reset: return "reset at " + std::string(stage_name(stage));
    case Outcome::Alert: return "alert " + alert + " at " + std::string(stage_name(stage));
    case Outcome::InProgress: return "in progress";
    case Outcome::NotTls: return "not TLS";
    }
    return "?";
}

namespace {

std::string addr_str(uint8_t family, const uint8_t* a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
    return buf;
}

std::string endpoint(const std::string& addr, uint16_t port, bool v6) {
    return v6 ? "[" + addr + "]:" + std::to_string(port) : addr + ":" + std::to_string(port);
}

}  // namespace

std::string FlowVerdict::server_endpoint() const { return endpoint(server, server_port, key.family == 6); }

FlowVerdict judge(const HandshakeEntry& e, const TlsInfo* tls, const VerdictOptions& opt) {
    const dw_hs& hs = e.hs;
    const dw_flow_key& k = e.key;
    FlowVerdict v;
    v.key = k;
    const bool client_is_a = hs.client == DW_SIDE_A;
    v.client = addr_str(k.family, client_is_a ? k.addr_a : k.addr_b);
    v.server = addr_str(k.family, client_is_a ? k.addr_b : k.addr_a);
    v.client_port = client_is_a ? k.port_a : k.port_b;
    v.server_port = client_is_a ? k.port_b : k.port_a;
    if (tls) {
        v.sni.assign(tls->sni, strnlen(tls->sni, sizeof(tls->sni)));
        v.version = tls->server_version;
    }
    v.history.assign(hs.hist, std::min<size_t>(hs.hist_len, DW_HS_HIST));
    std::copy(std::begin(hs.stage), std::end(hs.stage), std::begin(v.stages));
    v.idle_ns = opt.now_ns > hs.last_ns ? opt.now_ns - hs.last_ns : 0;
    v.age_ns = opt.now_ns > hs.start_ns ? opt.now_ns - hs.start_ns : 0;
    for (const auto& st : hs.stage) {
        v.retrans += st.retrans;
        v.dupacks += st.dupacks;
        v.sacks += st.sacks;
    }
    for (const auto& side : hs.side)
        for (const auto& g : side.segs)
            if (g.end) v.segments.push_back({g.len, g.dscp, static_cast<uint8_t>(g.stage & 0x0f),
                                             (g.stage & DW_HS_SEG_ACKED) != 0});

    const dw_hs_side& c = hs.side[DW_HS_CLIENT];
    const dw_hs_side& s = hs.side[DW_HS_SERVER];
    v.stage = hs.reached;
    v.flight_dscp = hs.stage[DW_ST_SERVER_HELLO].segs ? hs.stage[DW_ST_SERVER_HELLO].dscp_mask
                                                     : hs.stage[hs.reached < DW_ST_MAX ? hs.reached : 0].dscp_mask;

    if ((c.tls | s.tls) & DW_TLSF_NOT_TLS) {
        v.outcome = Outcome::NotTls;
        return v;
    }
    const bool completed =
        c.stage >= DW_ST_CLIENT_FINISHED &&
        (s.stage >= DW_ST_SERVER_FINISHED || hs.stage[DW_ST_CLIENT_FINISHED].max_acked_len > 0 ||
         c.stage == DW_ST_ESTABLISHED);
    if (completed) {
        v.outcome = Outcome::Completed;
        return v;
    }
    v.end_side = hs.end_side;
    const uint8_t reached_stage = hs.reached < DW_ST_MAX ? hs.reached : 0;
    const bool stalled_flight = hs.stage[reached_stage].retrans > 0 || v.retrans > 0;
    if (hs.flags & DW_HSF_ALERT) {
        const dw_hs_side& a = hs.side[hs.end_side & 1];
        v.outcome = Outcome::Alert;
        v.stage = hs.end_stage;
        v.alert = (a.tls & DW_TLSF_ALERT) ? std::string(alert_description_name(a.alert_desc)) : "encrypted";
        return v;
    }
    if (hs.flags & DW_HSF_RESET) {
        // A flight that never got through, then a reset (the client giving up, or
        // the server cleaning up): the stall is the cause, the reset its end.
        if (hs.stage[reached_stage].retrans > 0) {
            v.outcome = Outcome::Stalled;
        } else {
            v.outcome = Outcome::Reset;
            v.stage = hs.end_stage;
        }
        return v;
    }
    if ((c.tcp & DW_TCPF_FIN) || (v.idle_ns >= opt.stall_after_ns && stalled_flight) || v.idle_ns >= opt.give_up_ns) {
        v.outcome = Outcome::Stalled;
        return v;
    }
    v.outcome = Outcome::InProgress;
    return v;
}

namespace {

std::string dscp_list(uint64_t mask) {
    std::string s;
    for (unsigned d = 0; d < 64; d++)
        if (mask & (1ULL << d)) s += (s.empty() ? "" : ", ") + dscp_label(d);
    return s.empty() ? "none" : s;
}

std::string dscp_short(unsigned d) {
    auto n = dscp_name(d);
    return n.empty() ? "DSCP " + std::to_string(d) : std::string(n) + " (" + std::to_string(d) + ")";
}

void add_facts(DscpSizeFacts* facts, const FlowVerdict& f) {
    const bool stalled = f.outcome == Outcome::Stalled;
    for (const auto& g : f.segments) {
        auto& d = facts[g.dscp & 63];
        d.segments++;
        d.max_len = std::max(d.max_len, g.len);
        if (g.acked) d.max_acked = std::max(d.max_acked, g.len);
        if (!g.acked && stalled) {
            d.lost++;
            d.min_lost = d.min_lost ? std::min(d.min_lost, g.len) : g.len;
        }
    }
    for (const auto& st : f.stages)
        for (unsigned d = 0; d < 64; d++)
            if (st.lost_dscp_mask & (1ULL << d)) facts[d].retrans++;
}

void conclude(ServerVerdict& v, const DscpSizeFacts* global) {
    const std::string who = v.server + (v.sni.empty() ? "" : " (SNI " + v.sni + ")");
    v.evidence.push_back(std::to_string(v.total) + " handshakes: " + std::to_string(v.completed) + " completed, " +
                         std::to_string(v.stalled) + " stalled, " + std::to_string(v.reset) + " reset, " +
                         std::to_string(v.alert) + " alert, " + std::to_string(v.in_progress) + " in progress");
    if (v.stalled == 0) {
        v.confidence = "high";
        if (v.reset || v.alert) {
            unsigned top = 0;
            for (unsigned s = 0; s < DW_ST_MAX; s++)
                if (v.reset_by_stage[s] > v.reset_by_stage[top]) top = s;
            v.summary = "handshakes to " + who + " end early: " +
                        (v.reset ? std::to_string(v.reset) + " reset" +
                                       (v.reset_by_stage[top] ? " (at " + std::string(stage_name(top)) + ")" : "")
                                 : std::string()) +
                        (v.reset && v.alert ? ", " : "") +
                        (v.alert ? std::to_string(v.alert) + " with an alert" +
                                       (v.alerts.empty() ? "" : " (" + v.alerts.front() + ")")
                                 : std::string()) +
                        "; the server or a middlebox refuses them, not QoS";
            v.action = "look at the server's configuration and logs (certificate, SNI, TLS versions); DSCP is not involved";
        } else if (v.completed) {
            v.summary = "handshakes to " + who + " complete";
            v.action = "none";
        } else {
            v.summary = "handshakes to " + who + " are still in progress";
            v.action = "wait, then run diagnose again";
        }
        return;
    }
    unsigned top = 0;
    for (unsigned s = 0; s < DW_ST_MAX; s++)
        if (v.by_stage[s] > v.by_stage[top]) top = s;
    const std::string where = std::string(stage_name(top));
    v.evidence.push_back("stalled at " + where + ": " + std::to_string(v.by_stage[top]) + " of " +
                         std::to_string(v.stalled));
    v.evidence.push_back("DSCP of the stalled handshakes' server flights: " + dscp_list(v.stalled_dscp) +
                         "; of the completed ones: " + dscp_list(v.completed_dscp));

    // The class whose segments never arrived.
    int x = -1;
    uint64_t lost_total = 0;
    for (unsigned d = 0; d < 64; d++) {
        lost_total += v.per_dscp[d].lost;
        if (v.per_dscp[d].lost && (x < 0 || v.per_dscp[d].lost > v.per_dscp[x].lost)) x = static_cast<int>(d);
    }
    for (unsigned d = 0; d < 64; d++) {
        const auto& f = v.per_dscp[d];
        if (!f.segments) continue;
        v.evidence.push_back(dscp_short(d) + ": " + std::to_string(f.segments) + " segments, largest that arrived " +
                             std::to_string(f.max_acked) + " B, never ACKed " + std::to_string(f.lost) +
                             (f.lost ? " (smallest " + std::to_string(f.min_lost) + " B)" : "") + ", retransmitted in " +
                             std::to_string(f.retrans) + " stages");
    }
    auto no_blame = [&](const std::string& why) {
        v.blames_dscp = false;
        v.summary = "handshakes to " + who + " stall at " + where + ", but " + why;
        v.action = "not a marking problem on this evidence: look for congestion or loss on the path (capture both ends)";
        v.confidence = v.stalled >= 3 ? "medium" : "low";
    };
    if (x < 0) {
        no_blame("no segment stayed un-ACKed: the peer went silent (check the client side)");
        return;
    }
    const auto& fx = v.per_dscp[x];
    const auto& g0 = global[0];
    if (x == 0) {
        no_blame("the segments that never arrived were unmarked (DSCP 0): the loss is not about DSCP");
        return;
    }
    if (fx.lost * 10 < lost_total * 9) {
        no_blame("the segments that never arrived carry several DSCP values: the loss is not specific to " +
                 dscp_short(x));
        return;
    }
    if (v.per_dscp[0].lost > 0) {
        no_blame("unmarked segments were lost too (" + std::to_string(v.per_dscp[0].lost) + "): the loss hits DSCP 0 as much");
        return;
    }
    if (fx.max_acked >= fx.min_lost) {
        no_blame(dscp_short(x) + " segments of " + std::to_string(fx.min_lost) + " B were lost while larger ones (" +
                 std::to_string(fx.max_acked) + " B) arrived: loss at all sizes, not a size-based policer");
        return;
    }
    v.blames_dscp = true;
    v.blamed_dscp = x;
    v.threshold_lo = fx.max_acked;
    v.threshold_hi = fx.min_lost;
    const bool unmarked_ok = g0.max_acked >= fx.min_lost;
    v.summary = "handshakes to " + who + " stall at " + where + "; the segments that never got ACKed were " +
                dscp_short(x) + " and " + std::to_string(fx.min_lost) + " B or larger; " +
                (fx.max_acked ? "smaller " + std::string(dscp_name(x).empty() ? "marked" : dscp_name(x)) +
                                    " segments (up to " + std::to_string(fx.max_acked) + " B) went through"
                              : std::string("no marked segment of any size was seen arriving")) +
                (unmarked_ok ? "; unmarked (DSCP 0) segments up to " + std::to_string(g0.max_acked) + " B went through"
                             : "") +
                (v.completed ? "; " + std::to_string(v.completed) + " handshakes completed" : "") +
                "; likely QoS policing of " + std::string(dscp_name(x).empty() ? "DSCP " + std::to_string(x) : dscp_name(x)) +
                " above a size between " + std::to_string(fx.max_acked + 1) + " and " + std::to_string(fx.min_lost) + " B";
    v.evidence.push_back("inferred policer size threshold: larger than " + std::to_string(fx.max_acked) +
                         " B, at most " + std::to_string(fx.min_lost) + " B (IP length)");
    int score = 0;
    score += v.stalled >= 3 ? 2 : 1;
    score += fx.lost >= 3 ? 1 : 0;
    score += unmarked_ok ? 1 : 0;
    score += fx.max_acked > 0 ? 1 : 0;
    v.confidence = score >= 4 ? "high" : score >= 3 ? "medium" : "low";
    if (!unmarked_ok) v.evidence.push_back("no unmarked traffic of that size was seen arriving for comparison");
    v.action = "dscpwatch remark zero --exempt-port udp:16384-32767   (remark to DSCP 0 at this edge, keeping VoIP's EF); "
               "or have the WAN's " + std::string(dscp_name(x).empty() ? "DSCP " + std::to_string(x) : dscp_name(x)) +
               " policer admit larger packets";
}

}  // namespace

std::vector<ServerVerdict> aggregate(const std::vector<FlowVerdict>& flows) {
    std::map<std::pair<std::string, std::string>, ServerVerdict> by;
    DscpSizeFacts global[64];
    for (const auto& f : flows) {
        auto& v = by[{f.server_endpoint(), f.sni}];
        v.server = f.server_endpoint();
        v.sni = f.sni;
        v.total++;
        switch (f.outcome) {
        case Outcome::Completed:
            v.completed++;
            v.completed_dscp |= f.flight_dscp;
            break;
        case Outcome::Stalled:
            v.stalled++;
            v.by_stage[f.stage < DW_ST_MAX ? f.stage : 0]++;
            v.stalled_dscp |= f.flight_dscp;
            break;
        case Outcome::Reset:
            v.reset++;
            v.reset_by_stage[f.stage < DW_ST_MAX ? f.stage : 0]++;
            break;
        case Outcome::Alert:
            v.alert++;
            if (std::find(v.alerts.begin(), v.alerts.end(), f.alert) == v.alerts.end()) v.alerts.push_back(f.alert);
            break;
        case Outcome::InProgress: v.in_progress++; break;
        case Outcome::NotTls: v.not_tls++; break;
        }
        for (const auto& st : f.stages) {
            v.acked_dscp |= st.acked_dscp_mask;
            v.retrans_dscp |= st.lost_dscp_mask;
        }
        add_facts(v.per_dscp, f);
        add_facts(global, f);
        for (const auto& g : f.segments)
            if (!g.acked && f.outcome == Outcome::Stalled) v.lost_dscp |= 1ULL << (g.dscp & 63);
    }
    std::vector<ServerVerdict> out;
    for (auto& [k, v] : by) {
        conclude(v, global);
        out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end(), [](const ServerVerdict& a, const ServerVerdict& b) {
        auto rank = [](const ServerVerdict& v) {
            return std::make_tuple(v.blames_dscp, v.stalled + v.reset + v.alert, v.total);
        };
        return rank(b) < rank(a);
    });
    return out;
}

}  // namespace dw
