#include "capture/link.hpp"

#include <pcap/pcap.h>

#include <cstring>

namespace dw {
namespace {

// Linux cooked capture v1 (DLT_LINUX_SLL): packet type, ARPHRD type, address
// length, 8 address bytes, protocol (EtherType). Big-endian fields.
constexpr size_t kSllLen = 16;
constexpr size_t kSllProtoOff = 14;
constexpr size_t kSllPktTypeOff = 0;  // 16 bits, the value fits the low byte
constexpr size_t kSllAddrLenOff = 4;
constexpr size_t kSllAddrOff = 6;

// v2 (DLT_LINUX_SLL2): protocol, reserved, ifindex, ARPHRD type, packet type,
// address length, 8 address bytes.
constexpr size_t kSll2Len = 20;
constexpr size_t kSll2ProtoOff = 0;
constexpr size_t kSll2PktTypeOff = 10;
constexpr size_t kSll2AddrLenOff = 11;
constexpr size_t kSll2AddrOff = 12;

constexpr uint8_t kPacketOutgoing = 4;  // PACKET_OUTGOING

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthIpv6 = 0x86dd;

// Locally administered addresses for the synthetic header; a real source
// address from the cooked header replaces the source when it has 6 bytes.
constexpr uint8_t kSynthDst[6] = {0x02, 0x64, 0x77, 0x00, 0x00, 0x02};
constexpr uint8_t kSynthSrc[6] = {0x02, 0x64, 0x77, 0x00, 0x00, 0x01};

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

LinkDir cooked_dir(uint8_t pkttype) { return pkttype == kPacketOutgoing ? LinkDir::Outgoing : LinkDir::Incoming; }

// Writes the synthetic header, then the network layer after it.
std::span<const uint8_t> assemble(std::span<uint8_t> scratch, const uint8_t* src_mac, uint16_t ethertype,
                                  std::span<const uint8_t> l3) {
    uint8_t* o = scratch.data();
    std::memcpy(o, kSynthDst, 6);
    std::memcpy(o + 6, src_mac ? src_mac : kSynthSrc, 6);
    o[12] = static_cast<uint8_t>(ethertype >> 8);
    o[13] = static_cast<uint8_t>(ethertype);
    if (!l3.empty()) std::memcpy(o + kEthHeaderLen, l3.data(), l3.size());
    return {o, kEthHeaderLen + l3.size()};
}

}  // namespace

std::optional<LinkKind> link_kind(int dlt) {
    switch (dlt) {
    case DLT_EN10MB: return LinkKind::Ethernet;
    case DLT_LINUX_SLL: return LinkKind::LinuxSll;
    case DLT_LINUX_SLL2: return LinkKind::LinuxSll2;
    case 12:   // DLT_RAW on most systems (DLT_RAW is 12 on Linux)
    case 14:   // DLT_RAW on OpenBSD and BSD/OS; nothing else on Linux
    case 101:  // LINKTYPE_RAW: libpcap maps it to DLT_RAW, should one come through unmapped
    case DLT_IPV4:
    case DLT_IPV6: return LinkKind::RawIp;
    default: return std::nullopt;
    }
}

std::string dlt_label(int dlt) {
    const char* name = pcap_datalink_val_to_name(dlt);
    const char* desc = pcap_datalink_val_to_description(dlt);
    std::string s = name ? std::string(name) : "DLT " + std::to_string(dlt);
    if (name) s += " (" + std::to_string(dlt) + (desc ? ", " + std::string(desc) : std::string()) + ")";
    else if (desc) s += " (" + std::string(desc) + ")";
    return s;
}

const char* supported_link_types() {
    return "Ethernet (EN10MB), Linux cooked v1 and v2 (LINUX_SLL, LINUX_SLL2) and raw IP (RAW, IPV4, IPV6)";
}

std::optional<LinkFrame> to_ethernet(LinkKind kind, std::span<const uint8_t> b, std::span<uint8_t> scratch) {
    LinkFrame f;
    const uint8_t* p = b.data();
    switch (kind) {
    case LinkKind::Ethernet:
        if (b.size() < kEthHeaderLen) return std::nullopt;
        f.eth = b;
        f.link_header_len = kEthHeaderLen;
        f.ethertype = be16(p + 12);
        return f;
    case LinkKind::LinuxSll:
    case LinkKind::LinuxSll2: {
        const bool v2 = kind == LinkKind::LinuxSll2;
        const size_t hlen = v2 ? kSll2Len : kSllLen;
        if (b.size() < hlen || scratch.size() < b.size() - hlen + kEthHeaderLen) return std::nullopt;
        f.ethertype = be16(p + (v2 ? kSll2ProtoOff : kSllProtoOff));
        f.dir = cooked_dir(p[v2 ? kSll2PktTypeOff : kSllPktTypeOff + 1]);
        const unsigned alen = v2 ? p[kSll2AddrLenOff] : be16(p + kSllAddrLenOff);
        const uint8_t* mac = alen == 6 ? p + (v2 ? kSll2AddrOff : kSllAddrOff) : nullptr;
        f.eth = assemble(scratch, mac, f.ethertype, b.subspan(hlen));
        f.link_header_len = hlen;
        return f;
    }
    case LinkKind::RawIp:
        if (b.empty() || scratch.size() < b.size() + kEthHeaderLen) return std::nullopt;
        // The version nibble decides; anything but 6 goes as IPv4, where the
        // classifier counts a wrong version as malformed, as it would live.
        f.ethertype = (p[0] >> 4) == 6 ? kEthIpv6 : kEthIpv4;
        f.eth = assemble(scratch, nullptr, f.ethertype, b);
        f.link_header_len = 0;
        return f;
    }
    return std::nullopt;
}

}  // namespace dw
