#include "core/remark_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/dscp.hpp"
#include "core/error.hpp"

namespace dw {

std::string_view to_string(RemarkMode m) {
    switch (m) {
    case RemarkMode::Off: return "off";
    case RemarkMode::Zero: return "zero";
    case RemarkMode::Map: return "map";
    }
    return "?";
}

std::array<uint8_t, 64> RemarkConfig::identity_map() {
    std::array<uint8_t, 64> m{};
    for (unsigned i = 0; i < 64; i++) m[i] = static_cast<uint8_t>(i);
    return m;
}

uint8_t RemarkConfig::target(uint8_t from) const {
    switch (mode) {
    case RemarkMode::Off: return from;
    case RemarkMode::Zero: return 0;
    case RemarkMode::Map: return map[from & 63] & 63;
    }
    return from;
}

bool Prefix::contains(int fam, const uint8_t* a) const {
    if (fam != family) return false;
    unsigned full = len / 8, rest = len % 8;
    if (std::memcmp(addr.data(), a, full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (addr[full] & mask) == (a[full] & mask);
}

std::string Prefix::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr.data(), buf, sizeof(buf));
    return std::string(buf) + "/" + std::to_string(len);
}

std::string PortRange::str() const {
    std::string s = proto == 6 ? "tcp:" : "udp:";
    s += std::to_string(lo);
    if (hi != lo) s += "-" + std::to_string(hi);
    return s;
}

namespace {

bool parse_uint(std::string_view s, unsigned long max, unsigned long& out) {
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size() && out <= max;
}

}  // namespace

Prefix parse_prefix(std::string_view text) {
    const std::string bad = "malformed prefix '" + std::string(text) + "'";
    const std::string fix = "give an address with an optional length, e.g. 198.51.100.0/24 or 2001:db8::/32";
    Prefix p;
    auto slash = text.find('/');
    std::string addr(text.substr(0, slash));
    if (inet_pton(AF_INET, addr.c_str(), p.addr.data()) == 1) {
        p.family = 4;
    } else if (inet_pton(AF_INET6, addr.c_str(), p.addr.data()) == 1) {
        p.family = 6;
    } else {
        throw Error(bad, fix);
    }
    unsigned long max = p.family == 4 ? 32 : 128, len = max;
    if (slash != std::string_view::npos && !parse_uint(text.substr(slash + 1), max, len))
        throw Error(bad + ": the length must be 0-" + std::to_string(max), fix);
    p.len = static_cast<uint8_t>(len);
    // Clear host bits, so that equal prefixes compare equal.
    for (unsigned bit = p.len; bit < max; bit++) p.addr[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
    return p;
}

PortRange parse_port_range(std::string_view text) {
    const std::string bad = "malformed port range '" + std::string(text) + "'";
    const std::string fix = "write PROTO:LO-HI or PROTO:PORT with PROTO tcp or udp, e.g. udp:16384-32767";
    PortRange r;
    auto colon = text.find(':');
    if (colon == std::string_view::npos) throw Error(bad, fix);
    auto proto = text.substr(0, colon);
    if (proto == "tcp" || proto == "TCP")
        r.proto = 6;
    else if (proto == "udp" || proto == "UDP")
        r.proto = 17;
    else
        throw Error(bad + ": unknown protocol '" + std::string(proto) + "'", fix);
    auto ports = text.substr(colon + 1);
    auto dash = ports.find('-');
    unsigned long lo = 0, hi = 0;
    if (!parse_uint(ports.substr(0, dash), 65535, lo)) throw Error(bad + ": ports are 0-65535", fix);
    hi = lo;
    if (dash != std::string_view::npos && !parse_uint(ports.substr(dash + 1), 65535, hi))
        throw Error(bad + ": ports are 0-65535", fix);
    if (hi < lo) throw Error(bad + ": the range is backwards", fix);
    r.lo = static_cast<uint16_t>(lo);
    r.hi = static_cast<uint16_t>(hi);
    return r;
}

std::array<uint8_t, 64> parse_map_spec(std::string_view text) {
    const std::string fix = "write FROM=TO pairs separated by commas, with DSCP values 0-63 or names, e.g. 46=0,af41=18";
    auto m = RemarkConfig::identity_map();
    std::array<bool, 64> given{};
    if (text.empty()) throw Error("empty map spec", fix);
    size_t pos = 0;
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        auto item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        auto eq = item.find('=');
        if (eq == std::string_view::npos)
            throw Error("malformed map entry '" + std::string(item) + "'", fix);
        auto from = parse_dscp(item.substr(0, eq));
        auto to = parse_dscp(item.substr(eq + 1));
        if (!from) throw Error("bad DSCP value '" + std::string(item.substr(0, eq)) + "' (0-63 or a name)", fix);
        if (!to) throw Error("bad DSCP value '" + std::string(item.substr(eq + 1)) + "' (0-63 or a name)", fix);
        if (given[*from] && m[*from] != *to)
            throw Error("map spec gives DSCP " + std::to_string(*from) + " two targets (" + std::to_string(m[*from]) +
                            " and " + std::to_string(*to) + ")",
                        "give each value once");
        given[*from] = true;
        m[*from] = *to;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return m;
}

void validate(const RemarkConfig& cfg) {
    if (cfg.exempt_ports.size() > DW_MAX_PORT_RANGES)
        throw Error("too many port exemptions (" + std::to_string(cfg.exempt_ports.size()) + ")",
                    "the kernel side holds at most " + std::to_string(DW_MAX_PORT_RANGES));
    size_t v4 = 0, v6 = 0;
    for (const auto& p : cfg.exempt_prefixes) (p.family == 4 ? v4 : v6)++;
    if (v4 > DW_LPM_MAX / 2 || v6 > DW_LPM_MAX / 2)
        throw Error("too many prefix exemptions", "at most " + std::to_string(DW_LPM_MAX / 2) + " per address family");
    if ((cfg.dirs & ~DW_DIRS_ALL) != 0 || cfg.dirs == 0)
        throw Error("remark directions must be ingress, egress or both");
    for (auto v : cfg.map)
        if (v > 63) throw Error("map target " + std::to_string(v) + " is not a DSCP value (0-63)");
}

}  // namespace dw
