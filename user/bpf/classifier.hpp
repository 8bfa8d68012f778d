// The classifier object: owns the libbpf skeleton (open, configure, load) and
// offers BPF_PROG_TEST_RUN on each entry point. Attaching to interfaces and
// pinning live in the layers that need them.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "bpf/fd.hpp"
#include "bpf/maps.hpp"
#include "dscpwatch/abi.h"

struct dscpwatch;

struct bpf_program;

namespace dw {

// XdpEgress is replay's: the XDP entry point for frames that left the
// interface. It exists only in objects loaded with replay_clock, and is never
// attached.
enum class Hook { Xdp, TcIngress, TcEgress, XdpEgress };
inline constexpr Hook kAllHooks[] = {Hook::Xdp, Hook::TcIngress, Hook::TcEgress, Hook::XdpEgress};
inline bool is_xdp(Hook h) { return h == Hook::Xdp || h == Hook::XdpEgress; }
std::string_view to_string(Hook h);
uint8_t hook_dir(Hook h);

struct LoadOptions {
    uint32_t flow_capacity = DW_FLOWS_DEFAULT;  // flow table size (LRU)
    uint32_t hs_capacity = DW_HS_DEFAULT;       // handshake table size (LRU)
    bool replay_clock = false;                  // take time from dw_clock (replay, tests); loads dw_xdp_egress too
    // The entry points to load. Empty: XDP and both tc ones (and XDP egress
    // with replay_clock). Each costs its own verification (~0.3 s here, ~15 s
    // under TCG), so replay loads only the two hooks it runs. XdpEgress needs
    // replay_clock.
    std::vector<Hook> hooks{};
};

struct RunResult {
    uint32_t retval = 0;            // XDP_PASS, or TC_ACT_UNSPEC as uint32_t
    std::vector<uint8_t> data;      // the frame as the program left it
    uint32_t duration_ns = 0;       // mean per run, as the kernel measured it
};

class Classifier {
public:
    // Opens, configures and loads the object. Throws dw::Error with a cause and a fix.
    static std::unique_ptr<Classifier> load(const LoadOptions& opts = {});
    ~Classifier();
    Classifier(const Classifier&) = delete;
    Classifier& operator=(const Classifier&) = delete;

    // The entry point's program fd; -1 when it was not loaded (LoadOptions::hooks).
    int prog_fd(Hook h) const;
    MapSet& maps() { return *maps_; }
    const MapSet& maps() const { return *maps_; }
    dscpwatch* skeleton() const { return skel_; }

    // Runs one frame through an entry point with BPF_PROG_TEST_RUN.
    // ifindex must exist in the caller's network namespace (1, lo, always does).
    RunResult run(Hook h, std::span<const uint8_t> frame, uint32_t ifindex = 1,
                  uint32_t repeat = 1) const;

    // The same without allocating or throwing, for replay's hot loop. With an
    // empty `out` the kernel copies nothing back (count-only); otherwise the
    // frame as the program left it lands in `out` and *out_len says how long
    // it is. Returns 0, or -errno (EINVAL: the kernel refused the frame).
    int run_into(Hook h, std::span<const uint8_t> frame, std::span<uint8_t> out, uint32_t* out_len,
                 uint32_t ifindex = 1) const noexcept;

private:
    Classifier() = default;
    bpf_program* program(Hook h) const;
    dscpwatch* skel_ = nullptr;
    Fd tlsinfo_;
    std::unique_ptr<MapSet> maps_;
    int fds_[4] = {-1, -1, -1, -1};  // by Hook
};

// Checks what loading needs (root or CAP_BPF + CAP_NET_ADMIN); throws dw::Error.
void require_bpf_privileges();

}  // namespace dw
