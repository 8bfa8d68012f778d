// Names of the classifier's global event counters (enum dw_cnt), shared by the
// text views, the JSON output and status.
#pragma once

#include <optional>
#include <string_view>

#include "dscpwatch/abi.h"

namespace dw {

// Stable snake_case name of a counter, as JSON keys use it ("frag_later",
// "malformed_bad_ihl"); "?" for an index past DW_CNT_MAX.
std::string_view counter_name(unsigned index);

// One line a person reads: what the counter counts.
std::string_view counter_description(unsigned index);

// The index of a counter name; nullopt when there is none.
std::optional<unsigned> counter_index(std::string_view name);

// Whether the counter is one of the malformed reasons (DW_CNT_MAL_FIRST..LAST).
constexpr bool is_malformed_counter(unsigned index) {
    return index >= DW_CNT_MAL_FIRST && index <= DW_CNT_MAL_LAST;
}

}  // namespace dw
