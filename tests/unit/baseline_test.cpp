// `dscpwatch baseline`: the saved summary (round trip, bad documents) and the
// sentences and JSON the view makes of a comparison.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "compare/baseline.hpp"
#include "core/error.hpp"
#include "view/baseline_view.hpp"

namespace {

constexpr uint64_t kNov2 = 1793620800ull * 1'000'000'000;  // 2026-11-02 12:00:00 UTC
constexpr uint64_t kDec3 = 1796299200ull * 1'000'000'000;  // 2026-12-03 12:00:00 UTC

dw::ServerMarking marking(unsigned dscp, uint64_t n, uint64_t completed) {
    dw::ServerMarking m;
    m.server = "198.19.0.10:443";
    m.sni = "chat.example.test";
    m.handshakes = m.marked = n;
    m.completed = completed;
    m.sh_dscp[dscp] = n;
    return m;
}

dw::MarkingSet set(const char* source, uint64_t first, std::vector<dw::ServerMarking> servers) {
    dw::MarkingSet s;
    s.source = source;
    s.first_ns = first;
    s.last_ns = first + 5'000'000'000ull;
    s.frames = 120;
    s.servers = std::move(servers);
    return s;
}

TEST(Baseline, SavedSummaryRoundTrip) {
    const auto s = set("nov.pcap", kNov2, {marking(0, 6, 6)});
    const auto back = dw::markings_from_json(dw::markings_to_json(s), "nov.json");
    EXPECT_EQ(back.source, "nov.pcap");
    EXPECT_EQ(back.first_ns / 1'000'000, kNov2 / 1'000'000);
    EXPECT_EQ(back.frames, 120u);
    ASSERT_EQ(back.servers.size(), 1u);
    EXPECT_EQ(back.servers[0].sni, "chat.example.test");
    EXPECT_EQ(back.servers[0].sh_dscp[0], 6u);
    EXPECT_EQ(back.servers[0].completed, 6u);
}

TEST(Baseline, BadSavedSummaries) {
    auto j = dw::markings_to_json(set("nov.pcap", kNov2, {marking(0, 6, 6)}));
    auto expect_error = [](const nlohmann::json& doc, const std::string& want) {
        try {
            dw::markings_from_json(doc, "x.json");
            FAIL() << "accepted: " << doc.dump();
        } catch (const dw::Error& e) {
            EXPECT_NE(e.line().find(want), std::string::npos) << e.line();
            EXPECT_NE(e.line().find("x.json"), std::string::npos) << e.line();
        }
    };
    auto other = j;
    other["dscpwatch"] = "something-else";
    expect_error(other, "not a saved dscpwatch summary");
    auto v2 = j;
    v2["version"] = 2;
    expect_error(v2, "version 2");
    auto no_servers = j;
    no_servers.erase("servers");
    expect_error(no_servers, "malformed saved summary");
    auto bad_dscp = j;
    bad_dscp["servers"][0]["server_hello_dscp"] = {{"64", 1}};
    expect_error(bad_dscp, "not a DSCP value");
}

TEST(Baseline, ChangedSentence) {
    const auto before = set("nov.pcap", kNov2, {marking(0, 6, 6)});
    const auto now = set("dec.pcap", kDec3, {marking(46, 6, 0)});
    const auto changes = dw::compare_markings(before.servers, now.servers);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(dw::change_sentence(changes[0], before),
              "198.19.0.10:443 (SNI chat.example.test) marked its ServerHello flight 46 (EF) in 100 % of 6 handshakes; "
              "the baseline from 2026-11-02 shows 0 (CS0) in 100 % of 6 handshakes");
    EXPECT_TRUE(dw::marking_changed(changes));
    const auto j = dw::render_baseline_json(before, now, changes);
    EXPECT_EQ(j["changed"], true);
    EXPECT_EQ(j["baseline"]["date"], "2026-11-02");
    EXPECT_EQ(j["servers"][0]["change"], "changed");
    EXPECT_EQ(j["servers"][0]["dscp"], 46);
    const auto text = dw::render_baseline_text(before, now, changes);
    EXPECT_NE(text.find("now 0 of 6 handshakes completed; in the baseline 6 of 6 handshakes completed"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("verdict: marking changed"), std::string::npos) << text;
}

TEST(Baseline, SameNewGone) {
    auto other = marking(0, 2, 2);
    other.server = "198.19.0.20:443";
    const auto before = set("nov.pcap", kNov2, {marking(46, 3, 3), other});
    auto fresh = marking(0, 1, 1);
    fresh.server = "198.19.0.30:443";
    fresh.sni = "";
    const auto now = set("dec.pcap", kDec3, {marking(46, 5, 5), fresh});
    const auto changes = dw::compare_markings(before.servers, now.servers);
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_FALSE(dw::marking_changed(changes));
    EXPECT_EQ(dw::change_sentence(changes[0], before),
              "198.19.0.30:443: not in the baseline from 2026-11-02; now 0 (CS0) in 100 % of 1 handshake");
    EXPECT_EQ(dw::change_sentence(changes[1], before),
              "198.19.0.20:443 (SNI chat.example.test): no handshake now; the baseline from 2026-11-02 shows 0 (CS0) "
              "in 100 % of 2 handshakes");
    EXPECT_EQ(dw::change_sentence(changes[2], before),
              "198.19.0.10:443 (SNI chat.example.test): no change, 46 (EF) in 100 % of 5 handshakes (the baseline "
              "from 2026-11-02: 46 (EF) in 100 % of 3 handshakes)");
    EXPECT_NE(dw::render_baseline_text(before, now, changes).find("verdict: no change in marking"), std::string::npos);
}

}  // namespace
