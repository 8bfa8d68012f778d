#include <gtest/gtest.h>
#include <arpa/inet.h>

#include "view/format.hpp"
#include "view/table.hpp"

namespace dw {
namespace {

TEST(Format, Rates) {
    EXPECT_EQ(human_rate(0), "0");
    EXPECT_EQ(human_rate(0.5), "0.50");
    EXPECT_EQ(human_rate(12.5), "12.5");
    EXPECT_EQ(human_rate(4321), "4321");
    EXPECT_EQ(human_rate(1234567), "1.23M");
    EXPECT_EQ(human_rate(-3), "0");
}

TEST(Format, Bits) {
    EXPECT_EQ(human_bits(0), "0 bit/s");
    EXPECT_EQ(human_bits(850), "850 bit/s");
    EXPECT_EQ(human_bits(12300), "12.3 kbit/s");
    EXPECT_EQ(human_bits(1.234e6), "1.23 Mbit/s");
    EXPECT_EQ(human_bits(4.56e9), "4.56 Gbit/s");
}

TEST(Format, Durations) {
    EXPECT_EQ(human_duration_ns(0), "0s");
    EXPECT_EQ(human_duration_ns(850'000'000), "850ms");
    EXPECT_EQ(human_duration_ns(12'000'000'000), "12s");
    EXPECT_EQ(human_duration_ns(185'000'000'000), "3m05s");
    EXPECT_EQ(human_duration_ns(7'380'000'000'000), "2h03m");
    EXPECT_EQ(human_duration_ns(4ull * 86400 * 1'000'000'000 + 7ull * 3600 * 1'000'000'000), "4d07h");
}

TEST(Format, Endpoints) {
    uint8_t a4[16] = {192, 0, 2, 1};
    uint8_t a6[16] = {};
    inet_pton(AF_INET6, "2001:db8::1", a6);
    EXPECT_EQ(endpoint_str(4, a4, 443), "192.0.2.1:443");
    EXPECT_EQ(endpoint_str(6, a6, 443), "[2001:db8::1]:443");
    EXPECT_EQ(endpoint_str(6, a6, 443, false), "2001:db8::1");
    EXPECT_EQ(addr_str(4, a4), "192.0.2.1");
}

TEST(Format, Protocols) {
    EXPECT_EQ(proto_name(6), "tcp");
    EXPECT_EQ(proto_name(17), "udp");
    EXPECT_EQ(proto_name(1), "icmp");
    EXPECT_EQ(proto_name(58), "icmpv6");
    EXPECT_EQ(proto_name(253), "253");
}

TEST(Format, Indent) {
    EXPECT_EQ(indent_lines("a\n\nb\n", "  "), "  a\n\n  b\n");
    EXPECT_EQ(indent_lines("x", "> "), "> x");
}

TEST(Table, DefaultAndExplicitAlignment) {
    Table t({"name", "n"});
    t.row({"a", "1"});
    t.row({"bbb", "100"});
    EXPECT_EQ(t.str(), "name    n\na       1\nbbb   100\n");
    Table l({"x", "y"}, {Align::Right, Align::Left});
    l.row({"1", "ab"});
    l.row({"100", "c"});
    EXPECT_EQ(l.str(), "  x  y\n  1  ab\n100  c\n");
}

}  // namespace
}  // namespace dw
