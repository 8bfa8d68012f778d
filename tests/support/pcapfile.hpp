// Capture files built in code, written from the file format specifications
// (pcap: draft-ietf-opsawg-pcap; pcapng: draft-ietf-opsawg-pcapng), not from
// libpcap: fixtures for the capture reader, the replay tests and the fuzzer's
// seeds. No binary blob in the repository without the code that makes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dwt {

using PcapBytes = std::vector<uint8_t>;

// Link types as stored in files (LINKTYPE_*).
inline constexpr uint32_t kLinkEthernet = 1;
inline constexpr uint32_t kLinkRaw = 101;
inline constexpr uint32_t kLinkSll = 113;
inline constexpr uint32_t kLinkIpv4 = 228;
inline constexpr uint32_t kLinkIpv6 = 229;
inline constexpr uint32_t kLinkSll2 = 276;
inline constexpr uint32_t kLinkWifi = 105;  // IEEE 802.11: a type dscpwatch does not read

struct PcapRecord {
    uint64_t ts_ns = 0;
    PcapBytes data;         // the captured bytes
    uint32_t wire_len = 0;  // 0: data.size()
    uint32_t iface = 0;     // pcapng interface index
};

struct PcapOptions {
    bool nano = true;           // nanosecond magic (a1b23c4d) or microsecond (a1b2c3d4)
    bool big_endian = false;    // write every field big-endian (as a big-endian host would)
    uint32_t snaplen = 262144;
};

// A classic pcap file: header, then one record per frame.
PcapBytes pcap_file(uint32_t linktype, const std::vector<PcapRecord>& records, const PcapOptions& o = {});

// A pcapng file: section header, one interface description block per entry of
// iface_linktypes (nanosecond resolution via if_tsresol), each written just
// before the first record on it (or on a later interface), and one enhanced
// packet block per record.
PcapBytes pcapng_file(const std::vector<uint32_t>& iface_linktypes, const std::vector<PcapRecord>& records,
                      uint32_t snaplen = 262144);

// Link-layer wrappers for an Ethernet frame (its 14-byte header is replaced).
// pkttype: 0 to us, 4 outgoing (Linux PACKET_* values).
PcapBytes to_sll(const PcapBytes& eth, uint16_t pkttype);
PcapBytes to_sll2(const PcapBytes& eth, uint8_t pkttype, uint32_t ifindex = 2);
PcapBytes to_raw_ip(const PcapBytes& eth);

// Writes bytes to path; throws std::runtime_error on failure.
void write_bytes(const std::string& path, const PcapBytes& bytes);

}  // namespace dwt
