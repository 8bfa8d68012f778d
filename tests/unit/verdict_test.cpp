// The verdict logic (user/diag) on handshake records built by hand: what the
// kernel would have recorded for each lab case, checked against the verdict a
// network engineer expects.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

#include "diag/verdict.hpp"

namespace dw {
namespace {

constexpr uint64_t kSec = 1'000'000'000ull;

struct Builder {
    HandshakeEntry e{};
    uint64_t now = 100 * kSec;

    explicit Builder(uint16_t client_port = 40000, const char* server = "198.19.0.10") {
        e.key.family = 4;
        e.key.proto = 6;
        inet_pton(AF_INET, "198.18.1.2", e.key.addr_a);
        inet_pton(AF_INET, server, e.key.addr_b);
        e.key.port_a = client_port;
        e.key.port_b = 443;
        e.hs.client = DW_SIDE_A;
        e.hs.start_ns = now - 5 * kSec;
        e.hs.last_ns = now - 2 * kSec;
    }
    Builder& stage(uint8_t side, uint8_t st) {
        e.hs.side[side].stage = st;
        if (st > e.hs.reached) e.hs.reached = st;
        return *this;
    }
    // A segment of a stage: its size, DSCP, whether it arrived, retransmitted how often.
    Builder& seg(uint8_t side, uint8_t st, uint16_t len, uint8_t dscp, bool acked, int retrans = 0) {
        auto& sd = e.hs.side[side];
        auto& g = sd.segs[sd.seg_head++ % DW_HS_SEGS];
        g.end = 100u * sd.seg_head;
        g.len = len;
        g.dscp = dscp;
        g.stage = st | (acked ? DW_HS_SEG_ACKED : 0);
        auto& s = e.hs.stage[st];
        s.segs += 1 + retrans;
        s.dscp_mask |= 1ULL << dscp;
        s.max_len = std::max(s.max_len, len);
        if (acked) {
            s.max_acked_len = std::max(s.max_acked_len, len);
            s.acked_dscp_mask |= 1ULL << dscp;
        }
        if (retrans) {
            s.retrans += retrans;
            s.lost_dscp_mask |= 1ULL << dscp;
        }
        return *this;
    }
    Builder& hist(const char* h) {
        e.hs.hist_len = static_cast<uint8_t>(std::strlen(h));
        std::memcpy(e.hs.hist, h, e.hs.hist_len);
        return *this;
    }
    // The common start: SYN, SYN-ACK (server's mark), ACK, ClientHello acked.
    Builder& opening(uint8_t server_dscp) {
        seg(DW_HS_CLIENT, DW_ST_SYN, 60, 0, true);
        seg(DW_HS_SERVER, DW_ST_SYNACK, 60, server_dscp, true);
        e.hs.stage[DW_ST_ACK].segs = 1;
        seg(DW_HS_CLIENT, DW_ST_CLIENT_HELLO, 569, 0, true);
        stage(DW_HS_CLIENT, DW_ST_CLIENT_HELLO);
        return *this;
    }
    // The incident: the server's big EF segments never arrive.
    Builder& policed(uint8_t dscp = 46) {
        opening(dscp);
        stage(DW_HS_SERVER, DW_ST_SERVER_HELLO);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1500, dscp, false, 4);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1500, dscp, false);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1252, dscp, false);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 492, dscp, true);
        return hist("SsAHhtF");
    }
    Builder& completed(uint8_t dscp) {
        opening(dscp);
        stage(DW_HS_SERVER, DW_ST_ESTABLISHED);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1500, dscp, true);
        seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1500, dscp, true);
        stage(DW_HS_CLIENT, DW_ST_CLIENT_FINISHED);
        seg(DW_HS_CLIENT, DW_ST_CLIENT_FINISHED, 200, 0, true);
        seg(DW_HS_SERVER, DW_ST_ESTABLISHED, 700, dscp, true);
        return hist("SsAHhGEd");
    }
    FlowVerdict judge() const {
        VerdictOptions o;
        o.now_ns = now;
        return dw::judge(e, nullptr, o);
    }
};

TEST(Verdict, PolicedHandshakeStallsAtServerHello) {
    auto v = Builder().policed().judge();
    EXPECT_EQ(v.outcome, Outcome::Stalled);
    EXPECT_EQ(v.stage, DW_ST_SERVER_HELLO);
    EXPECT_EQ(v.verdict_text(), "stalled at ServerHello flight");
    EXPECT_EQ(v.history, "SsAHhtF");
    EXPECT_EQ(v.client_port, 40000);
    EXPECT_EQ(v.server, "198.19.0.10");
}

TEST(Verdict, RecentActivityIsInProgress) {
    Builder b;
    b.policed();
    b.e.hs.last_ns = b.now - kSec / 10;
    b.e.hs.hist_len = 0;
    EXPECT_EQ(b.judge().outcome, Outcome::InProgress);
}

TEST(Verdict, ResetAfterStallIsAStall) {
    Builder b;
    b.policed();
    b.e.hs.flags |= DW_HSF_RESET;
    b.e.hs.end_side = DW_HS_SERVER;
    b.e.hs.end_stage = DW_ST_SERVER_HELLO;
    EXPECT_EQ(b.judge().outcome, Outcome::Stalled);
}

TEST(Verdict, ServerResetAfterClientHello) {
    Builder b;
    b.opening(46);
    b.e.hs.flags |= DW_HSF_RESET;
    b.e.hs.end_side = DW_HS_SERVER;
    b.e.hs.end_stage = DW_ST_CLIENT_HELLO;
    auto v = b.judge();
    EXPECT_EQ(v.outcome, Outcome::Reset);
    EXPECT_EQ(v.verdict_text(), "reset at ClientHello");
}

TEST(Verdict, AlertNamesTheAlert) {
    Builder b;
    b.opening(46);
    b.e.hs.flags |= DW_HSF_ALERT;
    b.e.hs.end_side = DW_HS_SERVER;
    b.e.hs.end_stage = DW_ST_CLIENT_HELLO;
    b.e.hs.side[DW_HS_SERVER].tls |= DW_TLSF_ALERT;
    b.e.hs.side[DW_HS_SERVER].alert_level = 2;
    b.e.hs.side[DW_HS_SERVER].alert_desc = 112;
    auto v = b.judge();
    EXPECT_EQ(v.outcome, Outcome::Alert);
    EXPECT_EQ(v.verdict_text(), "alert unrecognized_name at ClientHello");
}

TEST(Verdict, CompletedHandshake) {
    auto v = Builder().completed(0).judge();
    EXPECT_EQ(v.outcome, Outcome::Completed);
}

TEST(Verdict, NotTls) {
    Builder b;
    b.opening(0);
    b.e.hs.side[DW_HS_CLIENT].tls |= DW_TLSF_NOT_TLS;
    EXPECT_EQ(b.judge().outcome, Outcome::NotTls);
}

std::vector<FlowVerdict> judge_all(std::vector<Builder> bs) {
    std::vector<FlowVerdict> out;
    for (auto& b : bs) out.push_back(b.judge());
    return out;
}

TEST(Aggregate, BlamesEfWithAThresholdThatBracketsThePolicer) {
    std::vector<Builder> bs;
    for (uint16_t i = 0; i < 4; i++) bs.push_back(std::move(Builder(40000 + i).policed()));
    for (uint16_t i = 0; i < 3; i++) bs.push_back(std::move(Builder(41000 + i, "198.19.0.20").completed(0)));
    auto agg = aggregate(judge_all(bs));
    ASSERT_EQ(agg.size(), 2u);
    const auto& s = agg[0];
    EXPECT_EQ(s.server, "198.19.0.10:443");
    EXPECT_TRUE(s.blames_dscp);
    EXPECT_EQ(s.blamed_dscp, 46);
    EXPECT_EQ(s.stalled, 4u);
    EXPECT_EQ(s.by_stage[DW_ST_SERVER_HELLO], 4u);
    EXPECT_LT(s.threshold_lo, 700);
    EXPECT_GE(s.threshold_hi, 700);
    EXPECT_EQ(s.threshold_lo, 492);
    EXPECT_EQ(s.threshold_hi, 1252);
    EXPECT_EQ(s.confidence, "high");  // unmarked 1500 B segments arrived elsewhere
    EXPECT_NE(s.action.find("dscpwatch remark zero"), std::string::npos);
    EXPECT_NE(s.summary.find("EF"), std::string::npos);
    EXPECT_FALSE(agg[1].blames_dscp);
    EXPECT_EQ(agg[1].completed, 3u);
}

TEST(Aggregate, NoBlameWhenUnmarkedFlowsLoseTheSame) {
    std::vector<Builder> bs;
    for (uint16_t i = 0; i < 3; i++) bs.push_back(std::move(Builder(40000 + i).policed(46)));
    for (uint16_t i = 0; i < 3; i++) bs.push_back(std::move(Builder(41000 + i).policed(0)));
    auto agg = aggregate(judge_all(bs));
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_FALSE(agg[0].blames_dscp);
    EXPECT_EQ(agg[0].stalled, 6u);
}

TEST(Aggregate, NoBlameWhenSmallSegmentsAreLostToo) {
    // Random loss: a small EF segment never arrived while large EF ones did.
    std::vector<Builder> bs;
    for (uint16_t i = 0; i < 3; i++) {
        Builder b(40000 + i);
        b.opening(46);
        b.stage(DW_HS_SERVER, DW_ST_SERVER_HELLO);
        b.seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 1500, 46, true, 1);
        b.seg(DW_HS_SERVER, DW_ST_SERVER_HELLO, 300, 46, false, 3);
        bs.push_back(std::move(b));
    }
    auto agg = aggregate(judge_all(bs));
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_EQ(agg[0].stalled, 3u);
    EXPECT_FALSE(agg[0].blames_dscp);
    EXPECT_NE(agg[0].summary.find("not a size-based policer"), std::string::npos);
}

TEST(Aggregate, RetransmittedButDeliveredIsNotBlamed) {
    // Loss that the retransmissions repaired: every handshake completed.
    std::vector<Builder> bs;
    for (uint16_t i = 0; i < 5; i++) {
        Builder b(40000 + i);
        b.completed(46);
        b.e.hs.stage[DW_ST_SERVER_HELLO].retrans = 2;
        b.e.hs.stage[DW_ST_SERVER_HELLO].lost_dscp_mask = 1ULL << 46;
        bs.push_back(std::move(b));
    }
    auto agg = aggregate(judge_all(bs));
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_FALSE(agg[0].blames_dscp);
    EXPECT_EQ(agg[0].completed, 5u);
}

TEST(Aggregate, ResetsAreNotBlamedOnQos) {
    std::vector<Builder> bs;
    for (uint16_t i = 0; i < 3; i++) {
        Builder b(40000 + i);
        b.opening(46);
        b.e.hs.flags |= DW_HSF_RESET;
        b.e.hs.end_side = DW_HS_SERVER;
        b.e.hs.end_stage = DW_ST_CLIENT_HELLO;
        bs.push_back(std::move(b));
    }
    auto agg = aggregate(judge_all(bs));
    ASSERT_EQ(agg.size(), 1u);
    EXPECT_FALSE(agg[0].blames_dscp);
    EXPECT_EQ(agg[0].reset_by_stage[DW_ST_CLIENT_HELLO], 3u);
    EXPECT_NE(agg[0].summary.find("not QoS"), std::string::npos);
}

}  // namespace
}  // namespace dw
