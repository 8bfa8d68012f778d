// Builds well-formed Ethernet frames (IPv4/IPv6 with TCP or UDP, ARP) with
// valid checksums. Used where the tool makes its own traffic: the self-check,
// and replay's synthetic link headers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace dw {

struct FrameSpec {
    int family = 4;              // 4 or 6
    uint8_t proto = 6;           // IPPROTO_TCP or IPPROTO_UDP
    std::string_view src = "198.18.0.1";
    std::string_view dst = "198.19.0.10";
    uint16_t sport = 40000;
    uint16_t dport = 443;
    uint8_t dscp = 0;
    uint8_t ecn = 0;
    uint8_t tcp_flags = 0x18;    // PSH|ACK
    size_t payload = 0;          // bytes of L4 payload (pattern-filled)
};

std::vector<uint8_t> build_frame(const FrameSpec& spec);
std::vector<uint8_t> build_arp_frame();

// One's complement sum helpers (RFC 1071).
uint32_t csum_add(uint32_t sum, const uint8_t* data, size_t len);
uint16_t csum_fold(uint32_t sum);

}  // namespace dw
