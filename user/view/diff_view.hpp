// `dscpwatch diff` output: text for people, JSON for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "compare/diff.hpp"

namespace dw {

std::string render_diff_text(const DiffResult& r);
nlohmann::json render_diff_json(const DiffResult& r);

}  // namespace dw
