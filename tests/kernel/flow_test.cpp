// bpf/flow.h: the canonical key, per-direction accounting with the DSCP slots,
// timestamps from the replay clock, and client/server orientation. Every test
// also compares the whole flow table with the model.
#include <gtest/gtest.h>

#include <cstring>

#include "kernel.hpp"

namespace dwt {
namespace {

class FlowTest : public KernelTest {
protected:
    void reset() override {
        KernelTest::reset();
        st_ = model::State{};
        now_ = 1'000'000;
    }

    // Sends one frame at the current clock, then advances the clock.
    void send(const Bytes& f, uint64_t step_ns = 1000) {
        cls_->maps().set_clock(now_);
        const auto r = cls_->run(hook(), f);
        ASSERT_EQ(r.retval, pass(hook()));
        ASSERT_EQ(r.data, f);
        st_.step(f, hook(), 1, {}, now_);
        now_ += step_ns;
    }
    void send(const Packet& p, uint64_t step_ns = 1000) { send(p.build(), step_ns); }

    std::vector<dw::FlowEntry> flows() const { return cls_->maps().flows(); }

    // The record of the flow this packet belongs to (nullptr if none).
    const dw_flow* record(const Packet& p) {
        flows_cache_ = flows();
        const auto e = model::classify(p.build(), hook(), 1, {});
        if (!e.flow) return nullptr;
        const auto* fe = find_flow(flows_cache_, e.flow->key);
        return fe ? &fe->flow : nullptr;
    }

    // The kernel's flow table equals the model's, record by record.
    void expect_model_flows() {
        const auto got = flows();
        const auto& want = st_.flows.records();
        EXPECT_EQ(got.size(), want.size());
        for (const auto& [kb, kv] : want) {
            const auto* fe = find_flow(got, kv.first);
            if (!fe) {
                ADD_FAILURE() << "missing flow " << model::key_str(kv.first);
                continue;
            }
            const std::string d = model::flow_diff(kv.second, fe->flow);
            EXPECT_TRUE(d.empty()) << "flow " << model::key_str(kv.first) << ":\n" << d;
        }
        const auto c = cls_->maps().counters();
        EXPECT_EQ(c[DW_CNT_FLOW_NEW], st_.counters[DW_CNT_FLOW_NEW]);
        EXPECT_EQ(c[DW_CNT_FLOW_INSERT_FAIL], 0u);
    }

    model::State st_;
    uint64_t now_ = 1'000'000;
    std::vector<dw::FlowEntry> flows_cache_;
};

std::array<uint8_t, 16> a16(const uint8_t* p) {
    std::array<uint8_t, 16> a{};
    std::memcpy(a.data(), p, 16);
    return a;
}
std::array<uint8_t, 16> pad4(Ip4 a) {
    std::array<uint8_t, 16> r{};
    std::copy(a.begin(), a.end(), r.begin());
    return r;
}

// The canonical key and the direction index of a packet.
TEST_F(FlowTest, CanonicalKey) {
    each_hook([&] {
        section("CanonicalKeyIpv4", [&] {
            // Sent by the larger address: the record's A is the receiver, direction index 1.
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").tcp(5000, 80).payload(10));
            auto fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            const dw_flow_key& k = fl[0].key;
            EXPECT_EQ(a16(k.addr_a), pad4(ip4("10.0.0.1"))) << "IPv4 in the first 4 bytes, the rest zero";
            EXPECT_EQ(a16(k.addr_b), pad4(ip4("10.0.0.2")));
            EXPECT_EQ(k.port_a, 80);  // host order
            EXPECT_EQ(k.port_b, 5000);
            EXPECT_EQ(k.proto, kProtoTcp);
            EXPECT_EQ(k.family, 4);
            EXPECT_EQ(k.pad, 0);
            EXPECT_EQ(fl[0].flow.dir[1].packets, 1u);
            EXPECT_EQ(fl[0].flow.dir[0].packets, 0u);
            // The reply is direction 0 of the same record.
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(80, 5000).payload(20));
            fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            EXPECT_EQ(fl[0].flow.dir[0].packets, 1u);
            EXPECT_EQ(fl[0].flow.dir[1].packets, 1u);
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FLOW_NEW], 1u);
            expect_model_flows();
        });
        section("CanonicalKeyIpv6", [&] {
            send(Packet::ipv6("2001:db8::2", "2001:db8::1").udp(53, 53000));
            auto fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            EXPECT_EQ(a16(fl[0].key.addr_a), ip6("2001:db8::1"));
            EXPECT_EQ(a16(fl[0].key.addr_b), ip6("2001:db8::2"));
            EXPECT_EQ(fl[0].key.port_a, 53000);
            EXPECT_EQ(fl[0].key.port_b, 53);
            EXPECT_EQ(fl[0].key.family, 6);
            EXPECT_EQ(fl[0].key.proto, kProtoUdp);
            EXPECT_EQ(fl[0].flow.dir[1].packets, 1u);
            expect_model_flows();
        });
        section("AddressOrderIsBytewise", [&] {
            // Addresses compare as bytes, most significant first (no sign or word-order tricks).
            struct P {
                const char *small, *big;
            };
            const P v4s[] = {{"127.255.255.255", "128.0.0.1"}, {"1.2.3.4", "1.3.0.0"}, {"10.0.0.255", "10.0.1.0"},
                             {"0.0.0.0", "255.255.255.255"}, {"192.168.1.2", "192.168.1.3"}};
            for (const auto& p : v4s) {
                SCOPED_TRACE(std::string(p.small) + " < " + p.big);
                const Packet pk = Packet::ipv4(p.big, p.small).udp(1, 2);
                send(pk);
                const auto fl = flows();
                const auto* fe = find_flow(fl, model::classify(pk.build(), hook(), 1, {}).flow->key);
                ASSERT_NE(fe, nullptr);
                EXPECT_EQ(a16(fe->key.addr_a), pad4(ip4(p.small)));
                EXPECT_EQ(fe->key.port_a, 2);
                EXPECT_EQ(fe->flow.dir[1].packets, 1u);
            }
            const P v6s[] = {{"2001:db8::1", "2001:db8::8000:0:0:0"}, {"::ffff:1", "::1:0:0"},
                             {"fe80::1", "ff02::1"}, {"2001:db8:0:0:0:0:0:ffff", "2001:db8:0:0:0:0:1:0"},
                             {"7fff:ffff::", "8000::"}};
            for (const auto& p : v6s) {
                SCOPED_TRACE(std::string(p.small) + " < " + p.big);
                const Packet pk = Packet::ipv6(p.big, p.small).tcp(9, 8);
                send(pk);
                const auto fl = flows();
                const auto* fe = find_flow(fl, model::classify(pk.build(), hook(), 1, {}).flow->key);
                ASSERT_NE(fe, nullptr);
                EXPECT_EQ(a16(fe->key.addr_a), ip6(p.small));
                EXPECT_EQ(fe->flow.dir[1].packets, 1u);
            }
            expect_model_flows();
        });
        section("EqualAddressesPortsDecide", [&] {
            // Same address on both sides: the ports decide; identical endpoints: direction 0.
            send(Packet::ipv4("10.0.0.1", "10.0.0.1").udp(9000, 53));
            auto fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            EXPECT_EQ(fl[0].key.port_a, 53);
            EXPECT_EQ(fl[0].key.port_b, 9000);
            EXPECT_EQ(fl[0].flow.dir[1].packets, 1u);
            send(Packet::ipv4("10.0.0.1", "10.0.0.1").udp(53, 9000));
            send(Packet::ipv6("::1", "::1").tcp(7, 7));
            fl = flows();
            ASSERT_EQ(fl.size(), 2u);
            for (const auto& f : fl)
                if (f.key.family == 6) {
                    EXPECT_EQ(f.flow.dir[0].packets, 1u);
                    EXPECT_EQ(f.flow.dir[1].packets, 0u);
                    EXPECT_EQ(f.flow.client, DW_SIDE_A) << "equal ports: A is the client";
                } else {
                    EXPECT_EQ(f.flow.dir[0].packets, 1u);
                    EXPECT_EQ(f.flow.dir[1].packets, 1u);
                }
            expect_model_flows();
        });
    });
}

// Per-direction DSCP slots, the other bucket, seen_mask and dscp_changes.
TEST_F(FlowTest, DscpAccounting) {
    each_hook([&] {
        section("DscpSlotsAndChanges", [&] {
            // Four exact DSCP slots per direction, first come first served; the rest in other_*;
            // seen_mask has every value; dscp_changes counts changes from the previous packet.
            auto pkt = [](uint8_t dscp, bool from_a, size_t pl) {
                Packet p = from_a ? Packet::ipv4("10.0.0.1", "10.0.0.2").udp(4000, 5000)
                                  : Packet::ipv4("10.0.0.2", "10.0.0.1").udp(5000, 4000);
                return p.dscp(dscp).ecn(dscp & 3).payload(pl);
            };
            const uint8_t seq[] = {46, 0, 46, 10, 18, 26, 34, 46, 34, 34, 63};
            size_t i = 0;
            uint64_t bytes_a = 0;
            for (uint8_t d : seq) {
                const Bytes f = pkt(d, true, i++).build();
                bytes_a += f.size();
                send(f);
            }
            for (int k = 0; k < 3; k++) send(pkt(8, false, 5));
            const auto fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            const dw_flow_dir& a = fl[0].flow.dir[0];
            EXPECT_EQ(a.packets, std::size(seq));
            EXPECT_EQ(a.bytes, bytes_a);
            EXPECT_EQ(a.slot_tag[0], 47u);
            EXPECT_EQ(a.slot_tag[1], 1u);
            EXPECT_EQ(a.slot_tag[2], 11u);
            EXPECT_EQ(a.slot_tag[3], 19u);
            EXPECT_EQ(a.slot_packets[0], 3u);
            EXPECT_EQ(a.slot_packets[1], 1u);
            EXPECT_EQ(a.other_packets, 5u);  // 26, 34, 34, 34, 63
            EXPECT_EQ(a.seen_mask, (1ull << 46) | (1ull << 0) | (1ull << 10) | (1ull << 18) | (1ull << 26) | (1ull << 34) |
                                       (1ull << 63));
            EXPECT_EQ(a.dscp_changes, 9u);
            EXPECT_EQ(a.last_dscp, 63);
            const dw_flow_dir& b = fl[0].flow.dir[1];
            EXPECT_EQ(b.packets, 3u);
            EXPECT_EQ(b.slot_tag[0], 9u);
            EXPECT_EQ(b.slot_packets[0], 3u);
            EXPECT_EQ(b.slot_tag[1], 0u);
            EXPECT_EQ(b.dscp_changes, 0u);
            EXPECT_EQ(b.last_dscp, 8);
            EXPECT_EQ(b.seen_mask, 1ull << 8);
            expect_model_flows();
        });
        section("FirstPacketIsNoChange", [&] {
            // A first packet with DSCP 0 is a change from nothing only if it differs from a previous packet.
            send(Packet::ipv6("fd00::1", "fd00::2").dscp(5).udp(1, 2));
            const auto* r = record(Packet::ipv6("fd00::1", "fd00::2").udp(1, 2));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->dir[0].dscp_changes, 0u);
            EXPECT_EQ(r->dir[0].last_dscp, 5);
            send(Packet::ipv6("fd00::1", "fd00::2").dscp(0).udp(1, 2));
            r = record(Packet::ipv6("fd00::1", "fd00::2").udp(1, 2));
            EXPECT_EQ(r->dir[0].dscp_changes, 1u);
            expect_model_flows();
        });
    });
}

TEST_F(FlowTest, Timestamps) {
    each_hook([&] {
        section("TimestampsFromTheClock", [&] {
            now_ = 1000;
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").udp(1, 2), 1500);  // at 1000
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").udp(2, 1), 7499);  // at 2500
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").udp(1, 2));        // at 9999
            const auto fl = flows();
            ASSERT_EQ(fl.size(), 1u);
            EXPECT_EQ(fl[0].flow.first_ns, 1000u);
            EXPECT_EQ(fl[0].flow.last_ns, 9999u);
            EXPECT_EQ(fl[0].flow.first_ifindex, 1u);
            EXPECT_EQ(fl[0].flow.last_ifindex, 1u);
            // A later fragment or a malformed frame of the flow does not touch the record.
            now_ = 50000;
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").frag(10, false).proto(kProtoUdp).payload(20));
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tot_len(10).udp(1, 2));
            EXPECT_EQ(flows()[0].flow.last_ns, 9999u);
            expect_model_flows();
        });
    });
}

// Which side is the client, and how it was decided.
TEST_F(FlowTest, ClientOrientation) {
    each_hook([&] {
        section("SynSenderIsTheClient", [&] {
            // From A (the smaller address).
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(443, 50000, tcpf::SYN));
            // From B.
            send(Packet::ipv4("10.0.1.2", "10.0.1.1").tcp(50000, 443, tcpf::SYN));
            const auto* r1 = record(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(443, 50000));
            ASSERT_NE(r1, nullptr);
            EXPECT_EQ(r1->client, DW_SIDE_A);
            EXPECT_EQ(r1->orient, DW_ORIENT_SYN);
            const auto* r2 = record(Packet::ipv4("10.0.1.1", "10.0.1.2").tcp(443, 50000));
            ASSERT_NE(r2, nullptr);
            EXPECT_EQ(r2->client, DW_SIDE_B);
            EXPECT_EQ(r2->orient, DW_ORIENT_SYN);
            expect_model_flows();
        });
        section("SynAckReceiverIsTheClient", [&] {
            // The SYN-ACK is the first packet seen: sent by A, so B is the client.
            send(Packet::ipv6("fd00::1", "fd00::2").tcp(22, 60000, tcpf::SYN | tcpf::ACK));
            const auto* r = record(Packet::ipv6("fd00::1", "fd00::2").tcp(22, 60000));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->client, DW_SIDE_B);
            EXPECT_EQ(r->orient, DW_ORIENT_SYN);
            expect_model_flows();
        });
        section("WithoutSynTheLowerPortIsTheServer", [&] {
            // A:443 -> B:50000, plain ACK: A is the server.
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(443, 50000, tcpf::ACK));
            // A:50000 -> B:443: B is the server.
            send(Packet::ipv4("10.0.2.1", "10.0.2.2").udp(50000, 443));
            // Equal ports: A is the client.
            send(Packet::ipv4("10.0.3.2", "10.0.3.1").udp(123, 123));
            const auto* r = record(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(443, 50000));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->client, DW_SIDE_B);
            EXPECT_EQ(r->orient, DW_ORIENT_PORT);
            r = record(Packet::ipv4("10.0.2.1", "10.0.2.2").udp(50000, 443));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->client, DW_SIDE_A);
            EXPECT_EQ(r->orient, DW_ORIENT_PORT);
            r = record(Packet::ipv4("10.0.3.2", "10.0.3.1").udp(123, 123));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->client, DW_SIDE_A);
            EXPECT_EQ(r->orient, DW_ORIENT_PORT);
            expect_model_flows();
        });
        section("SynOverridesEarlierOrientation", [&] {
            const Packet a_to_b = Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(80, 40000, tcpf::ACK);
            send(a_to_b);  // port rule: A (port 80) is the server
            EXPECT_EQ(record(a_to_b)->client, DW_SIDE_B);
            EXPECT_EQ(record(a_to_b)->orient, DW_ORIENT_PORT);
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(80, 40000, tcpf::SYN));  // SYN from A: A is the client
            EXPECT_EQ(record(a_to_b)->client, DW_SIDE_A);
            EXPECT_EQ(record(a_to_b)->orient, DW_ORIENT_SYN);
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(80, 40000, tcpf::SYN | tcpf::ACK));  // SYN-ACK from A
            EXPECT_EQ(record(a_to_b)->client, DW_SIDE_B);
            EXPECT_EQ(record(a_to_b)->orient, DW_ORIENT_SYN);
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").tcp(40000, 80, tcpf::ACK));  // plain ACK changes nothing
            EXPECT_EQ(record(a_to_b)->client, DW_SIDE_B);
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").tcp(40000, 80, tcpf::SYN | tcpf::ECE | tcpf::CWR));
            EXPECT_EQ(record(a_to_b)->client, DW_SIDE_B);  // SYN from B
            expect_model_flows();
        });
    });
}

// Ports per protocol; which frames touch a flow at all.
TEST_F(FlowTest, PortsAndProtocols) {
    each_hook([&] {
        section("IcmpEchoUsesTheIdentifier", [&] {
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").icmp_echo(true, 0x4242, 1));
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").icmp_echo(false, 0x4242, 1));
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").icmp_echo(true, 0x4343, 2));  // another identifier: another flow
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").icmp(3, 3).payload(28));     // unreachable: ports 0
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").icmp(11, 0).payload(28));    // time exceeded: same ports-0 flow
            send(Packet::ipv6("fd00::2", "fd00::1").icmp_echo(true, 7));
            send(Packet::ipv6("fd00::1", "fd00::2").icmp_echo(false, 7));
            send(Packet::ipv6("fd00::1", "fd00::2").icmp(135).payload(16));
            const auto fl = flows();
            EXPECT_EQ(fl.size(), 5u);
            const auto* r = record(Packet::ipv4("10.0.0.1", "10.0.0.2").icmp_echo(true, 0x4242, 9));
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->dir[0].packets, 1u);
            EXPECT_EQ(r->dir[1].packets, 1u);
            bool seen_echo = false, seen_zero = false;
            for (const auto& f : fl) {
                if (f.key.family == 4 && f.key.port_a == 0x4242) {
                    EXPECT_EQ(f.key.port_b, 0x4242);
                    EXPECT_EQ(f.key.proto, kProtoIcmp);
                    seen_echo = true;
                }
                if (f.key.family == 4 && f.key.port_a == 0 && f.key.port_b == 0) {
                    EXPECT_EQ(f.flow.dir[1].packets, 2u);
                    seen_zero = true;
                }
                if (f.key.family == 6 && f.key.port_a == 7) {
                    EXPECT_EQ(f.key.proto, kProtoIcmp6);
                    EXPECT_EQ(f.flow.dir[0].packets, 1u);
                    EXPECT_EQ(f.flow.dir[1].packets, 1u);
                }
            }
            EXPECT_TRUE(seen_echo);
            EXPECT_TRUE(seen_zero);
            expect_model_flows();
        });
        section("OtherProtocolsHavePortZero", [&] {
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").l4_raw(kProtoGre, {0, 0, 8, 0}).payload(20));
            send(Packet::ipv4("10.0.0.2", "10.0.0.1").l4_raw(kProtoGre, {0, 0, 8, 0}));
            send(Packet::ipv6("fd00::1", "fd00::2").l4_raw(kProtoEsp, Bytes(8, 1)));
            send(Packet::ipv6("fd00::1", "fd00::2").l4_raw(kProtoIcmp, {8, 0, 0, 0, 0, 9, 0, 1}));  // ICMP in v6
            const auto fl = flows();
            ASSERT_EQ(fl.size(), 3u);
            for (const auto& f : fl) {
                EXPECT_EQ(f.key.port_a, 0);
                EXPECT_EQ(f.key.port_b, 0);
                EXPECT_EQ(f.flow.orient, DW_ORIENT_PORT);
                EXPECT_EQ(f.flow.client, DW_SIDE_A);
            }
            expect_model_flows();
        });
        section("FragmentsFirstOnly", [&] {
            const Packet first = Packet::ipv4("10.0.0.1", "10.0.0.2").frag(0, true).udp(5000, 53).payload(64);
            send(first);
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").frag(9, true).proto(kProtoUdp).payload(64));
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").frag(18, false).proto(kProtoUdp).payload(10));
            send(Packet::ipv6("fd00::1", "fd00::2").ext(Ext6::fragment(0, true)).tcp(1, 2, tcpf::SYN).payload(40));
            send(Packet::ipv6("fd00::1", "fd00::2").ext(Ext6::fragment(8, false)).proto(kProtoTcp).payload(10));
            const auto fl = flows();
            ASSERT_EQ(fl.size(), 2u);
            const auto* r = record(first);
            ASSERT_NE(r, nullptr);
            EXPECT_EQ(r->dir[0].packets, 1u);
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FRAG_LATER], 3u);
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FRAG_FIRST], 2u);
            expect_model_flows();
        });
        section("NoFlowWithoutPorts", [&] {
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2).tcp_doff(3));      // L4 cut
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).tot_len(25));      // L4 cut by tot_len
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").ihl(2).udp(1, 2));           // bad IHL
            send(Packet::arp());
            Packet deep = Packet::ipv6("fd00::1", "fd00::2");
            for (int i = 0; i < 7; i++) deep.ext(Ext6::dstopts());
            send(deep.udp(1, 2));                                                  // too deep
            send(Packet::ipv6("fd00::1", "fd00::2").ext(Ext6::hop(6)).udp(1, 2).payload_len(20));  // ext cut
            EXPECT_TRUE(flows().empty());
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FLOW_NEW], 0u);
            expect_model_flows();
        });
    });
}

// FLOW_NEW once per record, and a longer conversation against the model.
TEST_F(FlowTest, RecordsMatchTheModel) {
    each_hook([&] {
        section("FlowNewOncePerRecord", [&] {
            for (int i = 0; i < 10; i++) send(Packet::ipv4("10.0.0.1", "10.0.0.2").tcp(1000, 80).payload(i));
            for (int i = 0; i < 10; i++) send(Packet::ipv4("10.0.0.2", "10.0.0.1").tcp(80, 1000));
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FLOW_NEW], 1u);
            for (uint16_t p = 0; p < 5; p++) send(Packet::ipv6("fd00::1", "fd00::2").udp(2000 + p, 53));
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FLOW_NEW], 6u);
            // Same addresses and ports, another protocol or family: another record.
            send(Packet::ipv4("10.0.0.1", "10.0.0.2").udp(1000, 80));
            send(Packet::ipv6("::ffff:10.0.0.1", "::ffff:10.0.0.2").tcp(1000, 80));
            EXPECT_EQ(cls_->maps().counters()[DW_CNT_FLOW_NEW], 8u);
            EXPECT_EQ(flows().size(), 8u);
            expect_model_flows();
        });
        section("ConversationMatchesModel", [&] {
            // A longer mixed conversation, checked only against the model.
            const char* hosts4[] = {"10.0.0.1", "10.0.0.2", "192.0.2.9"};
            const char* hosts6[] = {"fd00::1", "2001:db8::77"};
            uint32_t x = 12345;
            auto rnd = [&x](uint32_t n) {
                x = x * 1103515245u + 12345u;
                return (x >> 16) % n;
            };
            for (int i = 0; i < 400; i++) {
                const uint8_t d = static_cast<uint8_t>(rnd(4) * 8 + rnd(2) * 46 % 64);
                const uint16_t ports[] = {80, 443, 40000, 40001};
                const uint16_t sp = ports[rnd(4)], dp = ports[rnd(4)];
                Packet p = rnd(2) ? Packet::ipv4(hosts4[rnd(3)], hosts4[rnd(3)]) : Packet::ipv6(hosts6[rnd(2)], hosts6[rnd(2)]);
                p.dscp(d).ecn(static_cast<uint8_t>(rnd(4)));
                switch (rnd(4)) {
                case 0: p.tcp(sp, dp, static_cast<uint8_t>(rnd(4) == 0 ? tcpf::SYN : rnd(3) == 0 ? tcpf::SYN | tcpf::ACK : tcpf::ACK)); break;
                case 1: p.udp(sp, dp); break;
                case 2: p.icmp_echo(rnd(2), static_cast<uint16_t>(rnd(3))); break;
                default: p.l4_raw(kProtoGre, {0, 0, 8, 0}); break;
                }
                send(p.payload(rnd(50)), 1 + rnd(100000));
            }
            expect_model_flows();
        });
    });
}
}  // namespace
}  // namespace dwt
