// The JSON-lines event log: one valid object per line, rotation by size, and
// failures that are reported, not fatal.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "export/eventlog.hpp"

namespace fs = std::filesystem;

namespace dw {
namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/dw-eventlog-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<nlohmann::json> read_lines(const fs::path& p) {
    std::vector<nlohmann::json> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
}

TEST(EventLog, AppendsOneObjectPerLine) {
    TempDir d;
    EventLog log((d.path / "ev.jsonl").string(), 0, 3);
    ASSERT_TRUE(log.write({{"event", "verdict"}, {"n", 1}}));
    ASSERT_TRUE(log.write({{"event", "remark_mode"}, {"text", "a\nb"}}));
    auto lines = read_lines(d.path / "ev.jsonl");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["n"], 1);
    EXPECT_EQ(lines[1]["text"], "a\nb");
}

TEST(EventLog, RotatesBySizeAndKeepsN) {
    TempDir d;
    const auto p = d.path / "ev.jsonl";
    EventLog log(p.string(), 100, 2);
    for (int i = 0; i < 20; i++) ASSERT_TRUE(log.write({{"i", i}, {"pad", std::string(30, 'x')}}));
    EXPECT_LE(fs::file_size(p), 100u);
    EXPECT_TRUE(fs::exists(d.path / "ev.jsonl.1"));
    EXPECT_TRUE(fs::exists(d.path / "ev.jsonl.2"));
    EXPECT_FALSE(fs::exists(d.path / "ev.jsonl.3"));
    // The newest line is in the live file, the lines before it in .1, in order.
    auto live = read_lines(p), prev = read_lines(d.path / "ev.jsonl.1");
    EXPECT_EQ(live.back()["i"], 19);
    EXPECT_EQ(prev.back()["i"].get<int>() + static_cast<int>(live.size()), live.back()["i"].get<int>());
}

TEST(EventLog, FailureIsReportedAndRecovers) {
    TempDir d;
    const auto dir = d.path / "gone";
    fs::create_directory(dir);
    EventLog log((dir / "ev.jsonl").string(), 0, 1);
    ASSERT_TRUE(log.write({{"i", 1}}));
    fs::remove_all(dir);
    // The open file is gone with its directory: the log notices and fails loudly.
    EXPECT_FALSE(log.write({{"i", 3}}));
    EXPECT_NE(log.error().find("cannot open event log"), std::string::npos) << log.error();
    fs::create_directory(dir);
    EXPECT_TRUE(log.write({{"i", 4}}));
    EXPECT_EQ(read_lines(dir / "ev.jsonl").back()["i"], 4);
}

TEST(EventLog, Iso8601) { EXPECT_EQ(iso8601_utc(1795430400123000000ull), "2026-11-23T10:40:00.123Z"); }

}  // namespace
}  // namespace dw
