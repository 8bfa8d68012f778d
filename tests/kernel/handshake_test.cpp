// Handshake tracking (bpf/handshake.h) on crafted TCP/TLS segments: the record
// the kernel keeps, the events it emits, and the verdict userspace draws.
#include <gtest/gtest.h>

#include <cstring>

#include "diag/verdict.hpp"
#include "kernel.hpp"
#include "packet.hpp"

namespace {

using dw::Hook;
using dwt::Bytes;
using dwt::Packet;
namespace tcpf = dwt::tcpf;

constexpr uint32_t kCisn = 1000, kSisn = 5000;
constexpr uint16_t kCport = 40000;

// A TLS record header (+ handshake type) at the start of a payload of n bytes.
Bytes record(uint8_t type, uint8_t msg, size_t n) {
    Bytes b(n, 0xab);
    b[0] = type;
    b[1] = 3;
    b[2] = 3;
    b[3] = 0x40;  // length 16384: the record continues in later segments
    b[4] = 0x00;
    if (n > 5) b[5] = msg;
    return b;
}

class HandshakeTest : public dwt::KernelTest {
protected:
    dw::LoadOptions load_options() const override { return {.replay_clock = true}; }

    // One TCP segment; from_client picks the direction. sack: one SACK block.
    void send(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, Bytes payload = {},
              std::pair<uint32_t, uint32_t> sack = {0, 0}, uint8_t dscp = 0) {
        Bytes opts;
        if (sack.second) {
            opts = {1, 1, 5, 10};
            for (uint32_t v : {sack.first, sack.second})
                for (int i = 3; i >= 0; i--) opts.push_back(static_cast<uint8_t>(v >> (8 * i)));
        }
        auto p = from_client ? Packet::ipv4("198.18.1.2", "198.19.0.10").tcp(kCport, 443, flags, opts)
                             : Packet::ipv4("198.19.0.10", "198.18.1.2").tcp(443, kCport, flags, opts);
        p.dscp(dscp);
        if (!payload.empty()) p.payload(payload);
        Bytes f = p.build();
        const size_t l4 = p.layout().l4_off;
        for (int i = 0; i < 4; i++) {
            f[l4 + 4 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
            f[l4 + 8 + i] = static_cast<uint8_t>(ack >> (24 - 8 * i));
        }
        clock_ += 1'000'000;  // 1 ms per segment
        cls_->maps().set_clock(clock_);
        auto r = cls_->run(Hook::Xdp, f);
        ASSERT_EQ(r.retval, 2u);  // XDP_PASS
    }

    dw::HandshakeEntry only_record() {
        auto hs = cls_->maps().handshakes();
        EXPECT_EQ(hs.size(), 1u);
        return hs.empty() ? dw::HandshakeEntry{} : hs[0];
    }

    void opening(uint8_t server_dscp = 46) {
        send(true, tcpf::SYN, kCisn, 0);
        send(false, tcpf::SYN | tcpf::ACK, kSisn, kCisn + 1, {}, {}, server_dscp);
        send(true, tcpf::ACK, kCisn + 1, kSisn + 1);
        send(true, tcpf::ACK | tcpf::PSH, kCisn + 1, kSisn + 1, record(22, 1, 300));
    }

    uint64_t clock_ = 1'000'000'000;
};

TEST_F(HandshakeTest, PolicedServerHelloFlightStalls) {
    opening();
    const uint32_t s1 = kSisn + 1, mss = 1448;
    send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, mss), {}, 46);        // ServerHello...
    send(false, tcpf::ACK, s1 + mss, kCisn + 301, Bytes(mss, 0x5a), {}, 46);    // ...continued (mid-record)
    send(false, tcpf::ACK | tcpf::PSH, s1 + 2 * mss, kCisn + 301, Bytes(400, 0x5a), {}, 46);  // small tail
    // Only the small tail arrives: the client SACKs it, twice (a duplicate ACK).
    send(true, tcpf::ACK, kCisn + 301, s1, {}, {s1 + 2 * mss, s1 + 2 * mss + 400});
    send(true, tcpf::ACK, kCisn + 301, s1, {}, {s1 + 2 * mss, s1 + 2 * mss + 400});
    send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, mss), {}, 46);        // retransmission

    auto e = only_record();
    const auto& hs = e.hs;
    EXPECT_EQ(hs.reached, DW_ST_SERVER_HELLO);
    EXPECT_EQ(hs.side[DW_HS_CLIENT].stage, DW_ST_CLIENT_HELLO);
    EXPECT_EQ(hs.side[DW_HS_SERVER].stage, DW_ST_SERVER_HELLO);
    const auto& sh = hs.stage[DW_ST_SERVER_HELLO];
    EXPECT_EQ(sh.segs, 4);
    EXPECT_EQ(sh.retrans, 1);
    EXPECT_EQ(sh.max_len, 20 + 20 + mss);
    EXPECT_EQ(sh.max_acked_len, 20 + 20 + 400);  // the SACKed tail
    EXPECT_EQ(sh.dscp_mask, 1ULL << 46);
    EXPECT_EQ(sh.acked_dscp_mask, 1ULL << 46);
    EXPECT_EQ(sh.lost_dscp_mask, 1ULL << 46);
    EXPECT_EQ(sh.min_lost_len, 20 + 20 + mss);
    EXPECT_EQ(sh.dupacks, 2);  // both pure ACKs repeat the ACK number while data is outstanding
    EXPECT_EQ(sh.sacks, 2);
    EXPECT_EQ(hs.stage[DW_ST_CLIENT_HELLO].max_acked_len, 20 + 20 + 300);
    EXPECT_EQ(hs.stage[DW_ST_SYNACK].acked_dscp_mask, 1ULL << 46);
    EXPECT_EQ(std::string(hs.hist, hs.hist_len), "SsAHht");
    EXPECT_EQ(hs.side[DW_HS_SERVER].hs_msgs, 1u << 2);

    dw::VerdictOptions o;
    o.now_ns = clock_ + 5'000'000'000ull;
    auto v = dw::judge(e, nullptr, o);
    EXPECT_EQ(v.verdict_text(), "stalled at ServerHello flight");

    auto c = cls_->maps().counters();
    EXPECT_EQ(c[DW_CNT_HS_NEW], 1u);
    EXPECT_EQ(c[DW_CNT_EVENTS_DROPPED], 0u);
    auto ev = cls_->maps().drain_events();
    int hellos = 0;
    for (const auto& x : ev)
        if (x.hdr.type == DW_EV_HELLO) {
            hellos++;
            EXPECT_GE(x.snippet.size(), 6u);
            EXPECT_EQ(x.snippet[0], 22);
        }
    EXPECT_EQ(hellos, 2);  // ClientHello and ServerHello; a retransmission is no new hello
}

TEST_F(HandshakeTest, Tls13HandshakeCompletes) {
    opening(0);
    const uint32_t s1 = kSisn + 1;
    send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, 1200));                     // SH + encrypted flight
    send(true, tcpf::ACK, kCisn + 301, s1 + 1200);
    send(true, tcpf::ACK | tcpf::PSH, kCisn + 301, s1 + 1200, record(20, 1, 80));   // CCS + Finished
    send(false, tcpf::ACK | tcpf::PSH, s1 + 1200, kCisn + 381, record(23, 0, 500)); // tickets / response
    send(true, tcpf::ACK, kCisn + 381, s1 + 1700);
    auto e = only_record();
    EXPECT_EQ(e.hs.side[DW_HS_CLIENT].stage, DW_ST_CLIENT_FINISHED);
    EXPECT_EQ(e.hs.side[DW_HS_SERVER].stage, DW_ST_ESTABLISHED);
    EXPECT_EQ(std::string(e.hs.hist, e.hs.hist_len), "SsAHhGd");
    dw::VerdictOptions o;
    o.now_ns = clock_ + 1'000'000;
    EXPECT_EQ(dw::judge(e, nullptr, o).outcome, dw::Outcome::Completed);
}

// A side's flight retransmitted after the peer entered the shared ESTABLISHED
// stage (its ACK was lost) still belongs to that flight's stage.
TEST_F(HandshakeTest, FlightRetransmittedAfterPeerEstablishedStaysInItsStage) {
    opening(0);
    const uint32_t s1 = kSisn + 1;
    send(false, tcpf::ACK, s1, kCisn + 301, record(22, 2, 1200));                     // SH + encrypted flight
    send(true, tcpf::ACK | tcpf::PSH, kCisn + 301, s1 + 1200, record(20, 1, 80));   // CCS + Finished
    send(false, tcpf::ACK | tcpf::PSH, s1 + 1200, kCisn + 381, record(23, 0, 300)); // tickets: server established
    send(true, tcpf::ACK | tcpf::PSH, kCisn + 301, s1 + 1500, record(20, 1, 80));   // the Finished flight again
    auto e = only_record();
    EXPECT_EQ(e.hs.side[DW_HS_CLIENT].stage, DW_ST_CLIENT_FINISHED);
    EXPECT_EQ(e.hs.side[DW_HS_SERVER].stage, DW_ST_ESTABLISHED);
    EXPECT_EQ(e.hs.stage[DW_ST_CLIENT_FINISHED].segs, 2);
    EXPECT_EQ(e.hs.stage[DW_ST_CLIENT_FINISHED].retrans, 1);
    EXPECT_EQ(e.hs.stage[DW_ST_ESTABLISHED].segs, 1);
    EXPECT_EQ(e.hs.stage[DW_ST_ESTABLISHED].retrans, 0);
    EXPECT_EQ(std::string(e.hs.hist, e.hs.hist_len), "SsAHhGdT");
}

TEST_F(HandshakeTest, ServerResetAfterClientHello) {
    opening();
    send(false, tcpf::RST | tcpf::ACK, kSisn + 1, kCisn + 301);
    auto e = only_record();
    EXPECT_TRUE(e.hs.flags & DW_HSF_RESET);
    EXPECT_EQ(e.hs.end_side, DW_HS_SERVER);
    dw::VerdictOptions o;
    o.now_ns = clock_ + 1'000'000;
    EXPECT_EQ(dw::judge(e, nullptr, o).verdict_text(), "reset at ClientHello");
}

TEST_F(HandshakeTest, CleartextAlert) {
    opening();
    Bytes alert = {21, 3, 3, 0, 2, 2, 112};
    send(false, tcpf::ACK | tcpf::PSH, kSisn + 1, kCisn + 301, alert);
    auto e = only_record();
    EXPECT_TRUE(e.hs.flags & DW_HSF_ALERT);
    EXPECT_EQ(e.hs.side[DW_HS_SERVER].alert_desc, 112);
    dw::VerdictOptions o;
    o.now_ns = clock_ + 1'000'000;
    EXPECT_EQ(dw::judge(e, nullptr, o).verdict_text(), "alert unrecognized_name at ClientHello");
}

}  // namespace
