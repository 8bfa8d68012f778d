// IPFIX encoding (RFC 7011), read back with an independent decoder written
// from the RFC: message header, template set, data sets, sequence numbers.
// And the flow-table side: deltas per direction and DSCP, timeouts, remarks.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "export/flow_export.hpp"
#include "export/ipfix.hpp"

namespace dw {
namespace {

uint64_t be(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

struct Decoded {
    uint32_t export_time = 0, seq = 0, domain = 0;
    std::map<uint16_t, std::vector<std::pair<uint16_t, uint16_t>>> templates;
    std::vector<std::map<uint16_t, uint64_t>> records;  // IE -> value (addresses: first 8 bytes)
    std::vector<uint16_t> record_templates;
};

// Decodes one message, using templates from earlier messages too.
void decode(const std::vector<uint8_t>& m, Decoded& d) {
    ASSERT_GE(m.size(), 16u);
    ASSERT_EQ(be(&m[0], 2), 10u);
    ASSERT_EQ(be(&m[2], 2), m.size());
    d.export_time = static_cast<uint32_t>(be(&m[4], 4));
    d.seq = static_cast<uint32_t>(be(&m[8], 4));
    d.domain = static_cast<uint32_t>(be(&m[12], 4));
    size_t off = 16;
    while (off < m.size()) {
        ASSERT_LE(off + 4, m.size());
        const uint16_t sid = static_cast<uint16_t>(be(&m[off], 2)), slen = static_cast<uint16_t>(be(&m[off + 2], 2));
        ASSERT_GE(slen, 4);
        ASSERT_LE(off + slen, m.size());
        size_t p = off + 4;
        if (sid == 2) {
            while (p + 4 <= off + slen) {
                const uint16_t tid = static_cast<uint16_t>(be(&m[p], 2)), n = static_cast<uint16_t>(be(&m[p + 2], 2));
                p += 4;
                auto& f = d.templates[tid];
                f.clear();
                for (uint16_t i = 0; i < n; i++, p += 4)
                    f.emplace_back(static_cast<uint16_t>(be(&m[p], 2)), static_cast<uint16_t>(be(&m[p + 2], 2)));
            }
        } else {
            ASSERT_TRUE(d.templates.count(sid)) << "data set " << sid << " before its template";
            const auto& f = d.templates[sid];
            size_t rlen = 0;
            for (auto& x : f) rlen += x.second;
            while (p + rlen <= off + slen) {
                std::map<uint16_t, uint64_t> r;
                for (auto& [ie, len] : f) {
                    r[ie] = be(&m[p], std::min<size_t>(len, 8));
                    p += len;
                }
                d.records.push_back(r);
                d.record_templates.push_back(sid);
            }
        }
        off += slen;
    }
}

IpfixRecord v4(const char* src, const char* dst, uint8_t dscp) {
    IpfixRecord r;
    inet_pton(AF_INET, src, r.src);
    inet_pton(AF_INET, dst, r.dst);
    r.src_port = 443;
    r.dst_port = 40000;
    r.proto = 6;
    r.dscp = dscp;
    r.packets = 10;
    r.bytes = 12000;
    r.start_ms = 1795430400000;
    r.end_ms = 1795430401500;
    return r;
}

TEST(Ipfix, TemplatesThenRecordsReadBack) {
    IpfixEncoder enc(77);
    auto a = v4("198.19.0.10", "198.18.1.2", 46);
    auto b = a;
    b.post_dscp = 0;
    IpfixRecord c;
    c.family = 6;
    inet_pton(AF_INET6, "2001:db8:19::10", c.src);
    inet_pton(AF_INET6, "2001:db8:18:1::2", c.dst);
    c.proto = 17;
    c.dscp = 34;
    c.packets = 1;
    c.bytes = 100;
    auto msgs = enc.encode({a, b, c}, true, 1795430402);
    ASSERT_EQ(msgs.size(), 1u);
    Decoded d;
    decode(msgs[0], d);
    EXPECT_EQ(d.domain, 77u);
    EXPECT_EQ(d.seq, 0u);
    EXPECT_EQ(d.export_time, 1795430402u);
    ASSERT_EQ(d.templates.size(), 4u);
    EXPECT_EQ(d.templates[kTemplateV4].size(), 11u);
    EXPECT_EQ(d.templates[kTemplateV4Post].back(), (std::pair<uint16_t, uint16_t>{55, 1}));
    EXPECT_EQ(d.templates[kTemplateV6][0], (std::pair<uint16_t, uint16_t>{27, 16}));
    ASSERT_EQ(d.records.size(), 3u);
    EXPECT_EQ(d.record_templates, (std::vector<uint16_t>{kTemplateV4, kTemplateV4Post, kTemplateV6}));
    auto& r = d.records[0];
    EXPECT_EQ(r[8], 0xC613000Au);  // 198.19.0.10
    EXPECT_EQ(r[12], 0xC6120102u);
    EXPECT_EQ(r[7], 443u);
    EXPECT_EQ(r[11], 40000u);
    EXPECT_EQ(r[4], 6u);
    EXPECT_EQ(r[195], 46u);
    EXPECT_EQ(r[5], 46u << 2);
    EXPECT_EQ(r[2], 10u);
    EXPECT_EQ(r[1], 12000u);
    EXPECT_EQ(r[152], 1795430400000u);
    EXPECT_EQ(r[153], 1795430401500u);
    EXPECT_EQ(r.count(98), 0u);
    EXPECT_EQ(d.records[1][98], 0u);
    EXPECT_EQ(d.records[1][55], 0u);
    EXPECT_EQ(d.records[1][195], 46u);
    EXPECT_EQ(d.records[2][195], 34u);
    EXPECT_EQ(d.records[2][27], 0x20010db800190000u);  // first 8 bytes of the address
    // Sequence numbers count data records sent before the message.
    auto more = enc.encode({a}, false, 1795430403);
    Decoded d2 = d;
    decode(more[0], d2);
    EXPECT_EQ(d2.seq, 3u);
    EXPECT_EQ(enc.sequence(), 4u);
}

TEST(Ipfix, SplitsIntoMessagesUnderTheLimit) {
    IpfixEncoder enc(1, 512);
    std::vector<IpfixRecord> recs(100, v4("198.19.0.10", "198.18.1.2", 0));
    auto msgs = enc.encode(recs, true, 1);
    ASSERT_GT(msgs.size(), 1u);
    Decoded d;
    uint32_t expect_seq = 0;
    for (const auto& m : msgs) {
        EXPECT_LE(m.size(), 512u);
        size_t before = d.records.size();
        decode(m, d);
        EXPECT_EQ(d.seq, expect_seq);
        expect_seq += static_cast<uint32_t>(d.records.size() - before);
    }
    EXPECT_EQ(d.records.size(), 100u);
}

TEST(Ipfix, BadCollectorAddressIsAClearError) {
    EXPECT_THROW(IpfixSender("127.0.0.1"), std::exception);
    EXPECT_THROW(IpfixSender("no.such.host.invalid:4739"), std::exception);
}

FlowEntry tcp_flow(uint64_t first, uint64_t last) {
    FlowEntry f;
    f.key.family = 4;
    f.key.proto = 6;
    inet_pton(AF_INET, "198.18.1.2", f.key.addr_a);
    inet_pton(AF_INET, "198.19.0.10", f.key.addr_b);
    f.key.port_a = 40000;
    f.key.port_b = 443;
    f.flow.first_ns = first;
    f.flow.last_ns = last;
    auto& ab = f.flow.dir[0];  // client -> server: all CS0
    ab.packets = ab.slot_packets[0] = 5;
    ab.bytes = ab.slot_bytes[0] = 400;
    ab.slot_tag[0] = 1;
    ab.seen_mask = 1;
    auto& ba = f.flow.dir[1];  // server -> client: EF then AF41
    ba.slot_tag[0] = 47;
    ba.slot_packets[0] = 6;
    ba.slot_bytes[0] = 7000;
    ba.slot_tag[1] = 35;
    ba.slot_packets[1] = 1;
    ba.slot_bytes[1] = 60;
    ba.packets = 7;
    ba.bytes = 7060;
    ba.seen_mask = (1ull << 46) | (1ull << 34);
    return f;
}

constexpr uint64_t S = 1'000'000'000;

TEST(FlowExport, DeltasPerDirectionAndDscpOnTimeouts) {
    FlowExporter ex({10 * S, 2 * S});
    RemarkConfig off;
    auto f = tcp_flow(100 * S, 101 * S);
    // Fresh and active: nothing due yet.
    EXPECT_TRUE(ex.collect({f}, off, 101 * S, 5000 * S, false).empty());
    // Idle for 2 s: the flow ended; one record per direction and DSCP.
    auto r = ex.collect({f}, off, 103 * S, 5002 * S, false);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].dscp, 0);
    EXPECT_EQ(r[0].packets, 5u);
    EXPECT_EQ(r[0].src_port, 40000);
    EXPECT_EQ(r[1].dscp, 46);
    EXPECT_EQ(r[1].packets, 6u);
    EXPECT_EQ(r[1].bytes, 7000u);
    EXPECT_EQ(r[1].src_port, 443);
    EXPECT_EQ(r[2].dscp, 34);
    EXPECT_EQ(r[1].start_ms, 4999000u);  // 100 s monotonic = 3 s before wall 5002 s
    EXPECT_EQ(r[1].end_ms, 5000000u);
    EXPECT_FALSE(r[1].post_dscp);
    // Nothing new: nothing again.
    EXPECT_TRUE(ex.collect({f}, off, 104 * S, 5003 * S, false).empty());
    // Three more EF packets and a flush: only the delta.
    f.flow.dir[1].slot_packets[0] += 3;
    f.flow.dir[1].slot_bytes[0] += 300;
    f.flow.last_ns = 104 * S;
    auto r2 = ex.collect({f}, off, 104 * S, 5003 * S, true);
    ASSERT_EQ(r2.size(), 1u);
    EXPECT_EQ(r2[0].packets, 3u);
    EXPECT_EQ(r2[0].bytes, 300u);
    // The flow left the table: forgotten.
    EXPECT_TRUE(ex.collect({}, off, 105 * S, 5004 * S, true).empty());
    EXPECT_EQ(ex.remembered(), 0u);
}

TEST(FlowExport, ActiveTimeoutAndPostDscpWhenRemarked) {
    FlowExporter ex({10 * S, 60 * S});
    RemarkConfig zero;
    zero.mode = RemarkMode::Zero;
    auto f = tcp_flow(100 * S, 100 * S);
    EXPECT_TRUE(ex.collect({f}, zero, 100 * S, 5000 * S, false).empty());
    f.flow.last_ns = 111 * S;
    auto r = ex.collect({f}, zero, 111 * S, 5011 * S, false);  // active timeout passed, still busy
    ASSERT_EQ(r.size(), 3u);
    EXPECT_FALSE(r[0].post_dscp);  // 0 stays 0: not remarked
    ASSERT_TRUE(r[1].post_dscp);
    EXPECT_EQ(*r[1].post_dscp, 0);
    // An exempt port keeps its marking, so no post value.
    zero.exempt_ports.push_back({6, 443, 443});
    FlowExporter ex2({10 * S, 60 * S});
    ex2.collect({f}, zero, 100 * S, 5000 * S, false);
    auto r2 = ex2.collect({f}, zero, 111 * S, 5011 * S, false);
    ASSERT_EQ(r2.size(), 3u);
    EXPECT_FALSE(r2[1].post_dscp);
}

}  // namespace
}  // namespace dw
