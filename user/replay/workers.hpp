// Replay on several CPUs: one worker thread per CPU, pinned there, running
// BPF_PROG_TEST_RUN with its own CPU's clock slot. Frames are sharded by
// their address pair (symmetric, so both directions of a flow, and every
// fragment of a packet, go to the same worker), and each worker runs its
// frames in capture order: per-flow order is kept, which is all the
// classifier's state depends on. Per-CPU maps merge as they do live.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bpf/classifier.hpp"
#include "replay/replay.hpp"

namespace dw {

// What the workers did since the last collect().
struct WorkerTally {
    uint64_t classified = 0, ingress = 0, egress = 0;
    FrameTally refused;
    std::string error;  // the first failing test run (other than a refused frame)
};

class WorkerPool {
public:
    // One worker per CPU in `cpus`; throws dw::Error if a thread cannot be pinned.
    WorkerPool(Classifier& cls, const std::vector<int>& cpus, uint32_t ifindex);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    size_t size() const { return workers_.size(); }
    // Queues one frame (copied) for the worker its shard picks.
    void submit(std::span<const uint8_t> frame, uint64_t ts_ns, uint64_t number, Hook hook);
    // Waits until every queued frame has run; returns the tallies since the last collect.
    WorkerTally collect();

private:
    struct Item {
        uint32_t off = 0, len = 0;
        uint64_t ts_ns = 0, number = 0;
        Hook hook = Hook::Xdp;
    };
    struct Batch {
        std::vector<uint8_t> bytes;
        std::vector<Item> items;
    };
    struct Worker {
        int cpu = 0;
        std::thread thread;
        std::mutex m;
        std::condition_variable cv;  // work, space or idleness changed
        std::deque<Batch> queue;
        size_t busy = 0;             // batches queued or running
        bool stop = false;
        Batch filling;               // being filled by submit()
        WorkerTally tally;           // written by the worker, read after collect() waited
    };
    void run(Worker& w);
    void hand_over(Worker& w);

    Classifier& cls_;
    uint32_t ifindex_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

// The CPUs this process may run on, at most `max`.
std::vector<int> usable_cpus(size_t max);
// A shard number for a frame: the same for both directions of an address pair; 0 for non-IP.
uint32_t shard_of(std::span<const uint8_t> eth);

}  // namespace dw
