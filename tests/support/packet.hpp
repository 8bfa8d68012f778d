// A frame builder for tests, written from the RFCs (not from bpf/): Ethernet with
// 0-2 (or more) VLAN tags, IPv4 with options and fragments, IPv6 with extension
// header chains, TCP/UDP/ICMP/ICMPv6 with valid checksums, any other IP protocol,
// and non-IP frames. Malformed frames are made by overriding the length and
// version fields, or by cutting and mutating the built bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dwt {

using Bytes = std::vector<uint8_t>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

Ip4 ip4(std::string_view text);  // "192.0.2.1"; throws std::invalid_argument
Ip6 ip6(std::string_view text);  // "2001:db8::1"

inline constexpr uint16_t kEthIp = 0x0800;
inline constexpr uint16_t kEthIp6 = 0x86dd;
inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthVlan = 0x8100;  // 802.1Q
inline constexpr uint16_t kEthQinQ = 0x88a8;  // 802.1ad
inline constexpr uint16_t kEthLldp = 0x88cc;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoGre = 47;
inline constexpr uint8_t kProtoEsp = 50;
inline constexpr uint8_t kProtoIcmp6 = 58;
inline constexpr uint8_t kProtoNone6 = 59;
inline constexpr uint8_t kProtoSctp = 132;

inline constexpr uint8_t kExtHop = 0;
inline constexpr uint8_t kExtRouting = 43;
inline constexpr uint8_t kExtFragment = 44;
inline constexpr uint8_t kExtAh = 51;
inline constexpr uint8_t kExtDstOpts = 60;

namespace tcpf {
inline constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20,
                         ECE = 0x40, CWR = 0x80;
}

// One IPv6 extension header.
struct Ext6 {
    uint8_t type = kExtDstOpts;  // 0, 43, 60, 44 or 51 (any value is written as given)
    uint8_t hdrlen = 0;          // the Hdr Ext Len field; not used by the fragment header
    uint16_t frag_offset = 0;    // fragment header: offset in 8-byte units (13 bits)
    bool more = false;           // fragment header: M flag
    uint32_t ident = 0x0badcafe; // fragment header: identification

    static Ext6 hop(uint8_t hdrlen = 0) { return {kExtHop, hdrlen}; }
    static Ext6 routing(uint8_t hdrlen = 0) { return {kExtRouting, hdrlen}; }
    static Ext6 dstopts(uint8_t hdrlen = 0) { return {kExtDstOpts, hdrlen}; }
    static Ext6 ah(uint8_t hdrlen = 1) { return {kExtAh, hdrlen}; }
    static Ext6 fragment(uint16_t offset8, bool more) { return {kExtFragment, 0, offset8, more}; }
    // Bytes this header occupies: AH (hdrlen+2)*4, fragment 8, others (hdrlen+1)*8.
    size_t size() const;
};

// Where the builder put things (offsets from the start of the frame).
struct Layout {
    int family = 0;             // 0 (not IP), 4 or 6
    size_t l3_off = 0;          // 14 + 4 * tags
    size_t l3_hdr = 0;          // IPv4: IHL*4; IPv6: 40
    std::vector<size_t> ext;    // offsets of the IPv6 extension headers
    size_t l4_off = 0;          // after the IP header and every extension header
    size_t l3_end = 0;          // end of the IP packet (tot_len / payload_len as built)
    size_t frame_len = 0;       // including Ethernet padding
    uint8_t proto = 0;          // the final protocol (after extension headers)
    size_t l4_hdr = 0;          // bytes of the L4 header written (0 if none)
};

class Packet {
public:
    enum class L3 { Ether, V4, V6, Arp };
    enum class L4 { None, Tcp, Udp, IcmpEcho, Icmp, Raw };

    static Packet ipv4(Ip4 src, Ip4 dst);
    static Packet ipv6(Ip6 src, Ip6 dst);
    static Packet ipv4(std::string_view src, std::string_view dst) { return ipv4(ip4(src), ip4(dst)); }
    static Packet ipv6(std::string_view src, std::string_view dst) { return ipv6(ip6(src), ip6(dst)); }
    static Packet arp();                                          // ARP request over Ethernet
    static Packet ether(uint16_t ethertype, size_t payload_len);  // any other EtherType

    // ---- L2 ----
    Packet& vlan(uint16_t vid, uint16_t tpid = kEthVlan, uint8_t pcp = 0);  // appends a tag (outermost first)
    Packet& ethertype(uint16_t et);     // overrides the innermost EtherType
    Packet& eth_pad(size_t n);          // bytes after the IP packet (Ethernet padding)

    // ---- IP (both families) ----
    Packet& dscp(uint8_t v);            // keeps the ECN bits
    Packet& ecn(uint8_t v);             // keeps the DSCP bits
    Packet& ttl(uint8_t v);
    Packet& proto(uint8_t p);           // overrides the IP protocol / last next header
    Packet& version(uint8_t v);         // overrides the version nibble
    // ---- IPv4 ----
    Packet& options(Bytes opts);        // IPv4 options, padded with EOL to a multiple of 4
    Packet& frag(uint16_t offset8, bool more);
    Packet& df(bool on = true);
    Packet& ip_id(uint16_t id);
    Packet& ihl(uint8_t v);             // overrides IHL (the options are still written as given)
    Packet& tot_len(uint16_t v);        // overrides Total Length
    Packet& ip_csum(uint16_t v);        // overrides the header checksum
    // ---- IPv6 ----
    Packet& flow_label(uint32_t v);
    Packet& ext(Ext6 e);                // appends an extension header
    Packet& payload_len(uint16_t v);    // overrides Payload Length (0: "jumbo", the frame bounds it)

    // ---- L4 ----
    Packet& tcp(uint16_t sport, uint16_t dport, uint8_t flags = tcpf::ACK, Bytes options = {});
    Packet& tcp_doff(uint8_t doff);     // overrides the data offset nibble
    Packet& tcp_seq(uint32_t v);        // sequence number (default 0x01020304)
    Packet& tcp_ack(uint32_t v);        // acknowledgment number (default 0x0a0b0c0d with ACK, else 0)
    Packet& tcp_window(uint16_t v);     // window (default 65535)
    Packet& udp(uint16_t sport, uint16_t dport);
    Packet& icmp_echo(bool request, uint16_t id, uint16_t seq = 1);  // ICMP (v4) or ICMPv6 (v6)
    Packet& icmp(uint8_t type, uint8_t code = 0);                    // any other ICMP/ICMPv6 message
    Packet& l4_raw(uint8_t proto, Bytes header);                     // e.g. a GRE header
    Packet& payload(Bytes data);
    Packet& payload(size_t n);          // n pattern bytes

    Bytes build() const;
    Layout layout() const;
    int family() const { return l3_ == L3::V4 ? 4 : l3_ == L3::V6 ? 6 : 0; }

private:
    Bytes build(Layout* lay) const;

    L3 l3_ = L3::Ether;
    std::array<uint8_t, 6> dmac_{0x02, 0x00, 0x5e, 0x00, 0x00, 0x02};
    std::array<uint8_t, 6> smac_{0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
    std::vector<std::pair<uint16_t, uint16_t>> tags_;  // (TPID, TCI)
    std::optional<uint16_t> ethertype_;
    size_t ether_payload_ = 0;
    size_t eth_pad_ = 0;

    Ip6 src_{}, dst_{};  // IPv4 uses the first 4 bytes
    uint8_t tos_ = 0;    // IPv4 TOS / IPv6 traffic class
    uint8_t ttl_ = 64;
    std::optional<uint8_t> proto_;
    std::optional<uint8_t> version_;
    Bytes options_;
    uint16_t frag_off8_ = 0;
    bool mf_ = false, df_ = false;
    uint16_t ip_id_ = 0x4d57;
    std::optional<uint8_t> ihl_;
    std::optional<uint16_t> tot_len_;
    std::optional<uint16_t> ip_csum_;
    uint32_t flow_label_ = 0x12345;
    std::vector<Ext6> ext_;
    std::optional<uint16_t> payload_len_;

    L4 l4_ = L4::None;
    uint16_t sport_ = 0, dport_ = 0;
    uint8_t tcp_flags_ = 0;
    Bytes tcp_opts_;
    std::optional<uint8_t> tcp_doff_;
    uint32_t tcp_seq_ = 0x01020304;
    std::optional<uint32_t> tcp_ack_;
    uint16_t tcp_window_ = 65535;
    uint8_t icmp_type_ = 0, icmp_code_ = 0;
    uint16_t icmp_id_ = 0, icmp_seq_ = 0;
    uint8_t raw_proto_ = 0;
    Bytes raw_hdr_;
    Bytes payload_;
};

// ---- checksums (RFC 1071) ----

// One's complement sum of data (big-endian 16-bit words), folded to 16 bits.
uint16_t ones_sum(std::span<const uint8_t> data, uint32_t initial = 0);
// The IPv4 header at l3_off sums to 0xffff (header length from IHL).
bool ipv4_header_ok(std::span<const uint8_t> frame, size_t l3_off);
// The header checksum as it should be for the IPv4 header at l3_off.
uint16_t ipv4_header_csum(std::span<const uint8_t> frame, size_t l3_off);
// The L4 checksum of the packet described by lay is valid: TCP/UDP over IPv4
// or IPv6 (with pseudo-header), ICMP (no pseudo-header), ICMPv6 (pseudo-header).
// A UDP checksum of 0 over IPv4 means "none" and passes. IPv6 pseudo-headers use
// the destination of the fixed header.
bool l4_csum_ok(std::span<const uint8_t> frame, const Layout& lay);

std::string hex(std::span<const uint8_t> data, size_t max = 256);

}  // namespace dwt
