// What went wrong while reading a capture, per kind: how often, and the first
// frame it happened at, so a message can name it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace dw {

enum class CaptureProblem : uint8_t {
    // Reading stops at these (at most one per file):
    TruncatedRecord,  // the file ends inside frame N (a capture cut short, or still being written)
    CorruptRecord,    // frame N's record is invalid (impossible length, bad block)
    LinkTypeChange,   // pcapng: frame N is on an interface of another link type (libpcap reads one per file)
    // Reading goes on after these:
    ShortFrame,       // frame N is shorter than its own link header: skipped
    HeadersCut,       // the snaplen cut frame N inside its headers: classified as far as they go
    Count_,
};
inline constexpr size_t kCaptureProblems = static_cast<size_t>(CaptureProblem::Count_);

// "truncated-record", "corrupt-record", ...: for JSON.
const char* to_string(CaptureProblem p);
// True for the problems that end reading.
bool stops_reading(CaptureProblem p);

struct CaptureIssue {
    CaptureProblem problem{};
    uint64_t count = 0;
    uint64_t first_frame = 0;  // 1-based frame number of the first occurrence
    std::string detail;        // for the first occurrence (libpcap's words, sizes)
    // One line: "frame 1234: the file ends inside this frame's record (...)"
    std::string text() const;
};

class CaptureIssues {
public:
    void add(CaptureProblem p, uint64_t frame, std::string detail);
    const std::optional<CaptureIssue>& get(CaptureProblem p) const { return by_kind_[static_cast<size_t>(p)]; }
    uint64_t count(CaptureProblem p) const;
    bool empty() const;
    // The problem that ended reading early, if any.
    const CaptureIssue* stop() const;

private:
    std::array<std::optional<CaptureIssue>, kCaptureProblems> by_kind_{};
};

}  // namespace dw
