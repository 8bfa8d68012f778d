// Which hook a captured frame goes through. A capture has no interface
// direction, so replay decides one, with the convention of a live
// deployment on a gateway's or proxy's NIC that faces the servers:
//
//   * a frame whose source is inside a client net LEAVES toward the servers:
//     egress;
//   * every other frame ARRIVES from the servers: ingress.
//
// Both run the same core as live. Ingress goes through the XDP program (as
// `dscpwatch attach` serves ingress by default); egress through the replay-only
// XDP entry point with the direction egress (dw_xdp_egress: a test run on XDP
// costs about half one on tc), or the tc egress program with egress_hook.
//
// Modes: client nets (--direction-by client-net CIDR, repeatable, IPv4 and
// IPv6); the link header (Linux cooked captures record "outgoing" per frame:
// outgoing is egress); or everything as ingress.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bpf/classifier.hpp"
#include "capture/reader.hpp"
#include "core/remark_config.hpp"

namespace dw {

enum class DirectionMode {
    Auto,       // Link for cooked captures, else AllIngress (the default)
    ClientNet,  // source inside a client net: egress
    Link,       // the cooked header's packet type: outgoing is egress
    AllIngress, // every frame as ingress
};

struct DirectionPolicy {
    DirectionMode mode = DirectionMode::Auto;
    std::vector<Prefix> client_nets;
    Hook ingress_hook = Hook::Xdp;       // or Hook::TcIngress
    Hook egress_hook = Hook::XdpEgress;  // or Hook::TcEgress

    // How frames of a capture with this link kind are split, in words, for the output.
    std::string describe(LinkKind kind) const;
    // The mode that applies to a capture of this link kind (resolves Auto).
    DirectionMode effective(LinkKind kind) const;
    // The entry points replay runs under this policy: what to load (LoadOptions::hooks).
    std::vector<Hook> hooks() const { return {ingress_hook, egress_hook}; }
};

// The IP source address of an Ethernet frame (after up to two VLAN tags);
// family 0 when it is not IP or too short.
struct SourceAddr {
    int family = 0;
    const uint8_t* addr = nullptr;
};
SourceAddr source_address(std::span<const uint8_t> eth);

// The hook for one frame under mode `m` (already resolved for its capture).
Hook choose_hook(const DirectionPolicy& p, DirectionMode m, const CaptureFrame& f);

}  // namespace dw
