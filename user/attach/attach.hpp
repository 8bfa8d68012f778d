// Attaching the pinned classifier to interfaces and taking it off again.
// XDP and TCX attachments are bpf_links pinned under the instance root; on
// kernels without TCX (before 6.6) tc uses a clsact qdisc and a cls_bpf filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attach/instance.hpp"
#include "bpf/features.hpp"

namespace dw {

enum class XdpModeRequest { Auto, Native, Generic };
enum class TcModeRequest { Auto, Tcx, Clsact };  // Auto: TCX where the kernel has it

struct AttachRequest {
    std::string ifname;
    bool xdp = false;         // XDP on ingress
    bool tc_ingress = false;  // tc on ingress
    bool tc_egress = false;   // tc on egress
    XdpModeRequest xdp_mode = XdpModeRequest::Auto;
    TcModeRequest tc_mode = TcModeRequest::Auto;
    bool force = false;       // replace a foreign program (netlink-attached XDP only)
};

// What --tc-mode auto uses on this kernel, and why, in words.
struct TcChoice {
    TcKind kind = TcKind::None;
    std::string why;
};
TcChoice auto_tc_choice(const KernelFeatures& f);

// Resolves an interface name in the current network namespace; throws dw::Error.
uint32_t resolve_ifindex(const std::string& ifname);

// Attaches as requested; all or nothing (a failure rolls back what it did).
// Returns the resulting registry entry. Throws dw::Error.
Attachment attach(Instance& inst, const AttachRequest& req);

// Removes exactly what we added on this interface: our links and filters (found
// even if the registry missed them after a crash), and the clsact qdisc only if
// we created it and it is empty again. Returns what was removed, in words.
std::vector<std::string> detach(Instance& inst, uint32_t ifindex);

// Whether anything of this instance is on the interface: a pinned link or our
// clsact filter, recorded in the registry or not (a killed attach leaves them
// unrecorded).
bool has_traces(const Instance& inst, uint32_t ifindex);

// What holds the interface's XDP hook, in words ("prog 42 'xdp_fw' (native)"), or "".
std::string describe_xdp(uint32_t ifindex);

}  // namespace dw
