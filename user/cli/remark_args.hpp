// The remark policy as the command line states it, shared by `remark` (live)
// and `analyze --remark` (offline).
#pragma once

#include <string>
#include <vector>

#include "core/remark_config.hpp"

namespace dw::cli {

struct RemarkArgs {
    std::string mode;  // off, zero, map; empty: show the active policy (remark only)
    std::string spec;  // map mode: FROM=TO pairs
    std::vector<std::string> exempt_prefixes;
    std::vector<std::string> exempt_ports;
    std::string direction;  // ingress, egress, both; empty: both
    bool json = false;
};

// "ingress", "egress", "both" (or empty) -> DW_DIRS_*. Throws dw::Error.
uint32_t parse_direction(const std::string& d);

// The policy the arguments describe. Pure: throws dw::Error before anything
// touches the kernel.
RemarkConfig build_config(const RemarkArgs& a);

}  // namespace dw::cli
