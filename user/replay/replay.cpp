#include "replay/replay.hpp"

#include <sched.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "diag/collect.hpp"
#include "replay/workers.hpp"

namespace dw {
namespace {

// The largest frame BPF_PROG_TEST_RUN takes on XDP without fragments: a page
// less XDP headroom (256) and skb_shared_info (320). tc takes a little more.
constexpr size_t kMaxTestRunFrame = 4096 - 256 - 320;

// Pins the calling thread to the CPU it runs on, for one capture; cpu is -1
// when that is not possible (then every CPU's clock slot is set per frame).
struct PinHere {
    cpu_set_t old{};
    int cpu = -1;
    PinHere() {
        const int c = sched_getcpu();
        if (c < 0 || sched_getaffinity(0, sizeof(old), &old) != 0) return;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c, &one);
        if (sched_setaffinity(0, sizeof(one), &one) == 0) cpu = c;
    }
    ~PinHere() {
        if (cpu >= 0) sched_setaffinity(0, sizeof(old), &old);
    }
    PinHere(const PinHere&) = delete;
    PinHere& operator=(const PinHere&) = delete;
};

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
    if (opts_.threads > 1) {
        const auto cpus = usable_cpus(opts_.threads);
        if (cpus.size() > 1) {
            try {
                pool_ = std::make_unique<WorkerPool>(cls_, cpus, opts_.ifindex);
            } catch (const Error&) {
                pool_.reset();  // a CPU could not be pinned: replay in this thread
            }
        }
    }
}

Replayer::~Replayer() = default;

unsigned Replayer::threads() const { return pool_ ? static_cast<unsigned>(pool_->size()) : 1; }

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
    const PinHere pin;  // frames run in this thread: its CPU's clock slot is the one to set
    pinned_cpu_ = pin.cpu;
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
    collect_workers(fr);
    fr.frames_seen = r.frames_seen();
    fr.issues = r.issues();
    report_.classified += fr.classified;
    report_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return fr;
}

std::optional<std::span<const uint8_t>> Replayer::prepare(FileReport& fr, const CaptureFrame& f) {
    std::span<const uint8_t> frame = f.link.eth;
    // A frame the snaplen cut is zero-filled to its length on the wire, so
    // that lengths (IP total length, byte counters) are those of the wire.
    const size_t wire = f.wire_eth_len();
    if (wire > kMaxTestRunFrame) {
        fr.oversize.add(f.number);
        return std::nullopt;
    }
    if (f.cut && wire > frame.size()) {
        std::memcpy(in_.data(), frame.data(), frame.size());
        std::memset(in_.data() + frame.size(), 0, wire - frame.size());
        frame = {in_.data(), wire};
        fr.padded.add(f.number);
    }
    return frame;
}

void Replayer::run_one(FileReport& fr, DirectionMode mode, const CaptureFrame& f, const FrameSink& sink) {
    const Hook hook = choose_hook(opts_.direction, mode, f);
    const auto frame = prepare(fr, f);
    if (frame && pool_ && !sink) {
        pool_->submit(*frame, report_.clock_ns, f.number, hook);
        return;
    }
    if (!frame) {
        if (sink) sink(f, f.link.eth);
        return;
    }
    if (pinned_cpu_ >= 0) cls_.maps().set_clock_slot(static_cast<unsigned>(pinned_cpu_), report_.clock_ns);
    else cls_.maps().set_clock(report_.clock_ns);  // every CPU's slot
    uint32_t out_len = 0;
    const int err = cls_.run_into(hook, *frame, sink ? std::span<uint8_t>(out_) : std::span<uint8_t>(), &out_len,
                                  opts_.ifindex);
    if (err == -EINVAL) {  // e.g. tc refuses an IPv4 EtherType with less than an IPv4 header behind it
        fr.refused.add(f.number);
        if (sink) sink(f, f.link.eth);
        return;
    }
    if (err) throw_errno("BPF_PROG_TEST_RUN on frame " + std::to_string(f.number) + " of " + fr.name, err);
    ++fr.classified;
    ++(hook_dir(hook) == DW_DIR_EGRESS ? fr.egress : fr.ingress);
    if (sink) sink(f, {out_.data(), std::min<size_t>(out_len, f.link.eth.size())});
}

void Replayer::collect_workers(FileReport& fr) {
    if (!pool_) return;
    const WorkerTally t = pool_->collect();
    fr.classified += t.classified;
    fr.ingress += t.ingress;
    fr.egress += t.egress;
    if (t.refused.count && (!fr.refused.count || t.refused.first < fr.refused.first)) fr.refused.first = t.refused.first;
    fr.refused.count += t.refused.count;
    if (!t.error.empty()) throw Error(fr.name + ": " + t.error);
}

void Replayer::finish() {
    absorb_events(cls_.maps());
    since_drain_ = 0;
}

}  // namespace dw
