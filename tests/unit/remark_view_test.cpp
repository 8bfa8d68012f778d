#include <gtest/gtest.h>

#include "view/remark_view.hpp"

namespace dw {
namespace {

TEST(RemarkView, MapSpecRoundTrips) {
    auto m = parse_map_spec("EF=0,af41=af21");
    EXPECT_EQ(map_spec(m), "34=18,46=0");
    EXPECT_EQ(parse_map_spec(map_spec(m)), m);
    EXPECT_EQ(map_spec(RemarkConfig::identity_map()), "");
}

TEST(RemarkView, DescribeZeroWithExemptions) {
    RemarkConfig c;
    c.mode = RemarkMode::Zero;
    c.exempt_ports.push_back(parse_port_range("udp:16384-32767"));
    c.exempt_prefixes.push_back(parse_prefix("198.51.100.0/24"));
    EXPECT_EQ(describe_remark(c, 7), "remark zero (generation 7); exempt: udp:16384-32767, 198.51.100.0/24");
    EXPECT_EQ(remark_policy_text(c, 7), "zero (generation 7); exempt: udp:16384-32767, 198.51.100.0/24");
}

TEST(RemarkView, DescribeMapAndDirection) {
    RemarkConfig c;
    c.mode = RemarkMode::Map;
    c.map = parse_map_spec("46=0");
    c.dirs = DW_DIRS_EGRESS;
    EXPECT_EQ(describe_remark(c, 3), "remark map 46=0 on egress (generation 3)");
    c.map = RemarkConfig::identity_map();
    c.dirs = DW_DIRS_ALL;
    EXPECT_EQ(describe_remark(c, 4), "remark map (identity: nothing changes) (generation 4)");
}

TEST(RemarkView, DescribeOff) {
    RemarkConfig c;
    c.dirs = DW_DIRS_INGRESS;  // irrelevant when off
    EXPECT_EQ(describe_remark(c, 0), "remark off (generation 0)");
}

TEST(RemarkView, Json) {
    RemarkConfig c;
    c.mode = RemarkMode::Map;
    c.map = parse_map_spec("46=0,34=18");
    c.dirs = DW_DIRS_INGRESS;
    c.exempt_ports.push_back(parse_port_range("tcp:443"));
    c.exempt_prefixes.push_back(parse_prefix("2001:db8::/32"));
    auto j = remark_json(c, 9);
    EXPECT_EQ(j["mode"], "map");
    EXPECT_EQ(j["generation"], 9);
    EXPECT_EQ(j["directions"], "ingress");
    ASSERT_EQ(j["map"].size(), 2u);
    EXPECT_EQ(j["map"][0]["from"], 34);
    EXPECT_EQ(j["map"][0]["from_name"], "AF41");
    EXPECT_EQ(j["map"][0]["to_name"], "AF21");
    EXPECT_EQ(j["map"][1]["to"], 0);
    EXPECT_EQ(j["map_spec"], "34=18,46=0");
    EXPECT_EQ(j["exempt_ports"][0]["proto"], "tcp");
    EXPECT_EQ(j["exempt_ports"][0]["lo"], 443);
    EXPECT_EQ(j["exempt_prefixes"][0], "2001:db8::/32");
}

TEST(RemarkView, DirsNames) {
    EXPECT_EQ(dirs_name(DW_DIRS_ALL), "both");
    EXPECT_EQ(dirs_name(DW_DIRS_INGRESS), "ingress");
    EXPECT_EQ(dirs_name(DW_DIRS_EGRESS), "egress");
    EXPECT_EQ(dirs_name(0), "none");
}

}  // namespace
}  // namespace dw
