#include "replay/workers.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace dw {
namespace {

constexpr size_t kBatchFrames = 128;  // frames per hand-over
constexpr size_t kQueueBatches = 4;   // batches waiting per worker before submit() waits

uint32_t fnv(const uint8_t* p, size_t n, uint32_t h = 2166136261u) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    return h;
}

}  // namespace

std::vector<int> usable_cpus(size_t max) {
    cpu_set_t set;
    CPU_ZERO(&set);
    std::vector<int> out;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return out;
    for (int c = 0; c < CPU_SETSIZE && out.size() < max; ++c)
        if (CPU_ISSET(c, &set)) out.push_back(c);
    return out;
}

uint32_t shard_of(std::span<const uint8_t> b) {
    const auto src = source_address(b);
    if (!src.family) return 0;
    const size_t n = src.family == 4 ? 4 : 16;
    const uint8_t* dst = src.addr + n;  // the destination follows the source in both IP headers
    if (dst + n > b.data() + b.size()) return 0;
    uint8_t x[16];
    for (size_t i = 0; i < n; ++i) x[i] = src.addr[i] ^ dst[i];  // symmetric in the two addresses
    return fnv(x, n);
}

WorkerPool::WorkerPool(Classifier& cls, const std::vector<int>& cpus, uint32_t ifindex)
    : cls_(cls), ifindex_(ifindex) {
    for (int cpu : cpus) {
        auto w = std::make_unique<Worker>();
        w->cpu = cpu;
        Worker* wp = w.get();
        workers_.push_back(std::move(w));
        wp->thread = std::thread([this, wp] { run(*wp); });
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        // Pinned before its first frame: it sleeps until work is handed over.
        if (int err = pthread_setaffinity_np(wp->thread.native_handle(), sizeof(set), &set))
            throw_errno("pinning a replay thread to CPU " + std::to_string(cpu), err);
    }
}

WorkerPool::~WorkerPool() {
    for (auto& w : workers_) {
        {
            std::lock_guard lk(w->m);
            w->stop = true;
        }
        w->cv.notify_all();
    }
    for (auto& w : workers_)
        if (w->thread.joinable()) w->thread.join();
}

void WorkerPool::run(Worker& w) {
    MapSet& maps = cls_.maps();
    for (;;) {
        Batch b;
        {
            std::unique_lock lk(w.m);
            w.cv.wait(lk, [&] { return !w.queue.empty() || w.stop; });
            if (w.queue.empty()) return;
            b = std::move(w.queue.front());
            w.queue.pop_front();
        }
        w.cv.notify_all();  // room in the queue
        for (const auto& it : b.items) {
            maps.set_clock_slot(static_cast<unsigned>(w.cpu), it.ts_ns);
            const int err = cls_.run_into(it.hook, {b.bytes.data() + it.off, it.len}, {}, nullptr, ifindex_);
            if (err == -EINVAL) {
                w.tally.refused.add(it.number);
            } else if (err) {
                if (w.tally.error.empty())
                    w.tally.error = "BPF_PROG_TEST_RUN on frame " + std::to_string(it.number) + ": " + std::strerror(-err);
            } else {
                ++w.tally.classified;
                ++(hook_dir(it.hook) == DW_DIR_EGRESS ? w.tally.egress : w.tally.ingress);
            }
        }
        {
            std::lock_guard lk(w.m);
            --w.busy;
        }
        w.cv.notify_all();
    }
}

void WorkerPool::hand_over(Worker& w) {
    if (w.filling.items.empty()) return;
    std::unique_lock lk(w.m);
    w.cv.wait(lk, [&] { return w.queue.size() < kQueueBatches; });
    w.queue.push_back(std::move(w.filling));
    ++w.busy;
    lk.unlock();
    w.cv.notify_all();
    w.filling = Batch{};
}

void WorkerPool::submit(std::span<const uint8_t> frame, uint64_t ts_ns, uint64_t number, Hook hook) {
    Worker& w = *workers_[shard_of(frame) % workers_.size()];
    auto& b = w.filling;
    b.items.push_back({static_cast<uint32_t>(b.bytes.size()), static_cast<uint32_t>(frame.size()), ts_ns, number, hook});
    b.bytes.insert(b.bytes.end(), frame.begin(), frame.end());
    if (b.items.size() >= kBatchFrames) hand_over(w);
}

WorkerTally WorkerPool::collect() {
    for (auto& w : workers_) hand_over(*w);
    WorkerTally sum;
    for (auto& w : workers_) {
        std::unique_lock lk(w->m);
        w->cv.wait(lk, [&] { return w->busy == 0; });
        const auto& t = w->tally;
        sum.classified += t.classified;
        sum.ingress += t.ingress;
        sum.egress += t.egress;
        if (t.refused.count && (!sum.refused.count || t.refused.first < sum.refused.first)) sum.refused.first = t.refused.first;
        sum.refused.count += t.refused.count;
        if (sum.error.empty()) sum.error = t.error;
        w->tally = WorkerTally{};
    }
    return sum;
}

}  // namespace dw
