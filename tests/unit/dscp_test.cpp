#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/dscp.hpp"

namespace dw {
namespace {

const std::vector<std::pair<unsigned, std::string>> kAllNames = {
    {0, "CS0"},   {1, "LE"},    {8, "CS1"},   {10, "AF11"}, {12, "AF12"}, {14, "AF13"},
    {16, "CS2"},  {18, "AF21"}, {20, "AF22"}, {22, "AF23"}, {24, "CS3"},  {26, "AF31"},
    {28, "AF32"}, {30, "AF33"}, {32, "CS4"},  {34, "AF41"}, {36, "AF42"}, {38, "AF43"},
    {40, "CS5"},  {44, "VOICE-ADMIT"},       {46, "EF"},   {48, "CS6"},  {56, "CS7"},
};

TEST(Dscp, NamesOfEveryNamedValue) {
    for (const auto& [v, name] : kAllNames) EXPECT_EQ(dscp_name(v), name) << v;
}

TEST(Dscp, UnnamedValuesHaveNoName) {
    for (unsigned v = 0; v < 64; v++) {
        bool named = false;
        for (const auto& [nv, n] : kAllNames) named |= nv == v;
        if (!named) EXPECT_TRUE(dscp_name(v).empty()) << v;
    }
    EXPECT_TRUE(dscp_name(64).empty());
    EXPECT_TRUE(dscp_name(255).empty());
}

TEST(Dscp, Labels) {
    EXPECT_EQ(dscp_label(46), "46 (EF)");
    EXPECT_EQ(dscp_label(0), "0 (CS0)");
    EXPECT_EQ(dscp_label(44), "44 (VOICE-ADMIT)");
    EXPECT_EQ(dscp_label(13), "13");
}

TEST(Dscp, ParseEveryName) {
    for (const auto& [v, name] : kAllNames) {
        EXPECT_EQ(parse_dscp(name), v) << name;
        std::string lower;
        for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_EQ(parse_dscp(lower), v) << lower;
    }
    EXPECT_EQ(parse_dscp("Af41"), 34);
    EXPECT_EQ(parse_dscp("voice-admit"), 44);
    EXPECT_EQ(parse_dscp("default"), 0);
    EXPECT_EQ(parse_dscp("BE"), 0);
}

TEST(Dscp, ParseEveryNumber) {
    for (unsigned v = 0; v < 64; v++) EXPECT_EQ(parse_dscp(std::to_string(v)), v);
}

TEST(Dscp, ParseRejectsBadValues) {
    for (const char* bad : {"", "64", "100", "-1", "4x", "x4", " 4", "4 ", "EF ", "AF44", "CS8", "voice", "0x2e",
                            "46.0", "99999999999999999999"})
        EXPECT_FALSE(parse_dscp(bad).has_value()) << "'" << bad << "'";
}

}  // namespace
}  // namespace dw
