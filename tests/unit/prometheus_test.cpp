// The Prometheus text: families, labels, escaping and the values it is given.
#include <gtest/gtest.h>

#include "export/prometheus.hpp"

namespace dw {
namespace {

MetricsSnapshot sample() {
    MetricsSnapshot s;
    s.instance_up = true;
    s.version = "0.1.0";
    s.ifnames = {{7, "g-srv"}};
    s.counters = {{7, DW_DIR_INGRESS, 46, 12, 9000}, {7, DW_DIR_EGRESS, 0, 3, 180}, {7, DW_DIR_INGRESS, DW_SLOT_NONIP, 2, 84}};
    s.remarks = {{7, DW_DIR_INGRESS, 46, 0, 5, 4000}};
    s.global[DW_CNT_FLOW_NEW] = 10;
    s.global[DW_CNT_EVENTS_DROPPED] = 4;
    s.flows = 6;
    s.handshakes[{"stalled", "server_hello"}] = 3;
    s.verdicts_total[{"completed", "established"}] = 9;
    s.stalled_by_lost_dscp[46] = 3;
    s.daemon.drift_alerts = 1;
    return s;
}

bool has_line(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Prometheus, CountersPerInterfaceDirectionAndDscp) {
    auto t = render_prometheus(sample());
    EXPECT_TRUE(has_line(t, R"(dscpwatch_packets_total{interface="g-srv",direction="ingress",dscp="46"} 12)"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_bytes_total{interface="g-srv",direction="egress",dscp="0"} 180)"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_packets_total{interface="g-srv",direction="ingress",dscp="non_ip"} 2)"));
    EXPECT_TRUE(
        has_line(t, R"(dscpwatch_remarked_packets_total{interface="g-srv",direction="ingress",from="46",to="0"} 5)"));
}

TEST(Prometheus, TablesHandshakesAndDaemon) {
    auto t = render_prometheus(sample());
    EXPECT_TRUE(has_line(t, "dscpwatch_flows 6"));
    EXPECT_TRUE(has_line(t, "dscpwatch_flows_evicted_total 4"));  // 10 created, 6 live
    EXPECT_TRUE(has_line(t, "dscpwatch_ringbuf_dropped_events_total 4"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_handshakes{verdict="stalled",stage="server_hello"} 3)"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_handshake_verdicts_total{verdict="completed",stage="established"} 9)"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_handshakes_stalled_by_lost_dscp{dscp="46"} 3)"));
    EXPECT_TRUE(has_line(t, "dscpwatch_dscp_drift_alerts_total 1"));
    EXPECT_TRUE(has_line(t, R"(dscpwatch_build_info{version="0.1.0"} 1)"));
    EXPECT_TRUE(has_line(t, "dscpwatch_instance_up 1"));
}

TEST(Prometheus, EveryFamilyHasHelpAndTypeOnce) {
    auto t = render_prometheus(sample());
    for (const char* name : {"dscpwatch_packets_total", "dscpwatch_flows", "dscpwatch_handshakes"}) {
        const std::string type = std::string("# TYPE ") + name + " ";
        const auto first = t.find(type);
        ASSERT_NE(first, std::string::npos) << name;
        EXPECT_EQ(t.find(type, first + 1), std::string::npos) << name;
        EXPECT_NE(t.find(std::string("# HELP ") + name + " "), std::string::npos) << name;
    }
}

TEST(Prometheus, UnknownInterfaceAndEscaping) {
    auto s = sample();
    s.ifnames = {{7, "we\"ird\\na\nme"}};
    auto t = render_prometheus(s);
    EXPECT_NE(t.find(R"(interface="we\"ird\\na\nme")"), std::string::npos);
    s.ifnames.clear();
    EXPECT_NE(render_prometheus(s).find(R"(interface="if7")"), std::string::npos);
    EXPECT_EQ(outcome_label("in progress"), "in_progress");
    EXPECT_EQ(outcome_label("not TLS"), "not_tls");
}

}  // namespace
}  // namespace dw
