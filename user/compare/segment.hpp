// One TCP segment as a capture shows it: the fields that identify it on the
// wire (5-tuple, sequence, ACK, flags, payload) and the ones a path may change
// (DSCP, TTL), decoded from an Ethernet frame (any number of VLAN tags, IPv4
// with options, IPv6 with extension headers). `dscpwatch diff` compares the
// segments of two captures.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dw {

// One end of a flow. family 4: the first 4 bytes of addr.
struct Endpoint {
    uint8_t family = 4;
    std::array<uint8_t, 16> addr{};
    uint16_t port = 0;
    auto operator<=>(const Endpoint&) const = default;
};
std::string to_string(const Endpoint& e);  // "198.19.0.10:443", "[2001:db8::1]:443"

// A TCP connection, independent of direction: lo < hi.
struct FlowId {
    Endpoint lo, hi;
    auto operator<=>(const FlowId&) const = default;
};

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10;

// Bytes of payload hashed for the prefix hash: enough to tell a forged record
// from the real one even when a capture was cut at a small snaplen.
inline constexpr size_t kPrefixHashBytes = 64;

struct Segment {
    uint64_t ts_ns = 0;      // capture timestamp
    uint64_t frame = 0;      // 1-based frame number in its capture
    Endpoint src, dst;
    uint8_t dscp = 0, ecn = 0;
    uint8_t ttl = 0;         // TTL / hop limit
    uint16_t ip_id = 0;      // IPv4 identification (IPv6: 0)
    uint16_t ip_len = 0;     // IP length on the wire (IPv4 total length, IPv6 40 + payload length)
    uint32_t seq = 0, ack = 0;
    uint8_t flags = 0;
    uint16_t window = 0;
    uint32_t payload_len = 0;   // from the IP length: what was sent, whatever was captured
    uint32_t captured = 0;      // payload bytes present in the capture
    uint64_t payload_hash = 0;  // of the captured payload
    uint64_t prefix_hash = 0;   // of the first min(captured, kPrefixHashBytes) bytes
    uint64_t extra_hash = 0;    // IPv4 id, window and TCP options: tells retransmissions apart
    // The TLS record that starts the payload (when the first 6 bytes look like one).
    bool record = false;
    uint8_t record_type = 0, record_msg = 0;  // content type; handshake type or alert level
    uint8_t alert_desc = 0;                   // cleartext alert description
    std::string sni;                          // from a ClientHello at the segment start
    uint8_t stage = 0;                        // enum dw_stage (stages.hpp fills it)

    bool truncated() const { return captured < payload_len; }
    bool control() const { return flags & (kTcpSyn | kTcpFin | kTcpRst); }
    FlowId flow() const { return src < dst ? FlowId{src, dst} : FlowId{dst, src}; }
};

// What a decoded frame was, when it was not a TCP segment.
enum class FrameKind { Tcp, OtherIp, NotIp, Fragment, Malformed };

struct Decoded {
    FrameKind kind = FrameKind::Malformed;
    Segment seg;  // valid for FrameKind::Tcp
};

// Decodes an Ethernet frame (the capture's bytes; the IP length field says what
// the wire carried, so a frame cut at the snaplen still gives its true size).
Decoded decode_ethernet(std::span<const uint8_t> frame, uint64_t ts_ns, uint64_t frame_no);

// "SYN", "SYN-ACK", "ACK", "PSH-ACK", "RST-ACK", "FIN-ACK", ...
std::string tcp_flags_text(uint8_t flags);

}  // namespace dw
