#include <gtest/gtest.h>
#include <arpa/inet.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "view/flows_view.hpp"

namespace dw {
namespace {

void set_addr(uint8_t* dst, int family, const char* text) {
    ASSERT_EQ(inet_pton(family == 6 ? AF_INET6 : AF_INET, text, dst), 1) << text;
}

// Adds `n` packets of `len` bytes with DSCP `dscp` to a direction, the way the
// classifier does: a slot per distinct value while slots last, then "other".
void add(dw_flow_dir& d, uint8_t dscp, uint64_t n, uint64_t len) {
    const uint64_t before = d.packets;
    d.packets += n;
    d.bytes += n * len;
    bool placed = false;
    for (unsigned i = 0; i < DW_FLOW_DSCP_SLOTS && !placed; i++) {
        if (d.slot_tag[i] == 0) d.slot_tag[i] = dscp + 1u;
        if (d.slot_tag[i] == dscp + 1u) {
            d.slot_packets[i] += n;
            d.slot_bytes[i] += n * len;
            placed = true;
        }
    }
    if (!placed) {
        d.other_packets += n;
        d.other_bytes += n * len;
    }
    d.seen_mask |= 1ull << dscp;
    if (before && d.last_dscp != dscp) d.dscp_changes++;
    d.last_dscp = dscp;
}

struct Spec {
    int family = 4;
    uint8_t proto = 6;
    const char* a = "10.0.0.1";
    uint16_t port_a = 40000;
    const char* b = "10.0.0.2";
    uint16_t port_b = 443;
    uint8_t client = DW_SIDE_A;
    uint8_t orient = DW_ORIENT_SYN;
    uint64_t first_ns = 1'000'000'000;
    uint64_t last_ns = 2'000'000'000;
};

FlowEntry make(const Spec& s) {
    FlowEntry e{};
    set_addr(e.key.addr_a, s.family, s.a);
    set_addr(e.key.addr_b, s.family, s.b);
    e.key.port_a = s.port_a;
    e.key.port_b = s.port_b;
    e.key.proto = s.proto;
    e.key.family = static_cast<uint8_t>(s.family);
    e.flow.client = s.client;
    e.flow.orient = s.orient;
    e.flow.first_ns = s.first_ns;
    e.flow.last_ns = s.last_ns;
    e.flow.first_ifindex = e.flow.last_ifindex = 900001;
    return e;
}

TEST(FlowsView, OrientationClientIsA) {
    auto e = make({});
    add(e.flow.dir[0], 0, 3, 100);   // A->B
    add(e.flow.dir[1], 46, 5, 1000);  // B->A
    auto r = orient(e);
    EXPECT_TRUE(r.client_is_a);
    EXPECT_EQ(r.c2s().packets, 3u);
    EXPECT_EQ(r.s2c().packets, 5u);
    EXPECT_EQ(r.client_port(), 40000);
    EXPECT_EQ(r.server_port(), 443);
    EXPECT_EQ(r.packets(), 8u);
    EXPECT_EQ(r.bytes(), 5300u);
}

TEST(FlowsView, OrientationClientIsB) {
    // The canonical key put the server (10.0.0.1:443) on side A.
    auto e = make({.a = "10.0.0.1", .port_a = 443, .b = "10.0.0.9", .port_b = 51000, .client = DW_SIDE_B});
    add(e.flow.dir[0], 46, 7, 1200);  // A->B: server to client
    add(e.flow.dir[1], 0, 2, 80);     // B->A: client to server
    auto r = orient(e);
    EXPECT_FALSE(r.client_is_a);
    EXPECT_EQ(r.c2s().packets, 2u);
    EXPECT_EQ(r.s2c().packets, 7u);
    EXPECT_EQ(r.client_port(), 51000);
    EXPECT_EQ(r.server_port(), 443);
    FlowSelection sel;
    sel.total = sel.matching = 1;
    sel.rows.push_back(r);
    FlowRenderOptions o;
    o.now_ns = 5'000'000'000;
    auto text = render_flows_text(sel, o);
    EXPECT_NE(text.find("10.0.0.9:51000"), std::string::npos) << text;
    auto client_pos = text.find("10.0.0.9:51000"), server_pos = text.find("10.0.0.1:443");
    EXPECT_LT(client_pos, server_pos) << text;
    auto j = flow_json(r, o);
    EXPECT_EQ(j["client"]["addr"], "10.0.0.9");
    EXPECT_EQ(j["client"]["port"], 51000);
    EXPECT_EQ(j["server"]["port"], 443);
    EXPECT_EQ(j["c2s"]["packets"], 2);
    EXPECT_EQ(j["s2c"]["packets"], 7);
    EXPECT_EQ(j["s2c"]["dscp"][0]["name"], "EF");
    EXPECT_EQ(j["orientation"], "syn");
    EXPECT_EQ(j["age_ns"], 4'000'000'000ull);
    EXPECT_EQ(j["idle_ns"], 3'000'000'000ull);
}

TEST(FlowsView, DscpBreakdownSlotsOtherAndSeen) {
    dw_flow_dir d{};
    add(d, 0, 1, 60);   // SYN at CS0
    add(d, 46, 10, 200);
    add(d, 34, 2, 100);
    add(d, 8, 1, 100);
    add(d, 13, 3, 100);  // fifth distinct value: "other"
    add(d, 10, 1, 100);  // sixth
    auto b = dscp_breakdown(d);
    ASSERT_EQ(b.slots.size(), 4u);
    EXPECT_EQ(b.slots[0].dscp, 0);  // first-seen order
    EXPECT_EQ(b.slots[1].dscp, 46);
    EXPECT_EQ(b.slots[1].packets, 10u);
    EXPECT_EQ(b.other_packets, 4u);
    EXPECT_EQ(b.other_values, (std::vector<uint8_t>{10, 13}));
    EXPECT_EQ(b.seen, (std::vector<uint8_t>{0, 8, 10, 13, 34, 46}));
    EXPECT_EQ(dscp_breakdown_text(d), "CS0:1 EF:10 AF41:2 CS1:1 +4(AF11,13)");
    EXPECT_EQ(d.dscp_changes, 5u);
    dw_flow_dir empty{};
    EXPECT_EQ(dscp_breakdown_text(empty), "-");
}

std::vector<FlowEntry> sample_flows() {
    std::vector<FlowEntry> v;
    auto e1 = make({.a = "10.0.0.1", .port_a = 40000, .b = "10.0.0.2", .port_b = 443, .last_ns = 9'000'000'000});
    add(e1.flow.dir[0], 0, 10, 100);
    add(e1.flow.dir[1], 46, 10, 1500);  // 20 pkts, 16000 bytes
    v.push_back(e1);
    auto e2 = make({.proto = 17, .a = "10.0.0.3", .port_a = 5060, .b = "192.0.2.8", .port_b = 20000,
                    .orient = DW_ORIENT_PORT, .last_ns = 3'000'000'000});
    add(e2.flow.dir[0], 46, 50, 200);  // 50 pkts, 10000 bytes
    v.push_back(e2);
    auto e3 = make({.family = 6, .a = "2001:db8::1", .port_a = 33000, .b = "2001:db8::2", .port_b = 80,
                    .last_ns = 5'000'000'000});
    add(e3.flow.dir[0], 34, 5, 100);
    add(e3.flow.dir[1], 0, 5, 100);  // 10 pkts, 1000 bytes
    v.push_back(e3);
    auto e4 = make({.proto = 1, .a = "10.0.0.1", .port_a = 7, .b = "10.0.0.2", .port_b = 7,
                    .orient = DW_ORIENT_PORT, .last_ns = 4'000'000'000});
    add(e4.flow.dir[0], 0, 30, 84);  // 30 pkts, 2520 bytes; ICMP echo id 7
    v.push_back(e4);
    return v;
}

std::vector<uint16_t> ports_of(const FlowSelection& s) {
    std::vector<uint16_t> out;
    for (const auto& r : s.rows) out.push_back(r.key().port_b);
    return out;
}

TEST(FlowsView, SortByPacketsBytesLast) {
    auto flows = sample_flows();
    FlowQuery q;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{20000, 7, 443, 80}));
    q.sort = FlowSort::Bytes;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{443, 20000, 7, 80}));
    q.sort = FlowSort::Last;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{443, 80, 7, 20000}));
}

TEST(FlowsView, TopN) {
    auto flows = sample_flows();
    FlowQuery q;
    q.top = 2;
    auto s = select_flows(flows, q);
    EXPECT_EQ(ports_of(s), (std::vector<uint16_t>{20000, 7}));
    EXPECT_EQ(s.total, 4u);
    EXPECT_EQ(s.matching, 4u);
    q.top = 0;  // all
    EXPECT_EQ(select_flows(flows, q).rows.size(), 4u);
    q.top = 100;
    EXPECT_EQ(select_flows(flows, q).rows.size(), 4u);
}

TEST(FlowsView, FilterDscpEitherDirection) {
    auto flows = sample_flows();
    FlowQuery q;
    q.dscp = 46;
    auto s = select_flows(flows, q);
    EXPECT_EQ(ports_of(s), (std::vector<uint16_t>{20000, 443}));
    EXPECT_EQ(s.matching, 2u);
    q.dscp = 34;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{80}));
    q.dscp = 63;
    EXPECT_TRUE(select_flows(flows, q).rows.empty());
}

TEST(FlowsView, FilterHostEitherEndpoint) {
    auto flows = sample_flows();
    FlowQuery q;
    q.host = parse_prefix("10.0.0.2");
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{7, 443}));
    q.host = parse_prefix("192.0.2.8");  // side B of the UDP flow
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{20000}));
    q.host = parse_prefix("2001:db8::/32");
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{80}));
    q.host = parse_prefix("10.0.0.0/8");
    EXPECT_EQ(select_flows(flows, q).matching, 3u);
    q.host = parse_prefix("::a00:1");  // v6 never matches v4 keys
    EXPECT_EQ(select_flows(flows, q).matching, 0u);
}

TEST(FlowsView, FilterPortEitherSideTcpUdpOnly) {
    auto flows = sample_flows();
    FlowQuery q;
    q.port = 443;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{443}));
    q.port = 5060;  // side A of the UDP flow
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{20000}));
    q.port = 7;  // the ICMP echo id is not a port
    EXPECT_TRUE(select_flows(flows, q).rows.empty());
}

TEST(FlowsView, FiltersCombine) {
    auto flows = sample_flows();
    FlowQuery q;
    q.dscp = 46;
    q.host = parse_prefix("10.0.0.1");
    q.port = 443;
    auto s = select_flows(flows, q);
    EXPECT_EQ(ports_of(s), (std::vector<uint16_t>{443}));
    FlowRenderOptions o;
    auto text = render_flows_text(s, o, q);
    EXPECT_NE(text.find("4 flows in the table, 1 match (dscp 46 (EF) host 10.0.0.1/32 port 443)"), std::string::npos)
        << text;
}

TEST(FlowsView, SortTiesKeepInputOrder) {
    std::vector<FlowEntry> flows;
    for (uint16_t p = 1; p <= 5; p++) {
        auto e = make({.port_b = p});
        add(e.flow.dir[0], 0, 1, 100);
        flows.push_back(e);
    }
    FlowQuery q;
    q.top = 3;
    EXPECT_EQ(ports_of(select_flows(flows, q)), (std::vector<uint16_t>{1, 2, 3}));
}

TEST(FlowsView, PartialSortAgreesWithFullSort) {
    std::mt19937_64 rng(42);
    std::vector<FlowEntry> flows(20000);
    for (size_t i = 0; i < flows.size(); i++) {
        flows[i].flow.dir[0].packets = rng() % 1000;
        flows[i].flow.dir[1].packets = rng() % 1000;
        flows[i].key.port_a = static_cast<uint16_t>(i);
        flows[i].key.family = 4;
        flows[i].key.proto = 6;
    }
    FlowQuery q;
    q.top = 50;
    auto top = select_flows(flows, q);
    q.top = 0;
    auto all = select_flows(flows, q);
    ASSERT_EQ(top.rows.size(), 50u);
    ASSERT_EQ(all.rows.size(), flows.size());
    for (size_t i = 0; i < 50; i++) EXPECT_EQ(top.rows[i].entry, all.rows[i].entry);
    for (size_t i = 1; i < all.rows.size(); i++) EXPECT_GE(all.rows[i - 1].packets(), all.rows[i].packets());
}

TEST(FlowsView, TextShowsEndpointsDscpAndAges) {
    auto flows = sample_flows();
    FlowQuery q;
    auto s = select_flows(flows, q);
    FlowRenderOptions o;
    o.now_ns = 10'000'000'000;
    o.capacity = 262144;
    auto text = render_flows_text(s, o, q);
    for (const char* x : {"4 flows in the table (capacity 262144); showing 4 by pkts", "c>s pkts", "s>c dscp",
                          "10.0.0.1:40000", "10.0.0.2:443", "[2001:db8::1]:33000", "icmp id=7", "CS0:10", "EF:10",
                          "AF41:5", " syn", " port", "9s", "1s"})
        EXPECT_NE(text.find(x), std::string::npos) << x << "\n" << text;
    // ICMP endpoints have no ports.
    EXPECT_EQ(text.find("10.0.0.1:7"), std::string::npos) << text;
}

TEST(FlowsView, EmptyTable) {
    std::vector<FlowEntry> none;
    auto s = select_flows(none, {});
    FlowRenderOptions o;
    o.capacity = 1024;
    EXPECT_EQ(render_flows_text(s, o), "no flows in the table yet (capacity 1024)\n");
    auto j = render_flows_json(s, o);
    EXPECT_TRUE(j["flows"].empty());
    EXPECT_EQ(j["total"], 0);
}

TEST(FlowsView, Columns) {
    EXPECT_EQ(parse_flow_columns("proto,client,dscp_c2s"),
              (std::vector<FlowColumn>{FlowColumn::Proto, FlowColumn::Client, FlowColumn::DscpC2S}));
    EXPECT_THROW(parse_flow_columns("proto,nope"), Error);
    EXPECT_THROW(parse_flow_columns(""), Error);
    for (auto c : all_flow_columns()) EXPECT_EQ(parse_flow_column(to_string(c)), c);
    for (auto c : default_flow_columns())
        EXPECT_NE(std::find(all_flow_columns().begin(), all_flow_columns().end(), c), all_flow_columns().end());

    auto flows = sample_flows();
    FlowRenderOptions o;
    o.columns = {FlowColumn::Client, FlowColumn::Orient};
    auto text = render_flows_text(select_flows(flows, {}), o);
    auto header = text.substr(text.find('\n') + 1);
    header = header.substr(0, header.find('\n'));
    EXPECT_EQ(header, "client" + std::string(19 - 6 + 2, ' ') + "by");  // widest client: [2001:db8::1]:33000
}

TEST(FlowsView, JsonSelection) {
    auto flows = sample_flows();
    FlowQuery q;
    q.top = 2;
    q.dscp = 46;
    FlowRenderOptions o;
    o.now_ns = 10'000'000'000;
    auto j = render_flows_json(select_flows(flows, q), o, q);
    EXPECT_EQ(j["total"], 4);
    EXPECT_EQ(j["matching"], 2);
    EXPECT_EQ(j["shown"], 2);
    EXPECT_EQ(j["sort"], "pkts");
    EXPECT_EQ(j["filter"]["dscp"], 46);
    ASSERT_EQ(j["flows"].size(), 2u);
    const auto& udp = j["flows"][0];
    EXPECT_EQ(udp["proto_name"], "udp");
    EXPECT_EQ(udp["orientation"], "port");
    EXPECT_EQ(udp["client"]["port"], 5060);
    EXPECT_EQ(udp["s2c"]["packets"], 0);
    EXPECT_FALSE(udp["s2c"].contains("last_dscp"));
    EXPECT_EQ(udp["c2s"]["seen"], nlohmann::json::array({46}));
    EXPECT_EQ(udp["first_interface"], "if900001");
}

TEST(FlowsView, SortNames) {
    EXPECT_EQ(parse_flow_sort("pkts"), FlowSort::Packets);
    EXPECT_EQ(parse_flow_sort("packets"), FlowSort::Packets);
    EXPECT_EQ(parse_flow_sort("bytes"), FlowSort::Bytes);
    EXPECT_EQ(parse_flow_sort("last"), FlowSort::Last);
    EXPECT_FALSE(parse_flow_sort("first").has_value());
    EXPECT_EQ(to_string(FlowSort::Last), "last");
}

}  // namespace
}  // namespace dw
