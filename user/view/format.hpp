// Small formatting helpers shared by the views: rates, durations, addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dw {

// Packets per second: "0", "0.50", "12.5", "4321", "1.23M".
std::string human_rate(double per_second);

// Bits per second: "0 bit/s", "850 bit/s", "12.3 kbit/s", "1.23 Mbit/s", "4.56 Gbit/s".
std::string human_bits(double bits_per_second);

// A duration in nanoseconds: "0s", "850ms", "12s", "3m05s", "2h03m", "4d07h".
std::string human_duration_ns(uint64_t ns);

// Seconds since the epoch as local time "2025-01-31 14:02:03"; "-" for 0.
std::string local_time(uint64_t unix_seconds);

// "tcp", "udp", "icmp", "icmpv6", "gre", ...; the number for others.
std::string proto_name(uint8_t proto);

// An address of a flow key (network order): IPv4 uses the first 4 bytes.
std::string addr_str(int family, const uint8_t* addr);

// "192.0.2.1:443", "[2001:db8::1]:443"; the bare address when with_port is false.
std::string endpoint_str(int family, const uint8_t* addr, uint16_t port, bool with_port = true);

// Prefixes every non-empty line of text with `indent`.
std::string indent_lines(std::string_view text, std::string_view indent);

}  // namespace dw
