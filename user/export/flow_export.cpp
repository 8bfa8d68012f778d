#include "export/flow_export.hpp"

#include <cstring>

namespace dw {
namespace {

bool port_exempt(const RemarkConfig& cfg, uint8_t proto, uint16_t sport, uint16_t dport) {
    for (const auto& r : cfg.exempt_ports)
        if (r.proto == proto && ((sport >= r.lo && sport <= r.hi) || (dport >= r.lo && dport <= r.hi))) return true;
    return false;
}

bool prefix_exempt(const RemarkConfig& cfg, int family, const uint8_t* src, const uint8_t* dst) {
    for (const auto& p : cfg.exempt_prefixes)
        if (p.contains(family, src) || p.contains(family, dst)) return true;
    return false;
}

// The DSCP of bucket b of a direction: a slot's tag, or for "other" the
// lowest value seen that has no slot.
int bucket_dscp(const dw_flow_dir& d, int b) {
    if (b < DW_FLOW_DSCP_SLOTS) return d.slot_tag[b] ? static_cast<int>(d.slot_tag[b]) - 1 : -1;
    uint64_t mask = d.seen_mask;
    for (int i = 0; i < DW_FLOW_DSCP_SLOTS; i++)
        if (d.slot_tag[i]) mask &= ~(1ull << (d.slot_tag[i] - 1));
    return mask ? __builtin_ctzll(mask) : d.last_dscp;
}

uint64_t bucket_value(const dw_flow_dir& d, int b, bool bytes) {
    if (b < DW_FLOW_DSCP_SLOTS) return bytes ? d.slot_bytes[b] : d.slot_packets[b];
    return bytes ? d.other_bytes : d.other_packets;
}

uint64_t to_unix_ms(uint64_t t_ns, uint64_t mono_now, uint64_t unix_now) {
    const uint64_t ago = mono_now > t_ns ? mono_now - t_ns : 0;
    return (unix_now > ago ? unix_now - ago : 0) / 1000000ull;
}

}  // namespace

std::optional<uint8_t> remarked_dscp(const RemarkConfig& cfg, uint8_t dscp, uint8_t hook_dir, int family,
                                     const uint8_t* src, const uint8_t* dst, uint8_t proto, uint16_t sport,
                                     uint16_t dport) {
    if (cfg.mode == RemarkMode::Off || !(cfg.dirs & (1u << hook_dir))) return std::nullopt;
    const uint8_t to = cfg.target(dscp);
    if (to == dscp) return std::nullopt;
    if (prefix_exempt(cfg, family, src, dst) || port_exempt(cfg, proto, sport, dport)) return std::nullopt;
    return to;
}

std::vector<IpfixRecord> FlowExporter::collect(const std::vector<FlowEntry>& flows, const RemarkConfig& cfg,
                                               uint64_t mono_now, uint64_t unix_now, bool flush_all) {
    std::vector<IpfixRecord> out;
    round_++;
    for (const auto& fe : flows) {
        const auto& k = fe.key;
        const auto& f = fe.flow;
        std::string id(reinterpret_cast<const char*>(&k), sizeof(k));
        auto [it, fresh] = sent_.try_emplace(id);
        Sent& s = it->second;
        if (!fresh && s.first_ns != f.first_ns) {
            s = Sent{};  // the key was evicted and came back: a new flow
            fresh = true;
        }
        if (fresh) {
            s.first_ns = f.first_ns;
            s.exported_ns = mono_now;  // the active timeout runs from the first sighting
        }
        s.seen_round = round_;
        const bool idle = mono_now > f.last_ns && mono_now - f.last_ns >= opt_.idle_timeout_ns;
        const bool active = mono_now - s.exported_ns >= opt_.active_timeout_ns;
        if (!flush_all && !idle && !active) continue;
        bool any = false;
        for (int d = 0; d < 2; d++) {
            const auto& dir = f.dir[d];
            const uint8_t* src = d == 0 ? k.addr_a : k.addr_b;
            const uint8_t* dst = d == 0 ? k.addr_b : k.addr_a;
            const uint16_t sport = d == 0 ? k.port_a : k.port_b;
            const uint16_t dport = d == 0 ? k.port_b : k.port_a;
            for (int b = 0; b < kBuckets; b++) {
                const uint64_t p = bucket_value(dir, b, false), by = bucket_value(dir, b, true);
                const uint64_t dp = p >= s.packets[d][b] ? p - s.packets[d][b] : p;
                const uint64_t db = by >= s.bytes[d][b] ? by - s.bytes[d][b] : by;
                if (!dp) continue;
                const int dscp = bucket_dscp(dir, b);
                if (dscp < 0) continue;
                IpfixRecord r;
                r.family = k.family;
                std::memcpy(r.src, src, 16);
                std::memcpy(r.dst, dst, 16);
                r.src_port = sport;
                r.dst_port = dport;
                r.proto = k.proto;
                r.dscp = static_cast<uint8_t>(dscp);
                r.post_dscp = remarked_dscp(cfg, r.dscp, dir.obs_dir, k.family, src, dst, k.proto, sport, dport);
                r.packets = dp;
                r.bytes = db;
                r.start_ms = to_unix_ms(f.first_ns, mono_now, unix_now);
                r.end_ms = to_unix_ms(f.last_ns, mono_now, unix_now);
                out.push_back(r);
                s.packets[d][b] = p;
                s.bytes[d][b] = by;
                any = true;
            }
        }
        if (any || active) s.exported_ns = mono_now;
    }
    for (auto it = sent_.begin(); it != sent_.end();)
        it = it->second.seen_round == round_ ? std::next(it) : sent_.erase(it);
    return out;
}

}  // namespace dw
