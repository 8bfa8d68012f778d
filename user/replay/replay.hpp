// Replays captures through a private classifier: every frame, in the
// capture's order, with BPF_PROG_TEST_RUN on the hook its direction picks,
// and the classifier's clock set to the frame's capture timestamp. The
// classifier must be loaded with LoadOptions::replay_clock and must not be
// the pinned live instance (its maps would mix with live traffic).
//
//   auto cls = dw::Classifier::load({.replay_clock = true, .hooks = policy.hooks()});
//   dw::Replayer rp(*cls, {.direction = policy});
//   rp.feed_file("gw.pcap");
//   rp.finish();                       // drains the last events (SNI, versions)
//   auto d = dw::diagnose(cls->maps(), {.now_ns = rp.report().clock_ns});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bpf/classifier.hpp"
#include "capture/reader.hpp"
#include "replay/direction.hpp"

namespace dw {

struct ReplayOptions {
    DirectionPolicy direction;
    uint32_t ifindex = 1;          // the interface frames arrive on in test runs (must exist: lo is 1)
    uint32_t drain_every = 512;    // frames between drains of the event ring (1 MiB; a hello event is ~700 B)
    // Worker threads, one per CPU and pinned there, frames sharded by address
    // pair. 1: this thread. Frames for a sink (--write) always run here, in order.
    unsigned threads = 1;
};

// A count of frames and the first frame (1-based, in its file) it happened to.
struct FrameTally {
    uint64_t count = 0;
    uint64_t first = 0;
    void add(uint64_t frame) {
        if (!count++) first = frame;
    }
};

// What one capture file gave.
struct FileReport {
    std::string name;
    std::string open_error;       // set when the file could not be read at all (nothing else is then)
    int dlt = 0;
    LinkKind kind = LinkKind::Ethernet;
    bool pcapng = false;
    uint32_t snaplen = 0;
    std::string direction;        // how frames were split, in words
    uint64_t frames_seen = 0;     // records read from the file (skipped ones included)
    uint64_t classified = 0;      // frames run through the classifier
    uint64_t ingress = 0, egress = 0;
    uint64_t first_ts_ns = 0, last_ts_ns = 0;
    CaptureIssues issues;         // the reader's: truncated/corrupt records, short frames, headers cut
    FrameTally padded;            // cut by the snaplen: zero-filled to their wire length for the classifier
    FrameTally oversize;          // larger than BPF_PROG_TEST_RUN takes (GRO/TSO captures): skipped
    FrameTally refused;           // refused by the kernel for another reason: skipped
    FrameTally clock_back;        // timestamp earlier than the frame before: the clock stays
    bool complete() const;        // read to the end, nothing skipped
};

struct ReplayReport {
    std::vector<FileReport> files;
    uint64_t clock_ns = 0;        // the replay clock at the end (the last frame's time): "now" for the views
    uint64_t classified = 0;
    double seconds = 0;           // wall time spent replaying
    bool complete() const;
};

// Receives each frame as the classifier left it: `eth` is the output frame
// in Ethernet shape, cut back to the captured length (for --write).
using FrameSink = std::function<void(const CaptureFrame& in, std::span<const uint8_t> eth)>;

class WorkerPool;

class Replayer {
public:
    Replayer(Classifier& cls, ReplayOptions opts);
    ~Replayer();
    // Threads that run frames (1 when no pool could be set up).
    unsigned threads() const;

    // Feeds every frame of one capture. Frames the classifier cannot take
    // reach the sink unchanged.
    FileReport& feed(CaptureReader& r, const FrameSink& sink = {});
    // Opens and feeds a file; a file that cannot be read gets a report with open_error.
    FileReport& feed_file(const std::string& path, const FrameSink& sink = {});
    // Records a file that could not be opened (its report carries the error).
    void add_unreadable(const std::string& name, const std::string& error);
    // Drains the event ring: call once after the last feed, before reading results.
    void finish();

    const ReplayReport& report() const { return report_; }

private:
    void run_one(FileReport& fr, DirectionMode mode, const CaptureFrame& f, const FrameSink& sink);
    // The frame as the classifier gets it (zero-filled to wire length), or nullopt when too large.
    std::optional<std::span<const uint8_t>> prepare(FileReport& fr, const CaptureFrame& f);
    void collect_workers(FileReport& fr);

    Classifier& cls_;
    ReplayOptions opts_;
    ReplayReport report_;
    std::vector<uint8_t> in_;   // padded input frames
    std::vector<uint8_t> out_;  // output frames (with a sink)
    uint64_t since_drain_ = 0;
    std::unique_ptr<WorkerPool> pool_;
    int pinned_cpu_ = -1;  // the CPU this thread is pinned to while it feeds; -1: not pinned
};

}  // namespace dw
