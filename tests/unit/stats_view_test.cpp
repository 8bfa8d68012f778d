#include <gtest/gtest.h>

#include <string>

#include "view/stats_view.hpp"

namespace dw {
namespace {

// Interface indexes that exist nowhere, so names render as "if<N>".
constexpr uint32_t kIfA = 900001, kIfB = 900002;

StatsView sample() {
    StatsView v;
    v.counters = {
        {kIfA, DW_DIR_INGRESS, 46, 10, 1000},
        {kIfA, DW_DIR_INGRESS, 0, 5, 500},
        {kIfA, DW_DIR_EGRESS, 46, 7, 700},
        {kIfA, DW_DIR_INGRESS, DW_SLOT_NONIP, 2, 84},
        {kIfB, DW_DIR_EGRESS, 34, 3, 300},
        {kIfB, DW_DIR_EGRESS, DW_SLOT_MALFORMED, 1, 60},
    };
    v.remarks = {{kIfA, DW_DIR_EGRESS, 46, 0, 4, 400}};
    v.global[DW_CNT_FRAMES] = 28;
    v.global[DW_CNT_FRAG_FIRST] = 2;
    v.global[DW_CNT_MAL_BAD_IHL] = 1;
    return v;
}

TEST(StatsView, RowsAreSortedAndCarryRemarks) {
    auto rows = stats_rows(sample());
    ASSERT_EQ(rows.size(), 6u);
    EXPECT_EQ(rows[0].ifindex, kIfA);
    EXPECT_EQ(rows[0].dir, DW_DIR_INGRESS);
    EXPECT_EQ(rows[0].slot, 0);
    EXPECT_EQ(rows[1].slot, 46);
    EXPECT_EQ(rows[2].slot, DW_SLOT_NONIP);
    EXPECT_EQ(rows[3].dir, DW_DIR_EGRESS);
    EXPECT_EQ(rows[3].slot, 46);
    EXPECT_EQ(rows[3].remarked, 4u);
    EXPECT_EQ(rows[4].ifindex, kIfB);
    EXPECT_FALSE(rows[0].pps.has_value());
}

TEST(StatsView, SamePrefixRowsAreMerged) {
    StatsView v;
    v.counters = {{kIfA, 0, 46, 1, 10}, {kIfA, 0, 46, 2, 20}};
    auto rows = stats_rows(v);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].packets, 3u);
    EXPECT_EQ(rows[0].bytes, 30u);
}

TEST(StatsView, InterfaceFilter) {
    StatsOptions o;
    o.ifindex = kIfB;
    auto rows = stats_rows(sample(), o);
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& r : rows) EXPECT_EQ(r.ifindex, kIfB);
    auto text = render_stats_text(sample(), o);
    EXPECT_EQ(text.find("if900001"), std::string::npos) << text;
    EXPECT_NE(text.find("(all interfaces)"), std::string::npos) << text;
    o.ifindex = 900003;
    EXPECT_NE(render_stats_text(sample(), o).find("no packets counted on if900003 yet"), std::string::npos);
}

TEST(StatsView, Totals) {
    auto totals = stats_totals(stats_rows(sample()));
    ASSERT_EQ(totals.size(), 4u);  // A in, A out, B out, all
    EXPECT_EQ(totals[0].packets, 17u);
    EXPECT_EQ(totals[0].bytes, 1584u);
    EXPECT_EQ(totals[1].packets, 7u);
    EXPECT_EQ(totals[1].remarked, 4u);
    EXPECT_EQ(totals[2].packets, 4u);
    EXPECT_EQ(totals[3].ifindex, 0u);
    EXPECT_EQ(totals[3].packets, 28u);
    EXPECT_EQ(totals[3].bytes, 2644u);
}

TEST(StatsView, SumCheckExact) {
    auto c = check_sum(sample());
    EXPECT_EQ(c.dscp_sum, 28u);
    EXPECT_EQ(c.verdict, SumCheck::Verdict::Exact);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(c.text(), "per-DSCP sum 28 = frames 28: ok");
}

TEST(StatsView, SumCheckLiveTrafficIsARange) {
    auto v = sample();
    v.global[DW_CNT_FRAMES] = 25;
    v.frames_after = 30;
    auto c = check_sum(v);
    EXPECT_EQ(c.verdict, SumCheck::Verdict::Live);
    EXPECT_TRUE(c.ok());
}

TEST(StatsView, SumCheckMissingEntries) {
    auto v = sample();
    v.global[DW_CNT_FRAMES] = 30;
    v.global[DW_CNT_IFSTAT_FAIL] = 2;
    auto c = check_sum(v);
    EXPECT_EQ(c.verdict, SumCheck::Verdict::EntriesMissing);
    EXPECT_TRUE(c.ok());
    v.global[DW_CNT_IFSTAT_FAIL] = 1;
    EXPECT_EQ(check_sum(v).verdict, SumCheck::Verdict::Mismatch);
}

TEST(StatsView, SumCheckMismatch) {
    auto v = sample();
    v.global[DW_CNT_FRAMES] = 27;
    auto c = check_sum(v);
    EXPECT_EQ(c.verdict, SumCheck::Verdict::Mismatch);
    EXPECT_FALSE(c.ok());
    EXPECT_NE(c.text().find("MISMATCH"), std::string::npos);
}

TEST(StatsView, RatesFromTwoSamples) {
    auto before = sample();
    auto now = sample();
    now.counters[0].packets += 20;   // A ingress EF: +20 packets
    now.counters[0].bytes += 2000;   // +2000 bytes
    now.counters.push_back({kIfB, DW_DIR_INGRESS, 10, 4, 400});  // a new row: all of it is new
    StatsOptions o;
    o.prev = &before;
    o.interval_s = 2.0;
    auto rows = stats_rows(now, o);
    for (const auto& r : rows) {
        ASSERT_TRUE(r.pps.has_value());
        if (r.ifindex == kIfA && r.dir == DW_DIR_INGRESS && r.slot == 46) {
            EXPECT_DOUBLE_EQ(*r.pps, 10.0);
            EXPECT_DOUBLE_EQ(*r.bits_per_s, 8000.0);
        } else if (r.ifindex == kIfB && r.dir == DW_DIR_INGRESS) {
            EXPECT_DOUBLE_EQ(*r.pps, 2.0);
        } else {
            EXPECT_DOUBLE_EQ(*r.pps, 0.0) << int(r.slot);
        }
    }
    auto totals = stats_totals(rows);
    EXPECT_DOUBLE_EQ(*totals.back().pps, 12.0);
    auto j = render_stats_json(now, o);
    EXPECT_DOUBLE_EQ(j["total"]["pps"].get<double>(), 12.0);
    EXPECT_DOUBLE_EQ(j["interval_s"].get<double>(), 2.0);
    auto text = render_stats_text(now, o);
    EXPECT_NE(text.find("bit/s"), std::string::npos);
    EXPECT_NE(text.find("8 kbit/s"), std::string::npos) << text;
}

TEST(StatsView, CounterResetBetweenSamplesCountsAsNew) {
    auto before = sample();
    StatsView now;
    now.counters = {{kIfA, DW_DIR_INGRESS, 46, 3, 300}};
    StatsOptions o;
    o.prev = &before;
    o.interval_s = 1.0;
    auto rows = stats_rows(now, o);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_DOUBLE_EQ(*rows[0].pps, 3.0);
}

TEST(StatsView, TextNamesDscpsAndSlots) {
    auto text = render_stats_text(sample());
    for (const char* s : {"46 (EF)", "0 (CS0)", "34 (AF41)", "non-IP", "malformed", "if900001", "totals", "remarked",
                          "fragments: first 2, later 0", "malformed (passed): 1: malformed_bad_ihl 1",
                          "check: per-DSCP sum 28 = frames 28: ok"})
        EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
    EXPECT_EQ(text.find("pps"), std::string::npos);  // no rates from one sample
}

TEST(StatsView, Json) {
    auto j = render_stats_json(sample());
    ASSERT_EQ(j["interfaces"].size(), 6u);
    const auto& ef = j["interfaces"][1];
    EXPECT_EQ(ef["dscp"], 46);
    EXPECT_EQ(ef["name"], "EF");
    EXPECT_EQ(ef["interface"], "if900001");
    EXPECT_EQ(ef["direction"], "ingress");
    EXPECT_EQ(ef["packets"], 10);
    EXPECT_FALSE(ef.contains("pps"));
    EXPECT_TRUE(j["interfaces"][2]["dscp"].is_null());
    EXPECT_EQ(j["interfaces"][2]["class"], "non-ip");
    EXPECT_EQ(j["counters"]["frames"], 28);
    EXPECT_EQ(j["counters"]["malformed_bad_ihl"], 1);
    EXPECT_EQ(j["malformed_total"], 1);
    EXPECT_EQ(j["check"]["ok"], true);
    EXPECT_EQ(j["check"]["verdict"], "exact");
    EXPECT_EQ(j["total"]["packets"], 28);
    EXPECT_EQ(j["totals"].size(), 3u);
    EXPECT_EQ(j["remarks"][0]["from"], 46);
    EXPECT_EQ(j["remarks"][0]["to"], 0);
}

TEST(StatsView, EmptyView) {
    StatsView v;
    EXPECT_NE(render_stats_text(v).find("no packets counted yet"), std::string::npos);
    auto j = render_stats_json(v);
    EXPECT_TRUE(j["interfaces"].empty());
    EXPECT_EQ(j["total"]["packets"], 0);
    EXPECT_EQ(j["check"]["ok"], true);
}

TEST(StatsView, SlotLabels) {
    EXPECT_EQ(slot_label(46), "46 (EF)");
    EXPECT_EQ(slot_label(DW_SLOT_NONIP), "non-IP");
    EXPECT_EQ(slot_label(DW_SLOT_MALFORMED), "malformed");
    EXPECT_STREQ(dir_name(DW_DIR_EGRESS), "egress");
    EXPECT_EQ(ifname_of(900009), "if900009");
}

}  // namespace
}  // namespace dw
