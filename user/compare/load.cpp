#include "compare/load.hpp"

#include <algorithm>

#include "capture/reader.hpp"

namespace dw {

LoadedCapture load_segments(const std::string& path) {
    LoadedCapture out;
    CaptureSegments& c = out.segs;
    c.name = path;
    auto reader = CaptureReader::open(path);
    CaptureFrame f;
    bool first = true;
    while (reader->next(f)) {
        if (first) c.first_ns = f.ts_ns;
        first = false;
        c.last_ns = std::max(c.last_ns, f.ts_ns);
        Decoded d = decode_ethernet(f.link.eth, f.ts_ns, f.number);
        switch (d.kind) {
        case FrameKind::Tcp: c.segs.push_back(std::move(d.seg)); break;
        case FrameKind::OtherIp: c.other_ip++; break;
        case FrameKind::NotIp: c.not_ip++; break;
        case FrameKind::Fragment: c.fragments++; break;
        case FrameKind::Malformed: c.malformed++; break;
        }
    }
    c.frames = reader->frames_seen();
    const auto& issues = reader->issues();
    if (const auto* stop = issues.stop())
        out.warnings.push_back(path + ": " + stop->text() + "; compared up to there (later segments count as outside its window)");
    if (const auto& cut = issues.get(CaptureProblem::HeadersCut))
        out.warnings.push_back(path + ": " + cut->text() + " (" + std::to_string(cut->count) +
                               " frames cut inside their headers; recapture with a larger snaplen, e.g. tcpdump -s 0)");
    if (const auto& s = issues.get(CaptureProblem::ShortFrame))
        out.warnings.push_back(path + ": " + s->text() + " (" + std::to_string(s->count) + " frames skipped)");
    return out;
}

}  // namespace dw
