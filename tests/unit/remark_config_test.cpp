#include <gtest/gtest.h>
#include <arpa/inet.h>

#include <string>

#include "core/error.hpp"
#include "core/remark_config.hpp"

namespace dw {
namespace {

std::array<uint8_t, 16> v4(const char* s) {
    std::array<uint8_t, 16> a{};
    EXPECT_EQ(inet_pton(AF_INET, s, a.data()), 1) << s;
    return a;
}

std::array<uint8_t, 16> v6(const char* s) {
    std::array<uint8_t, 16> a{};
    EXPECT_EQ(inet_pton(AF_INET6, s, a.data()), 1) << s;
    return a;
}

// The parsers' errors carry a cause and a fix, for the one-line CLI message.
template <typename F>
void expect_error_with_fix(F&& f, const std::string& what_part) {
    try {
        f();
        ADD_FAILURE() << "no error for " << what_part;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(what_part), std::string::npos) << e.what();
        EXPECT_FALSE(e.fix().empty()) << e.what();
        EXPECT_EQ(e.line(), std::string(e.what()) + "; " + e.fix());
    }
}

TEST(ParsePrefix, V4) {
    auto p = parse_prefix("198.51.100.0/24");
    EXPECT_EQ(p.family, 4);
    EXPECT_EQ(p.len, 24);
    EXPECT_EQ(p.str(), "198.51.100.0/24");
}

TEST(ParsePrefix, HostWithoutLength) {
    EXPECT_EQ(parse_prefix("192.0.2.7").str(), "192.0.2.7/32");
    EXPECT_EQ(parse_prefix("2001:db8::1").str(), "2001:db8::1/128");
}

TEST(ParsePrefix, ClearsHostBits) {
    EXPECT_EQ(parse_prefix("198.51.100.77/24").str(), "198.51.100.0/24");
    EXPECT_EQ(parse_prefix("10.255.255.255/9").str(), "10.128.0.0/9");
    EXPECT_EQ(parse_prefix("2001:db8:ffff::1/32").str(), "2001:db8::/32");
    EXPECT_EQ(parse_prefix("198.51.100.77/24"), parse_prefix("198.51.100.0/24"));
    EXPECT_EQ(parse_prefix("1.2.3.4/0").str(), "0.0.0.0/0");
}

TEST(ParsePrefix, V6) {
    auto p = parse_prefix("2001:db8::/32");
    EXPECT_EQ(p.family, 6);
    EXPECT_EQ(p.len, 32);
    EXPECT_EQ(parse_prefix("::/0").str(), "::/0");
}

TEST(ParsePrefix, Bad) {
    for (const char* bad : {"", "/24", "198.51.100.0/", "198.51.100.0/33", "2001:db8::/129", "198.51.100/24",
                            "300.1.1.1", "1.2.3.4/-1", "1.2.3.4/24x", "host.example", "1.2.3.4/ 24", "::g"})
        expect_error_with_fix([&] { parse_prefix(bad); }, "malformed prefix");
}

TEST(PrefixContains, V4) {
    auto p = parse_prefix("198.51.100.0/24");
    EXPECT_TRUE(p.contains(4, v4("198.51.100.0").data()));
    EXPECT_TRUE(p.contains(4, v4("198.51.100.255").data()));
    EXPECT_FALSE(p.contains(4, v4("198.51.101.0").data()));
    EXPECT_FALSE(p.contains(6, v4("198.51.100.1").data()));  // family must match
    auto odd = parse_prefix("10.128.0.0/9");
    EXPECT_TRUE(odd.contains(4, v4("10.200.1.1").data()));
    EXPECT_FALSE(odd.contains(4, v4("10.127.1.1").data()));
    auto host = parse_prefix("192.0.2.7");
    EXPECT_TRUE(host.contains(4, v4("192.0.2.7").data()));
    EXPECT_FALSE(host.contains(4, v4("192.0.2.8").data()));
    auto all = parse_prefix("0.0.0.0/0");
    EXPECT_TRUE(all.contains(4, v4("203.0.113.9").data()));
}

TEST(PrefixContains, V6) {
    auto p = parse_prefix("2001:db8::/32");
    EXPECT_TRUE(p.contains(6, v6("2001:db8:1::5").data()));
    EXPECT_FALSE(p.contains(6, v6("2001:db9::5").data()));
    EXPECT_FALSE(p.contains(4, v6("2001:db8::5").data()));
    auto p61 = parse_prefix("fd00::/7");
    EXPECT_TRUE(p61.contains(6, v6("fdff::1").data()));
    EXPECT_TRUE(p61.contains(6, v6("fc00::1").data()));
    EXPECT_FALSE(p61.contains(6, v6("fe80::1").data()));
}

TEST(ParsePortRange, Good) {
    auto r = parse_port_range("udp:16384-32767");
    EXPECT_EQ(r.proto, 17);
    EXPECT_EQ(r.lo, 16384);
    EXPECT_EQ(r.hi, 32767);
    EXPECT_EQ(r.str(), "udp:16384-32767");
    auto t = parse_port_range("tcp:443");
    EXPECT_EQ(t.proto, 6);
    EXPECT_EQ(t.lo, 443);
    EXPECT_EQ(t.hi, 443);
    EXPECT_EQ(t.str(), "tcp:443");
    EXPECT_EQ(parse_port_range("TCP:0-65535").str(), "tcp:0-65535");
    EXPECT_EQ(parse_port_range("UDP:5-5").str(), "udp:5");
}

TEST(ParsePortRange, Bad) {
    expect_error_with_fix([] { parse_port_range("16384-32767"); }, "malformed port range");
    expect_error_with_fix([] { parse_port_range("sctp:1-2"); }, "unknown protocol");
    expect_error_with_fix([] { parse_port_range("udp:5-2"); }, "backwards");
    for (const char* bad : {"udp:", "udp:-5", "udp:1-", "udp:65536", "udp:1-65536", "udp:x", "udp:1-2-3", ":1"})
        expect_error_with_fix([&] { parse_port_range(bad); }, "malformed port range");
}

TEST(ParseMapSpec, Good) {
    auto m = parse_map_spec("46=0,af41=18");
    for (unsigned i = 0; i < 64; i++) {
        if (i == 46)
            EXPECT_EQ(m[i], 0);
        else if (i == 34)
            EXPECT_EQ(m[i], 18);
        else
            EXPECT_EQ(m[i], i);
    }
    EXPECT_EQ(parse_map_spec("EF=CS0")[46], 0);
    EXPECT_EQ(parse_map_spec("63=0")[63], 0);
    EXPECT_EQ(parse_map_spec("0=63")[0], 63);
    EXPECT_EQ(parse_map_spec("46=46"), RemarkConfig::identity_map());
    EXPECT_EQ(parse_map_spec("46=0,ef=0")[46], 0);  // the same pair twice is harmless
}

TEST(ParseMapSpec, Bad) {
    expect_error_with_fix([] { parse_map_spec(""); }, "empty map spec");
    expect_error_with_fix([] { parse_map_spec("46"); }, "malformed map entry");
    expect_error_with_fix([] { parse_map_spec("46=0,"); }, "malformed map entry");
    expect_error_with_fix([] { parse_map_spec("64=0"); }, "bad DSCP value '64'");
    expect_error_with_fix([] { parse_map_spec("46=64"); }, "bad DSCP value '64'");
    expect_error_with_fix([] { parse_map_spec("xx=0"); }, "bad DSCP value 'xx'");
    expect_error_with_fix([] { parse_map_spec("46=0;34=18"); }, "bad DSCP value");
    expect_error_with_fix([] { parse_map_spec("=0"); }, "bad DSCP value");
    expect_error_with_fix([] { parse_map_spec("46=0,46=10"); }, "two targets");
}

TEST(RemarkConfig, Target) {
    RemarkConfig c;
    for (unsigned v = 0; v < 64; v++) EXPECT_EQ(c.target(static_cast<uint8_t>(v)), v);  // off
    c.mode = RemarkMode::Zero;
    for (unsigned v = 0; v < 64; v++) EXPECT_EQ(c.target(static_cast<uint8_t>(v)), 0);
    c.mode = RemarkMode::Map;
    c.map = parse_map_spec("46=0,34=18");
    EXPECT_EQ(c.target(46), 0);
    EXPECT_EQ(c.target(34), 18);
    EXPECT_EQ(c.target(10), 10);
    EXPECT_LT(c.target(200), 64);  // out of range input still yields a DSCP
}

TEST(RemarkConfig, ModeNames) {
    EXPECT_EQ(to_string(RemarkMode::Off), "off");
    EXPECT_EQ(to_string(RemarkMode::Zero), "zero");
    EXPECT_EQ(to_string(RemarkMode::Map), "map");
}

TEST(RemarkConfig, ValidateLimits) {
    RemarkConfig c;
    EXPECT_NO_THROW(validate(c));
    for (int i = 0; i < DW_MAX_PORT_RANGES; i++) c.exempt_ports.push_back(parse_port_range("udp:1"));
    EXPECT_NO_THROW(validate(c));
    c.exempt_ports.push_back(parse_port_range("udp:2"));
    EXPECT_THROW(validate(c), Error);
    c.exempt_ports.clear();
    c.dirs = 0;
    EXPECT_THROW(validate(c), Error);
    c.dirs = DW_DIRS_EGRESS;
    EXPECT_NO_THROW(validate(c));
    c.map[3] = 64;
    EXPECT_THROW(validate(c), Error);
}

}  // namespace
}  // namespace dw
