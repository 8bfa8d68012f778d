// Each subcommand registers itself on the CLI11 app. Options that every
// command shares live in Globals.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "attach/instance.hpp"

namespace dw::cli {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr const char* kDefaultHistoryPath = "/var/lib/dscpwatch/history.db";

struct Globals {
    std::string pin_root = kDefaultPinRoot;
    std::string netns;  // run in this named network namespace (/run/netns/NAME)
    bool verbose = false;
    int exit_code = 0;  // what main returns when the command ends without an error
};

// Exit statuses: 0 done, 1 error, 2 bad command line (main.cpp), and:
inline constexpr int kExitDiffers = 3;       // diff / baseline: a difference was found
inline constexpr int kExitPartialInput = 4;  // analyze: analysed, but some input was skipped
Globals& globals();

// Enters --netns (once) and checks privileges. Every command that touches the
// kernel calls it first.
void prepare();

// Opens the pinned instance at --pin-root (after prepare()). Throws dw::Error.
std::unique_ptr<Instance> open_instance();

void add_selfcheck(CLI::App& app);
void add_attach(CLI::App& app);
void add_detach(CLI::App& app);
void add_status(CLI::App& app);
void add_remark(CLI::App& app);
void add_stats(CLI::App& app);
void add_flows(CLI::App& app);
void add_reset(CLI::App& app);
void add_diagnose(CLI::App& app);
void add_serve(CLI::App& app);
void add_history(CLI::App& app);
void add_analyze(CLI::App& app);
void add_diff(CLI::App& app);
void add_baseline(CLI::App& app);

}  // namespace dw::cli
