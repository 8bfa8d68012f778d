// `dscpwatch reset [--flows|--counters]`: clear counters and/or the flow table
// of the live instance. The attachments and the remark policy stay.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"

namespace dw::cli {

void add_reset(CLI::App& app) {
    auto flows = std::make_shared<bool>(false);
    auto counters = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("reset", "clear the counters and/or the flow table");
    auto* f = cmd->add_flag("--flows", *flows, "clear only the flow table (and its created/insert-failed counters)");
    auto* c = cmd->add_flag("--counters", *counters, "clear only the per-DSCP, remark and global counters");
    f->excludes(c);
    cmd->footer(
        "Without an option both are cleared. Attachments and the remark policy stay.\n\n"
        "Examples: dscpwatch reset | dscpwatch reset --flows");
    cmd->callback([flows, counters] {
        prepare();
        auto inst = open_instance();
        const bool both = !*flows && !*counters;
        if (both || *counters) inst->maps().reset_counters();
        if (both || *flows) inst->maps().reset_flows();
        std::printf("reset: %s cleared\n", both ? "counters and flows" : *flows ? "flows" : "counters");
    });
}

}  // namespace dw::cli
