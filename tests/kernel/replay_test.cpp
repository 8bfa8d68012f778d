// Replay (user/replay) through the real classifier: a capture built in code
// gives exactly what running its frames directly with BPF_PROG_TEST_RUN at
// their timestamps gives; every link type gives the same flows; the capture's
// clock is the classifier's; cut, oversized and refused frames are handled
// and counted; a remark policy rewrites what the sink receives.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/reader.hpp"
#include "core/error.hpp"
#include "diag/collect.hpp"
#include "kernel.hpp"
#include "packet.hpp"
#include "pcapfile.hpp"
#include "replay/replay.hpp"
#include "replay/workers.hpp"

namespace {

using dw::Hook;
using dwt::Bytes;
using dwt::Packet;
namespace tcpf = dwt::tcpf;

constexpr uint64_t kT0 = 1'764'000'000'000'000'000ull;  // capture times: nanoseconds since the epoch
constexpr uint64_t kStep = 1'000'000;                    // 1 ms between frames
const char* const kClient = "198.18.1.2";
const char* const kServer = "198.19.0.10";

struct Frame {
    Bytes eth;
    bool from_client = false;
};

// A TCP segment with sequence and acknowledgement numbers.
Frame seg(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, Bytes payload = {}, uint8_t dscp = 0) {
    auto p = from_client ? Packet::ipv4(kClient, kServer).tcp(40000, 443, flags)
                         : Packet::ipv4(kServer, kClient).tcp(443, 40000, flags);
    p.dscp(dscp);
    if (!payload.empty()) p.payload(std::move(payload));
    Frame f{p.build(), from_client};
    const size_t l4 = p.layout().l4_off;
    for (int i = 0; i < 4; i++) {
        f.eth[l4 + 4 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
        f.eth[l4 + 8 + i] = static_cast<uint8_t>(ack >> (24 - 8 * i));
    }
    return f;
}

Bytes tls_record(uint8_t type, uint8_t msg, size_t n) {
    Bytes b(n, 0xab);
    b[0] = type;
    b[1] = b[2] = 3;
    b[3] = 0x40;  // the record continues in later segments
    b[4] = 0;
    b[5] = msg;
    return b;
}

// The incident in miniature: a handshake whose large EF ServerHello segments
// never arrive, plus UDP EF, IPv6, a VLAN-tagged frame and ARP.
std::vector<Frame> incident_traffic() {
    const uint32_t c = 1000, s = 5000, mss = 1448;
    std::vector<Frame> v{
        seg(true, tcpf::SYN, c, 0),
        seg(false, tcpf::SYN | tcpf::ACK, s, c + 1, {}, 46),
        seg(true, tcpf::ACK, c + 1, s + 1),
        seg(true, tcpf::ACK | tcpf::PSH, c + 1, s + 1, tls_record(22, 1, 300)),
        seg(false, tcpf::ACK, s + 1, c + 301, tls_record(22, 2, mss), 46),
        seg(false, tcpf::ACK, s + 1 + mss, c + 301, Bytes(mss, 0x5a), 46),
        seg(false, tcpf::ACK | tcpf::PSH, s + 1 + 2 * mss, c + 301, Bytes(400, 0x5a), 46),
        seg(true, tcpf::ACK, c + 301, s + 1),
        seg(false, tcpf::ACK, s + 1, c + 301, tls_record(22, 2, mss), 46),  // retransmission
    };
    v.push_back({Packet::ipv4(kClient, kServer).dscp(46).udp(20000, 20001).payload(160).build(), true});
    v.push_back({Packet::ipv4(kServer, kClient).dscp(46).udp(20001, 20000).payload(160).build(), false});
    v.push_back({Packet::ipv6("2001:db8:1::2", "2001:db8:2::10").dscp(34).udp(5000, 53).payload(40).build(), false});
    v.push_back({Packet::ipv4(kClient, kServer).vlan(7).tcp(40001, 80, tcpf::SYN).build(), true});
    v.push_back({Packet::arp().build(), false});
    return v;
}

std::vector<dwt::PcapRecord> records(const std::vector<Frame>& frames, Bytes (*wrap)(const Frame&) = nullptr) {
    std::vector<dwt::PcapRecord> out;
    uint64_t t = kT0;
    for (const auto& f : frames) out.push_back({t += kStep, wrap ? wrap(f) : f.eth});
    return out;
}

dw::DirectionPolicy client_net() {
    return {.mode = dw::DirectionMode::ClientNet, .client_nets = {dw::parse_prefix("198.18.0.0/16")}};
}

// Everything the classifier keeps, in a comparable order.
struct State {
    std::vector<dw::FlowEntry> flows;
    std::vector<dw::HandshakeEntry> hs;
    std::vector<dw::IfCounter> ifc;
    dw::Counters counters{};
};

template <typename T>
void sort_by_bytes(std::vector<T>& v) {
    std::sort(v.begin(), v.end(), [](const T& a, const T& b) { return std::memcmp(&a, &b, sizeof(T)) < 0; });
}

State state(const dw::MapSet& m) {
    State s{m.flows(), m.handshakes(), m.if_counters(), m.counters()};
    sort_by_bytes(s.flows);
    sort_by_bytes(s.hs);
    std::sort(s.ifc.begin(), s.ifc.end(), [](const auto& a, const auto& b) {
        return std::tie(a.ifindex, a.dir, a.slot) < std::tie(b.ifindex, b.dir, b.slot);
    });
    return s;
}

template <typename T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

void expect_same(const State& a, const State& b) {
    EXPECT_EQ(a.flows.size(), b.flows.size());
    EXPECT_TRUE(same_bytes(a.flows, b.flows)) << "flow records differ";
    EXPECT_EQ(a.hs.size(), b.hs.size());
    EXPECT_TRUE(same_bytes(a.hs, b.hs)) << "handshake records differ";
    ASSERT_EQ(a.ifc.size(), b.ifc.size());
    for (size_t i = 0; i < a.ifc.size(); ++i) {
        EXPECT_EQ(a.ifc[i].dir, b.ifc[i].dir);
        EXPECT_EQ(a.ifc[i].slot, b.ifc[i].slot);
        EXPECT_EQ(a.ifc[i].packets, b.ifc[i].packets);
        EXPECT_EQ(a.ifc[i].bytes, b.ifc[i].bytes);
    }
    EXPECT_EQ(a.counters, b.counters);
}

class ReplayTest : public dwt::KernelTest {
protected:
    // Replays a capture held in memory into cls_.
    dw::FileReport replay(const Bytes& file, dw::DirectionPolicy dir, const dw::FrameSink& sink = {}) {
        dw::Replayer rp(*cls_, {.direction = std::move(dir)});
        auto r = dw::CaptureReader::open_memory(file, "test.pcap");
        auto fr = rp.feed(*r, sink);
        rp.finish();
        last_clock_ = rp.report().clock_ns;
        return fr;
    }
    uint64_t last_clock_ = 0;
};

// Direct runs use the live hooks (XDP in, tc out). Replay gives the same with
// egress on the tc program and on the replay-only XDP egress entry point.
TEST_F(ReplayTest, EqualsDirectTestRunsAtTheCaptureTimes) {
    const auto frames = incident_traffic();
    auto direct = load({.replay_clock = true});
    uint64_t t = kT0;
    for (const auto& f : frames) {
        direct->maps().set_clock(t += kStep);
        direct->run(f.from_client ? Hook::TcEgress : Hook::Xdp, f.eth);
    }
    const State want = state(direct->maps());
    EXPECT_EQ(want.flows.size(), 4u);
    EXPECT_EQ(want.hs.size(), 2u);
    for (Hook egress : {Hook::TcEgress, Hook::XdpEgress}) {
        section(std::string("egress on ") + std::string(dw::to_string(egress)), [&] {
            auto dir = client_net();
            dir.egress_hook = egress;
            const auto fr = replay(dwt::pcap_file(dwt::kLinkEthernet, records(frames)), dir);
            EXPECT_EQ(fr.classified, frames.size());
            EXPECT_EQ(fr.egress, 6u);
            EXPECT_EQ(fr.ingress, frames.size() - 6);
            EXPECT_TRUE(fr.complete());
            expect_same(state(cls_->maps()), want);
        });
    }
}

// Two worker threads, each pinned to a CPU with its own clock slot, frames
// sharded by address pair: the same state as one thread.
TEST_F(ReplayTest, WorkerThreadsGiveWhatOneThreadGives) {
    auto frames = incident_traffic();
    for (int i = 0; i < 200; ++i) {
        const std::string c = "198.18.2." + std::to_string(i);
        const auto port = static_cast<uint16_t>(41000 + i);
        frames.push_back({Packet::ipv4(c, kServer).tcp(port, 443, tcpf::SYN).build(), true});
        frames.push_back({Packet::ipv4(kServer, c).dscp(46).tcp(443, port, tcpf::SYN | tcpf::ACK).build(), false});
        frames.push_back({Packet::ipv4(c, kServer).dscp(34).udp(port, 5004).payload(100 + i).build(), true});
        frames.push_back({Packet::ipv4(kServer, c).dscp(46).udp(5004, port).payload(200).build(), false});
    }
    const Bytes file = dwt::pcap_file(dwt::kLinkEthernet, records(frames));
    replay(file, client_net());
    const State one = state(cls_->maps());
    // Only the two entry points replay runs (what analyze loads).
    auto two = load({.replay_clock = true, .hooks = client_net().hooks()});
    dw::Replayer rp(*two, {.direction = client_net(), .threads = 2});
    const unsigned used = rp.threads();
    std::printf("replaying with %u thread(s)\n", used);
    EXPECT_EQ(used, std::min<size_t>(2, dw::usable_cpus(2).size()));
    auto r = dw::CaptureReader::open_memory(file, "test.pcap");
    const auto fr = rp.feed(*r);
    rp.finish();
    EXPECT_EQ(fr.classified, frames.size());
    EXPECT_EQ(fr.egress, 6u + 400u);
    EXPECT_TRUE(fr.complete());
    expect_same(state(two->maps()), one);
}

// A classifier loads only the entry points asked for; the others cannot be
// run, and the replay-only one needs the replay clock.
TEST_F(ReplayTest, LoadsOnlyTheEntryPointsAskedFor) {
    auto two = load({.replay_clock = true, .hooks = {Hook::Xdp, Hook::XdpEgress}});
    EXPECT_GE(two->prog_fd(Hook::Xdp), 0);
    EXPECT_GE(two->prog_fd(Hook::XdpEgress), 0);
    EXPECT_EQ(two->prog_fd(Hook::TcIngress), -1);
    EXPECT_EQ(two->prog_fd(Hook::TcEgress), -1);
    const Bytes f = Packet::ipv4(kClient, kServer).dscp(46).udp(5004, 5004).payload(100).build();
    EXPECT_EQ(two->run_into(Hook::TcIngress, f, {}, nullptr), -ENOENT);
    EXPECT_THROW(two->run(Hook::TcEgress, f), dw::Error);
    EXPECT_EQ(two->run(Hook::XdpEgress, f).retval, 2u);  // XDP_PASS
    EXPECT_EQ(two->maps().counters()[DW_CNT_FRAMES], 1u);
    EXPECT_THROW(load({.hooks = {Hook::XdpEgress}}), dw::Error);
}

// Linux cooked v1/v2 (direction from the packet type) and raw IP (direction
// from the client net) give what Ethernet gives.
TEST_F(ReplayTest, EveryLinkTypeGivesTheSameResult) {
    auto frames = incident_traffic();
    frames.erase(std::remove_if(frames.begin(), frames.end(), [](const Frame& f) { return f.eth[12] != 0x08 || f.eth[13] != 0; }),
                 frames.end());  // IPv4 without tags: what every link type can carry
    replay(dwt::pcap_file(dwt::kLinkEthernet, records(frames)), client_net());
    const State want = state(cls_->maps());
    struct Case {
        const char* name;
        uint32_t linktype;
        Bytes (*wrap)(const Frame&);
        dw::DirectionMode mode;
    } cases[] = {
        {"sll", dwt::kLinkSll, [](const Frame& f) { return dwt::to_sll(f.eth, f.from_client ? 4 : 0); }, dw::DirectionMode::Auto},
        {"sll2", dwt::kLinkSll2, [](const Frame& f) { return dwt::to_sll2(f.eth, f.from_client ? 4 : 0); }, dw::DirectionMode::Link},
        {"raw", dwt::kLinkRaw, [](const Frame& f) { return dwt::to_raw_ip(f.eth); }, dw::DirectionMode::ClientNet},
        {"ipv4", dwt::kLinkIpv4, [](const Frame& f) { return dwt::to_raw_ip(f.eth); }, dw::DirectionMode::ClientNet},
    };
    for (const auto& c : cases) {
        section(c.name, [&] {
            auto dir = client_net();
            dir.mode = c.mode;
            const auto fr = replay(dwt::pcap_file(c.linktype, records(frames, c.wrap)), dir);
            EXPECT_EQ(fr.classified, frames.size());
            expect_same(state(cls_->maps()), want);
        });
    }
}

TEST_F(ReplayTest, TheCaptureClockIsTheClassifiersClock) {
    auto recs = records(incident_traffic());
    std::swap(recs[7].ts_ns, recs[8].ts_ns);  // frame 9 is earlier than frame 8
    const auto fr = replay(dwt::pcap_file(dwt::kLinkEthernet, recs), client_net());
    EXPECT_EQ(fr.clock_back.count, 1u);
    EXPECT_EQ(fr.clock_back.first, 9u);
    EXPECT_EQ(fr.first_ts_ns, kT0 + kStep);
    EXPECT_EQ(last_clock_, recs.back().ts_ns);
    const auto flows = cls_->maps().flows();
    const auto tcp = std::find_if(flows.begin(), flows.end(), [](const auto& e) { return e.key.proto == 6 && e.key.port_a != 80 && e.key.port_b != 80; });
    ASSERT_NE(tcp, flows.end());
    EXPECT_EQ(tcp->flow.first_ns, kT0 + kStep);     // the SYN's capture time
    EXPECT_EQ(tcp->flow.last_ns, recs[7].ts_ns);    // the retransmission's, held at frame 8's time
}

// The verdict live mode gives on this traffic: stalled at the ServerHello
// flight, the EF segments that never arrived being the large ones.
TEST_F(ReplayTest, PolicedHandshakeGivesTheLiveVerdict) {
    replay(dwt::pcap_file(dwt::kLinkEthernet, records(incident_traffic())), client_net());
    dw::VerdictOptions o;
    o.now_ns = last_clock_ + 5'000'000'000ull;
    const auto d = dw::diagnose(cls_->maps(), o);
    auto v = std::find_if(d.flows.begin(), d.flows.end(), [](const auto& f) { return f.server_port == 443; });
    ASSERT_NE(v, d.flows.end());
    EXPECT_EQ(v->verdict_text(), "stalled at ServerHello flight");
    EXPECT_EQ(v->flight_dscp, 1ull << 46);
    EXPECT_EQ(v->history, "SsAHht");
}

// A snaplen of 64 keeps the headers: frames are zero-filled to their wire
// length, so byte counters are the wire's and nothing counts as malformed.
TEST_F(ReplayTest, SnaplenCutFramesCountTheirWireLength) {
    auto recs = records(incident_traffic());
    uint64_t wire_bytes = 0;
    for (auto& r : recs) {
        r.wire_len = static_cast<uint32_t>(r.data.size());
        wire_bytes += r.wire_len;
        if (r.data.size() > 64) r.data.resize(64);
    }
    const auto fr = replay(dwt::pcap_file(dwt::kLinkEthernet, recs, {.snaplen = 64}), client_net());
    EXPECT_EQ(fr.classified, recs.size());
    EXPECT_GT(fr.padded.count, 5u);
    EXPECT_EQ(fr.issues.count(dw::CaptureProblem::HeadersCut), 0u);
    uint64_t counted = 0;
    for (const auto& c : cls_->maps().if_counters()) {
        counted += c.bytes;
        EXPECT_NE(c.slot, DW_SLOT_MALFORMED);
    }
    EXPECT_EQ(counted, wire_bytes);
}

TEST_F(ReplayTest, OversizeAndRefusedFramesAreSkippedAndNamed) {
    auto frames = incident_traffic();
    frames.insert(frames.begin() + 2, {Packet::ipv4(kServer, kClient).udp(1, 2).payload(6000).build(), false});
    Bytes stub = Packet::ipv4(kClient, kServer).udp(1, 2).build();
    stub.resize(20);  // an IPv4 EtherType with 6 bytes behind it: tc's test run refuses it before Linux 6.x
    frames.insert(frames.begin() + 4, {stub, true});
    const auto fr = replay(dwt::pcap_file(dwt::kLinkEthernet, records(frames)), client_net());
    EXPECT_EQ(fr.oversize.count, 1u);
    EXPECT_EQ(fr.oversize.first, 3u);
    // Refused where the kernel refuses it; else the classifier counts it as malformed.
    EXPECT_EQ(fr.refused.count + fr.classified, frames.size() - 1);
    if (fr.refused.count) EXPECT_EQ(fr.refused.first, 5u);
    else EXPECT_EQ(cls_->maps().counters()[DW_CNT_MAL_L3_TRUNC], 1u);
    EXPECT_FALSE(fr.complete());
}

// remark zero: the frames the sink receives carry DSCP 0 with a valid IPv4
// header checksum; the others are unchanged.
TEST_F(ReplayTest, RemarkPolicyRewritesTheFramesTheSinkGets) {
    dw::RemarkConfig cfg;
    cfg.mode = dw::RemarkMode::Zero;
    cls_->maps().publish(cfg);
    const auto frames = incident_traffic();
    std::vector<Bytes> out;
    replay(dwt::pcap_file(dwt::kLinkEthernet, records(frames)), client_net(),
           [&](const dw::CaptureFrame&, std::span<const uint8_t> eth) { out.emplace_back(eth.begin(), eth.end()); });
    ASSERT_EQ(out.size(), frames.size());
    int rewritten = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
        SCOPED_TRACE("frame " + std::to_string(i + 1));
        ASSERT_EQ(out[i].size(), frames[i].eth.size());
        const auto src = dw::source_address(out[i]);
        if (src.family == 4) {
            const size_t l3 = out[i][12] == 0x81 ? 18 : 14;
            EXPECT_EQ(out[i][l3 + 1] >> 2, 0) << "DSCP after remark zero";
            EXPECT_TRUE(dwt::ipv4_header_ok(out[i], l3));
            rewritten += frames[i].eth[l3 + 1] != out[i][l3 + 1];
        } else if (src.family == 6) {
            EXPECT_EQ(((out[i][14] & 0x0f) << 2) | (out[i][15] >> 6), 0) << "traffic class DSCP";
        } else {
            EXPECT_EQ(out[i], frames[i].eth);
        }
    }
    EXPECT_EQ(rewritten, 7);  // the EF SYN-ACK, segments and datagrams
}

}  // namespace
