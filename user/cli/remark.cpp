// `dscpwatch remark off|zero|map SPEC [...]`: set the live remark policy, or
// show it. Publishing is atomic and live: no reattach, no counter reset.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/remark_args.hpp"
#include "core/error.hpp"
#include "core/remark_config.hpp"
#include "view/remark_view.hpp"

namespace dw::cli {

uint32_t parse_direction(const std::string& d) {
    if (d.empty() || d == "both") return DW_DIRS_ALL;
    if (d == "ingress") return DW_DIRS_INGRESS;
    if (d == "egress") return DW_DIRS_EGRESS;
    throw Error("unknown direction '" + d + "'", "use ingress, egress or both");
}

RemarkConfig build_config(const RemarkArgs& a) {
    RemarkConfig cfg;
    if (a.mode == "off") {
        cfg.mode = RemarkMode::Off;
    } else if (a.mode == "zero") {
        cfg.mode = RemarkMode::Zero;
    } else if (a.mode == "map") {
        cfg.mode = RemarkMode::Map;
    } else {
        throw Error("unknown remark mode '" + a.mode + "'", "use off, zero, or map FROM=TO,...");
    }
    if (cfg.mode == RemarkMode::Map) {
        if (a.spec.empty())
            throw Error("remark map needs a map spec", "give FROM=TO pairs, e.g. dscpwatch remark map 46=0,af41=18");
        cfg.map = parse_map_spec(a.spec);
    } else if (!a.spec.empty()) {
        throw Error("remark " + a.mode + " takes no map spec ('" + a.spec + "')",
                    "drop it, or use: dscpwatch remark map " + a.spec);
    }
    cfg.dirs = parse_direction(a.direction);
    for (const auto& p : a.exempt_prefixes) cfg.exempt_prefixes.push_back(parse_prefix(p));
    for (const auto& p : a.exempt_ports) cfg.exempt_ports.push_back(parse_port_range(p));
    validate(cfg);
    return cfg;
}

namespace {

void print_policy(const RemarkConfig& cfg, uint64_t gen, bool json) {
    if (json)
        std::printf("%s\n", remark_json(cfg, gen).dump(2).c_str());
    else
        std::printf("%s\n", describe_remark(cfg, gen).c_str());
}

void run_remark(const RemarkArgs& a) {
    if (a.mode.empty()) {
        if (!a.spec.empty() || !a.exempt_prefixes.empty() || !a.exempt_ports.empty() || !a.direction.empty())
            throw Error("exemptions and --direction need a mode", "e.g. dscpwatch remark zero --exempt-port udp:16384-32767");
        prepare();
        auto inst = open_instance();
        print_policy(inst->maps().active_config(), inst->maps().generation(), a.json);
        return;
    }
    const RemarkConfig cfg = build_config(a);
    prepare();
    auto inst = open_instance();
    inst->maps().publish(cfg);
    // Read back what is now in force, so the line shows the kernel's state.
    print_policy(inst->maps().active_config(), inst->maps().generation(), a.json);
}

}  // namespace

void add_remark(CLI::App& app) {
    auto a = std::make_shared<RemarkArgs>();
    auto* cmd = app.add_subcommand("remark", "set the live DSCP remark policy (off, zero, map), or show it");
    cmd->add_option("MODE", a->mode, "off (count only), zero (every DSCP becomes 0), or map");
    cmd->add_option("SPEC", a->spec, "map mode: FROM=TO pairs, DSCP values 0-63 or names, e.g. 46=0,af41=18");
    cmd->add_option("--exempt-prefix", a->exempt_prefixes,
                    "leave frames from or to this prefix alone (repeatable), e.g. 198.51.100.0/24")
        ->allow_extra_args(false);
    cmd->add_option("--exempt-port", a->exempt_ports,
                    "leave frames with this source or destination port alone (repeatable), PROTO:LO-HI, e.g. udp:16384-32767")
        ->allow_extra_args(false);
    cmd->add_option("--direction", a->direction, "remark on ingress, egress or both (default both)");
    cmd->add_flag("--json", a->json, "print the resulting policy as JSON");
    cmd->footer(
        "The new policy replaces the whole old one, exemptions included, in one atomic step: packets\n"
        "see the old or the new policy, never a mix. Nothing is reattached and no counter is reset.\n"
        "An exempt frame keeps its DSCP when its source or destination matches.\n\n"
        "Examples:\n"
        "  dscpwatch remark                                      show the policy in force\n"
        "  dscpwatch remark zero --exempt-port udp:16384-32767   bleach everything but RTP\n"
        "  dscpwatch remark map 46=0,af41=18 --direction egress\n"
        "  dscpwatch remark zero --exempt-prefix 198.51.100.0/24 --exempt-prefix 2001:db8::/32\n"
        "  dscpwatch remark off                                  count only");
    cmd->callback([a] { run_remark(*a); });
}

}  // namespace dw::cli
