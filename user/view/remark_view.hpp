// The remark policy in words and in JSON (remark, status).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/remark_config.hpp"

namespace dw {

// The non-identity entries of a DSCP map as a spec that parse_map_spec reads
// back: "34=18,46=0"; empty when the map is the identity.
std::string map_spec(const std::array<uint8_t, 64>& map);

// "ingress", "egress" or "both" for DW_DIRS_* bits.
std::string dirs_name(uint32_t dirs);

// One line: "remark zero (generation 7); exempt: udp:16384-32767, 198.51.100.0/24".
// Map mode lists its entries ("remark map 46=0,34=18 ..."); a direction other
// than both is named ("remark zero on egress ...").
std::string describe_remark(const RemarkConfig& cfg, uint64_t generation);
// The same without the leading "remark ": "zero (generation 7); exempt: ...".
std::string remark_policy_text(const RemarkConfig& cfg, uint64_t generation);

// {"mode", "generation", "directions", "map": [{"from","to",...}], "map_spec",
//  "exempt_prefixes": [...], "exempt_ports": [...]}
nlohmann::json remark_json(const RemarkConfig& cfg, uint64_t generation);

}  // namespace dw
