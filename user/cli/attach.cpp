// `dscpwatch attach IFACE...` and `dscpwatch detach IFACE...|--all`.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "attach/attach.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"

namespace dw::cli {
namespace {

struct AttachArgs {
    std::vector<std::string> ifaces;
    std::string hook;  // "", "xdp", "tc"
    std::string direction = "both";
    std::string xdp_mode = "auto";
    std::string tc_mode = "auto";
    uint32_t flows = DW_FLOWS_DEFAULT;
    uint32_t handshakes = DW_HS_DEFAULT;
    bool force = false;
};

AttachRequest request_for(const AttachArgs& a, const std::string& ifname) {
    AttachRequest r;
    r.ifname = ifname;
    r.force = a.force;
    const bool ingress = a.direction != "egress", egress = a.direction != "ingress";
    if (a.hook == "xdp" && a.direction == "egress")
        throw Error("XDP sees only ingress traffic", "use --hook tc for egress, or --direction both (XDP in, tc out)");
    if (ingress) (a.hook == "tc" ? r.tc_ingress : r.xdp) = true;
    r.tc_egress = egress;
    r.xdp_mode = a.xdp_mode == "native"    ? XdpModeRequest::Native
                 : a.xdp_mode == "generic" ? XdpModeRequest::Generic
                                           : XdpModeRequest::Auto;
    r.tc_mode = a.tc_mode == "tcx" ? TcModeRequest::Tcx : a.tc_mode == "clsact" ? TcModeRequest::Clsact : TcModeRequest::Auto;
    return r;
}

std::string hooks_of(const Attachment& a) {
    std::string s;
    auto add = [&](const std::string& x) { s += (s.empty() ? "" : ", ") + x; };
    if (a.xdp != XdpMode::None) add("xdp " + std::string(to_string(a.xdp)) + " (ingress)");
    if (a.tc_ingress) add("tc ingress (" + std::string(to_string(a.tc)) + ")");
    if (a.tc_egress) add("tc egress (" + std::string(to_string(a.tc)) + ")");
    return s;
}

void run_attach(const AttachArgs& args) {
    prepare();
    const auto& root = globals().pin_root;
    // Check every name before touching anything.
    for (const auto& name : args.ifaces) resolve_ifindex(name);
    for (const auto& name : args.ifaces) request_for(args, name);

    bool created = false;
    std::unique_ptr<Instance> inst;
    if (Instance::exists(root)) {
        inst = Instance::open(root);
        if (inst->meta().flow_capacity != args.flows && args.flows != DW_FLOWS_DEFAULT)
            spdlog::warn("the instance at {} keeps its flow table of {} flows (--flows applies when it is created)",
                         root, inst->meta().flow_capacity);
    } else {
        inst = Instance::create(root, args.flows, args.handshakes);
        created = true;
    }
    std::vector<uint32_t> done;
    try {
        for (const auto& name : args.ifaces) {
            auto a = attach(*inst, request_for(args, name));
            done.push_back(a.ifindex);
            std::printf("attached %s: %s\n", name.c_str(), hooks_of(a).c_str());
        }
    } catch (...) {
        // All or nothing: undo the interfaces of this command, and the instance if it is new.
        for (auto idx : done) detach(*inst, idx);
        if (created) {
            inst.reset();
            Instance::remove(root);
        }
        throw;
    }
}

}  // namespace

void add_attach(CLI::App& app) {
    auto args = std::make_shared<AttachArgs>();
    auto* cmd = app.add_subcommand("attach", "attach the classifier to interfaces (XDP in, tc out by default)");
    cmd->add_option("IFACE", args->ifaces, "interfaces; they share one set of counters and flows")->required();
    cmd->add_option("--hook", args->hook, "ingress hook: xdp (default) or tc")->check(CLI::IsMember({"xdp", "tc"}));
    cmd->add_option("--direction", args->direction, "ingress, egress or both")
        ->check(CLI::IsMember({"ingress", "egress", "both"}))
        ->capture_default_str();
    cmd->add_option("--xdp-mode", args->xdp_mode, "native, generic, or auto (native, else generic with a warning)")
        ->check(CLI::IsMember({"native", "generic", "auto"}))
        ->capture_default_str();
    cmd->add_option("--tc-mode", args->tc_mode, "tcx (Linux 6.6+), clsact, or auto")
        ->check(CLI::IsMember({"tcx", "clsact", "auto"}))
        ->capture_default_str();
    cmd->add_option("--flows", args->flows, "flow table size, when the instance is created")
        ->check(CLI::Range(1u, DW_FLOWS_MAX))
        ->capture_default_str();
    cmd->add_option("--handshakes", args->handshakes, "handshake table size (TCP connections followed at once)")
        ->check(CLI::Range(1u, DW_FLOWS_MAX))
        ->capture_default_str();
    cmd->add_flag("--force", args->force, "replace an XDP program or tc filter that is not ours");
    cmd->footer("Example: dscpwatch attach eth1 eth2 --flows 1048576");
    cmd->callback([args] { run_attach(*args); });
}

void add_detach(CLI::App& app) {
    auto ifaces = std::make_shared<std::vector<std::string>>();
    auto all = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("detach", "take the classifier off interfaces; --all also removes the pins");
    cmd->add_option("IFACE", *ifaces, "interfaces to detach (counters are kept)");
    cmd->add_flag("--all", *all, "detach every interface and remove the instance (counters and flows)");
    cmd->footer("Examples: dscpwatch detach eth1 | dscpwatch detach --all");
    cmd->callback([ifaces, all] {
        if (ifaces->empty() && !*all) throw Error("nothing to detach", "name interfaces, or use --all");
        prepare();
        const auto& root = globals().pin_root;
        if (!Instance::exists(root)) {
            if (*all) {
                std::printf("nothing attached (no instance at %s)\n", root.c_str());
                return;
            }
            throw Error("no dscpwatch instance at " + root, "nothing to detach");
        }
        auto inst = Instance::open(root);
        std::vector<uint32_t> targets;
        for (const auto& name : *ifaces) {
            uint32_t idx = resolve_ifindex(name);
            // Not recorded but with our links or filters on it: an attach was killed midway; detach clears it.
            if (!inst->attachment(idx) && !has_traces(*inst, idx))
                throw Error(name + " is not attached to this instance", "see `dscpwatch status`");
            targets.push_back(idx);
        }
        if (*all)
            for (const auto& a : inst->attachments()) targets.push_back(a.ifindex);
        for (auto idx : targets) {
            auto rec = inst->attachment(idx);
            auto removed = detach(*inst, idx);
            std::string what;
            for (const auto& r : removed) what += (what.empty() ? "" : ", ") + r;
            std::printf("detached %s: %s\n", rec ? rec->ifname.c_str() : std::to_string(idx).c_str(),
                        what.empty() ? "nothing was left" : what.c_str());
        }
        if (*all) {
            inst.reset();
            Instance::remove(root);
            std::printf("removed %s\n", root.c_str());
        }
    });
}

}  // namespace dw::cli
