#include "view/format.hpp"

#include <arpa/inet.h>
#include <time.h>

#include <cstdio>
#include <ctime>

namespace dw {

std::string human_rate(double v) {
    char buf[32];
    if (v < 0) v = 0;
    if (v == 0)
        return "0";
    else if (v < 10)
        std::snprintf(buf, sizeof(buf), "%.2f", v);
    else if (v < 100)
        std::snprintf(buf, sizeof(buf), "%.1f", v);
    else if (v < 100000)
        std::snprintf(buf, sizeof(buf), "%.0f", v);
    else if (v < 1e9)
        std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
    else
        std::snprintf(buf, sizeof(buf), "%.2fG", v / 1e9);
    return buf;
}

std::string human_bits(double v) {
    char buf[32];
    if (v < 0) v = 0;
    if (v < 1000)
        std::snprintf(buf, sizeof(buf), "%.0f bit/s", v);
    else if (v < 1e6)
        std::snprintf(buf, sizeof(buf), "%.3g kbit/s", v / 1e3);
    else if (v < 1e9)
        std::snprintf(buf, sizeof(buf), "%.3g Mbit/s", v / 1e6);
    else
        std::snprintf(buf, sizeof(buf), "%.3g Gbit/s", v / 1e9);
    return buf;
}

std::string human_duration_ns(uint64_t ns) {
    char buf[32];
    const uint64_t ms = ns / 1000000, s = ns / 1000000000;
    if (s == 0 && ms > 0)
        std::snprintf(buf, sizeof(buf), "%llums", static_cast<unsigned long long>(ms));
    else if (s < 60)
        std::snprintf(buf, sizeof(buf), "%llus", static_cast<unsigned long long>(s));
    else if (s < 3600)
        std::snprintf(buf, sizeof(buf), "%llum%02llus", static_cast<unsigned long long>(s / 60),
                      static_cast<unsigned long long>(s % 60));
    else if (s < 86400)
        std::snprintf(buf, sizeof(buf), "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                      static_cast<unsigned long long>(s % 3600 / 60));
    else
        std::snprintf(buf, sizeof(buf), "%llud%02lluh", static_cast<unsigned long long>(s / 86400),
                      static_cast<unsigned long long>(s % 86400 / 3600));
    return buf;
}

std::string local_time(uint64_t unix_seconds) {
    if (unix_seconds == 0) return "-";
    time_t t = static_cast<time_t>(unix_seconds);
    tm tmv{};
    localtime_r(&t, &tmv);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tmv);
    return buf;
}

std::string proto_name(uint8_t proto) {
    switch (proto) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 41: return "ipv6";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "icmpv6";
    case 89: return "ospf";
    case 103: return "pim";
    case 112: return "vrrp";
    case 132: return "sctp";
    }
    return std::to_string(proto);
}

std::string addr_str(int family, const uint8_t* addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf))) return "?";
    return buf;
}

std::string endpoint_str(int family, const uint8_t* addr, uint16_t port, bool with_port) {
    std::string a = addr_str(family, addr);
    if (!with_port) return a;
    if (family == 6) a = "[" + a + "]";
    return a + ":" + std::to_string(port);
}

std::string indent_lines(std::string_view text, std::string_view indent) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        size_t end = nl == std::string_view::npos ? text.size() : nl;
        if (end > pos) out.append(indent);
        out.append(text.substr(pos, end - pos));
        if (nl == std::string_view::npos) break;
        out += '\n';
        pos = nl + 1;
    }
    return out;
}

}  // namespace dw
