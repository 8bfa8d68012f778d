#include "capture/headers.hpp"

#include <algorithm>

namespace dw {
namespace {

constexpr uint16_t kVlan = 0x8100, kQinQ = 0x88a8, kIpv4 = 0x0800, kIpv6 = 0x86dd;
constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;
constexpr int kMaxExt6 = 6;

// The L4 header's length once its first bytes are at off; TCP's comes from its data offset.
size_t l4_need(std::span<const uint8_t> b, size_t off, uint8_t proto) {
    switch (proto) {
    case kTcp:
        if (off + 13 > b.size()) return off + 20;
        return off + std::max<size_t>(20, static_cast<size_t>(b[off + 12] >> 4) * 4);
    case kUdp: return off + 8;
    case kIcmp:
    case kIcmp6: return off + 4;
    default: return off;
    }
}

size_t ipv4_need(std::span<const uint8_t> b, size_t off) {
    if (off + 20 > b.size()) return off + 20;
    const size_t ihl = static_cast<size_t>(b[off] & 0x0f) * 4;
    const bool later_fragment = ((b[off + 6] & 0x1f) | b[off + 7]) != 0;
    if (ihl < 20 || later_fragment) return off + std::max<size_t>(ihl, 20);
    return l4_need(b, off + ihl, b[off + 9]);
}

size_t ipv6_need(std::span<const uint8_t> b, size_t off) {
    size_t cur = off + 40;
    if (cur > b.size()) return cur;
    uint8_t next = b[off + 6];
    for (int i = 0; i < kMaxExt6; ++i) {
        switch (next) {
        case 0: case 43: case 60: case 51: case 44: break;  // hop-by-hop, routing, dst opts, AH, fragment
        default: return l4_need(b, cur, next);
        }
        if (cur + 2 > b.size()) return cur + 8;
        const uint8_t type = next;
        next = b[cur];
        if (type == 44) {
            if (cur + 4 > b.size()) return cur + 8;
            if (((b[cur + 2] << 8 | b[cur + 3]) & 0xfff8) != 0) return cur + 8;  // a later fragment: no L4 header
            cur += 8;
        } else {
            cur += type == 51 ? (static_cast<size_t>(b[cur + 1]) + 2) * 4 : (static_cast<size_t>(b[cur + 1]) + 1) * 8;
        }
        if (cur > b.size()) return cur;
    }
    return cur;
}

}  // namespace

size_t header_bytes_needed(std::span<const uint8_t> b) {
    size_t off = 12;
    if (b.size() < off + 2) return off + 2;
    uint16_t type = static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
    for (int tags = 0; (type == kVlan || type == kQinQ) && tags < 2; ++tags) {
        off += 4;
        if (b.size() < off + 2) return off + 2;
        type = static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
    }
    off += 2;
    if (type == kIpv4) return ipv4_need(b, off);
    if (type == kIpv6) return ipv6_need(b, off);
    return off;
}

}  // namespace dw
