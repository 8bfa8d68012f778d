#include "export/prometheus.hpp"

#include <cinttypes>
#include <cstdio>

#include "core/counter_names.hpp"
#include "dscpwatch/abi.h"

namespace dw {
namespace {

// One metric family: HELP and TYPE once, then its samples.
class Family {
public:
    Family(std::string& out, const char* name, const char* type, const char* help) : out_(out), name_(name) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    using Labels = std::vector<std::pair<const char*, std::string>>;
    void sample(const Labels& labels, uint64_t v) { sample_text(labels, std::to_string(v)); }
    void sample_double(const Labels& labels, double v) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.3f", v);
        sample_text(labels, buf);
    }

private:
    void sample_text(const Labels& labels, const std::string& value) {
        out_ += name_;
        if (!labels.empty()) {
            out_ += '{';
            for (size_t i = 0; i < labels.size(); i++) {
                if (i) out_ += ',';
                out_ += labels[i].first;
                out_ += "=\"";
                out_ += escape_label_value(labels[i].second);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }
    std::string& out_;
    const char* name_;
};

std::string slot_value(uint8_t slot) {
    if (slot == DW_SLOT_NONIP) return "non_ip";
    if (slot == DW_SLOT_MALFORMED) return "malformed";
    return std::to_string(slot);
}

const char* dir_label(uint8_t d) { return d == DW_DIR_EGRESS ? "egress" : "ingress"; }

std::string ifname(const MetricsSnapshot& s, uint32_t ifindex) {
    auto it = s.ifnames.find(ifindex);
    return it != s.ifnames.end() ? it->second : "if" + std::to_string(ifindex);
}

void render_interfaces(std::string& out, const MetricsSnapshot& s) {
    Family p(out, "dscpwatch_packets_total", "counter",
             "Frames seen per interface, hook direction and DSCP as they arrived at the hook "
             "(dscp non_ip and malformed for frames without a usable IP header).");
    for (const auto& c : s.counters)
        p.sample({{"interface", ifname(s, c.ifindex)}, {"direction", dir_label(c.dir)}, {"dscp", slot_value(c.slot)}},
                 c.packets);
    Family b(out, "dscpwatch_bytes_total", "counter", "Bytes (whole frames) per interface, direction and DSCP.");
    for (const auto& c : s.counters)
        b.sample({{"interface", ifname(s, c.ifindex)}, {"direction", dir_label(c.dir)}, {"dscp", slot_value(c.slot)}},
                 c.bytes);
    Family rp(out, "dscpwatch_remarked_packets_total", "counter",
              "Frames whose DSCP dscpwatch rewrote, per interface, direction and (from, to).");
    for (const auto& r : s.remarks)
        rp.sample({{"interface", ifname(s, r.ifindex)}, {"direction", dir_label(r.dir)},
                   {"from", std::to_string(r.from)}, {"to", std::to_string(r.to)}},
                  r.packets);
    Family rb(out, "dscpwatch_remarked_bytes_total", "counter", "Bytes of the remarked frames.");
    for (const auto& r : s.remarks)
        rb.sample({{"interface", ifname(s, r.ifindex)}, {"direction", dir_label(r.dir)},
                   {"from", std::to_string(r.from)}, {"to", std::to_string(r.to)}},
                  r.bytes);
}

void render_tables(std::string& out, const MetricsSnapshot& s) {
    Family(out, "dscpwatch_flows", "gauge", "Flow records in the flow table.").sample({}, s.flows);
    Family(out, "dscpwatch_flows_capacity", "gauge", "Size of the flow table.").sample({}, s.flow_capacity);
    Family(out, "dscpwatch_flows_created_total", "counter", "Flow records created.")
        .sample({}, s.global[DW_CNT_FLOW_NEW]);
    const uint64_t created = s.global[DW_CNT_FLOW_NEW];
    Family(out, "dscpwatch_flows_evicted_total", "counter",
           "Flow records that left the table (LRU eviction): created minus live.")
        .sample({}, created > s.flows ? created - s.flows : 0);
    Family(out, "dscpwatch_flow_insert_failures_total", "counter", "Flow records that could not be created.")
        .sample({}, s.global[DW_CNT_FLOW_INSERT_FAIL]);
    Family(out, "dscpwatch_ringbuf_events_total", "counter", "Events written to the ring buffer.")
        .sample({}, s.global[DW_CNT_EVENTS]);
    Family(out, "dscpwatch_ringbuf_dropped_events_total", "counter", "Events lost because the ring buffer was full.")
        .sample({}, s.global[DW_CNT_EVENTS_DROPPED]);
    Family g(out, "dscpwatch_classifier_events_total", "counter",
             "The classifier's global counters (frames, IPv4/IPv6, VLAN, fragments, malformed by reason, ...).");
    for (unsigned i = 0; i < DW_CNT_MAX; i++) g.sample({{"counter", std::string(counter_name(i))}}, s.global[i]);
}

void render_handshakes(std::string& out, const MetricsSnapshot& s) {
    Family(out, "dscpwatch_handshakes_tracked", "gauge", "Handshake records in the handshake table.")
        .sample({}, s.handshakes_tracked);
    Family(out, "dscpwatch_handshakes_capacity", "gauge", "Size of the handshake table.")
        .sample({}, s.handshake_capacity);
    Family h(out, "dscpwatch_handshakes", "gauge", "Tracked TCP/TLS handshakes now, by verdict and stage.");
    for (const auto& [k, v] : s.handshakes) h.sample({{"verdict", k.first}, {"stage", k.second}}, v);
    Family t(out, "dscpwatch_handshake_verdicts_total", "counter",
             "Handshake verdicts reached since the daemon started, by verdict and stage.");
    for (const auto& [k, v] : s.verdicts_total) t.sample({{"verdict", k.first}, {"stage", k.second}}, v);
    Family st(out, "dscpwatch_handshakes_stalled_by_lost_dscp", "gauge",
              "Stalled handshakes now, by the DSCP of their segments that were never ACKed.");
    for (unsigned d = 0; d < 64; d++)
        if (s.stalled_by_lost_dscp[d]) st.sample({{"dscp", std::to_string(d)}}, s.stalled_by_lost_dscp[d]);
}

void render_daemon(std::string& out, const MetricsSnapshot& s) {
    const auto& d = s.daemon;
    Family(out, "dscpwatch_instance_up", "gauge", "1 when the pinned instance could be read at the last refresh.")
        .sample({}, s.instance_up ? 1 : 0);
    Family(out, "dscpwatch_remark_mode", "gauge", "Remark mode in force: 0 off, 1 zero, 2 map.")
        .sample({}, s.remark_mode);
    Family(out, "dscpwatch_refreshes_total", "counter", "Refreshes of the daemon's view.").sample({}, d.refreshes);
    Family(out, "dscpwatch_refresh_errors_total", "counter", "Refreshes that failed (instance missing or unreadable).")
        .sample({}, d.refresh_errors);
    Family(out, "dscpwatch_last_refresh_timestamp_seconds", "gauge", "Unix time of the last successful refresh.")
        .sample_double({}, s.refreshed_unix);
    Family(out, "dscpwatch_dscp_drift_alerts_total", "counter",
           "Servers whose ServerHello marking changed against their history.")
        .sample({}, d.drift_alerts);
    Family(out, "dscpwatch_history_errors_total", "counter", "History database writes that failed.")
        .sample({}, d.history_errors);
    Family(out, "dscpwatch_eventlog_lines_total", "counter", "Lines written to the event log.")
        .sample({}, d.eventlog_lines);
    Family(out, "dscpwatch_eventlog_errors_total", "counter", "Event log lines that could not be written.")
        .sample({}, d.eventlog_errors);
    Family(out, "dscpwatch_ipfix_messages_total", "counter", "IPFIX messages sent.").sample({}, d.ipfix_messages);
    Family(out, "dscpwatch_ipfix_records_total", "counter", "IPFIX data records sent.").sample({}, d.ipfix_records);
    Family(out, "dscpwatch_ipfix_export_errors_total", "counter", "IPFIX messages that could not be sent.")
        .sample({}, d.ipfix_errors);
    Family(out, "dscpwatch_build_info", "gauge", "Build information; always 1.").sample({{"version", s.version}}, 1);
}

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string outcome_label(std::string_view outcome) {
    std::string out;
    for (char c : outcome) out += c == ' ' ? '_' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
}

std::string render_prometheus(const MetricsSnapshot& s) {
    std::string out;
    out.reserve(16384);
    render_interfaces(out, s);
    render_tables(out, s);
    render_handshakes(out, s);
    render_daemon(out, s);
    return out;
}

}  // namespace dw
