// `dscpwatch status [--json]`: the instance at the pin root, where it is
// attached, the remark policy, the flow table, and the kernel features.
// Without an instance it says so and succeeds.
#include <bpf/bpf.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "attach/attach.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "view/status_view.hpp"

namespace dw::cli {
namespace {

// Live flow records, counted in batches with bounded memory (reading the whole
// table would hold every record at once: 328 MB at a million flows).
uint64_t count_flows(int fd) {
    constexpr uint32_t kBatch = 1024;
    std::vector<dw_flow_key> keys(kBatch);
    std::vector<dw_flow> vals(kBatch);
    dw_flow_key in{}, out{};
    uint64_t n = 0;
    bool first = true;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    for (;;) {
        uint32_t count = kBatch;
        int err = bpf_map_lookup_batch(fd, first ? nullptr : &in, &out, keys.data(), vals.data(), &count, &opts);
        int e = err ? errno : 0;
        n += count;
        if (err && e == ENOENT) return n;
        if (err && first && count == 0 && (e == EINVAL || e == ENOTSUP || e == EOPNOTSUPP)) break;
        if (err) throw_errno("counting the flow records", e);
        in = out;
        first = false;
    }
    // No batch operations: walk the keys.
    n = 0;
    dw_flow_key cur{}, next{};
    const dw_flow_key* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        n++;
        cur = next;
        prev = &cur;
    }
    return n;
}

void run_status(bool json) {
    prepare();
    StatusView v;
    v.pin_root = globals().pin_root;
    v.netns = globals().netns;
    v.now_unix = static_cast<uint64_t>(time(nullptr));
    try {
        v.kernel = probe_kernel_features();
        v.tc_auto = auto_tc_choice(*v.kernel);
        v.missing = missing_requirements(*v.kernel);
    } catch (const std::exception& e) {
        spdlog::debug("kernel feature probe failed: {}", e.what());
    }
    v.instance = Instance::exists(v.pin_root);
    if (v.instance) {
        auto inst = open_instance();
        v.meta = inst->meta();
        for (const auto& a : inst->attachments()) {
            StatusIface i;
            i.a = a;
            if (a.xdp != XdpMode::None) i.xdp_prog_id = inst->prog_id(Hook::Xdp);
            if (a.tc_ingress) i.tc_ingress_prog_id = inst->prog_id(Hook::TcIngress);
            if (a.tc_egress) i.tc_egress_prog_id = inst->prog_id(Hook::TcEgress);
            v.ifaces.push_back(std::move(i));
        }
        const auto& m = inst->maps();
        v.remark = m.active_config();
        v.generation = m.generation();
        const auto c = m.counters();
        v.flows_live = count_flows(m.fds().flows);
        v.flow_capacity = m.flow_capacity();
        v.flows_created = c[DW_CNT_FLOW_NEW];
        v.flow_insert_failed = c[DW_CNT_FLOW_INSERT_FAIL];
    }
    if (json)
        std::printf("%s\n", render_status_json(v).dump(2).c_str());
    else
        std::fputs(render_status_text(v).c_str(), stdout);
}

}  // namespace

void add_status(CLI::App& app) {
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("status", "where the classifier is attached, the remark policy, the flow table, kernel features");
    cmd->add_flag("--json", *json, "print JSON ({\"attached\": false} without an instance)");
    cmd->footer(
        "Shows the pin root, each interface's hooks (XDP mode, tc kind tcx/clsact, program ids), the\n"
        "remark policy in force, the flow table's fill level and evictions (records created but no longer\n"
        "in the table), the kernel features probed, what --tc-mode auto uses on this kernel and why\n"
        "(TCX, or clsact before Linux 6.6), and whether the classifier can load here. Without an\n"
        "instance at the pin root it says \"not attached\" and exits 0.\n\n"
        "Examples: dscpwatch status | dscpwatch --netns lab status --json");
    cmd->callback([json] { run_status(*json); });
}

}  // namespace dw::cli
