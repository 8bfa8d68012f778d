// bpf/counters.h: the per-interface (ifindex, direction, slot) counters and the
// global event counters, on all three hooks.
#include <gtest/gtest.h>
#include <net/if.h>

#include <numeric>

#include "kernel.hpp"

namespace dwt {
namespace {

class CountersTest : public KernelTest {};

std::map<model::IfKey, model::Cnt> if_map(const dw::MapSet& m) { return snapshot(m).ifc; }

TEST_F(CountersTest, EveryDscpValueHasItsSlot) {
    each_hook([&] {
        section("EveryDscpValueHasItsSlot", [&] {
            // Every DSCP value, with every ECN value, on both families: one slot per DSCP,
            // ECN ignored, bytes are the whole frame.
            auto& cls = cls_;
            const uint8_t dir = model::direction(hook());
            std::map<model::IfKey, model::Cnt> want;
            model::Counters want_global{};
            for (int fam : {4, 6}) {
                for (unsigned d = 0; d < 64; d++) {
                    for (unsigned ecn = 0; ecn < 4; ecn++) {
                        Packet p = fam == 4 ? Packet::ipv4("10.0.0.1", "10.0.0.2") : Packet::ipv6("fd00::1", "fd00::2");
                        p.dscp(static_cast<uint8_t>(d)).ecn(static_cast<uint8_t>(ecn)).udp(1000, 2000).payload(d + ecn);
                        if (d % 3 == 0) p.vlan(static_cast<uint16_t>(d + 1));
                        const Bytes f = p.build();
                        const auto r = cls->run(hook(), f);
                        ASSERT_EQ(r.retval, pass(hook()));
                        auto& w = want[{1, dir, static_cast<uint8_t>(d)}];
                        w.packets++;
                        w.bytes += f.size();
                        want_global[DW_CNT_FRAMES]++;
                        want_global[fam == 4 ? DW_CNT_IPV4 : DW_CNT_IPV6]++;
                        if (d % 3 == 0) want_global[DW_CNT_VLAN]++;
                    }
                }
            }
            EXPECT_EQ(if_map(cls->maps()), want);
            auto got = model::known(cls->maps().counters());
            got[DW_CNT_FLOW_NEW] = 0;
            EXPECT_EQ(got, want_global) << diff_counters(want_global, got);
        });
    });
}

// Direction and ifindex come from the hook; repeated runs and resets count right.
TEST_F(CountersTest, HookDirectionAndIfindex) {
    each_hook([&] {
        section("DirectionFollowsTheHook", [&] {
            // XDP and tc ingress count as ingress, tc egress as egress; nothing lands in the other direction.
            auto& cls = cls_;
            const Bytes f = Packet::ipv4("10.1.1.1", "10.1.1.2").dscp(46).udp(5004, 5004).payload(160).build();
            for (int i = 0; i < 3; i++) ASSERT_EQ(cls->run(hook(), f).retval, pass(hook()));
            const uint8_t dir = hook() == dw::Hook::TcEgress ? DW_DIR_EGRESS : DW_DIR_INGRESS;
            const std::map<model::IfKey, model::Cnt> want{{{1, dir, 46}, {3, 3 * f.size()}}};
            EXPECT_EQ(if_map(cls->maps()), want);
        });
        section("IfindexFromTheHook", [&] {
            // The interface counter uses the ifindex the hook reports.
            auto& cls = cls_;
            std::vector<uint32_t> ifs{1};
            if (auto* all = if_nameindex()) {  // any other interface of this namespace (eth0, ...)
                for (auto* i = all; i->if_index != 0; i++)
                    if (i->if_index != 1 && ifs.size() < 3) ifs.push_back(i->if_index);
                if_freenameindex(all);
            }
            const Bytes f = Packet::ipv6("fd00::1", "fd00::2").dscp(10).tcp(1, 2).build();
            std::map<model::IfKey, model::Cnt> want;
            for (uint32_t ifx : ifs) {
                SCOPED_TRACE("ifindex " + std::to_string(ifx));
                const auto r = cls->run(hook(), f, ifx);
                EXPECT_EQ(r.retval, pass(hook()));
                want[{ifx, model::direction(hook()), 10}] = {1, f.size()};
            }
            EXPECT_EQ(if_map(cls->maps()), want);
            // The flow remembers the first and the last interface.
            const auto flows = cls->maps().flows();
            ASSERT_EQ(flows.size(), 1u);
            EXPECT_EQ(flows[0].flow.first_ifindex, ifs.front());
            EXPECT_EQ(flows[0].flow.last_ifindex, ifs.back());
        });
        section("RepeatedRunsCountEachFrame", [&] {
            // BPF_PROG_TEST_RUN with repeat: every run is a frame.
            auto& cls = cls_;
            const Bytes f = Packet::ipv4("10.9.9.1", "10.9.9.2").dscp(34).vlan(5).tcp(1234, 80).payload(99).build();
            const auto r = cls->run(hook(), f, 1, 50);
            EXPECT_EQ(r.retval, pass(hook()));
            const auto s = snapshot(cls->maps());
            const std::map<model::IfKey, model::Cnt> want{{{1, model::direction(hook()), 34}, {50, 50 * f.size()}}};
            EXPECT_EQ(s.ifc, want);
            EXPECT_EQ(s.counters[DW_CNT_FRAMES], 50u);
            EXPECT_EQ(s.counters[DW_CNT_IPV4], 50u);
            EXPECT_EQ(s.counters[DW_CNT_VLAN], 50u);
            EXPECT_EQ(s.counters[DW_CNT_FLOW_NEW], 1u);
            const auto flows = cls->maps().flows();
            ASSERT_EQ(flows.size(), 1u);
            EXPECT_EQ(flows[0].flow.dir[0].packets + flows[0].flow.dir[1].packets, 50u);
        });
        section("ResetStartsFromZero", [&] {
            // reset_counters() empties what the classifier counted; counting resumes from zero.
            auto& cls = cls_;
            const Bytes f = Packet::ipv6("fd00::1", "fd00::2").dscp(18).udp(1, 2).build();
            cls->run(hook(), f, 1, 3);
            cls->maps().reset_counters();
            EXPECT_TRUE(cls->maps().if_counters().empty());
            EXPECT_EQ(cls->maps().counters(), model::Counters{});
            cls->run(hook(), f);
            const std::map<model::IfKey, model::Cnt> want{{{1, model::direction(hook()), 18}, {1, f.size()}}};
            EXPECT_EQ(if_map(cls->maps()), want);
            EXPECT_EQ(cls->maps().counters()[DW_CNT_FRAMES], 1u);
        });
    });
}

// Slot totals and the global counters of mixed and malformed frames.
TEST_F(CountersTest, SlotsAndGlobalCounters) {
    each_hook([&] {
        section("SlotsAddUpToTheFrames", [&] {
            // A mixed stream: the slots add up to the frame total, bytes to the byte total;
            // the non-IP slot equals NONIP; the malformed slot counts the frames whose IP
            // header (or L2) was unusable, and L4-level problems stay in their DSCP slot.
            auto& cls = cls_;
            std::vector<Bytes> frames = {
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(1).tcp(1, 2).build(),
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(1).vlan(3).udp(1, 2).payload(100).build(),
                Packet::ipv6("fd00::1", "fd00::2").dscp(2).udp(1, 2).build(),
                Packet::arp().build(),
                Packet::arp().vlan(8).eth_pad(14).build(),
                Packet::ether(kEthLldp, 60).build(),
                Packet::ipv4("10.0.0.1", "10.0.0.2").ihl(3).udp(1, 2).build(),          // BAD_IHL
                Packet::ipv4("10.0.0.1", "10.0.0.2").tot_len(200).udp(1, 2).build(),    // BAD_LEN
                Packet::ipv6("fd00::1", "fd00::2").version(4).udp(1, 2).build(),        // BAD_VERSION
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(3).tcp(1, 2).tcp_doff(2).build(),  // L4_TRUNC: slot 3
                Packet::ether(kEthVlan, 2).build(),                                     // L2_TRUNC
            };
            {
                Bytes cut = Packet::ipv6("fd00::1", "fd00::2").vlan(1).udp(1, 2).build();
                cut.resize(18 + 30);  // L3_TRUNC (behind a tag, so that tc test runs take it)
                frames.push_back(cut);
            }
            uint64_t bytes = 0;
            for (const auto& f : frames) {
                ASSERT_EQ(cls->run(hook(), f).retval, pass(hook()));
                bytes += f.size();
            }
            const auto s = snapshot(cls->maps());
            uint64_t pk = 0, by = 0;
            for (const auto& [k, v] : s.ifc) {
                pk += v.packets;
                by += v.bytes;
            }
            EXPECT_EQ(pk, frames.size());
            EXPECT_EQ(by, bytes);
            EXPECT_EQ(s.counters[DW_CNT_FRAMES], frames.size());
            const uint8_t dir = model::direction(hook());
            auto slot = [&](uint8_t sl) {
                auto it = s.ifc.find({1, dir, sl});
                return it == s.ifc.end() ? 0 : it->second.packets;
            };
            EXPECT_EQ(slot(DW_SLOT_NONIP), 3u);
            EXPECT_EQ(slot(DW_SLOT_NONIP), s.counters[DW_CNT_NONIP]);
            EXPECT_EQ(slot(DW_SLOT_MALFORMED), 5u);
            EXPECT_EQ(slot(1), 2u);
            EXPECT_EQ(slot(2), 1u);
            EXPECT_EQ(slot(3), 1u);
            uint64_t mal = 0;
            for (int r = DW_CNT_MAL_FIRST; r <= DW_CNT_MAL_LAST; r++) mal += s.counters[r];
            EXPECT_EQ(mal, 6u);
            // The model agrees on everything.
            model::State st;
            for (const auto& f : frames) st.step(f, hook(), 1, {});
            EXPECT_EQ(s.ifc, st.if_counters);
            EXPECT_EQ(s.counters, st.counters) << diff_counters(st.counters, s.counters);
        });
        section("GlobalCounterCombinations", [&] {
            // The global counters a frame adds, for the combinations that matter.
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, V6 = DW_CNT_IPV6, VL = DW_CNT_VLAN;
            auto& cls = cls_;
            const auto a4 = ip4("172.16.0.1"), b4 = ip4("172.16.0.2");
            const auto a6 = ip6("fd00:1::1"), b6 = ip6("fd00:2::2");
            std::vector<Crafted> cases = {
                {"vlan, bad ihl", Packet::ipv4(a4, b4).vlan(1).ihl(4).udp(1, 2).build(), DW_SLOT_MALFORMED,
                 counts({F, V4, VL, DW_CNT_MAL_BAD_IHL}), false},
                {"qinq, bad version v6", Packet::ipv6(a6, b6).vlan(1, kEthQinQ).vlan(2).version(5).udp(1, 2).build(),
                 DW_SLOT_MALFORMED, counts({F, V6, VL, DW_CNT_MAL_BAD_VERSION}), false},
                {"vlan, v4 first fragment gre",
                 Packet::ipv4(a4, b4).vlan(1).dscp(8).frag(0, true).l4_raw(kProtoGre, {0, 0, 8, 0}).build(), 8,
                 counts({F, V4, VL, DW_CNT_FRAG_FIRST, DW_CNT_OTHER_PROTO}), true},
                {"vlan, v6 later fragment", Packet::ipv6(a6, b6).vlan(1).dscp(9).ext(Ext6::fragment(3, true)).build(), 9,
                 counts({F, V6, VL, DW_CNT_FRAG_LATER}), false},
                {"vlan, v6 too deep", [&] {
                     Packet p = Packet::ipv6(a6, b6).vlan(1).dscp(12);
                     for (int i = 0; i < 7; i++) p.ext(Ext6::hop());
                     return p.tcp(1, 2).build();
                 }(), 12, counts({F, V6, VL, DW_CNT_MAL_V6_TOO_DEEP}), false},
                {"vlan, v4 L3 cut", [&] {
                     Bytes b = Packet::ipv4(a4, b4).vlan(1).udp(1, 2).build();
                     b.resize(18 + 10);
                     return b;
                 }(), DW_SLOT_MALFORMED, counts({F, V4, VL, DW_CNT_MAL_L3_TRUNC}), false},
                {"vlan, arp", Packet::arp().vlan(1).build(), DW_SLOT_NONIP, counts({F, DW_CNT_NONIP, VL}), false},
                {"L2 cut in the first tag", Packet::ether(kEthQinQ, 3).build(), DW_SLOT_MALFORMED,
                 counts({F, DW_CNT_MAL_L2_TRUNC}), false},
                {"L2 cut in the second tag", [] {
                     Bytes b = Packet::arp().vlan(1).vlan(2).build();
                     b.resize(20);
                     return b;
                 }(), DW_SLOT_MALFORMED, counts({F, DW_CNT_MAL_L2_TRUNC, VL}), false},
                {"v6 ext cut, vlan", Packet::ipv6(a6, b6).vlan(4).dscp(5).ext(Ext6::hop(3)).payload_len(8).eth_pad(24).build(),
                 5, counts({F, V6, VL, DW_CNT_MAL_L4_TRUNC}), false},
            };
            for (const auto& k : cases) check_crafted(*cls, hook(), k);
        });
    });
}

TEST_F(CountersTest, NeverDrops) {
    each_hook([&] {
        section("NeverDrops", [&] {
            // Nothing is ever dropped, whatever the frame: a sweep of odd sizes and contents.
            auto& cls = cls_;
            uint64_t n = 0;
            for (size_t len = 14; len <= 200; len += 3) {
                for (uint16_t et : {kEthIp, kEthIp6, kEthVlan, kEthQinQ, kEthArp, uint16_t(0)}) {
                    for (uint8_t fill : {0x00, 0x45, 0x60, 0xff}) {
                        Bytes f(len, fill);
                        f[12] = static_cast<uint8_t>(et >> 8);
                        f[13] = static_cast<uint8_t>(et);
                        if (!injectable(hook(), f)) continue;
                        const auto r = cls->run(hook(), f);
                        ASSERT_EQ(r.retval, pass(hook())) << hex(f, 64);
                        ASSERT_EQ(r.data, f);
                        n++;
                    }
                }
            }
            EXPECT_EQ(cls->maps().counters()[DW_CNT_FRAMES], n);
        });
    });
}
}  // namespace
}  // namespace dwt
