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

// A summary of n handshakes, c completed, whose ServerHello flights carried dscp (-1: none seen).
ServerMarking marking(const std::string& server, const std::string& sni, uint64_t n, uint64_t c, int dscp) {
    ServerMarking m;
    m.server = server;
    m.sni = sni;
    m.handshakes = n;
    m.completed = c;
    if (dscp >= 0) {
        m.marked = n;
        m.sh_dscp[static_cast<size_t>(dscp)] = n;
    }
    return m;
}

TEST(History, DaysAccumulatePerServerAndSni) {
    TempDb t;
    HistoryStore h(t.path);
    h.add("2026-11-16", marking(kSrv, kSni, 2, 1, 0));
    h.add("2026-11-16", marking(kSrv, kSni, 0, 1, -1));  // the stalled one completed after all
    h.add("2026-11-16", marking(kSrv, kSni, 1, 0, -1));  // ended before any ServerHello
    h.add("2026-11-16", marking(kSrv, kSni, 3, 0, 46));
    h.add("2026-11-16", marking("198.19.0.11:443", "", 1, 1, 46));
    h.add("2026-11-17", marking(kSrv, kSni, 1, 1, 0));
    auto days = h.days(kSrv);
    ASSERT_EQ(days.size(), 2u);
    const auto& m = days[0].marking;
    EXPECT_EQ(days[0].day, "2026-11-16");
    EXPECT_EQ(m.server, kSrv);
    EXPECT_EQ(m.sni, kSni);
    EXPECT_EQ(m.handshakes, 6u);
    EXPECT_EQ(m.completed, 2u);
    EXPECT_EQ(m.marked, 5u);
    EXPECT_EQ(m.sh_dscp[0], 2u);
    EXPECT_EQ(m.sh_dscp[46], 3u);
    EXPECT_EQ(days[1].marking.sh_dscp[0], 1u);
    EXPECT_EQ(h.days().size(), 3u);
}

TEST(History, DominantBeforeIgnoresTodayAndOtherSnis) {
    TempDb t;
    HistoryStore h(t.path);
    EXPECT_FALSE(h.dominant_before(kSrv, kSni, "2026-11-17"));
    h.add("2026-11-15", marking(kSrv, kSni, 2, 0, 46));
    h.add("2026-11-16", marking(kSrv, kSni, 5, 5, 0));
    h.add("2026-11-16", marking(kSrv, kSni, 9, 0, -1));
    h.add("2026-11-17", marking(kSrv, kSni, 50, 0, 46));
    h.add("2026-11-16", marking(kSrv, "other.example", 50, 0, 46));
    EXPECT_EQ(h.dominant_before(kSrv, kSni, "2026-11-17"), 0);
    EXPECT_EQ(h.dominant_before(kSrv, kSni, "2026-11-16"), 46);
    EXPECT_FALSE(h.dominant_before(kSrv, "none.example", "2026-11-17"));
}

TEST(Drift, AlertsOnceWhenTheMarkingChangesAgainstHistory) {
    TempDb t;
    {
        HistoryStore h(t.path);
        h.add("2026-11-16", marking(kSrv, kSni, 4, 4, 0));
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
    EXPECT_EQ(h.days().size(), 1u);
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
    h.add("2026-11-16", marking(kSrv, kSni, 4, 4, 0));
    h.add("2026-11-17", marking(kSrv, kSni, 3, 0, 46));
    h.record_alert({kSrv, kSni, "2026-11-17", 0, 46});
    auto text = render_history_text(h.days(), h.alerts());
    EXPECT_NE(text.find("2026-11-17"), std::string::npos);
    EXPECT_NE(text.find("46 (EF) in 100 % of 3 handshakes"), std::string::npos) << text;
    EXPECT_NE(text.find("100 %"), std::string::npos);
    EXPECT_NE(text.find("started marking its ServerHello EF on 2026-11-17; before, 0"), std::string::npos);
    auto j = render_history_json(h.days(), h.alerts());
    EXPECT_EQ(j["days"][1]["server_hello_dscp"]["46"], 3);
    EXPECT_EQ(j["days"][0]["completed"], 4);
    EXPECT_EQ(j["days"][0]["day"], "2026-11-16");
    EXPECT_EQ(j["alerts"][0]["before"], 0);
}

}  // namespace
}  // namespace dw
