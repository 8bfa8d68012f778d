// bpf/remark.h + bpf/rewrite.h: the remark decision (modes, directions,
// exemptions, generations) and the rewrite itself (only the DSCP bits change,
// checksums stay valid), on all three hooks.
#include <gtest/gtest.h>

#include "core/remark_config.hpp"
#include "kernel.hpp"

namespace dwt {
namespace {

dw::RemarkConfig zero_cfg(uint32_t dirs = DW_DIRS_ALL) {
    dw::RemarkConfig c;
    c.mode = dw::RemarkMode::Zero;
    c.dirs = dirs;
    return c;
}

dw::RemarkConfig map_cfg(std::initializer_list<std::pair<uint8_t, uint8_t>> moves) {
    dw::RemarkConfig c;
    c.mode = dw::RemarkMode::Map;
    for (auto [f, t] : moves) c.map[f] = t;
    return c;
}

// Output bytes differ from the input only in the DSCP bits (and the IPv4 header
// checksum); ECN is intact; checksums that were valid stay valid.
::testing::AssertionResult only_dscp_changed(const Bytes& in, const Bytes& out, const Layout& lay) {
    if (in.size() != out.size()) return ::testing::AssertionFailure() << "length changed";
    const size_t l3 = lay.l3_off;
    for (size_t i = 0; i < in.size(); i++) {
        uint8_t allowed = 0;
        if (lay.family == 4) {
            if (i == l3 + 1) allowed = 0xfc;
            if (i == l3 + 10 || i == l3 + 11) allowed = 0xff;
        } else if (lay.family == 6) {
            if (i == l3) allowed = 0x0f;
            if (i == l3 + 1) allowed = 0xc0;
        }
        if ((in[i] ^ out[i]) & ~allowed)
            return ::testing::AssertionFailure() << "byte " << i << " changed outside the DSCP bits: " << int(in[i])
                                                 << " -> " << int(out[i]);
    }
    const uint8_t ecn_in = lay.family == 4 ? in[l3 + 1] & 3 : (in[l3 + 1] >> 4) & 3;
    const uint8_t ecn_out = lay.family == 4 ? out[l3 + 1] & 3 : (out[l3 + 1] >> 4) & 3;
    if (ecn_in != ecn_out) return ::testing::AssertionFailure() << "ECN changed";
    if (lay.family == 4 && ipv4_header_ok(in, l3) && !ipv4_header_ok(out, l3))
        return ::testing::AssertionFailure() << "IPv4 header checksum no longer verifies";
    if (l4_csum_ok(in, lay) && !l4_csum_ok(out, lay))
        return ::testing::AssertionFailure() << "L4 checksum no longer verifies";
    return ::testing::AssertionSuccess();
}

uint8_t dscp_of(const Bytes& f, const Layout& lay) {
    const size_t l3 = lay.l3_off;
    return lay.family == 4 ? f[l3 + 1] >> 2 : static_cast<uint8_t>(((f[l3] & 0x0f) << 2) | (f[l3 + 1] >> 6));
}

class RemarkTest : public KernelTest {
protected:
    void reset() override {
        KernelTest::reset();
        st_ = model::State{};
        cfg_ = dw::RemarkConfig{};
    }

    void publish(const dw::RemarkConfig& c) {
        cls_->maps().publish(c);
        cfg_ = c;
    }

    // Runs one frame, checks it against the model and the rewrite invariants.
    Outcome send(const Packet& p) {
        const Bytes f = p.build();
        const Layout lay = p.layout();
        const Outcome o = run_frame(*cls_, hook(), f);
        const model::Expect e = st_.step(f, hook(), 1, cfg_);
        EXPECT_TRUE(matches(o, e, f)) << "config mode " << dw::to_string(cfg_.mode);
        if (lay.family) {
            EXPECT_TRUE(only_dscp_changed(f, o.res.data, lay));
        }
        return o;
    }

    // Sends and states the outcome: remarked to `to`, or left alone with `counter` (or nothing) counted.
    void expect_remarked(const Packet& p, uint8_t to) {
        const Bytes f = p.build();
        const Layout lay = p.layout();
        const Outcome o = send(p);
        EXPECT_EQ(o.delta.counters[DW_CNT_REMARKED], 1u);
        EXPECT_EQ(dscp_of(o.res.data, lay), to);
        ASSERT_EQ(o.delta.remarks.size(), 1u);
        const auto& [k, v] = *o.delta.remarks.begin();
        EXPECT_EQ(k, model::RemarkKey(1, model::direction(hook()), dscp_of(f, lay), to));
        EXPECT_EQ(v, (model::Cnt{1, f.size()}));
        // The interface counter has the original DSCP.
        ASSERT_EQ(o.delta.ifc.size(), 1u);
        EXPECT_EQ(std::get<2>(o.delta.ifc.begin()->first), dscp_of(f, lay));
    }
    void expect_untouched(const Packet& p, int counter = -1) {
        const Bytes f = p.build();
        const Outcome o = send(p);
        EXPECT_EQ(o.res.data, f);
        EXPECT_EQ(o.delta.counters[DW_CNT_REMARKED], 0u);
        EXPECT_TRUE(o.delta.remarks.empty());
        for (int c : {DW_CNT_EXEMPT_PREFIX, DW_CNT_EXEMPT_PORT, DW_CNT_REMARK_FAIL})
            EXPECT_EQ(o.delta.counters[c], c == counter ? 1u : 0u) << model::counter_name(c);
    }

    // The maps as a whole agree with the model.
    void expect_model_state() {
        const Snapshot s = snapshot(cls_->maps());
        EXPECT_EQ(s.counters, st_.counters) << diff_counters(st_.counters, s.counters);
        EXPECT_EQ(s.ifc, st_.if_counters);
        EXPECT_EQ(s.remarks, st_.remarks);
        const auto fl = cls_->maps().flows();
        EXPECT_EQ(fl.size(), st_.flows.records().size());
        for (const auto& f : fl) {
            const dw_flow* w = st_.flows.find(f.key);
            ASSERT_NE(w, nullptr) << model::key_str(f.key);
            // Timestamps are the kernel clock here; compare everything else.
            dw_flow got = f.flow, want = *w;
            got.first_ns = got.last_ns = want.first_ns = want.last_ns = 0;
            EXPECT_EQ(model::flow_diff(want, got), "") << model::key_str(f.key);
        }
    }

    bool remarks_here(uint32_t dirs) const { return dirs & (1u << model::direction(hook())); }

    dw::RemarkConfig cfg_;
    model::State st_;
};

Packet base(int fam, int tags, bool opts, int l4, uint8_t dscp, uint8_t ecn) {
    Packet p = fam == 4 ? Packet::ipv4("198.18.0.1", "198.19.0.9") : Packet::ipv6("2001:db8::1", "2001:db8:1::9");
    p.dscp(dscp).ecn(ecn);
    if (tags >= 1) p.vlan(100, tags == 2 ? kEthQinQ : kEthVlan);
    if (tags >= 2) p.vlan(200);
    if (opts) {
        if (fam == 4)
            p.options({0x94, 4, 0, 0, 1, 1, 1, 1});
        else
            p.ext(Ext6::hop()).ext(Ext6::dstopts(1));
    }
    switch (l4) {
    case 0: p.tcp(40000, 443, tcpf::PSH | tcpf::ACK).payload(33); break;
    case 1: p.udp(5004, 5006).payload(160); break;
    default: p.icmp_echo(true, 0x77, 3).payload(56); break;
    }
    return p;
}

// Zero and map modes over every header combination and DSCP value.
TEST_F(RemarkTest, ZeroAndMapModes) {
    each_hook([&] {
        section("ZeroModeEveryHeaderCombination", [&] {
            publish(zero_cfg());
            for (int fam : {4, 6})
                for (int tags = 0; tags <= 2; tags++)
                    for (bool opts : {false, true})
                        for (int l4 = 0; l4 < 3; l4++)
                            for (uint8_t ecn = 0; ecn < 4; ecn++)
                                for (uint8_t d : {1, 10, 46, 63}) {
                                    SCOPED_TRACE("v" + std::to_string(fam) + " tags " + std::to_string(tags) + " opts " +
                                                 std::to_string(opts) + " l4 " + std::to_string(l4) + " ecn " +
                                                 std::to_string(ecn) + " dscp " + std::to_string(d));
                                    const Packet p = base(fam, tags, opts, l4, d, ecn);
                                    const Bytes f = p.build();
                                    ASSERT_TRUE(l4_csum_ok(f, p.layout()));
                                    if (fam == 4) {
                                        ASSERT_TRUE(ipv4_header_ok(f, p.layout().l3_off));
                                    }
                                    expect_remarked(p, 0);
                                }
            // DSCP 0 is already the target: nothing to do, nothing counted.
            for (int fam : {4, 6}) expect_untouched(base(fam, 1, true, 0, 0, 3));
            expect_model_state();
        });
        section("MapModeEveryValue", [&] {
            publish(map_cfg({{46, 0}, {10, 18}, {18, 10}, {63, 1}, {0, 63}, {34, 32}}));
            for (int fam : {4, 6})
                for (uint8_t d = 0; d < 64; d++)
                    for (uint8_t ecn = 0; ecn < 4; ecn++) {
                        SCOPED_TRACE("v" + std::to_string(fam) + " dscp " + std::to_string(d) + " ecn " + std::to_string(ecn));
                        const Packet p = base(fam, d % 3, d % 2, d % 3, d, ecn);
                        if (cfg_.map[d] != d)
                            expect_remarked(p, cfg_.map[d]);
                        else
                            expect_untouched(p);
                    }
            expect_model_state();
        });
    });
}

// What a rewrite does to the bytes: checksums (RFC 1624 edges included), ECN, IPv6 traffic class.
TEST_F(RemarkTest, Checksums) {
    each_hook([&] {
        section("EveryTransitionKeepsTheChecksum", [&] {
            // Every (from, to) pair on IPv4: the header checksum verifies after each rewrite.
            for (uint8_t to = 0; to < 64; to++) {
                dw::RemarkConfig c;
                c.mode = dw::RemarkMode::Map;
                c.map.fill(to);
                cls_->maps().publish(c);
                for (uint8_t from = 0; from < 64; from++) {
                    const Packet p = base(4, from % 3, from % 2, from % 3, from, (from + to) & 3);
                    const Bytes f = p.build();
                    const auto r = cls_->run(hook(), f);
                    const auto e = model::classify(f, hook(), 1, c);
                    ASSERT_EQ(r.data, e.out) << int(from) << " -> " << int(to);
                    ASSERT_TRUE(only_dscp_changed(f, r.data, p.layout())) << int(from) << " -> " << int(to);
                    ASSERT_EQ(dscp_of(r.data, p.layout()), to);
                }
            }
        });
        section("Rfc1624ChecksumEdges", [&] {
            // RFC 1624: sweep the IP identification through all 65536 values so that the
            // header checksum takes every value, including the 0x0000 / 0xffff edges, before
            // and after the rewrite; also headers that carry the non-canonical 0xffff.
            const dw::RemarkConfig c = map_cfg({{46, 0}, {0, 46}});
            cls_->maps().publish(c);
            int hit_zero_after = 0, hit_ffff_before = 0, hit_zero_before = 0;
            uint64_t runs = 0;
            for (auto [from, ecn] : {std::pair<uint8_t, uint8_t>{46, 1}, {0, 2}}) {
                for (uint32_t id = 0; id < 65536; id++) {
                    Packet p = Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(from).ecn(ecn).ip_id(static_cast<uint16_t>(id)).udp(1, 2);
                    Bytes f = p.build();
                    const size_t l3 = 14;
                    const uint16_t cs = static_cast<uint16_t>(f[l3 + 10] << 8 | f[l3 + 11]);
                    if (cs == 0x0000) {
                        hit_zero_before++;
                        // 0xffff is the other representation of the same sum: still valid.
                        f[l3 + 10] = f[l3 + 11] = 0xff;
                        ASSERT_TRUE(ipv4_header_ok(f, l3));
                        hit_ffff_before++;
                    }
                    const auto r = cls_->run(hook(), f);
                    runs++;
                    const auto e = model::classify(f, hook(), 1, c);
                    ASSERT_TRUE(e.remarked);
                    ASSERT_EQ(r.data, e.out) << "id " << id << hex(f, 40);
                    ASSERT_TRUE(ipv4_header_ok(r.data, l3)) << "id " << id << hex(r.data, 40);
                    if (r.data[l3 + 10] == 0 && r.data[l3 + 11] == 0) hit_zero_after++;
                }
            }
            EXPECT_GT(hit_zero_after, 0);
            EXPECT_GT(hit_zero_before, 0);
            EXPECT_GT(hit_ffff_before, 0);
            const auto cnt = cls_->maps().counters();
            EXPECT_EQ(cnt[DW_CNT_REMARKED], runs);
            EXPECT_EQ(cnt[DW_CNT_REMARK_FAIL], 0u);
        });
        section("IncrementalUpdateOfABadChecksum", [&] {
            // A header whose checksum is wrong stays exactly as wrong: the update is incremental.
            publish(zero_cfg());
            for (uint16_t bad : {0x0000, 0x1234, 0xffff, 0xfffe}) {
                const Packet p = Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).ip_csum(bad).udp(1, 2);
                const Bytes f = p.build();
                const Outcome o = send(p);
                // The error (sum of the header) is the same before and after.
                EXPECT_EQ(ones_sum(std::span(f).subspan(14, 20)), ones_sum(std::span(o.res.data).subspan(14, 20)))
                    << "checksum 0x" << std::hex << bad;
            }
        });
        section("Ipv6TrafficClassSpansTwoBytes", [&] {
            publish(map_cfg({{0, 63}, {63, 0}, {21, 42}, {42, 21}}));
            for (uint32_t label : {0u, 0xfffffu, 0x12345u, 0x80000u})
                for (uint8_t d : {0, 63, 21, 42})
                    for (uint8_t ecn = 0; ecn < 4; ecn++) {
                        const Packet p = Packet::ipv6("fd00::1", "fd00::2").dscp(d).ecn(ecn).flow_label(label).udp(1, 2);
                        const Bytes f = p.build();
                        const Outcome o = send(p);
                        const auto& g = o.res.data;
                        EXPECT_EQ(g[14] >> 4, 6) << "version";
                        EXPECT_EQ(((g[15] & 0x0f) << 16) | (g[16] << 8) | g[17], static_cast<int>(label)) << "flow label";
                        const uint8_t tc = static_cast<uint8_t>((g[14] & 0x0f) << 4 | g[15] >> 4);
                        EXPECT_EQ(tc >> 2, cfg_.map[d]);
                        EXPECT_EQ(tc & 3, ecn);
                    }
            expect_model_state();
        });
        section("L4ChecksumsStayValid", [&] {
            publish(zero_cfg());
            const Packet ps[] = {
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).tcp(1, 2, tcpf::ACK, {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}).payload(100),
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).udp(1, 2).payload(101),
                Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).icmp_echo(true, 5).payload(64),
                Packet::ipv6("fd00::1", "fd00::2").dscp(46).tcp(1, 2).payload(7),
                Packet::ipv6("fd00::1", "fd00::2").dscp(46).udp(1, 2).payload(0),
                Packet::ipv6("fd00::1", "fd00::2").dscp(46).icmp_echo(false, 5).payload(9),
                Packet::ipv6("fd00::1", "fd00::2").dscp(46).ext(Ext6::hop()).icmp(135).payload(16),
            };
            for (const auto& p : ps) {
                const Bytes f = p.build();
                ASSERT_TRUE(l4_csum_ok(f, p.layout()));
                const Outcome o = send(p);
                EXPECT_TRUE(l4_csum_ok(o.res.data, p.layout()));
                EXPECT_EQ(o.delta.counters[DW_CNT_REMARKED], 1u);
            }
        });
    });
}

TEST_F(RemarkTest, ExemptPrefixes) {
    each_hook([&] {
        section("ExemptPrefixes", [&] {
            dw::RemarkConfig c = zero_cfg();
            for (const char* s : {"10.1.0.0/16", "192.0.2.7", "2001:db8:aa::/48", "2001:db8:bb::1/128", "2001:db8:cc::/65",
                                  "172.16.0.0/13"})
                c.exempt_prefixes.push_back(dw::parse_prefix(s));
            publish(c);
            const int EP = DW_CNT_EXEMPT_PREFIX;
            // IPv4, source and destination.
            expect_untouched(Packet::ipv4("10.1.2.3", "8.8.8.8").dscp(46).udp(1, 2), EP);
            expect_untouched(Packet::ipv4("8.8.8.8", "10.1.255.255").dscp(46).udp(1, 2), EP);
            expect_untouched(Packet::ipv4("192.0.2.7", "8.8.8.8").dscp(46).tcp(1, 2), EP);
            expect_untouched(Packet::ipv4("8.8.8.8", "192.0.2.7").dscp(46).icmp_echo(true, 1), EP);
            expect_untouched(Packet::ipv4("172.23.255.255", "1.1.1.1").dscp(46).udp(1, 2), EP);
            expect_remarked(Packet::ipv4("10.2.0.1", "8.8.8.8").dscp(46).udp(1, 2), 0);
            expect_remarked(Packet::ipv4("192.0.2.8", "192.0.2.6").dscp(46).udp(1, 2), 0);
            expect_remarked(Packet::ipv4("172.24.0.0", "172.15.255.255").dscp(46).udp(1, 2), 0);
            // IPv6, source and destination, odd prefix lengths.
            expect_untouched(Packet::ipv6("2001:db8:aa:ffff::1", "2001:db8::1").dscp(46).udp(1, 2), EP);
            expect_untouched(Packet::ipv6("2001:db8::1", "2001:db8:aa::").dscp(46).tcp(1, 2), EP);
            expect_untouched(Packet::ipv6("2001:db8:bb::1", "2001:db8::1").dscp(46).udp(1, 2), EP);
            expect_untouched(Packet::ipv6("2001:db8::1", "2001:db8:cc:0:7fff:ffff:ffff:ffff").dscp(46).udp(1, 2), EP);
            expect_remarked(Packet::ipv6("2001:db8::1", "2001:db8:cc:0:8000::").dscp(46).udp(1, 2), 0);
            expect_remarked(Packet::ipv6("2001:db8:bb::2", "2001:db8:ab::1").dscp(46).udp(1, 2), 0);
            // A v4 prefix does not cover a v4-mapped v6 address, nor the other way round.
            expect_remarked(Packet::ipv6("::ffff:10.1.0.1", "2001:db8::1").dscp(46).udp(1, 2), 0);
            expect_remarked(Packet::ipv6("0a01::1", "2001:db8::1").dscp(46).udp(1, 2), 0);
            // Exemptions apply to VLAN-tagged frames, L4-truncated and later fragments too.
            expect_untouched(Packet::ipv4("10.1.0.1", "8.8.8.8").vlan(1).vlan(2).dscp(46).udp(1, 2), EP);
            expect_untouched(Packet::ipv4("10.1.0.1", "8.8.8.8").dscp(46).frag(5, false).proto(kProtoUdp).payload(8), EP);
            expect_untouched(Packet::ipv6("2001:db8:aa::5", "::1").dscp(46).tcp(1, 2).tcp_doff(1), EP);
            // Nothing to remark: no exemption is counted.
            expect_untouched(Packet::ipv4("10.1.0.1", "8.8.8.8").dscp(0).udp(1, 2));
            expect_model_state();
        });
        section("PrefixZeroExemptsAFamily", [&] {
            dw::RemarkConfig c = zero_cfg();
            c.exempt_prefixes.push_back(dw::parse_prefix("0.0.0.0/0"));
            publish(c);
            expect_untouched(Packet::ipv4("1.2.3.4", "5.6.7.8").dscp(10).udp(1, 2), DW_CNT_EXEMPT_PREFIX);
            expect_remarked(Packet::ipv6("fd00::1", "fd00::2").dscp(10).udp(1, 2), 0);
            c.exempt_prefixes = {dw::parse_prefix("::/0")};
            publish(c);
            expect_remarked(Packet::ipv4("1.2.3.4", "5.6.7.8").dscp(10).udp(1, 2), 0);
            expect_untouched(Packet::ipv6("fd00::1", "fd00::2").dscp(10).udp(1, 2), DW_CNT_EXEMPT_PREFIX);
            expect_model_state();
        });
    });
}

TEST_F(RemarkTest, ExemptPorts) {
    each_hook([&] {
        section("ExemptPorts", [&] {
            dw::RemarkConfig c = zero_cfg();
            c.exempt_ports = {dw::parse_port_range("tcp:443"), dw::parse_port_range("udp:16384-32767"),
                              dw::parse_port_range("tcp:0-1")};
            publish(c);
            const int EX = DW_CNT_EXEMPT_PORT;
            auto v4 = [] { return Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46); };
            auto v6 = [] { return Packet::ipv6("fd00::1", "fd00::2").dscp(46); };
            expect_untouched(v4().tcp(443, 50000), EX);
            expect_untouched(v4().tcp(50000, 443), EX);
            expect_untouched(v4().tcp(0, 50000), EX);
            expect_untouched(v6().tcp(50000, 443), EX);
            expect_untouched(v6().ext(Ext6::hop()).ext(Ext6::ah()).tcp(443, 1), EX);
            expect_untouched(v4().udp(16384, 1), EX);
            expect_untouched(v4().udp(1, 32767), EX);
            expect_untouched(v6().vlan(5).udp(20000, 20000), EX);
            expect_remarked(v4().tcp(444, 442), 0);
            expect_remarked(v4().udp(443, 443), 0);        // the range is TCP only
            expect_remarked(v4().tcp(20000, 20000), 0);    // the range is UDP only
            expect_remarked(v4().udp(16383, 32768), 0);
            expect_remarked(v6().icmp_echo(true, 443), 0);  // ICMP has no ports
            expect_remarked(v4().l4_raw(kProtoSctp, {0x01, 0xbb, 0x01, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0}), 0);
            // First fragments carry the ports; later fragments and cut L4 headers cannot match.
            expect_untouched(v4().frag(0, true).udp(20000, 1).payload(40), EX);
            expect_untouched(v6().ext(Ext6::fragment(0, true)).tcp(1, 443), EX);
            expect_remarked(v4().frag(3, false).proto(kProtoUdp).payload(8), 0);
            expect_remarked(v6().ext(Ext6::fragment(3, true)).proto(kProtoTcp).payload(8), 0);
            expect_remarked(v4().udp(20000, 20000).tot_len(27), 0);     // UDP header cut by tot_len
            expect_remarked(v4().tcp(443, 443).tcp_doff(4), 0);        // TCP doff < 5
            Packet deep = v6();
            for (int i = 0; i < 7; i++) deep.ext(Ext6::dstopts());
            expect_remarked(deep.tcp(443, 443), 0);                    // too deep: no ports
            expect_model_state();
        });
        section("PrefixIsCheckedBeforePorts", [&] {
            dw::RemarkConfig c = zero_cfg();
            c.exempt_prefixes = {dw::parse_prefix("10.0.0.0/8")};
            c.exempt_ports = {dw::parse_port_range("udp:53")};
            publish(c);
            expect_untouched(Packet::ipv4("10.0.0.1", "8.8.8.8").dscp(46).udp(53, 53), DW_CNT_EXEMPT_PREFIX);
            expect_untouched(Packet::ipv4("9.0.0.1", "8.8.8.8").dscp(46).udp(53, 53), DW_CNT_EXEMPT_PORT);
            expect_remarked(Packet::ipv4("9.0.0.1", "8.8.8.8").dscp(46).udp(54, 54), 0);
            expect_model_state();
        });
    });
}

// The directions mask, and mode off.
TEST_F(RemarkTest, DirectionsAndOff) {
    each_hook([&] {
        section("DirectionsMask", [&] {
            for (uint32_t dirs : {DW_DIRS_INGRESS, DW_DIRS_EGRESS, DW_DIRS_ALL}) {
                SCOPED_TRACE("dirs " + std::to_string(dirs));
                publish(zero_cfg(dirs));
                const Packet p = Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).udp(1, 2);
                const Packet q = Packet::ipv6("fd00::1", "fd00::2").dscp(46).tcp(1, 2);
                if (remarks_here(dirs)) {
                    expect_remarked(p, 0);
                    expect_remarked(q, 0);
                } else {
                    expect_untouched(p);
                    expect_untouched(q);
                }
            }
            expect_model_state();
        });
        section("OffRestoresPassThrough", [&] {
            const Packet p = Packet::ipv4("10.0.0.1", "10.0.0.2").vlan(3).dscp(46).ecn(3).udp(1, 2);
            expect_untouched(p);  // never published: off
            publish(zero_cfg());
            expect_remarked(p, 0);
            dw::RemarkConfig off;
            off.mode = dw::RemarkMode::Off;
            off.map.fill(5);
            publish(off);
            expect_untouched(p);
            expect_untouched(Packet::ipv6("fd00::1", "fd00::2").dscp(46).udp(1, 2));
            publish(zero_cfg());
            expect_remarked(p, 0);
            expect_model_state();
        });
    });
}

TEST_F(RemarkTest, LiveSwitchBetweenGenerations) {
    each_hook([&] {
        section("LiveSwitchBetweenGenerations", [&] {
            // Publishing switches the policy for the very next frame, exemptions included,
            // and nothing of an older generation lingers in the slot it reuses.
            const Packet from10 = Packet::ipv4("10.0.0.1", "8.8.8.8").dscp(46).udp(1000, 2000);
            const Packet from11 = Packet::ipv4("11.0.0.1", "8.8.8.8").dscp(46).udp(1000, 2000);
            const Packet v6p = Packet::ipv6("2001:db8::1", "fd00::9").dscp(46).tcp(1000, 443);
            const uint64_t g0 = cls_->maps().generation();

            dw::RemarkConfig a = zero_cfg();
            a.exempt_prefixes = {dw::parse_prefix("10.0.0.0/8"), dw::parse_prefix("2001:db8::/32")};
            publish(a);  // generation g0+1
            EXPECT_EQ(cls_->maps().generation(), g0 + 1);
            expect_untouched(from10, DW_CNT_EXEMPT_PREFIX);
            expect_remarked(from11, 0);
            expect_untouched(v6p, DW_CNT_EXEMPT_PREFIX);

            dw::RemarkConfig b = map_cfg({{46, 34}});
            b.exempt_prefixes = {dw::parse_prefix("11.0.0.0/8")};
            b.exempt_ports = {dw::parse_port_range("tcp:443")};
            publish(b);  // the other slot
            expect_remarked(from10, 34);
            expect_untouched(from11, DW_CNT_EXEMPT_PREFIX);
            expect_untouched(v6p, DW_CNT_EXEMPT_PORT);

            dw::RemarkConfig c = map_cfg({{46, 18}});
            publish(c);  // reuses a's slot: a's exemptions must be gone
            expect_remarked(from10, 18);
            expect_remarked(from11, 18);
            expect_remarked(v6p, 18);

            dw::RemarkConfig d = zero_cfg(DW_DIRS_EGRESS);
            publish(d);  // reuses b's slot
            if (remarks_here(DW_DIRS_EGRESS)) {
                expect_remarked(from11, 0);
                expect_remarked(v6p, 0);
            } else {
                expect_untouched(from11);
                expect_untouched(v6p);
            }
            for (int i = 0; i < 6; i++) {  // flip quickly between two policies
                publish(i % 2 ? a : c);
                if (i % 2)
                    expect_untouched(from10, DW_CNT_EXEMPT_PREFIX);
                else
                    expect_remarked(from10, 18);
            }
            EXPECT_EQ(cls_->maps().generation(), g0 + 10);
            expect_model_state();
        });
    });
}

TEST_F(RemarkTest, MalformedFramesAreLeftAlone) {
    each_hook([&] {
        section("MalformedFramesAreLeftAlone", [&] {
            // Only frames with a sound IP header are remarked; L4 problems do not prevent it.
            publish(zero_cfg());
            auto v4 = [] { return Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46); };
            auto v6 = [] { return Packet::ipv6("fd00::1", "fd00::2").dscp(46); };
            expect_untouched(v4().ihl(4).udp(1, 2));
            expect_untouched(v4().tot_len(100).udp(1, 2));
            expect_untouched(v4().version(6).udp(1, 2));
            expect_untouched(v6().payload_len(100).udp(1, 2));
            expect_untouched(v6().version(4).udp(1, 2));
            {
                Bytes cut = v4().vlan(4).udp(1, 2).build();
                cut.resize(18 + 19);
                const Outcome o = run_frame(*cls_, hook(), cut);
                EXPECT_EQ(o.res.data, cut);
                EXPECT_EQ(o.delta.counters[DW_CNT_REMARKED], 0u);
                EXPECT_TRUE(matches(o, st_.step(cut, hook(), 1, cfg_), cut));
            }
            expect_untouched(Packet::arp().vlan(1));
            // IP header sound, L4 not: remarked.
            expect_remarked(v4().tcp(1, 2).tcp_doff(3), 0);
            expect_remarked(v4().options({1, 1, 1, 1}).udp(1, 2).tot_len(24 + 4), 0);
            expect_remarked(v6().ext(Ext6::hop(3)).udp(1, 2).payload_len(16), 0);
            Packet deep = v6().vlan(9);
            for (int i = 0; i < 7; i++) deep.ext(Ext6::routing());
            expect_remarked(deep.udp(1, 2), 0);
            expect_remarked(v4().frag(100, true).proto(kProtoTcp).payload(16), 0);
            expect_remarked(v6().ext(Ext6::fragment(100, false)).proto(kProtoUdp).payload(16), 0);
            expect_model_state();
        });
    });
}

TEST_F(RemarkTest, AccountingUsesTheOriginalDscp) {
    each_hook([&] {
        section("AccountingUsesTheOriginalDscp", [&] {
            // Counters and flows see the DSCP the frame arrived with; dw_remarks sums per (from, to).
            publish(map_cfg({{46, 0}, {10, 0}}));
            uint64_t bytes46 = 0;
            for (size_t n = 0; n < 5; n++) {
                const Packet p = Packet::ipv4("10.0.0.1", "10.0.0.2").dscp(46).udp(1, 2).payload(n * 100);
                bytes46 += p.build().size();
                expect_remarked(p, 0);
            }
            expect_remarked(Packet::ipv4("10.0.0.2", "10.0.0.1").dscp(10).udp(2, 1), 0);
            const auto s = snapshot(cls_->maps());
            const uint8_t dir = model::direction(hook());
            EXPECT_EQ(s.remarks.at({1, dir, 46, 0}), (model::Cnt{5, bytes46}));
            EXPECT_EQ(s.ifc.at({1, dir, 46}).packets, 5u);
            EXPECT_EQ(s.ifc.count({1, dir, 0}), 0u);
            const auto fl = cls_->maps().flows();
            ASSERT_EQ(fl.size(), 1u);
            EXPECT_EQ(fl[0].flow.dir[0].seen_mask, 1ull << 46);
            EXPECT_EQ(fl[0].flow.dir[0].slot_tag[0], 47u);
            EXPECT_EQ(fl[0].flow.dir[1].last_dscp, 10);
            EXPECT_EQ(s.counters[DW_CNT_REMARKED], 6u);
            expect_model_state();
        });
    });
}
}  // namespace
}  // namespace dwt
