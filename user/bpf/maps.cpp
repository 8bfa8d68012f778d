#include "bpf/maps.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/error.hpp"

namespace dw {
namespace {

unsigned ncpus() {
    static const int n = libbpf_num_possible_cpus();
    if (n <= 0) throw Error("cannot count the possible CPUs");
    return static_cast<unsigned>(n);
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Visits every key of a hash map. The callback may not delete the key it is given.
template <typename Key, typename F>
void for_each_key(int fd, F&& f) {
    Key cur{}, next{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        f(next);
        cur = next;
        prev = &cur;
    }
}

template <typename Key>
std::vector<Key> all_keys(int fd) {
    std::vector<Key> keys;
    for_each_key<Key>(fd, [&](const Key& k) { keys.push_back(k); });
    return keys;
}

// Sum of a per-CPU dw_counter value.
bool read_percpu_counter(int fd, const void* key, dw_counter& out) {
    std::vector<dw_counter> v(ncpus());
    if (bpf_map_lookup_elem(fd, key, v.data()) != 0) return false;
    out = {};
    for (const auto& c : v) {
        out.packets += c.packets;
        out.bytes += c.bytes;
    }
    return true;
}

template <typename Key>
void delete_all(int fd) {
    for (const auto& k : all_keys<Key>(fd)) bpf_map_delete_elem(fd, &k);
}

constexpr uint64_t kSlotReuseGapNs = 2'000'000;  // >> one program run (µs)

}  // namespace

MapSet::MapSet(MapFds fds) : fds_(fds) {
    long page = sysconf(_SC_PAGESIZE);
    void* p = mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_WRITE, MAP_SHARED, fds_.active, 0);
    if (p != MAP_FAILED) active_map_ = p;
    // The replay clock is mmapable too (older pinned instances may lack the
    // flag: set_clock then falls back to a map update).
    if (fds_.clock >= 0) {
        void* c = mmap(nullptr, static_cast<size_t>(page), PROT_READ | PROT_WRITE, MAP_SHARED, fds_.clock, 0);
        if (c != MAP_FAILED) clock_map_ = c;
    }
}

MapSet::~MapSet() {
    if (active_map_) munmap(active_map_, static_cast<size_t>(sysconf(_SC_PAGESIZE)));
    if (clock_map_) munmap(clock_map_, static_cast<size_t>(sysconf(_SC_PAGESIZE)));
    if (ring_) ring_buffer__free(ring_);
}

uint64_t* MapSet::active_ptr() const { return static_cast<uint64_t*>(active_map_); }

std::vector<IfCounter> MapSet::if_counters() const {
    std::vector<IfCounter> out;
    for_each_key<dw_if_key>(fds_.if_stats, [&](const dw_if_key& k) {
        dw_counter c{};
        if (!read_percpu_counter(fds_.if_stats, &k, c)) return;
        out.push_back({k.ifindex, k.dir, k.slot, c.packets, c.bytes});
    });
    return out;
}

std::vector<RemarkCounter> MapSet::remark_counters() const {
    std::vector<RemarkCounter> out;
    for_each_key<dw_remark_key>(fds_.remarks, [&](const dw_remark_key& k) {
        dw_counter c{};
        if (!read_percpu_counter(fds_.remarks, &k, c)) return;
        out.push_back({k.ifindex, k.dir, k.from, k.to, c.packets, c.bytes});
    });
    return out;
}

Counters MapSet::counters() const {
    Counters out{};
    std::vector<uint64_t> v(ncpus());
    for (uint32_t i = 0; i < DW_CNT_MAX; i++) {
        if (bpf_map_lookup_elem(fds_.counters, &i, v.data()) != 0)
            throw_errno("reading counter " + std::to_string(i), errno);
        for (auto x : v) out[i] += x;
    }
    return out;
}

namespace {

// Every entry of a hash map keyed by dw_flow_key, with batch lookups where the
// kernel has them and a key-by-key walk where it does not.
template <typename Entry, typename Value>
std::vector<Entry> dump_by_flow_key(int fd, Value Entry::*value, const char* what) {
    std::vector<Entry> out;
    const uint32_t batch = 4096;
    std::vector<dw_flow_key> keys(batch);
    std::vector<Value> vals(batch);
    dw_flow_key in{}, outk{};
    bool first = true;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    for (;;) {
        uint32_t count = batch;
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &in, &outk, keys.data(), vals.data(), &count, &opts);
        int e = err ? errno : 0;
        for (uint32_t i = 0; i < count; i++) {
            Entry en{};
            en.key = keys[i];
            en.*value = vals[i];
            out.push_back(en);
        }
        if (err && e == ENOENT) break;  // end of the table
        if (err && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP) && first && count == 0) {
            out.clear();
            for_each_key<dw_flow_key>(fd, [&](const dw_flow_key& k) {
                Entry en{};
                en.key = k;
                if (bpf_map_lookup_elem(fd, &k, &(en.*value)) == 0) out.push_back(en);
            });
            break;
        }
        if (err) throw_errno(std::string("reading the ") + what, e);
        in = outk;
        first = false;
    }
    return out;
}

uint32_t max_entries_of(int fd, const char* what) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) throw_errno(std::string("reading the ") + what + " info", errno);
    return info.max_entries;
}

}  // namespace

std::vector<FlowEntry> MapSet::flows() const {
    return dump_by_flow_key<FlowEntry>(fds_.flows, &FlowEntry::flow, "flow table");
}

uint32_t MapSet::flow_capacity() const { return max_entries_of(fds_.flows, "flow table"); }

std::vector<HandshakeEntry> MapSet::handshakes() const {
    return dump_by_flow_key<HandshakeEntry>(fds_.hs, &HandshakeEntry::hs, "handshake table");
}

uint32_t MapSet::handshake_capacity() const { return max_entries_of(fds_.hs, "handshake table"); }

std::vector<Event> MapSet::drain_events() const {
    std::vector<Event> out;
    // One ring_buffer for the MapSet's life: it maps the ring once, so that
    // frequent drains (replay drains every few hundred frames) stay cheap.
    if (!ring_) {
        auto cb = [](void* ctx, void* data, size_t size) -> int {
            auto* v = *static_cast<std::vector<Event>**>(ctx);
            if (size < sizeof(dw_event)) return 0;
            Event e;
            std::memcpy(&e.hdr, data, sizeof(dw_event));
            size_t n = std::min<size_t>(e.hdr.snippet_len, size - sizeof(dw_event));
            const auto* snip = static_cast<const uint8_t*>(data) + sizeof(dw_event);
            e.snippet.assign(snip, snip + n);
            v->push_back(std::move(e));
            return 0;
        };
        ring_ = ring_buffer__new(fds_.events, cb, &ring_sink_, nullptr);
        if (!ring_) throw_errno("opening the event ring buffer", errno);
    }
    ring_sink_ = &out;
    int n = ring_buffer__consume(ring_);
    ring_sink_ = nullptr;
    if (n < 0) throw_errno("reading the event ring buffer", n);
    return out;
}

int create_tls_info_map(uint32_t entries) {
    LIBBPF_OPTS(bpf_map_create_opts, mo);
    int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "dw_tlsinfo", sizeof(dw_flow_key), sizeof(TlsInfo), entries, &mo);
    if (fd < 0) throw_errno("creating the TLS details map", errno);
    return fd;
}

void MapSet::put_tls_info(const dw_flow_key& key, const TlsInfo& info) {
    if (fds_.tlsinfo < 0) return;
    if (bpf_map_update_elem(fds_.tlsinfo, &key, &info, BPF_ANY) != 0) throw_errno("storing TLS details", errno);
}

bool MapSet::tls_info(const dw_flow_key& key, TlsInfo& out) const {
    return fds_.tlsinfo >= 0 && bpf_map_lookup_elem(fds_.tlsinfo, &key, &out) == 0;
}

uint64_t MapSet::generation() const {
    if (auto* p = active_ptr()) return std::atomic_ref<uint64_t>(*p).load(std::memory_order_acquire);
    uint32_t zero = 0;
    dw_active a{};
    if (bpf_map_lookup_elem(fds_.active, &zero, &a) != 0) throw_errno("reading the active generation", errno);
    return a.generation;
}

void MapSet::publish(const RemarkConfig& cfg) {
    validate(cfg);
    const uint64_t cur = generation();
    const uint64_t next = cur + 1;
    const uint32_t slot = next & 1;
    const uint32_t cur_slot = cur & 1;

    // A packet that read the generation before the previous flip may still be
    // using the slot we are about to reuse. Program runs take microseconds;
    // make sure that much time has passed since that flip.
    dw_config cur_cfg{};
    if (bpf_map_lookup_elem(fds_.config, &cur_slot, &cur_cfg) == 0 && cur_cfg.published_ns) {
        uint64_t now = monotonic_ns();
        if (now < cur_cfg.published_ns + kSlotReuseGapNs)
            std::this_thread::sleep_for(std::chrono::nanoseconds(cur_cfg.published_ns + kSlotReuseGapNs - now));
    }

    // Clear the idle generation's exemptions, then write the new ones.
    for (const auto& k : all_keys<dw_lpm_v4>(fds_.exempt_v4))
        if (k.gen == slot) bpf_map_delete_elem(fds_.exempt_v4, &k);
    for (const auto& k : all_keys<dw_lpm_v6>(fds_.exempt_v6))
        if (k.gen == slot) bpf_map_delete_elem(fds_.exempt_v6, &k);

    dw_config c{};
    c.generation = next;
    c.mode = static_cast<uint32_t>(cfg.mode);
    c.dirs = cfg.dirs;
    std::memcpy(c.map, cfg.map.data(), sizeof(c.map));
    const uint8_t one = 1;
    for (const auto& p : cfg.exempt_prefixes) {
        int err;
        if (p.family == 4) {
            dw_lpm_v4 k{};
            k.prefixlen = 8u + p.len;
            k.gen = static_cast<uint8_t>(slot);
            std::memcpy(k.addr, p.addr.data(), 4);
            err = bpf_map_update_elem(fds_.exempt_v4, &k, &one, BPF_ANY);
            c.n_prefix_v4++;
        } else {
            dw_lpm_v6 k{};
            k.prefixlen = 8u + p.len;
            k.gen = static_cast<uint8_t>(slot);
            std::memcpy(k.addr, p.addr.data(), 16);
            err = bpf_map_update_elem(fds_.exempt_v6, &k, &one, BPF_ANY);
            c.n_prefix_v6++;
        }
        if (err) throw_errno("writing exempt prefix " + p.str(), errno);
    }
    for (const auto& r : cfg.exempt_ports) {
        auto& d = c.ports[c.n_port_ranges++];
        d.proto = r.proto;
        d.lo = r.lo;
        d.hi = r.hi;
    }
    c.published_ns = monotonic_ns();
    if (bpf_map_update_elem(fds_.config, &slot, &c, BPF_ANY) != 0)
        throw_errno("writing the remark configuration", errno);

    // Publish: one atomic store of the generation.
    if (auto* p = active_ptr()) {
        std::atomic_ref<uint64_t>(*p).store(next, std::memory_order_release);
    } else {
        uint32_t zero = 0;
        dw_active a{next};
        if (bpf_map_update_elem(fds_.active, &zero, &a, BPF_ANY) != 0)
            throw_errno("publishing the remark configuration", errno);
    }
}

RemarkConfig MapSet::active_config() const {
    const uint64_t gen = generation();
    const uint32_t slot = gen & 1;
    dw_config c{};
    if (bpf_map_lookup_elem(fds_.config, &slot, &c) != 0) throw_errno("reading the remark configuration", errno);
    RemarkConfig cfg;
    if (gen == 0) return cfg;  // never published: the defaults (off)
    cfg.mode = static_cast<RemarkMode>(c.mode);
    cfg.dirs = c.dirs;
    std::memcpy(cfg.map.data(), c.map, sizeof(c.map));
    for (uint32_t i = 0; i < c.n_port_ranges && i < DW_MAX_PORT_RANGES; i++)
        cfg.exempt_ports.push_back({c.ports[i].proto, c.ports[i].lo, c.ports[i].hi});
    for (const auto& k : all_keys<dw_lpm_v4>(fds_.exempt_v4)) {
        if (k.gen != slot) continue;
        Prefix p;
        p.family = 4;
        p.len = static_cast<uint8_t>(k.prefixlen - 8);
        std::memcpy(p.addr.data(), k.addr, 4);
        cfg.exempt_prefixes.push_back(p);
    }
    for (const auto& k : all_keys<dw_lpm_v6>(fds_.exempt_v6)) {
        if (k.gen != slot) continue;
        Prefix p;
        p.family = 6;
        p.len = static_cast<uint8_t>(k.prefixlen - 8);
        std::memcpy(p.addr.data(), k.addr, 16);
        cfg.exempt_prefixes.push_back(p);
    }
    return cfg;
}

void MapSet::set_clock(uint64_t now_ns) {
    // Every CPU's slot: the caller's next test run may run on any CPU.
    if (clock_map_) {
        auto* c = static_cast<dw_clock*>(clock_map_);
        for (uint32_t i = 0; i < DW_CLOCK_SLOTS; i++)
            std::atomic_ref<__u64>(c[i].now_ns).store(now_ns, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        return;
    }
    std::vector<dw_clock> all(DW_CLOCK_SLOTS, dw_clock{now_ns});
    for (uint32_t i = 0; i < DW_CLOCK_SLOTS; i++)
        if (bpf_map_update_elem(fds_.clock, &i, &all[i], BPF_ANY) != 0) throw_errno("setting the replay clock", errno);
}

void MapSet::set_clock_slot(unsigned cpu, uint64_t now_ns) {
    if (!clock_map_) throw Error("the replay clock is not mmapable here", "load the classifier with LoadOptions::replay_clock");
    std::atomic_ref<__u64>(static_cast<dw_clock*>(clock_map_)[cpu & (DW_CLOCK_SLOTS - 1)].now_ns)
        .store(now_ns, std::memory_order_release);
}

void MapSet::reset_counters() {
    delete_all<dw_if_key>(fds_.if_stats);
    delete_all<dw_remark_key>(fds_.remarks);
    std::vector<uint64_t> zeros(ncpus(), 0);
    for (uint32_t i = 0; i < DW_CNT_MAX; i++) bpf_map_update_elem(fds_.counters, &i, zeros.data(), BPF_ANY);
}

void MapSet::reset_flows() {
    delete_all<dw_flow_key>(fds_.flows);
    delete_all<dw_flow_key>(fds_.hs);
    if (fds_.tlsinfo >= 0) delete_all<dw_flow_key>(fds_.tlsinfo);
    // Evictions are derived as created - live, so the creation count restarts too.
    std::vector<uint64_t> zeros(ncpus(), 0);
    for (uint32_t i : {DW_CNT_FLOW_NEW, DW_CNT_FLOW_INSERT_FAIL})
        bpf_map_update_elem(fds_.counters, &i, zeros.data(), BPF_ANY);
}

}  // namespace dw
