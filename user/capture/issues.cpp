#include "capture/issues.hpp"

namespace dw {

const char* to_string(CaptureProblem p) {
    switch (p) {
    case CaptureProblem::TruncatedRecord: return "truncated-record";
    case CaptureProblem::CorruptRecord: return "corrupt-record";
    case CaptureProblem::LinkTypeChange: return "link-type-change";
    case CaptureProblem::ShortFrame: return "short-frame";
    case CaptureProblem::HeadersCut: return "headers-cut";
    case CaptureProblem::Count_: break;
    }
    return "?";
}

bool stops_reading(CaptureProblem p) {
    return p == CaptureProblem::TruncatedRecord || p == CaptureProblem::CorruptRecord ||
           p == CaptureProblem::LinkTypeChange;
}

std::string CaptureIssue::text() const {
    std::string what;
    switch (problem) {
    case CaptureProblem::TruncatedRecord: what = "the file ends inside this frame's record; reading stopped"; break;
    case CaptureProblem::CorruptRecord: what = "corrupt record; reading stopped"; break;
    case CaptureProblem::LinkTypeChange:
        what = "an interface of another link type starts here (libpcap reads one link type per file); reading stopped";
        break;
    case CaptureProblem::ShortFrame: what = "shorter than its link-layer header; skipped"; break;
    case CaptureProblem::HeadersCut:
        what = "the snaplen cut the frame inside its headers; classified as far as they go";
        break;
    case CaptureProblem::Count_: break;
    }
    std::string s = "frame " + std::to_string(first_frame) + ": " + what;
    if (!detail.empty()) s += " (" + detail + ")";
    if (count > 1) s += "; " + std::to_string(count) + " frames in all";
    return s;
}

void CaptureIssues::add(CaptureProblem p, uint64_t frame, std::string detail) {
    auto& slot = by_kind_[static_cast<size_t>(p)];
    if (!slot) slot = CaptureIssue{p, 0, frame, std::move(detail)};
    ++slot->count;
}

uint64_t CaptureIssues::count(CaptureProblem p) const {
    const auto& s = get(p);
    return s ? s->count : 0;
}

bool CaptureIssues::empty() const {
    for (const auto& s : by_kind_)
        if (s) return false;
    return true;
}

const CaptureIssue* CaptureIssues::stop() const {
    for (const auto& s : by_kind_)
        if (s && stops_reading(s->problem)) return &*s;
    return nullptr;
}

}  // namespace dw
