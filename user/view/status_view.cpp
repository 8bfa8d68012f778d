#include "view/status_view.hpp"

#include <cstdio>

#include "view/format.hpp"
#include "view/remark_view.hpp"
#include "view/table.hpp"

namespace dw {

bool StatusView::attached() const {
    if (!instance) return false;
    for (const auto& i : ifaces)
        if (i.a.any()) return true;
    return false;
}

std::string xdp_mode_name(XdpMode m) {
    switch (m) {
    case XdpMode::None: return "";
    case XdpMode::Native: return "native";
    case XdpMode::Generic: return "generic";
    }
    return "?";
}

std::string tc_kind_name(TcKind k) {
    switch (k) {
    case TcKind::None: return "";
    case TcKind::Tcx: return "tcx";
    case TcKind::Clsact: return "clsact";
    }
    return "?";
}

namespace {

const char* yes(bool b) { return b ? "yes" : "no"; }

std::string ago(uint64_t now, uint64_t then) {
    if (!now || !then) return "";
    return human_duration_ns((now > then ? now - then : 0) * 1000000000ull) + " ago";
}

std::string hook_cell(bool used, const std::string& kind, uint32_t prog_id) {
    if (!used) return "-";
    std::string s = kind;
    if (prog_id) s += (s.empty() ? "" : " ") + std::string("(prog ") + std::to_string(prog_id) + ")";
    return s;
}

std::string jit_name(int jit) {
    switch (jit) {
    case 0: return "off";
    case 1: return "on";
    case 2: return "on (debug)";
    }
    return "unknown";
}

// The probed features, the tc attachment --tc-mode auto picks, and whether
// the classifier can load here.
std::string kernel_text(const StatusView& v) {
    const auto& k = *v.kernel;
    std::string out = "kernel: " + k.release + "\n";
    out += std::string("  features: tcx ") + yes(k.tcx) + ", xdp_link " + yes(k.xdp_link) + ", ringbuf " +
           yes(k.ringbuf) + ", bounded_loops " + yes(k.bounded_loops) + ", mmapable_array " +
           yes(k.mmapable_array) + ", bpf_loop " + yes(k.bpf_loop) + ", xdp_load_bytes " + yes(k.xdp_load_bytes) +
           ", btf " + yes(k.btf) + ", jit " + jit_name(k.jit) + "\n";
    if (v.tc_auto.kind != TcKind::None)
        out += "  tc attach (--tc-mode auto): " + tc_kind_name(v.tc_auto.kind) + ": " + v.tc_auto.why + "\n";
    if (v.missing.empty()) {
        out += std::string("  classifier: loads here (needs Linux ") + kMinKernel + "+)\n";
    } else {
        std::string what;
        for (const auto& m : v.missing) what += (what.empty() ? "" : ", ") + m;
        out += "  classifier: cannot load here: the kernel lacks " + what + "; use Linux " + kMinKernel + "+\n";
    }
    return out;
}

std::string percent(double fill) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f%%", fill * 100.0);
    return buf;
}

}  // namespace

std::string render_status_text(const StatusView& v) {
    std::string out;
    const std::string where = v.pin_root + (v.netns.empty() ? "" : " (netns " + v.netns + ")");
    if (!v.instance) {
        out += "not attached: no dscpwatch instance at " + where + "\n";
        out += "  start with: dscpwatch attach IFACE\n";
    } else {
        out += "instance: " + where + "\n";
        std::string facts = "  created " + local_time(v.meta.created_unix);
        if (auto a = ago(v.now_unix, v.meta.created_unix); !a.empty()) facts += " (" + a + ")";
        if (v.meta.netns_ino) facts += ", netns inode " + std::to_string(v.meta.netns_ino);
        out += facts + "\n";

        if (!v.attached()) {
            out += "attached: nowhere (the instance is loaded but on no interface)\n";
        } else {
            out += "attached:\n";
            Table t({"interface", "ifindex", "xdp", "tc ingress", "tc egress", "since"},
                    {Align::Left, Align::Right, Align::Left, Align::Left, Align::Left, Align::Left});
            for (const auto& i : v.ifaces) {
                const auto& a = i.a;
                std::string kind = tc_kind_name(a.tc);
                if (a.tc == TcKind::Clsact && a.created_clsact) kind += " (ours)";
                std::string since = ago(v.now_unix, a.attached_unix);
                t.row({a.ifname.empty() ? "if" + std::to_string(a.ifindex) : a.ifname, std::to_string(a.ifindex),
                       hook_cell(a.xdp != XdpMode::None, xdp_mode_name(a.xdp), i.xdp_prog_id),
                       hook_cell(a.tc_ingress, kind, i.tc_ingress_prog_id),
                       hook_cell(a.tc_egress, kind, i.tc_egress_prog_id), since.empty() ? "-" : since});
            }
            out += indent_lines(t.str(), "  ");
        }

        out += "remark: " + remark_policy_text(v.remark, v.generation) + "\n";

        out += "flows: " + std::to_string(v.flows_live) + " / " + std::to_string(v.flow_capacity) + " (" +
               percent(v.flow_fill()) + " full), " + std::to_string(v.flows_created) + " created, " +
               std::to_string(v.flows_evicted()) + " evicted, " + std::to_string(v.flow_insert_failed) +
               " insert failures\n";
        if (v.flow_capacity && v.flow_fill() >= 0.9)
            out += "  the flow table is nearly full: old flows are being evicted; "
                   "re-create the instance with a larger flow table to keep them\n";
    }
    if (v.kernel) out += kernel_text(v);
    return out;
}

nlohmann::json render_status_json(const StatusView& v) {
    nlohmann::json j{{"attached", v.attached()}, {"instance", v.instance}, {"pin_root", v.pin_root}};
    if (!v.netns.empty()) j["netns"] = v.netns;
    if (v.instance) {
        j["meta"] = {{"netns_ino", v.meta.netns_ino},
                     {"flow_capacity", v.meta.flow_capacity},
                     {"layout", v.meta.layout},
                     {"created_unix", v.meta.created_unix}};
        j["interfaces"] = nlohmann::json::array();
        for (const auto& i : v.ifaces) {
            const auto& a = i.a;
            nlohmann::json e{{"ifindex", a.ifindex}, {"interface", a.ifname}, {"attached_unix", a.attached_unix}};
            if (a.xdp != XdpMode::None)
                e["xdp"] = {{"mode", xdp_mode_name(a.xdp)}, {"prog_id", i.xdp_prog_id}};
            else
                e["xdp"] = nullptr;
            if (a.tc_ingress || a.tc_egress) {
                nlohmann::json tc{{"kind", tc_kind_name(a.tc)}, {"created_clsact", a.created_clsact}};
                tc["ingress"] = a.tc_ingress ? nlohmann::json{{"prog_id", i.tc_ingress_prog_id}} : nlohmann::json();
                tc["egress"] = a.tc_egress ? nlohmann::json{{"prog_id", i.tc_egress_prog_id}} : nlohmann::json();
                e["tc"] = std::move(tc);
            } else {
                e["tc"] = nullptr;
            }
            j["interfaces"].push_back(std::move(e));
        }
        j["remark"] = remark_json(v.remark, v.generation);
        j["flows"] = {{"live", v.flows_live},
                      {"capacity", v.flow_capacity},
                      {"fill", v.flow_fill()},
                      {"created", v.flows_created},
                      {"evicted", v.flows_evicted()},
                      {"insert_failed", v.flow_insert_failed}};
    }
    if (v.kernel) {
        const auto& k = *v.kernel;
        j["kernel"] = {{"release", k.release},
                       {"tcx", k.tcx},
                       {"xdp_link", k.xdp_link},
                       {"ringbuf", k.ringbuf},
                       {"bounded_loops", k.bounded_loops},
                       {"mmapable_array", k.mmapable_array},
                       {"bpf_loop", k.bpf_loop},
                       {"xdp_load_bytes", k.xdp_load_bytes},
                       {"btf", k.btf},
                       {"jit", k.jit},
                       {"tc_auto", {{"kind", tc_kind_name(v.tc_auto.kind)}, {"why", v.tc_auto.why}}},
                       {"classifier_loads", v.missing.empty()},
                       {"missing", v.missing},
                       {"min_release", kMinKernel}};
    }
    return j;
}

}  // namespace dw
