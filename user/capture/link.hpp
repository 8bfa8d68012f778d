// Link types dscpwatch reads from captures, and the synthetic Ethernet header
// that lets the classifier (which parses Ethernet) see frames of any of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace dw {

// The link types a capture may have. Raw IP covers DLT_RAW (12, or 14 on
// OpenBSD; libpcap maps the file's LINKTYPE_RAW 101 to it), DLT_IPV4 (228) and
// DLT_IPV6 (229): the IP version nibble says which.
enum class LinkKind { Ethernet, LinuxSll, LinuxSll2, RawIp };

// Which way a frame went, where the link header says so (Linux cooked
// captures: packet type "outgoing" vs. to us/broadcast/multicast/other host).
enum class LinkDir : uint8_t { Unknown, Incoming, Outgoing };

// The LinkKind of a libpcap DLT value, or nullopt when dscpwatch cannot read it.
std::optional<LinkKind> link_kind(int dlt);

// "EN10MB (Ethernet)", "LINUX_SLL2 (Linux cooked v2)", "DLT 147 (USER0)": for messages.
std::string dlt_label(int dlt);

// The link types dscpwatch reads, for messages ("Ethernet, Linux cooked v1/v2, raw IP").
const char* supported_link_types();

inline constexpr size_t kEthHeaderLen = 14;

// The result of putting one captured frame into Ethernet shape.
struct LinkFrame {
    // The frame as Ethernet: the captured bytes themselves for Ethernet
    // captures, else the synthetic 14-byte header followed by the network layer.
    std::span<const uint8_t> eth;
    size_t link_header_len = 0;  // bytes of the original link header that eth's first 14 bytes replace
    LinkDir dir = LinkDir::Unknown;
    uint16_t ethertype = 0;      // host order, as in the (synthetic) Ethernet header
};

// Converts one captured frame (`bytes`, caplen long) of link type `kind`.
// Non-Ethernet frames are assembled in `scratch` (which must hold
// bytes.size() + kEthHeaderLen bytes). Returns nullopt when the frame is
// shorter than its own link header (and, for raw IP, when it is empty).
std::optional<LinkFrame> to_ethernet(LinkKind kind, std::span<const uint8_t> bytes, std::span<uint8_t> scratch);

}  // namespace dw
