#include "bpf/classifier.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "bpf/features.hpp"
#include "core/error.hpp"
#include "dscpwatch.skel.h"

namespace dw {

std::string_view to_string(Hook h) {
    switch (h) {
    case Hook::Xdp: return "xdp";
    case Hook::TcIngress: return "tc-ingress";
    case Hook::TcEgress: return "tc-egress";
    case Hook::XdpEgress: return "xdp-egress";
    }
    return "?";
}

uint8_t hook_dir(Hook h) { return h == Hook::TcEgress || h == Hook::XdpEgress ? DW_DIR_EGRESS : DW_DIR_INGRESS; }

void require_bpf_privileges() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) throw_errno("reading capabilities", errno);
    auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1u; };
    bool admin = has(CAP_SYS_ADMIN);
    bool bpf = admin || has(39 /* CAP_BPF */);
    bool net = has(CAP_NET_ADMIN);
    bool perfmon = admin || has(38 /* CAP_PERFMON */);
    if (!bpf || !net || !perfmon)
        throw Error("not enough privileges to load BPF programs (need root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)",
                    "run as root, e.g. with sudo");
}

std::unique_ptr<Classifier> Classifier::load(const LoadOptions& opts) {
    require_bpf_privileges();
    if (opts.flow_capacity == 0 || opts.flow_capacity > DW_FLOWS_MAX)
        throw Error("flow table size " + std::to_string(opts.flow_capacity) + " is out of range",
                    "choose 1 to " + std::to_string(DW_FLOWS_MAX) + " flows");
    // A kernel too old fails here with what it lacks, not with a verifier log.
    if (const KernelFeatures f = probe_kernel_features(); !missing_requirements(f).empty()) {
        std::string what;
        for (const auto& m : missing_requirements(f)) what += (what.empty() ? "" : ", ") + m;
        throw Error("this kernel (" + f.release + ") cannot run the classifier: it lacks " + what,
                    std::string("run dscpwatch on Linux ") + kMinKernel + " or newer");
    }
    std::unique_ptr<Classifier> c(new Classifier());
    c->skel_ = dscpwatch::open();
    if (!c->skel_) throw_errno("opening the BPF object", errno);
    c->skel_->rodata->use_clock_map = opts.replay_clock ? 1 : 0;
    // Every entry point costs verification time: load only those asked for.
    // Replay's egress entry point is never loaded for a live instance.
    const auto wanted = [&](Hook h) {
        if (opts.hooks.empty()) return h != Hook::XdpEgress || opts.replay_clock;
        return std::find(opts.hooks.begin(), opts.hooks.end(), h) != opts.hooks.end();
    };
    if (wanted(Hook::XdpEgress) && !opts.replay_clock)
        throw Error("the XDP egress entry point runs only in replay (it needs the replay clock)");
    for (Hook h : kAllHooks) bpf_program__set_autoload(c->program(h), wanted(h));
    if (int err = bpf_map__set_max_entries(c->skel_->maps.dw_flows, opts.flow_capacity))
        throw_errno("sizing the flow table", err);
    if (opts.hs_capacity == 0 || opts.hs_capacity > DW_FLOWS_MAX)
        throw Error("handshake table size " + std::to_string(opts.hs_capacity) + " is out of range");
    if (int err = bpf_map__set_max_entries(c->skel_->maps.dw_hs, opts.hs_capacity))
        throw_errno("sizing the handshake table", err);
    if (int err = dscpwatch::load(c->skel_))
        throw_errno("loading the BPF object into the kernel", err,
                    "check `dmesg` and that the kernel has BPF, BTF and the JIT enabled");
    const auto& m = c->skel_->maps;
    c->tlsinfo_ = Fd(create_tls_info_map(opts.hs_capacity));
    c->maps_ = std::make_unique<MapSet>(MapFds{
        .if_stats = bpf_map__fd(m.dw_if_stats),
        .remarks = bpf_map__fd(m.dw_remarks),
        .counters = bpf_map__fd(m.dw_counters),
        .flows = bpf_map__fd(m.dw_flows),
        .config = bpf_map__fd(m.dw_config),
        .active = bpf_map__fd(m.dw_active),
        .exempt_v4 = bpf_map__fd(m.dw_exempt_v4),
        .exempt_v6 = bpf_map__fd(m.dw_exempt_v6),
        .clock = bpf_map__fd(m.dw_clock),
        .hs = bpf_map__fd(m.dw_hs),
        .events = bpf_map__fd(m.dw_events),
        .tlsinfo = c->tlsinfo_.get(),
    });
    for (Hook h : kAllHooks)
        if (wanted(h)) c->fds_[static_cast<int>(h)] = bpf_program__fd(c->program(h));
    return c;
}

Classifier::~Classifier() {
    maps_.reset();
    if (skel_) dscpwatch::destroy(skel_);
}

bpf_program* Classifier::program(Hook h) const {
    switch (h) {
    case Hook::Xdp: return skel_->progs.dw_xdp;
    case Hook::TcIngress: return skel_->progs.dw_tc_ingress;
    case Hook::TcEgress: return skel_->progs.dw_tc_egress;
    case Hook::XdpEgress: return skel_->progs.dw_xdp_egress;
    }
    return nullptr;
}

int Classifier::prog_fd(Hook h) const { return fds_[static_cast<int>(h)]; }

namespace {

// One BPF_PROG_TEST_RUN with the context of the hook; 0 or -errno.
int test_run(int fd, bool xdp, std::span<const uint8_t> frame, std::span<uint8_t> out, uint32_t ifindex,
             uint32_t repeat, bpf_test_run_opts& o) {
    o.data_in = frame.data();
    o.data_size_in = static_cast<uint32_t>(frame.size());
    if (!out.empty()) {
        o.data_out = out.data();
        o.data_size_out = static_cast<uint32_t>(out.size());
    }
    o.repeat = repeat;
    xdp_md xctx{};
    __sk_buff sctx{};
    if (xdp) {
        xctx.data_end = static_cast<uint32_t>(frame.size());
        xctx.ingress_ifindex = ifindex;
        o.ctx_in = &xctx;
        o.ctx_size_in = sizeof(xctx);
    } else {
        sctx.ifindex = ifindex;
        o.ctx_in = &sctx;
        o.ctx_size_in = sizeof(sctx);
    }
    const int err = bpf_prog_test_run_opts(fd, &o);
    o.ctx_in = nullptr;  // the contexts live in this frame only
    return err < 0 ? err : -err;
}

}  // namespace

RunResult Classifier::run(Hook h, std::span<const uint8_t> frame, uint32_t ifindex, uint32_t repeat) const {
    RunResult r;
    r.data.resize(frame.size() + 256);
    LIBBPF_OPTS(bpf_test_run_opts, o);
    if (prog_fd(h) < 0) throw Error(std::string("the ") + std::string(to_string(h)) + " entry point was not loaded");
    if (int err = test_run(prog_fd(h), is_xdp(h), frame, r.data, ifindex, repeat, o))
        throw_errno(std::string("BPF_PROG_TEST_RUN on ") + std::string(to_string(h)), err);
    r.retval = o.retval;
    r.duration_ns = o.duration;
    r.data.resize(o.data_size_out);
    return r;
}

int Classifier::run_into(Hook h, std::span<const uint8_t> frame, std::span<uint8_t> out, uint32_t* out_len,
                         uint32_t ifindex) const noexcept {
    LIBBPF_OPTS(bpf_test_run_opts, o);
    const int fd = prog_fd(h);
    if (fd < 0) return -ENOENT;  // not loaded (LoadOptions::hooks)
    if (int err = test_run(fd, is_xdp(h), frame, out, ifindex, 1, o)) return err;
    if (out_len) *out_len = o.data_size_out;
    return 0;
}

}  // namespace dw
