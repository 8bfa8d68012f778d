// The DSCP history in SQLite: per server, SNI and day; dominant marking;
// drift alerts once per day and new marking; everything survives a reopen.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "history/drift.hpp"
#include "history/store.hpp"
#include "view/history_view.hpp"

namespace fs = std::filesystem;

namespace dw {
namespace {

struct TempDb {
    fs::path dir;
    std::string path;
    TempDb() {
        char tmpl[] = "/tmp/dw-history-XXXXXX";
        dir = mkdtemp(tmpl);
        path = (dir / "history.db").string();
    }
    ~TempDb() { fs::remove_all(dir); }
};

const std::string kSrv = "198.19.0.10:443", kSni = "chat.example.test";

TEST(History, RowsAccumulatePerServerSniDayAndDscp) {
    TempDb t;
    HistoryStore h(t.path);
    h.add(kSrv, kSni, "2026-11-16", 0, 1, 1);
    h.add(kSrv, kSni, "2026-11-16", 0, 1, 0);
    h.add(kSrv, kSni, "2026-11-16", 0, 0, 1);  // the stalled one completed after all
    h.add(kSrv, kSni, "2026-11-16", -1, 1, 0);
    h.add("198.19.0.11:443", "", "2026-11-16", 46, 1, 1);
    auto rows = h.rows(kSrv);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].dscp, -1);
    EXPECT_EQ(rows[1].dscp, 0);
    EXPECT_EQ(rows[1].handshakes, 2u);
    EXPECT_EQ(rows[1].completed, 2u);
    EXPECT_EQ(h.rows().size(), 3u);
    auto days = history_days(rows);
    ASSERT_EQ(days.size(), 1u);
    EXPECT_EQ(days[0].handshakes, 3u);
    EXPECT_EQ(days[0].completed, 2u);
    EXPECT_EQ(days[0].by_dscp.front(), (std::pair<int, uint64_t>{0, 2}));
}

TEST(History, DominantBeforeIgnoresTodayAndMissingFlights) {
    TempDb t;
    HistoryStore h(t.path);
    EXPECT_FALSE(h.dominant_before(kSrv, kSni, "2026-11-17"));
    h.add(kSrv, kSni, "2026-11-15", 46, 2, 0);
    h.add(kSrv, kSni, "2026-11-16", 0, 5, 5);
    h.add(kSrv, kSni, "2026-11-16", -1, 9, 0);
    h.add(kSrv, kSni, "2026-11-17", 46, 50, 0);
    EXPECT_EQ(h.dominant_before(kSrv, kSni, "2026-11-17"), 0);
    EXPECT_EQ(h.dominant_before(kSrv, kSni, "2026-11-16"), 46);
    EXPECT_FALSE(h.dominant_before(kSrv, "other.example", "2026-11-17"));
}

TEST(Drift, AlertsOnceWhenTheMarkingChangesAgainstHistory) {
    TempDb t;
    {
        HistoryStore h(t.path);
        for (int i = 0; i < 4; i++) h.add(kSrv, kSni, "2026-11-16", 0, 1, 1);
        DriftDetector d(3);
        // Same marking as before: no alert.
        for (int i = 0; i < 5; i++) EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 0));
        // EF twice, then 0: not a stable new marking yet.
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 0));
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));
        auto a = d.observe(h, kSrv, kSni, "2026-11-17", 46);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->message(),
                  "198.19.0.10:443 (SNI chat.example.test) started marking its ServerHello EF on 2026-11-17; before, 0");
        EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));  // once
    }
    // A restarted daemon remembers the alert and the history.
    HistoryStore h(t.path);
    DriftDetector d(3);
    for (int i = 0; i < 3; i++) EXPECT_FALSE(d.observe(h, kSrv, kSni, "2026-11-17", 46));
    ASSERT_EQ(h.alerts().size(), 1u);
    EXPECT_EQ(h.alerts()[0].now, 46);
    EXPECT_EQ(h.alerts()[0].before, 0);
    EXPECT_EQ(h.rows().size(), 1u);
    // No history before: no alert.
    for (int i = 0; i < 3; i++) EXPECT_FALSE(d.observe(h, "198.19.0.99:443", kSni, "2026-11-17", 46));
}

TEST(History, ReadOnlyOpenOfAMissingFileIsAClearError) {
    TempDb t;
    EXPECT_THROW(HistoryStore(t.path + ".missing", true), std::exception);
    EXPECT_THROW(HistoryStore("/nonexistent-dir/x.db"), std::exception);
}

TEST(History, TextAndJson) {
    TempDb t;
    HistoryStore h(t.path);
    h.add(kSrv, kSni, "2026-11-16", 0, 4, 4);
    h.add(kSrv, kSni, "2026-11-17", 46, 3, 0);
    h.record_alert({kSrv, kSni, "2026-11-17", 0, 46});
    auto text = render_history_text(h.rows(), h.alerts());
    EXPECT_NE(text.find("2026-11-17"), std::string::npos);
    EXPECT_NE(text.find("EF 3"), std::string::npos);
    EXPECT_NE(text.find("started marking its ServerHello EF on 2026-11-17; before, 0"), std::string::npos);
    auto j = render_history_json(h.rows(), h.alerts());
    EXPECT_EQ(j["days"][1]["server_hello_dscp"]["46"], 3);
    EXPECT_EQ(j["days"][0]["completed"], 4);
    EXPECT_EQ(j["alerts"][0]["before"], 0);
}

}  // namespace
}  // namespace dw
