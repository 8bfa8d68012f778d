// `dscpwatch status`: what the instance at the pin root is, where it is
// attached, which remark policy is in force, how full the flow table is, and
// which kernel features it has and what dscpwatch chose for them. Pure rendering of a StatusView that the
// command fills in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attach/attach.hpp"
#include "attach/instance.hpp"
#include "core/remark_config.hpp"

namespace dw {

struct StatusIface {
    Attachment a;
    // Program ids of the hooks in use (0: hook not used).
    uint32_t xdp_prog_id = 0;
    uint32_t tc_ingress_prog_id = 0;
    uint32_t tc_egress_prog_id = 0;
};

struct StatusView {
    std::string pin_root;
    bool instance = false;  // an instance exists at pin_root
    std::string netns;      // --netns NAME, empty for the caller's namespace
    InstanceMeta meta;
    std::vector<StatusIface> ifaces;
    RemarkConfig remark;
    uint64_t generation = 0;
    uint64_t flows_live = 0;
    uint32_t flow_capacity = 0;
    uint64_t flows_created = 0;       // DW_CNT_FLOW_NEW
    uint64_t flow_insert_failed = 0;  // DW_CNT_FLOW_INSERT_FAIL
    std::optional<KernelFeatures> kernel;
    TcChoice tc_auto;                   // what --tc-mode auto uses on this kernel
    std::vector<std::string> missing;   // what the classifier needs and the kernel lacks
    uint64_t now_unix = 0;            // for "attached 2h ago"; 0: no ages

    bool attached() const;            // an instance with at least one attachment
    // Flow records created but no longer in the table: the LRU evicted them
    // (or they were deleted). Created - live, never negative.
    uint64_t flows_evicted() const { return flows_created > flows_live ? flows_created - flows_live : 0; }
    double flow_fill() const { return flow_capacity ? static_cast<double>(flows_live) / flow_capacity : 0.0; }
};

// "native", "generic", "" for none; "tcx", "clsact", "".
std::string xdp_mode_name(XdpMode m);
std::string tc_kind_name(TcKind k);

std::string render_status_text(const StatusView& v);
nlohmann::json render_status_json(const StatusView& v);

}  // namespace dw
