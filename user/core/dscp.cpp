#include "core/dscp.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace dw {
namespace {

struct Named {
    uint8_t value;
    std::string_view name;
};

constexpr std::array<Named, 23> kNames{{
    {0, "CS0"},   {1, "LE"},    {8, "CS1"},   {10, "AF11"}, {12, "AF12"}, {14, "AF13"},
    {16, "CS2"},  {18, "AF21"}, {20, "AF22"}, {22, "AF23"}, {24, "CS3"},  {26, "AF31"},
    {28, "AF32"}, {30, "AF33"}, {32, "CS4"},  {34, "AF41"}, {36, "AF42"}, {38, "AF43"},
    {40, "CS5"},  {44, "VOICE-ADMIT"},       {46, "EF"},   {48, "CS6"},  {56, "CS7"},
}};

bool iequal(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::toupper(static_cast<unsigned char>(x)) ==
                      std::toupper(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::string_view dscp_name(unsigned dscp) {
    for (const auto& n : kNames)
        if (n.value == dscp) return n.name;
    return {};
}

std::string dscp_label(unsigned dscp) {
    auto name = dscp_name(dscp);
    std::string s = std::to_string(dscp);
    if (!name.empty()) s += " (" + std::string(name) + ")";
    return s;
}

std::optional<uint8_t> parse_dscp(std::string_view text) {
    if (text.empty()) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc{} && end == text.data() + text.size()) {
        if (v > 63) return std::nullopt;
        return static_cast<uint8_t>(v);
    }
    for (const auto& n : kNames)
        if (iequal(n.name, text)) return n.value;
    if (iequal(text, "DEFAULT") || iequal(text, "BE")) return 0;
    return std::nullopt;
}

}  // namespace dw
