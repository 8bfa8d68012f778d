// Each subcommand registers itself on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

namespace dw::cli {

void add_selfcheck(CLI::App& app);

}  // namespace dw::cli
