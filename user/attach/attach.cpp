#include "attach/attach.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <array>
#include <cstring>
#include <functional>

#include "attach/netlink.hpp"
#include "core/error.hpp"

namespace dw {
namespace {

// Attach types of TCX (Linux 6.6); Debian 12's UAPI headers predate them.
constexpr int kBpfTcxIngress = 46;
constexpr int kBpfTcxEgress = 47;

// Where our cls_bpf filter sits under clsact: first in line, so it sees every frame.
constexpr uint32_t kTcHandle = 0xd5c;
constexpr uint32_t kTcPriority = 1;

std::string prog_desc(uint32_t id) {
    std::string s = "program " + std::to_string(id);
    int fd = bpf_prog_get_fd_by_id(id);
    if (fd >= 0) {
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.name[0]) s += " '" + std::string(info.name) + "'";
        close(fd);
    }
    return s;
}

bool tc_egress_of(Hook h) { return h == Hook::TcEgress; }

bpf_tc_hook tc_hook(uint32_t ifindex, bool egress) {
    bpf_tc_hook h{};
    h.sz = sizeof(h);
    h.ifindex = static_cast<int>(ifindex);
    h.attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS;
    return h;
}

// Our clsact filter's program id on that hook, 0 if the slot is free.
uint32_t clsact_slot_prog(uint32_t ifindex, bool egress) {
    if (!has_clsact(ifindex)) return 0;
    bpf_tc_hook h = tc_hook(ifindex, egress);
    LIBBPF_OPTS(bpf_tc_opts, o, .handle = kTcHandle, .priority = kTcPriority);
    // An empty slot is the normal answer here: keep libbpf from logging it as an error.
    libbpf_print_fn_t old = libbpf_set_print(nullptr);
    int err = bpf_tc_query(&h, &o);
    libbpf_set_print(old);
    return err == 0 ? o.prog_id : 0;
}

std::vector<uint32_t> tcx_progs(uint32_t ifindex, bool egress) {
    uint32_t ids[64] = {}, cnt = 64, flags = 0;
    if (bpf_prog_query(static_cast<int>(ifindex), static_cast<bpf_attach_type>(egress ? kBpfTcxEgress : kBpfTcxIngress),
                       0, &flags, ids, &cnt) != 0)
        return {};
    return {ids, ids + cnt};
}

using Undo = std::vector<std::function<void()>>;

void pin_link(int link_fd, const std::string& path) {
    if (bpf_obj_pin(link_fd, path.c_str()) != 0) throw_errno("pinning link " + path, errno);
}

void drop_link(const std::string& path) {
    int fd = bpf_obj_get(path.c_str());
    if (fd >= 0) {
        bpf_link_detach(fd);
        close(fd);
    }
    unlink(path.c_str());
}

XdpMode attach_xdp(Instance& inst, uint32_t ifindex, const AttachRequest& req, Undo& undo) {
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    if (bpf_xdp_query(static_cast<int>(ifindex), 0, &q) == 0 && q.prog_id) {
        if (inst.is_ours(q.prog_id))
            throw Error(req.ifname + " already runs this instance's XDP program",
                        "detach it first: dscpwatch detach " + req.ifname);
        std::string what = describe_xdp(ifindex);
        if (!req.force)
            throw Error(req.ifname + " already has an XDP program that is not ours: " + what,
                        "remove it, attach with --hook tc, or replace it with --force");
        // Replace a netlink-attached program; a foreign bpf_link cannot be taken over.
        __u32 mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
        if (bpf_xdp_detach(static_cast<int>(ifindex), mode, nullptr) != 0)
            throw_errno("cannot remove the XDP program on " + req.ifname + " (" + what + ")", errno,
                        "it is held by a bpf_link; detach it with the tool that attached it");
        spdlog::warn("replaced {} on {} (--force)", what, req.ifname);
    }
    auto try_mode = [&](__u32 flags) -> int {
        LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
        return bpf_link_create(inst.prog_fd(Hook::Xdp), static_cast<int>(ifindex), BPF_XDP, &lo);
    };
    XdpMode mode = XdpMode::Native;
    int fd = -1;
    if (req.xdp_mode != XdpModeRequest::Generic) {
        fd = try_mode(XDP_FLAGS_DRV_MODE);
        if (fd < 0) {
            int e = errno;
            if (req.xdp_mode == XdpModeRequest::Native)
                throw_errno("native XDP is not available on " + req.ifname, e,
                            "use --xdp-mode generic (or auto), or --hook tc");
            spdlog::warn("native XDP is not available on {} ({}); falling back to generic XDP", req.ifname,
                         std::strerror(e));
        }
    }
    if (fd < 0) {
        mode = XdpMode::Generic;
        fd = try_mode(XDP_FLAGS_SKB_MODE);
        if (fd < 0) throw_errno("attaching XDP to " + req.ifname, errno, "try --hook tc");
    }
    const std::string path = inst.link_path(ifindex, Hook::Xdp);
    try {
        pin_link(fd, path);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    undo.push_back([path] { drop_link(path); });
    return mode;
}

void attach_tcx(Instance& inst, uint32_t ifindex, Hook h, const std::string& ifname, Undo& undo) {
    bool egress = tc_egress_of(h);
    for (uint32_t id : tcx_progs(ifindex, egress))
        if (inst.is_ours(id))
            throw Error(ifname + " already runs this instance's tc program", "detach it first: dscpwatch detach " + ifname);
    int fd = bpf_link_create(inst.prog_fd(h), static_cast<int>(ifindex),
                             static_cast<bpf_attach_type>(egress ? kBpfTcxEgress : kBpfTcxIngress), nullptr);
    if (fd < 0) throw_errno(std::string("attaching TCX ") + (egress ? "egress" : "ingress") + " to " + ifname, errno);
    const std::string path = inst.link_path(ifindex, h);
    try {
        pin_link(fd, path);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    undo.push_back([path] { drop_link(path); });
}

// Returns whether we created the clsact qdisc.
bool attach_clsact(Instance& inst, uint32_t ifindex, Hook h, const AttachRequest& req, Undo& undo) {
    bool egress = tc_egress_of(h);
    bpf_tc_hook hook = tc_hook(ifindex, egress);
    bool created = false;
    if (!has_clsact(ifindex)) {
        int err = bpf_tc_hook_create(&hook);
        if (err && err != -EEXIST) throw_errno("adding a clsact qdisc to " + req.ifname, err);
        created = err == 0;
        if (created)
            undo.push_back([ifindex] {
                bpf_tc_hook all = tc_hook(ifindex, false);
                all.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
                bpf_tc_hook_destroy(&all);
            });
    }
    uint32_t there = clsact_slot_prog(ifindex, egress);
    __u32 flags = 0;
    if (there) {
        if (inst.is_ours(there))
            throw Error(req.ifname + " already runs this instance's tc program",
                        "detach it first: dscpwatch detach " + req.ifname);
        if (!req.force)
            throw Error(req.ifname + " has a tc filter that is not ours at handle 0xd5c prio 1: " + prog_desc(there),
                        "remove it, or replace it with --force");
        flags = BPF_TC_F_REPLACE;
        spdlog::warn("replacing {} on {} (--force)", prog_desc(there), req.ifname);
    }
    LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = inst.prog_fd(h), .flags = flags, .handle = kTcHandle,
                .priority = kTcPriority);
    if (int err = bpf_tc_attach(&hook, &o))
        throw_errno(std::string("attaching tc ") + (egress ? "egress" : "ingress") + " to " + req.ifname, err);
    undo.push_back([ifindex, egress] {
        bpf_tc_hook hk = tc_hook(ifindex, egress);
        LIBBPF_OPTS(bpf_tc_opts, d, .handle = kTcHandle, .priority = kTcPriority);
        bpf_tc_detach(&hk, &d);
    });
    return created;
}

}  // namespace

uint32_t resolve_ifindex(const std::string& ifname) {
    if (ifname.empty() || ifname.size() >= IF_NAMESIZE)
        throw Error("bad interface name '" + ifname + "'", "list interfaces with `ip link`");
    unsigned idx = if_nametoindex(ifname.c_str());
    if (idx == 0) throw Error("no interface named '" + ifname + "' in this network namespace", "list interfaces with `ip link`");
    return idx;
}

std::string describe_xdp(uint32_t ifindex) {
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    if (bpf_xdp_query(static_cast<int>(ifindex), 0, &q) != 0 || !q.prog_id) return "";
    const char* mode = q.attach_mode == XDP_ATTACHED_DRV   ? "native"
                       : q.attach_mode == XDP_ATTACHED_SKB ? "generic"
                       : q.attach_mode == XDP_ATTACHED_HW  ? "offloaded"
                                                           : "multiple modes";
    return prog_desc(q.prog_id) + " (" + mode + ")";
}

TcChoice auto_tc_choice(const KernelFeatures& f) {
    if (f.tcx) return {TcKind::Tcx, "TCX links, which run before any clsact filter"};
    return {TcKind::Clsact, "no TCX on this kernel (Linux 6.6+): a clsact qdisc with a cls_bpf filter"};
}

bool has_traces(const Instance& inst, uint32_t ifindex) {
    for (Hook h : {Hook::Xdp, Hook::TcIngress, Hook::TcEgress})
        if (access(inst.link_path(ifindex, h).c_str(), F_OK) == 0) return true;
    for (bool egress : {false, true})
        if (inst.is_ours(clsact_slot_prog(ifindex, egress))) return true;
    return false;
}

Attachment attach(Instance& inst, const AttachRequest& req) {
    const uint32_t ifindex = resolve_ifindex(req.ifname);
    if (auto a = inst.attachment(ifindex); a && a->any())
        throw Error(req.ifname + " is already attached to this dscpwatch instance",
                    "detach it first: dscpwatch detach " + req.ifname);
    // An attach killed before it recorded its work leaves our links or filters
    // behind, unrecorded: clear them, or the hooks would look taken by us.
    if (has_traces(inst, ifindex)) {
        detach(inst, ifindex);
        spdlog::warn("{}: removed what an interrupted attach left behind", req.ifname);
    }
    if (!req.xdp && !req.tc_ingress && !req.tc_egress) throw Error("nothing to attach");
    Attachment a;
    a.ifindex = ifindex;
    a.ifname = req.ifname;
    Undo undo;
    try {
        if (req.xdp) a.xdp = attach_xdp(inst, ifindex, req, undo);
        if (req.tc_ingress || req.tc_egress) {
            bool tcx = false;
            if (req.tc_mode != TcModeRequest::Clsact) {
                const KernelFeatures f = probe_kernel_features();
                if (req.tc_mode == TcModeRequest::Tcx && !f.tcx)
                    throw Error("this kernel (" + f.release + ") has no TCX links (Linux 6.6+)",
                                "use --tc-mode clsact or auto");
                tcx = req.tc_mode == TcModeRequest::Tcx || auto_tc_choice(f).kind == TcKind::Tcx;
            }
            a.tc = tcx ? TcKind::Tcx : TcKind::Clsact;
            for (Hook h : {Hook::TcIngress, Hook::TcEgress}) {
                if ((h == Hook::TcIngress && !req.tc_ingress) || (h == Hook::TcEgress && !req.tc_egress)) continue;
                if (tcx)
                    attach_tcx(inst, ifindex, h, req.ifname, undo);
                else
                    a.created_clsact = attach_clsact(inst, ifindex, h, req, undo) || a.created_clsact;
                (h == Hook::TcIngress ? a.tc_ingress : a.tc_egress) = true;
            }
        }
        a.attached_unix = static_cast<uint64_t>(time(nullptr));
        inst.record(a);
    } catch (...) {
        for (auto it = undo.rbegin(); it != undo.rend(); ++it) (*it)();
        inst.forget(ifindex);
        throw;
    }
    return a;
}

std::vector<std::string> detach(Instance& inst, uint32_t ifindex) {
    std::vector<std::string> done;
    auto rec = inst.attachment(ifindex);
    for (Hook h : {Hook::Xdp, Hook::TcIngress, Hook::TcEgress}) {
        const std::string path = inst.link_path(ifindex, h);
        if (access(path.c_str(), F_OK) == 0) {
            drop_link(path);
            done.push_back(h == Hook::Xdp ? "xdp link" : std::string(to_string(h)) + " link");
        }
    }
    bool iface_exists = if_indextoname(ifindex, std::array<char, IF_NAMESIZE>{}.data()) != nullptr;
    if (iface_exists) {
        for (bool egress : {false, true}) {
            uint32_t there = clsact_slot_prog(ifindex, egress);
            if (there && inst.is_ours(there)) {
                bpf_tc_hook hk = tc_hook(ifindex, egress);
                LIBBPF_OPTS(bpf_tc_opts, d, .handle = kTcHandle, .priority = kTcPriority);
                if (int err = bpf_tc_detach(&hk, &d)) throw_errno("removing our tc filter", err);
                done.push_back(egress ? "clsact egress filter" : "clsact ingress filter");
            }
        }
        if (rec && rec->created_clsact && has_clsact(ifindex) && count_tc_filters(ifindex, false) == 0 &&
            count_tc_filters(ifindex, true) == 0) {
            bpf_tc_hook all = tc_hook(ifindex, false);
            all.attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS);
            if (int err = bpf_tc_hook_destroy(&all)) throw_errno("removing the clsact qdisc we added", err);
            done.push_back("clsact qdisc");
        }
    }
    inst.forget(ifindex);
    return done;
}

}  // namespace dw
