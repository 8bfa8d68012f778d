// IPFIX (RFC 7011) messages: templates and data records for flow directions,
// and a UDP sender. The encoder is pure (bytes in, bytes out) and unit-tested.
//
// Templates (one per family, with and without the post-remark DSCP):
//   256 IPv4, 257 IPv4 + postIpDiffServCodePoint, 258 IPv6, 259 IPv6 + post.
// Fields, in order: source/destination address (8/12 or 27/28), source and
// destination port (7, 11), protocolIdentifier (4), ipDiffServCodePoint (195),
// ipClassOfService (5), packetDeltaCount (2), octetDeltaCount (1),
// flowStartMilliseconds (152), flowEndMilliseconds (153), and in 257/259
// postIpDiffServCodePoint (98) and postIpClassOfService (55).
// The TOS-byte elements (5, 55; DSCP << 2, ECN 0) repeat the DSCP for
// collectors that read only those: nfdump 1.7 shows them as %stos / %dtos and
// ignores 195 and 98.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dw {

inline constexpr uint16_t kIpfixVersion = 10;
inline constexpr uint16_t kIpfixTemplateSet = 2;
inline constexpr uint16_t kTemplateV4 = 256, kTemplateV4Post = 257, kTemplateV6 = 258, kTemplateV6Post = 259;

// One flow direction (or one DSCP of it) since the last export.
struct IpfixRecord {
    int family = 4;           // 4 or 6
    uint8_t src[16] = {};     // network order; IPv4 in the first 4 bytes
    uint8_t dst[16] = {};
    uint16_t src_port = 0, dst_port = 0;  // host order
    uint8_t proto = 0;
    uint8_t dscp = 0;                     // as the frames arrived
    std::optional<uint8_t> post_dscp;     // when dscpwatch remarked them
    uint64_t packets = 0, bytes = 0;      // deltas since the last export
    uint64_t start_ms = 0, end_ms = 0;    // Unix milliseconds
};

class IpfixEncoder {
public:
    explicit IpfixEncoder(uint32_t observation_domain, size_t max_message = 1400)
        : domain_(observation_domain), max_message_(max_message) {}

    // Messages (each at most max_message bytes) carrying the records; with
    // templates, the first message starts with the template set.
    std::vector<std::vector<uint8_t>> encode(const std::vector<IpfixRecord>& records, bool with_templates,
                                             uint32_t export_time);
    // The template set alone, in one message.
    std::vector<uint8_t> templates_message(uint32_t export_time);

    uint32_t sequence() const { return sequence_; }

private:
    uint32_t domain_;
    size_t max_message_;
    uint32_t sequence_ = 0;  // data records sent so far (RFC 7011 3.1)
};

// Size of one data record for a template.
size_t ipfix_record_size(uint16_t template_id);
uint16_t ipfix_template_for(const IpfixRecord& r);

// Sends messages over a connected UDP socket. A collector that is down makes
// sends fail (ECONNREFUSED after an ICMP port unreachable); that is counted,
// never fatal.
class IpfixSender {
public:
    // "HOST:PORT" or "[V6]:PORT". Throws dw::Error for a bad address.
    explicit IpfixSender(const std::string& target);
    ~IpfixSender();
    IpfixSender(const IpfixSender&) = delete;
    IpfixSender& operator=(const IpfixSender&) = delete;
    bool send(const std::vector<uint8_t>& message);
    const std::string& error() const { return error_; }
    const std::string& target() const { return target_; }

private:
    std::string target_;
    int fd_ = -1;
    std::string error_;
};

}  // namespace dw
