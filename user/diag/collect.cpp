#include "diag/collect.hpp"

#include <time.h>

#include <algorithm>
#include <cstring>

#include "core/tls.hpp"

namespace dw {

uint64_t monotonic_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

size_t absorb_events(MapSet& maps) {
    auto events = maps.drain_events();
    for (const auto& e : events) {
        if (e.hdr.type != DW_EV_HELLO || e.snippet.empty()) continue;
        TlsInfo info{};
        maps.tls_info(e.hdr.key, info);
        if (e.hdr.side == DW_HS_CLIENT) {
            auto ch = parse_client_hello(e.snippet);
            if (!ch.sni.empty()) std::strncpy(info.sni, ch.sni.c_str(), sizeof(info.sni) - 1);
            if (!ch.alpn.empty()) std::strncpy(info.alpn, ch.alpn.front().c_str(), sizeof(info.alpn) - 1);
            info.client_max_version = ch.max_version();
            info.have |= 1;
        } else {
            auto sh = parse_server_hello(e.snippet);
            if (sh.version) info.server_version = sh.version;
            if (sh.cipher_suite) info.cipher = sh.cipher_suite;
            info.hrr |= sh.hello_retry_request ? 1 : 0;
            if (!sh.alpn.empty()) std::strncpy(info.alpn, sh.alpn.c_str(), sizeof(info.alpn) - 1);
            info.have |= 2;
        }
        info.updated_ns = e.hdr.ts_ns;
        maps.put_tls_info(e.hdr.key, info);
    }
    return events.size();
}

Diagnosis diagnose(MapSet& maps, VerdictOptions opt) {
    Diagnosis d;
    absorb_events(maps);
    if (!opt.now_ns) opt.now_ns = monotonic_now_ns();
    d.now_ns = opt.now_ns;
    auto hs = maps.handshakes();
    d.handshakes_tracked = hs.size();
    d.handshake_capacity = maps.handshake_capacity();
    d.flows.reserve(hs.size());
    for (const auto& e : hs) {
        TlsInfo info{};
        bool have = maps.tls_info(e.key, info);
        d.flows.push_back(judge(e, have ? &info : nullptr, opt));
    }
    d.servers = aggregate(d.flows);
    auto c = maps.counters();
    d.events = c[DW_CNT_EVENTS];
    d.events_dropped = c[DW_CNT_EVENTS_DROPPED];
    return d;
}

}  // namespace dw
