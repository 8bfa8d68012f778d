// DSCP values and their names (RFC 2474, 2597, 3246, 5865, 8622).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dw {

// "EF", "AF41", "CS3", "VOICE-ADMIT", "LE"; empty for an unnamed value.
std::string_view dscp_name(unsigned dscp);

// "46 (EF)" or "13".
std::string dscp_label(unsigned dscp);

// A DSCP from a decimal value 0..63 or a name (case-insensitive). nullopt if neither.
std::optional<uint8_t> parse_dscp(std::string_view text);

}  // namespace dw
