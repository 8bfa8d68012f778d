// Whether a frame cut short by the capture's snaplen still holds the headers
// the classifier reads. A frame cut inside its headers cannot be classified
// like the original, so the reader reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dw {

// Bytes an Ethernet frame needs for the headers the classifier reads:
// Ethernet, up to two VLAN tags, IPv4 with options or IPv6 with up to six
// extension headers, and the TCP (with options), UDP or ICMP header. Reading
// stops where `eth` ends: the result is then larger than eth.size(), which
// is what headers_cut() tests. Non-IP frames need only the Ethernet header.
size_t header_bytes_needed(std::span<const uint8_t> eth);

inline bool headers_cut(std::span<const uint8_t> eth) { return header_bytes_needed(eth) > eth.size(); }

}  // namespace dw
