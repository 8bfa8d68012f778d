#include "replay/replay.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "diag/collect.hpp"

namespace dw {
namespace {

// The largest frame BPF_PROG_TEST_RUN takes on XDP without fragments: a page
// less XDP headroom (256) and skb_shared_info (320). tc takes a little more.
constexpr size_t kMaxTestRunFrame = 4096 - 256 - 320;

}  // namespace

bool FileReport::complete() const {
    return open_error.empty() && issues.empty() && !oversize.count && !refused.count;
}

bool ReplayReport::complete() const {
    for (const auto& f : files)
        if (!f.complete()) return false;
    return true;
}

Replayer::Replayer(Classifier& cls, ReplayOptions opts) : cls_(cls), opts_(std::move(opts)) {
    in_.resize(kMaxTestRunFrame);
    out_.resize(kMaxTestRunFrame + 256);
}

void Replayer::add_unreadable(const std::string& name, const std::string& error) {
    auto& fr = report_.files.emplace_back();
    fr.name = name;
    fr.open_error = error;
}

FileReport& Replayer::feed_file(const std::string& path, const FrameSink& sink) {
    std::unique_ptr<CaptureReader> r;
    try {
        r = CaptureReader::open(path);
    } catch (const Error& e) {
        add_unreadable(path, e.line());
        return report_.files.back();
    }
    return feed(*r, sink);
}

FileReport& Replayer::feed(CaptureReader& r, const FrameSink& sink) {
    const auto t0 = std::chrono::steady_clock::now();
    auto& fr = report_.files.emplace_back();
    fr.name = r.name();
    fr.dlt = r.dlt();
    fr.kind = r.link_kind();
    fr.pcapng = r.pcapng();
    fr.snaplen = r.snaplen();
    fr.direction = opts_.direction.describe(fr.kind);
    const DirectionMode mode = opts_.direction.effective(fr.kind);
    CaptureFrame f;
    for (bool first = true; r.next(f); first = false) {
        if (first) fr.first_ts_ns = f.ts_ns;
        fr.last_ts_ns = f.ts_ns;
        if (f.ts_ns < report_.clock_ns) fr.clock_back.add(f.number);
        else report_.clock_ns = f.ts_ns;
        run_one(fr, mode, f, sink);
        if (++since_drain_ >= opts_.drain_every) {
            absorb_events(cls_.maps());
            since_drain_ = 0;
        }
    }
    fr.frames_seen = r.frames_seen();
    fr.issues = r.issues();
    report_.classified += fr.classified;
    report_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return fr;
}

void Replayer::run_one(FileReport& fr, DirectionMode mode, const CaptureFrame& f, const FrameSink& sink) {
    const Hook hook = choose_hook(opts_.direction, mode, f);
    std::span<const uint8_t> frame = f.link.eth;
    // A frame the snaplen cut is zero-filled to its length on the wire, so
    // that lengths (IP total length, byte counters) are those of the wire.
    const size_t wire = f.wire_eth_len();
    if (wire > kMaxTestRunFrame) {
        fr.oversize.add(f.number);
        if (sink) sink(f, f.link.eth);
        return;
    }
    if (f.cut && wire > frame.size()) {
        std::memcpy(in_.data(), frame.data(), frame.size());
        std::memset(in_.data() + frame.size(), 0, wire - frame.size());
        frame = {in_.data(), wire};
        fr.padded.add(f.number);
    }
    cls_.maps().set_clock(report_.clock_ns);
    uint32_t out_len = 0;
    const int err = cls_.run_into(hook, frame, sink ? std::span<uint8_t>(out_) : std::span<uint8_t>(), &out_len,
                                  opts_.ifindex);
    if (err == -EINVAL) {  // e.g. tc refuses an IPv4 EtherType with less than an IPv4 header behind it
        fr.refused.add(f.number);
        if (sink) sink(f, f.link.eth);
        return;
    }
    if (err) throw_errno("BPF_PROG_TEST_RUN on frame " + std::to_string(f.number) + " of " + fr.name, err);
    ++fr.classified;
    ++(hook == Hook::TcEgress ? fr.egress : fr.ingress);
    if (sink) sink(f, {out_.data(), std::min<size_t>(out_len, f.link.eth.size())});
}

void Replayer::finish() {
    absorb_events(cls_.maps());
    since_drain_ = 0;
}

}  // namespace dw
