// `dscpwatch diff`'s matcher (user/compare) on tiny captures built in code:
// frames made with the test packet builder, decoded by the real decoder, as
// the two vantage points would have captured them.
#include <gtest/gtest.h>

#include <optional>

#include "compare/diff.hpp"
#include "compare/stages.hpp"
#include "core/error.hpp"
#include "packet.hpp"

namespace {

using dw::CaptureSegments;
using dw::Point;
using dwt::Bytes;
using dwt::Packet;
namespace tcpf = dwt::tcpf;

constexpr uint32_t kCisn = 1000, kSisn = 5000;
constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;
constexpr int64_t kOffset = 5'000'000'000;  // B's clock runs 5 s ahead of A's
constexpr uint64_t kDelay = 1'000'000;       // 1 ms from one point to the other

// A TLS record header (+ handshake type) at the start of a payload of n bytes.
Bytes record(uint8_t type, uint8_t msg, size_t n, uint8_t fill = 0xab) {
    Bytes b(n, fill);
    b[0] = type;
    b[1] = 3;
    b[2] = 3;
    b[3] = 0x40;
    b[4] = 0x00;
    if (n > 5) b[5] = msg;
    return b;
}

// How one transmission fares between the points.
struct Fate {
    bool lost = false;                   // never reaches the downstream point
    std::optional<uint8_t> remark;       // DSCP it arrives with downstream
    std::optional<uint16_t> ip_id;       // IPv4 id (default: counts up per sender)
    std::optional<size_t> snap;          // the downstream capture keeps only this many bytes

    Fate& lose() { lost = true; return *this; }
    Fate& to(uint8_t dscp) { remark = dscp; return *this; }
    Fate& id(uint16_t v) { ip_id = v; return *this; }
    Fate& cut(size_t n) { snap = n; return *this; }
};

CaptureSegments named(const char* name) {
    CaptureSegments c;
    c.name = name;
    return c;
}

// One TCP connection between a client behind B and a server behind A (the
// router between A and B lowers the TTL), captured at both points.
class Wire {
public:
    CaptureSegments a = named("A.pcap"), b = named("B.pcap");
    bool v6 = false;
    uint16_t vlan = 0;  // tag every frame at B with this VLAN
    bool same_ttl = false;

    void send(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, Bytes payload = {}, uint8_t dscp = 0,
              Fate fate = {}) {
        t_ += 10'000'000;  // 10 ms per segment
        const uint16_t id = fate.ip_id ? *fate.ip_id : (from_client ? cid_++ : sid_++);
        auto build = [&](uint8_t d, uint8_t ttl, bool tagged) {
            Packet p = v6 ? (from_client ? Packet::ipv6("2001:db8:18:1::2", "2001:db8:19::10")
                                         : Packet::ipv6("2001:db8:19::10", "2001:db8:18:1::2"))
                          : (from_client ? Packet::ipv4("198.18.1.2", "198.19.0.10")
                                         : Packet::ipv4("198.19.0.10", "198.18.1.2"));
            p.tcp(from_client ? 40000 : 443, from_client ? 443 : 40000, flags).tcp_seq(seq).tcp_ack(ack);
            p.dscp(d).ttl(ttl).ip_id(id).df();
            if (tagged && vlan) p.vlan(vlan);
            if (!payload.empty()) p.payload(payload);
            return p.build();
        };
        const uint8_t down_dscp = fate.remark ? *fate.remark : dscp;
        const uint8_t ttl_up = 63, ttl_down = same_ttl ? 63 : 62;
        if (from_client) {  // B, then A
            add(b, build(dscp, 64, true), t_ + kOffset, {});
            if (!fate.lost) add(a, build(down_dscp, same_ttl ? 64 : 63, false), t_ + kDelay, {});
        } else {  // A, then B
            add(a, build(dscp, ttl_up, false), t_, {});
            if (!fate.lost) add(b, build(down_dscp, ttl_down, true), t_ + kDelay + kOffset, fate.snap);
        }
    }
    // A segment only the downstream point of its direction sees (forged on the way).
    void forge(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, Bytes payload = {}) {
        t_ += 10'000'000;
        Packet p = from_client ? Packet::ipv4("198.18.1.2", "198.19.0.10") : Packet::ipv4("198.19.0.10", "198.18.1.2");
        p.tcp(from_client ? 40000 : 443, from_client ? 443 : 40000, flags).tcp_seq(seq).tcp_ack(ack).ttl(61);
        if (!payload.empty()) p.payload(payload);
        if (from_client)
            add(a, p.build(), t_, {});
        else
            add(b, p.build(), t_ + kOffset, {});
    }
    void opening(uint8_t server_dscp = 0) {
        send(true, tcpf::SYN, kCisn, 0);
        send(false, tcpf::SYN | tcpf::ACK, kSisn, kCisn + 1, {}, server_dscp);
        send(true, tcpf::ACK, kCisn + 1, kSisn + 1);
        send(true, tcpf::ACK | tcpf::PSH, kCisn + 1, kSisn + 1, record(22, 1, 300));
    }
    // Marks both captures' windows as their frames span (plus a margin).
    void close_captures(uint64_t margin = 100'000'000) {
        for (auto* c : {&a, &b}) {
            if (c->segs.empty()) continue;
            c->first_ns = c->segs.front().ts_ns - margin;
            c->last_ns = c->segs.back().ts_ns + margin;
        }
    }
    void advance(uint64_t ns) { t_ += ns; }

private:
    static void add(CaptureSegments& c, const Bytes& f, uint64_t ts, std::optional<size_t> snap) {
        Bytes cut = f;
        if (snap && *snap < cut.size()) cut.resize(*snap);
        c.frames++;
        auto d = dw::decode_ethernet(cut, ts, c.frames);
        ASSERT_EQ(d.kind, dw::FrameKind::Tcp);
        c.segs.push_back(d.seg);
    }
    uint64_t t_ = kT0;
    uint16_t cid_ = 100, sid_ = 7000;
};

const dw::FlowDiff& only_flow(const dw::DiffResult& r) {
    EXPECT_EQ(r.flows.size(), 1u);
    return r.flows.at(0);
}

// The incident: the router between A and B drops the server's large EF segments.
TEST(Diff, PolicedServerHelloFlight) {
    Wire w;
    w.opening(46);
    const uint32_t s1 = kSisn + 1, mss = 1448;
    const uint32_t c2 = kCisn + 301;
    w.send(false, tcpf::ACK, s1, c2, record(22, 2, mss), 46, Fate().lose());              // ServerHello..
    w.send(false, tcpf::ACK, s1 + mss, c2, Bytes(mss, 0x5a), 46, Fate().lose());          // ..continued
    w.send(false, tcpf::ACK | tcpf::PSH, s1 + 2 * mss, c2, Bytes(400, 0x5b), 46);          // small tail arrives
    w.send(true, tcpf::ACK, c2, s1);                                                       // dup ACK
    w.send(false, tcpf::ACK, s1, c2, record(22, 2, mss), 46, Fate().lose());              // retransmission, lost
    w.send(true, tcpf::ACK | tcpf::RST, c2, s1);                                           // the client gives up
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    const auto& f = only_flow(r);
    EXPECT_EQ(f.client_at, Point::B);
    EXPECT_EQ(f.orientation, "TTL");
    EXPECT_EQ(f.sni, "");
    EXPECT_EQ(f.s2c.upstream, Point::A);
    EXPECT_EQ(f.c2s.upstream, Point::B);
    EXPECT_EQ(f.s2c.sent, 5u);  // SYN-ACK, 3 data, 1 retransmission
    EXPECT_EQ(f.s2c.lost, 3u);
    EXPECT_EQ(f.s2c.lost_undelivered, 3u);
    EXPECT_EQ(f.s2c.undelivered_bytes, 3u * mss);
    EXPECT_EQ(f.s2c.appeared, 0u);
    EXPECT_EQ(f.c2s.lost, 0u);
    EXPECT_EQ(f.c2s.sent, 5u);  // SYN, ACK, ClientHello, dup ACK, RST
    const auto& sh = f.s2c.stages[DW_ST_SERVER_HELLO];
    EXPECT_EQ(sh.sent, 4u);
    EXPECT_EQ(sh.lost, 3u);
    EXPECT_EQ(sh.lost_dscp, 1ull << 46);
    EXPECT_EQ(sh.lost_min, 20 + 20 + mss);
    ASSERT_EQ(f.s2c.lost_segs.size(), 3u);
    EXPECT_EQ(f.s2c.lost_segs[0].seg.seq, s1);
    EXPECT_EQ(f.s2c.lost_segs[2].seg.frame, 9u);  // A's 9th frame: the retransmission
    EXPECT_EQ(r.by_dscp.at(46).sent, 5u);
    EXPECT_EQ(r.by_dscp.at(46).lost, 3u);
    EXPECT_EQ(r.by_dscp.at(0).lost, 0u);
    EXPECT_EQ(r.by_dscp.at(0).sent, 5u);
    const size_t big = dw::size_bucket(r.opt.size_edges, 1488);
    EXPECT_EQ(dw::size_bucket_names(r.opt.size_edges)[big], ">1400");
    EXPECT_EQ(r.by_dscp_size.at(46)[big].sent, 3u);
    EXPECT_EQ(r.by_dscp_size.at(46)[big].lost, 3u);
    EXPECT_EQ(r.by_dscp_size.at(46)[dw::size_bucket(r.opt.size_edges, 440)].lost, 0u);
    EXPECT_EQ(r.lost, 3u);
    EXPECT_TRUE(r.differs());
    ASSERT_TRUE(r.offset_ns && r.delay_ns);
    EXPECT_EQ(*r.offset_ns, kOffset);
    EXPECT_EQ(*r.delay_ns, static_cast<int64_t>(kDelay));
}

// A retransmission that arrived: the lost transmission counts, the data was delivered.
TEST(Diff, RetransmissionDeliveredLater) {
    Wire w;
    w.opening();
    const uint32_t s1 = kSisn + 1;
    w.send(false, tcpf::ACK | tcpf::PSH, s1, kCisn + 301, record(22, 2, 900), 0, Fate().lose());
    w.send(false, tcpf::ACK | tcpf::PSH, s1, kCisn + 301, record(22, 2, 900), 0);  // same bytes, new IP id
    w.send(true, tcpf::ACK, kCisn + 301, s1 + 900);
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    const auto& d = only_flow(r).s2c;
    EXPECT_EQ(d.lost, 1u);
    EXPECT_EQ(d.lost_undelivered, 0u);
    ASSERT_EQ(d.lost_segs.size(), 1u);
    EXPECT_TRUE(d.lost_segs[0].delivered_later);
    EXPECT_EQ(d.lost_segs[0].seg.frame, 5u);  // the first transmission, not the second
    EXPECT_EQ(d.matched, 2u);
}

// Two transmissions that differ in nothing the wire shows: matched by their crossing time.
TEST(Diff, IdenticalRetransmissionsPairedByCrossingTime) {
    Wire w;
    w.opening();
    const uint32_t s1 = kSisn + 1;
    w.send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, 900), 0, Fate().lose().id(9));
    w.advance(200'000'000);
    w.send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, 900), 0, Fate().id(9));
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    const auto& d = only_flow(r).s2c;
    ASSERT_EQ(d.lost_segs.size(), 1u);
    EXPECT_EQ(d.lost_segs[0].seg.frame, 5u);  // the first: the second crossed in the usual 1 ms
}

// A RST and a TLS alert that a middlebox between A and B forged towards the client.
TEST(Diff, ForgedSegmentsAppearDownstream) {
    Wire w;
    w.opening();
    w.forge(false, tcpf::RST | tcpf::ACK, kSisn + 1, kCisn + 301);
    w.forge(false, tcpf::ACK | tcpf::PSH, kSisn + 1, kCisn + 301, {21, 3, 3, 0, 2, 2, 40});
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    const auto& d = only_flow(r).s2c;
    EXPECT_EQ(d.appeared, 2u);
    EXPECT_EQ(d.lost, 0u);
    ASSERT_EQ(d.appeared_segs.size(), 2u);
    EXPECT_EQ(dw::tcp_flags_text(d.appeared_segs[0].flags), "RST-ACK");
    EXPECT_TRUE(d.appeared_segs[1].record);
    EXPECT_EQ(d.appeared_segs[1].record_type, 21);
    EXPECT_EQ(d.appeared_segs[1].alert_desc, 40);  // handshake_failure
    EXPECT_EQ(d.appeared_segs[0].stage, DW_ST_CLIENT_HELLO);  // the furthest stage reached
    EXPECT_EQ(r.appeared, 2u);
    EXPECT_EQ(only_flow(r).c2s.appeared, 0u);
}

// A forged copy of a real sequence range with other bytes: the original is lost, the forgery appeared.
TEST(Diff, SameSequenceOtherBytesIsNotAMatch) {
    Wire w;
    w.opening();
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 7, 0x11), 0, Fate().lose());
    w.forge(false, tcpf::ACK, kSisn + 1, kCisn + 301, {21, 3, 3, 0, 2, 2, 40});
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    EXPECT_EQ(only_flow(r).s2c.lost, 1u);
    EXPECT_EQ(only_flow(r).s2c.appeared, 1u);
}

TEST(Diff, RemarkedOnThePath) {
    Wire w;
    w.opening(46);
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 500), 46, Fate().to(10));
    w.send(false, tcpf::ACK, kSisn + 501, kCisn + 301, Bytes(500, 1), 46, Fate().to(10));
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    const auto& d = only_flow(r).s2c;
    ASSERT_EQ(d.remarks.size(), 1u);
    EXPECT_EQ(d.remarks[0].from, 46);
    EXPECT_EQ(d.remarks[0].to, 10);
    EXPECT_EQ(d.remarks[0].count, 2u);
    EXPECT_EQ(r.remarked, 2u);
    EXPECT_EQ((r.remarks.at({46, 10})), 2u);
    EXPECT_EQ(r.lost, 0u);
    EXPECT_TRUE(r.differs());
}

TEST(Diff, NothingLostNothingDiffers) {
    Wire w;
    w.opening();
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 1400));
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    EXPECT_FALSE(r.differs());
    EXPECT_EQ(r.matched, r.sent);
    EXPECT_EQ(r.sent, 5u);
}

// B started late: what crossed before it ran is outside its window, not lost.
TEST(Diff, CaptureWindowsDiffer) {
    Wire w;
    w.opening();
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 1400));
    w.send(true, tcpf::ACK, kCisn + 301, kSisn + 1401);
    w.close_captures(0);
    // B's capture began after the SYN-ACK had crossed: drop B's first two frames.
    w.b.segs.erase(w.b.segs.begin(), w.b.segs.begin() + 2);
    w.b.first_ns = w.b.segs.front().ts_ns;
    auto r = dw::diff_captures(w.a, w.b);
    const auto& f = only_flow(r);
    EXPECT_TRUE(f.partly_outside);
    EXPECT_EQ(f.s2c.lost, 0u);
    EXPECT_EQ(f.c2s.appeared, 0u);
    EXPECT_EQ(r.outside, 2u);  // the SYN at A (the client's, before B ran) and the SYN-ACK at A
}

// The last packets of a stalled handshake are lost: a pcap does not say when
// B stopped, so what A sent up to end_slack after B's last frame still counts.
TEST(Diff, TailLossWithinEndSlack) {
    Wire w;
    w.opening(46);
    w.advance(400'000'000);
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 1448), 46, Fate().lose());
    w.close_captures(0);
    auto r = dw::diff_captures(w.a, w.b);
    EXPECT_EQ(only_flow(r).s2c.lost, 1u);
    EXPECT_EQ(r.outside, 0u);
    w.advance(2'000'000'000);  // B stopped long before this one
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 1448), 46, Fate().lose());
    w.close_captures(0);
    r = dw::diff_captures(w.a, w.b);
    EXPECT_EQ(only_flow(r).s2c.lost, 1u);
    EXPECT_EQ(r.outside, 1u);
    EXPECT_TRUE(only_flow(r).partly_outside);
}

// IPv6 with a VLAN tag at B, and B's capture cut at a 96-byte snaplen.
TEST(Diff, Ipv6VlanSnaplen) {
    Wire w;
    w.v6 = true;
    w.vlan = 42;
    w.opening(46);
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 1200), 46, Fate().cut(96));
    w.send(false, tcpf::ACK, kSisn + 1201, kCisn + 301, Bytes(1200, 2), 46, Fate().lose());
    w.close_captures();
    ASSERT_TRUE(w.b.segs.back().truncated());
    EXPECT_EQ(w.b.segs.back().payload_len, 1200u);
    EXPECT_EQ(w.b.segs.back().ip_len, 40 + 20 + 1200);
    auto r = dw::diff_captures(w.a, w.b);
    const auto& f = only_flow(r);
    EXPECT_EQ(dw::to_string(f.server), "[2001:db8:19::10]:443");
    EXPECT_EQ(f.s2c.lost, 1u);
    EXPECT_EQ(f.s2c.matched, 2u);
}

// Equal TTLs (no router between the points): the direction that takes longer from A to B runs A -> B.
TEST(Diff, OrientationByTiming) {
    Wire w;
    w.same_ttl = true;
    w.opening();
    w.send(false, tcpf::ACK, kSisn + 1, kCisn + 301, record(22, 2, 100));
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    EXPECT_EQ(only_flow(r).orientation, "timing");
    EXPECT_EQ(only_flow(r).client_at, Point::B);
}

TEST(Diff, BadInputs) {
    Wire w;
    w.opening();
    w.close_captures();
    EXPECT_THROW(dw::diff_captures(w.a, w.a), dw::Error);
    CaptureSegments copy = w.a;
    copy.name = "copy.pcap";
    try {
        dw::diff_captures(w.a, copy);
        FAIL() << "the same capture twice was accepted";
    } catch (const dw::Error& e) {
        EXPECT_NE(std::string(e.what()).find("one capture given twice"), std::string::npos) << e.what();
    }
    Wire other;
    other.opening();
    // Another client port: no flow in common.
    for (auto& s : other.b.segs) (s.src.port == 40000 ? s.src : s.dst).port = 40001;
    other.close_captures();
    try {
        dw::diff_captures(w.a, other.b);
        FAIL() << "captures without a common flow were accepted";
    } catch (const dw::Error& e) {
        EXPECT_NE(std::string(e.what()).find("no TCP flow is in both captures"), std::string::npos) << e.what();
    }
    CaptureSegments empty = named("empty.pcap");
    EXPECT_THROW(dw::diff_captures(w.a, empty), dw::Error);
}

// Stages of a TLS 1.2 handshake, a retransmission included, in one capture.
TEST(Stages, Tls12FlightsAndRetransmission) {
    Wire w;
    w.opening();
    const uint32_t s1 = kSisn + 1, c2 = kCisn + 301;
    w.send(false, tcpf::ACK, s1, c2, record(22, 2, 1000));           // ServerHello flight
    w.send(false, tcpf::ACK, s1 + 1000, c2, Bytes(500, 3));          // continuation
    w.send(true, tcpf::ACK | tcpf::PSH, c2, s1 + 1500, record(22, 16, 100));  // ClientKeyExchange..
    w.send(false, tcpf::ACK, s1, c2, record(22, 2, 1000));           // late retransmission: still ServerHello
    w.send(false, tcpf::ACK, s1 + 1500, c2 + 100, record(20, 1, 6)); // ChangeCipherSpec: server Finished
    w.send(true, tcpf::ACK | tcpf::PSH, c2 + 100, s1 + 1506, record(23, 0, 50));  // application data
    auto& segs = w.b.segs;
    dw::assign_stages(segs);
    const uint8_t want[] = {DW_ST_SYN, DW_ST_SYNACK, DW_ST_ACK, DW_ST_CLIENT_HELLO, DW_ST_SERVER_HELLO,
                            DW_ST_SERVER_HELLO, DW_ST_CLIENT_FINISHED, DW_ST_SERVER_HELLO,
                            DW_ST_SERVER_FINISHED, DW_ST_ESTABLISHED};
    ASSERT_EQ(segs.size(), std::size(want));
    for (size_t i = 0; i < segs.size(); i++) EXPECT_EQ(segs[i].stage, want[i]) << "segment " << i + 1;
}

TEST(Stages, SniFromTheClientHello) {
    // A minimal ClientHello with server_name "chat.example.test".
    const std::string host = "chat.example.test";
    Bytes sni_ext = {0, 0};  // type server_name
    const uint16_t list_len = static_cast<uint16_t>(3 + host.size());
    const uint16_t ext_len = static_cast<uint16_t>(2 + list_len);
    sni_ext.insert(sni_ext.end(), {uint8_t(ext_len >> 8), uint8_t(ext_len), uint8_t(list_len >> 8), uint8_t(list_len), 0,
                                   0, uint8_t(host.size())});
    sni_ext.insert(sni_ext.end(), host.begin(), host.end());
    Bytes body = {3, 3};
    body.insert(body.end(), 32, 7);               // random
    body.insert(body.end(), {0, 0, 2, 0x13, 1, 1, 0});  // session id, one suite, null compression
    body.push_back(uint8_t(sni_ext.size() >> 8));
    body.push_back(uint8_t(sni_ext.size()));
    body.insert(body.end(), sni_ext.begin(), sni_ext.end());
    Bytes hs = {1, 0, uint8_t(body.size() >> 8), uint8_t(body.size())};
    hs.insert(hs.end(), body.begin(), body.end());
    Bytes rec = {22, 3, 1, uint8_t(hs.size() >> 8), uint8_t(hs.size())};
    rec.insert(rec.end(), hs.begin(), hs.end());
    Wire w;
    w.send(true, tcpf::SYN, kCisn, 0);
    w.send(false, tcpf::SYN | tcpf::ACK, kSisn, kCisn + 1);
    w.send(true, tcpf::ACK | tcpf::PSH, kCisn + 1, kSisn + 1, rec);
    w.close_captures();
    auto r = dw::diff_captures(w.a, w.b);
    EXPECT_EQ(only_flow(r).sni, host);
    EXPECT_EQ(w.b.segs.back().stage, DW_ST_CLIENT_HELLO);
}

TEST(Diff, SizeBuckets) {
    const std::vector<uint16_t> e = {128, 576, 700, 1000, 1400};
    EXPECT_EQ(dw::size_bucket_names(e),
              (std::vector<std::string>{"<=128", "129-576", "577-700", "701-1000", "1001-1400", ">1400"}));
    EXPECT_EQ(dw::size_bucket(e, 40), 0u);
    EXPECT_EQ(dw::size_bucket(e, 128), 0u);
    EXPECT_EQ(dw::size_bucket(e, 129), 1u);
    EXPECT_EQ(dw::size_bucket(e, 700), 2u);
    EXPECT_EQ(dw::size_bucket(e, 701), 3u);
    EXPECT_EQ(dw::size_bucket(e, 1500), 5u);
}

}  // namespace
