// Per-server ServerHello marking summaries and their comparison (diag/marking).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "diag/marking.hpp"

using namespace dw;

namespace {

FlowVerdict flow(const char* server, Outcome o, uint64_t sh_mask, const char* sni = "chat.example.test",
                 bool v6 = false) {
    FlowVerdict f;
    f.key.family = v6 ? 6 : 4;
    f.server = server;
    f.server_port = 443;
    f.sni = sni;
    f.outcome = o;
    f.stages[DW_ST_SERVER_HELLO].dscp_mask = sh_mask;
    return f;
}

constexpr uint64_t EF = 1ULL << 46, CS0 = 1ULL << 0;

std::vector<ServerMarking> all_to(const char* server, Outcome o, uint64_t mask, int n) {
    std::vector<FlowVerdict> fs;
    for (int i = 0; i < n; i++) fs.push_back(flow(server, o, mask));
    return server_markings(fs);
}

}  // namespace

TEST(Marking, CountsFinalHandshakesPerServerAndSni) {
    std::vector<FlowVerdict> fs = {
        flow("198.19.0.10", Outcome::Stalled, EF),
        flow("198.19.0.10", Outcome::Stalled, EF),
        flow("198.19.0.10", Outcome::Completed, CS0),
        flow("198.19.0.10", Outcome::Reset, 0),            // reset before any ServerHello: not marked
        flow("198.19.0.10", Outcome::InProgress, EF),      // not final: left out
        flow("198.19.0.10", Outcome::NotTls, 0),           // left out
        flow("198.19.0.10", Outcome::Completed, CS0, "other.example.test"),
        flow("2001:db8::10", Outcome::Completed, EF | CS0, "", true),
    };
    auto ms = server_markings(fs);
    ASSERT_EQ(ms.size(), 3u);
    EXPECT_EQ(ms[0].server, "198.19.0.10:443");
    EXPECT_EQ(ms[0].sni, "chat.example.test");
    EXPECT_EQ(ms[0].handshakes, 4u);
    EXPECT_EQ(ms[0].completed, 1u);
    EXPECT_EQ(ms[0].marked, 3u);
    EXPECT_EQ(ms[0].sh_dscp[46], 2u);
    EXPECT_EQ(ms[0].sh_dscp[0], 1u);
    EXPECT_EQ(ms[0].dominant_dscp(), 46);
    EXPECT_DOUBLE_EQ(ms[0].success_rate(), 0.25);
    EXPECT_EQ(ms[1].sni, "other.example.test");
    EXPECT_EQ(ms[2].server, "[2001:db8::10]:443");
    EXPECT_EQ(ms[2].sh_dscp[46] + ms[2].sh_dscp[0], 2u);  // a two-valued flight counts for each
    EXPECT_EQ(describe_marking(ms[0]), "46 (EF) in 67 %, 0 (CS0) in 33 % of 3 handshakes");
}

TEST(Marking, NoServerHelloSeen) {
    auto ms = all_to("198.19.0.10", Outcome::Stalled, 0, 2);
    ASSERT_EQ(ms.size(), 1u);
    EXPECT_EQ(ms[0].dominant_dscp(), -1);
    EXPECT_EQ(describe_marking(ms[0]), "no ServerHello flight seen");
}

TEST(Marking, JsonRoundTripAndErrors) {
    auto m = all_to("198.19.0.10", Outcome::Stalled, EF, 6)[0];
    auto j = marking_to_json(m);
    EXPECT_EQ(j["server_hello_dscp"]["46"], 6);
    auto back = marking_from_json(j);
    EXPECT_EQ(back.server, m.server);
    EXPECT_EQ(back.sh_dscp, m.sh_dscp);
    EXPECT_EQ(back.handshakes, 6u);

    auto broken = j;
    broken.erase("marked");
    EXPECT_THROW(marking_from_json(broken), Error);
    broken = j;
    broken["server_hello_dscp"]["64"] = 1;
    EXPECT_THROW(marking_from_json(broken), Error);
    broken = j;
    broken["server_hello_dscp"]["EF"] = 1;  // names are for people; the file holds numbers
    EXPECT_THROW(marking_from_json(broken), Error);
    broken = j;
    broken["completed"] = 7;
    EXPECT_THROW(marking_from_json(broken), Error);
    EXPECT_THROW(marking_from_json(nlohmann::json::array()), Error);
}

TEST(Marking, CompareFlagsTheSwitchToEf) {
    auto before = all_to("198.19.0.10", Outcome::Completed, CS0, 6);
    auto now = all_to("198.19.0.10", Outcome::Stalled, EF, 6);
    auto cs = compare_markings(before, now);
    ASSERT_EQ(cs.size(), 1u);
    EXPECT_EQ(cs[0].kind, MarkingChange::Kind::Changed);
    EXPECT_EQ(cs[0].dscp, 46);
    EXPECT_DOUBLE_EQ(cs[0].before_share, 0.0);
    EXPECT_DOUBLE_EQ(cs[0].now_share, 1.0);

    auto same = compare_markings(before, before);
    ASSERT_EQ(same.size(), 1u);
    EXPECT_EQ(same[0].kind, MarkingChange::Kind::Same);
    EXPECT_EQ(same[0].dscp, 0);
}

TEST(Marking, ComparePartialRolloutAndThreshold) {
    std::vector<FlowVerdict> fs;
    for (int i = 0; i < 7; i++) fs.push_back(flow("198.19.0.10", Outcome::Completed, CS0));
    for (int i = 0; i < 3; i++) fs.push_back(flow("198.19.0.10", Outcome::Stalled, EF));
    auto before = all_to("198.19.0.10", Outcome::Completed, CS0, 10);
    auto now = server_markings(fs);
    auto cs = compare_markings(before, now);
    EXPECT_EQ(cs[0].kind, MarkingChange::Kind::Changed);  // 30 % EF now: a rollout in progress
    EXPECT_EQ(cs[0].dscp, 46);
    EXPECT_NEAR(cs[0].now_share, 0.3, 1e-9);
    cs = compare_markings(before, now, {.min_shift = 0.5});
    EXPECT_EQ(cs[0].kind, MarkingChange::Kind::Same);
}

TEST(Marking, CompareNewAndGoneServers) {
    auto before = all_to("198.19.0.10", Outcome::Completed, CS0, 2);
    auto now = all_to("198.19.0.11", Outcome::Completed, EF, 2);
    auto cs = compare_markings(before, now);
    ASSERT_EQ(cs.size(), 2u);
    EXPECT_EQ(cs[0].kind, MarkingChange::Kind::New);
    EXPECT_EQ(cs[0].server, "198.19.0.11:443");
    EXPECT_EQ(cs[0].dscp, 46);
    EXPECT_EQ(cs[1].kind, MarkingChange::Kind::Gone);
    EXPECT_EQ(cs[1].before.handshakes, 2u);
}

TEST(Marking, MergeSumsDays) {
    auto a = all_to("198.19.0.10", Outcome::Completed, CS0, 2)[0];
    auto b = all_to("198.19.0.10", Outcome::Stalled, EF, 3)[0];
    ServerMarking sum;
    merge_marking(sum, a);
    merge_marking(sum, b);
    EXPECT_EQ(sum.server, "198.19.0.10:443");
    EXPECT_EQ(sum.handshakes, 5u);
    EXPECT_EQ(sum.completed, 2u);
    EXPECT_EQ(sum.sh_dscp[46], 3u);
    EXPECT_EQ(sum.dominant_dscp(), 46);
}
