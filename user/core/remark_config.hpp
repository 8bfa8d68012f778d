// The remark policy as a user states it, and its parsing from CLI text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dscpwatch/abi.h"

namespace dw {

enum class RemarkMode : uint32_t {
    Off = DW_REMARK_OFF,
    Zero = DW_REMARK_ZERO,
    Map = DW_REMARK_MAP,
};

std::string_view to_string(RemarkMode m);

struct Prefix {
    int family = 4;             // 4 or 6
    std::array<uint8_t, 16> addr{};  // network order; host bits are zero
    uint8_t len = 0;            // prefix length in bits
    bool contains(int fam, const uint8_t* a) const;
    std::string str() const;
    bool operator==(const Prefix&) const = default;
};

struct PortRange {
    uint8_t proto = 17;  // IPPROTO_TCP or IPPROTO_UDP
    uint16_t lo = 0, hi = 0;
    std::string str() const;
    bool operator==(const PortRange&) const = default;
};

struct RemarkConfig {
    RemarkMode mode = RemarkMode::Off;
    std::array<uint8_t, 64> map = identity_map();  // used in Map mode
    uint32_t dirs = DW_DIRS_ALL;
    std::vector<Prefix> exempt_prefixes;
    std::vector<PortRange> exempt_ports;

    static std::array<uint8_t, 64> identity_map();
    // The DSCP a frame with `from` leaves with, before exemptions.
    uint8_t target(uint8_t from) const;
    bool operator==(const RemarkConfig&) const = default;
};

// "198.51.100.0/24", "2001:db8::/32", "192.0.2.7" (a host). Throws dw::Error.
Prefix parse_prefix(std::string_view text);
// "udp:16384-32767", "tcp:443". Throws dw::Error.
PortRange parse_port_range(std::string_view text);
// "46=0,af41=18": listed values move, all others stay. Throws dw::Error.
std::array<uint8_t, 64> parse_map_spec(std::string_view text);

// Checks the limits of the kernel side (DW_MAX_PORT_RANGES, DW_LPM_MAX, dirs). Throws dw::Error.
void validate(const RemarkConfig& cfg);

}  // namespace dw
