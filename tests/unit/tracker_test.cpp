// The daemon's verdict tracker: changes reported once, each handshake counted
// once (also across a restart, through preload), late completions, and
// flows that leave the table.
#include <gtest/gtest.h>

#include "serve/tracker.hpp"

namespace dw {
namespace {

constexpr uint64_t kNow = 100'000'000'000;
constexpr uint64_t kStart = 95'000'000'000;  // when the handshakes began

// The flows as a diagnosis at `now` sees them: their age grows with the clock.
std::vector<FlowVerdict> at(std::vector<FlowVerdict> flows, uint64_t now) {
    for (auto& f : flows) f.age_ns = now - kStart;
    return flows;
}

FlowVerdict flow(uint16_t client_port, Outcome o, uint8_t stage, uint64_t sh_dscp_mask = 0) {
    FlowVerdict v;
    v.key.family = 4;
    v.key.proto = 6;
    v.key.port_a = client_port;
    v.key.port_b = 443;
    v.client = "198.18.1.2";
    v.client_port = client_port;
    v.server = "198.19.0.10";
    v.server_port = 443;
    v.sni = "chat.example.test";
    v.outcome = o;
    v.stage = stage;
    v.stages[DW_ST_SERVER_HELLO].dscp_mask = sh_dscp_mask;
    return v;
}

TEST(Tracker, ReportsChangesAndCountsEachHandshakeOnce) {
    VerdictTracker t;
    auto a = flow(40000, Outcome::InProgress, DW_ST_CLIENT_HELLO);
    auto r = t.update(at({a}, kNow), kNow);
    EXPECT_TRUE(r.changes.empty());  // a new handshake in progress is not a change yet
    EXPECT_TRUE(r.decided.empty());

    a.outcome = Outcome::Stalled;
    a.stage = DW_ST_SERVER_HELLO;
    a.stages[DW_ST_SERVER_HELLO].dscp_mask = 1ull << 46;
    r = t.update(at({a}, kNow + 1'000'000'000), kNow + 1'000'000'000);  // later: same start, so the same handshake
    ASSERT_EQ(r.changes.size(), 1u);
    EXPECT_EQ(r.changes[0].previous, "in progress");
    ASSERT_EQ(r.decided.size(), 1u);
    EXPECT_EQ(server_hello_dscp(r.decided[0]), 46);
    EXPECT_EQ(r.counted.size(), 1u);

    r = t.update(at({a}, kNow + 2'000'000'000), kNow + 2'000'000'000);
    EXPECT_TRUE(r.changes.empty());
    EXPECT_TRUE(r.decided.empty());

    a.outcome = Outcome::Completed;  // the stall recovered
    a.stage = DW_ST_ESTABLISHED;
    r = t.update(at({a}, kNow + 3'000'000'000), kNow + 3'000'000'000);
    EXPECT_EQ(r.changes.size(), 1u);
    EXPECT_TRUE(r.decided.empty());
    ASSERT_EQ(r.completed_late.size(), 1u);
    EXPECT_EQ((t.totals().at({"stalled", "server_hello"})), 1u);
    EXPECT_EQ((t.totals().at({"completed", "established"})), 1u);

    r = t.update(at({}, kNow + 4'000'000'000), kNow + 4'000'000'000);  // left the table
    EXPECT_EQ(r.forgotten.size(), 1u);
    EXPECT_EQ(t.size(), 0u);
}

TEST(Tracker, PreloadedHandshakesAreNotCountedAgain) {
    VerdictTracker before;
    auto a = flow(40001, Outcome::Completed, DW_ST_ESTABLISHED, 1);
    auto b = flow(40002, Outcome::InProgress, DW_ST_SERVER_HELLO);
    auto r = before.update(at({a, b}, kNow), kNow);
    ASSERT_EQ(r.counted.size(), 1u);

    VerdictTracker after;  // a restarted daemon
    after.preload(r.counted);
    b.outcome = Outcome::Reset;
    auto r2 = after.update(at({a, b}, kNow + 1'000'000'000), kNow + 1'000'000'000);
    ASSERT_EQ(r2.decided.size(), 1u);  // only b: a was counted before the restart
    EXPECT_EQ(r2.decided[0].client_port, 40002);
    EXPECT_EQ(r2.changes.size(), 1u);  // and a's verdict is not logged again
}

TEST(Tracker, AReusedKeyIsANewHandshake) {
    VerdictTracker t;
    auto a = flow(40003, Outcome::Completed, DW_ST_ESTABLISHED);
    EXPECT_EQ(t.update(at({a}, kNow), kNow).decided.size(), 1u);
    a.age_ns = 1'000'000'000;  // same 5-tuple, started 9 s after the first
    auto r = t.update({a}, kNow + 10'000'000'000);
    EXPECT_EQ(r.decided.size(), 1u);
    EXPECT_EQ(r.forgotten.size(), 1u);
}

TEST(Tracker, NotTlsIsNeverCounted) {
    VerdictTracker t;
    auto r = t.update(at({flow(40004, Outcome::NotTls, DW_ST_ESTABLISHED)}, kNow), kNow);
    EXPECT_TRUE(r.decided.empty());
    EXPECT_EQ(r.changes.size(), 1u);
}

}  // namespace
}  // namespace dw
