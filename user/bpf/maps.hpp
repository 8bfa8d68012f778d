// Typed access to the classifier's maps, by file descriptor. The same code
// serves a freshly loaded object and a pinned live instance. Everything above
// this layer speaks in these types, never in raw map fds.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/remark_config.hpp"
#include "dscpwatch/abi.h"

struct ring_buffer;

namespace dw {

struct IfCounter {
    uint32_t ifindex = 0;
    uint8_t dir = 0;   // enum dw_dir
    uint8_t slot = 0;  // DSCP, DW_SLOT_NONIP or DW_SLOT_MALFORMED
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

struct RemarkCounter {
    uint32_t ifindex = 0;
    uint8_t dir = 0;
    uint8_t from = 0;
    uint8_t to = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

struct FlowEntry {
    dw_flow_key key{};
    dw_flow flow{};
};

using Counters = std::array<uint64_t, DW_CNT_MAX>;

struct HandshakeEntry {
    dw_flow_key key{};
    dw_hs hs{};
};

// What userspace learnt from a flow's hello snippets (userspace-only map,
// filled by whoever drains the event ring).
struct TlsInfo {
    char sni[64];
    char alpn[16];
    uint16_t client_max_version;  // highest version the client offered
    uint16_t server_version;      // version the server chose
    uint16_t cipher;              // cipher suite the server chose
    uint8_t hrr;                  // the server sent a HelloRetryRequest
    uint8_t have;                 // bit 0: ClientHello seen, bit 1: ServerHello seen
    uint64_t updated_ns;
};
static_assert(sizeof(TlsInfo) == 96);

// One event from the ring buffer; snippet is empty unless it is DW_EV_HELLO.
struct Event {
    dw_event hdr{};
    std::vector<uint8_t> snippet;
};

// File descriptors of every map (not owned).
struct MapFds {
    int if_stats = -1;
    int remarks = -1;
    int counters = -1;
    int flows = -1;
    int config = -1;
    int active = -1;
    int exempt_v4 = -1;
    int exempt_v6 = -1;
    int clock = -1;
    int hs = -1;       // handshake records
    int events = -1;   // ring buffer
    int tlsinfo = -1;  // userspace-only: TlsInfo per flow key
};

// Creates the userspace-only TlsInfo map (LRU, keyed like the flow table). Returns its fd.
int create_tls_info_map(uint32_t entries);

class MapSet {
public:
    explicit MapSet(MapFds fds);
    ~MapSet();
    MapSet(const MapSet&) = delete;
    MapSet& operator=(const MapSet&) = delete;

    const MapFds& fds() const { return fds_; }

    // ---- readers (per-CPU values summed) ----
    std::vector<IfCounter> if_counters() const;
    std::vector<RemarkCounter> remark_counters() const;
    Counters counters() const;
    // Every flow record, with batch lookups where the kernel has them.
    std::vector<FlowEntry> flows() const;
    uint32_t flow_capacity() const;
    // Every handshake record (batch lookups where possible).
    std::vector<HandshakeEntry> handshakes() const;
    uint32_t handshake_capacity() const;

    // ---- events and what they taught us ----
    // Takes every event waiting in the ring buffer, without blocking.
    std::vector<Event> drain_events() const;
    void put_tls_info(const dw_flow_key& key, const TlsInfo& info);
    bool tls_info(const dw_flow_key& key, TlsInfo& out) const;

    // ---- remark policy ----
    // Publishes cfg as the next generation: the idle config slot and its
    // exemption entries are written completely, then one atomic store makes
    // them active. Packets see the old or the new policy, never a mix.
    void publish(const RemarkConfig& cfg);
    RemarkConfig active_config() const;
    uint64_t generation() const;

    // ---- replay clock (objects loaded with LoadOptions::replay_clock) ----
    // Sets every CPU's slot: stores through the map's mmap (no syscall) where
    // the map allows it.
    void set_clock(uint64_t now_ns);
    // Sets one CPU's slot (a thread pinned to that CPU; mmapable clock only).
    void set_clock_slot(unsigned cpu, uint64_t now_ns);

    // ---- reset ----
    void reset_counters();  // interface, remark and global counters
    void reset_flows();  // flows, handshakes and TLS info

private:
    uint64_t* active_ptr() const;
    MapFds fds_;
    mutable void* active_map_ = nullptr;  // mmap of dw_active, when possible
    void* clock_map_ = nullptr;           // mmap of dw_clock, when possible
    mutable ring_buffer* ring_ = nullptr;            // the event ring, opened on the first drain
    mutable std::vector<Event>* ring_sink_ = nullptr;  // where the ring's callback puts events during a drain
};

}  // namespace dw
