#include "replay/direction.hpp"

namespace dw {

DirectionMode DirectionPolicy::effective(LinkKind kind) const {
    if (mode != DirectionMode::Auto) return mode;
    return kind == LinkKind::LinuxSll || kind == LinkKind::LinuxSll2 ? DirectionMode::Link : DirectionMode::AllIngress;
}

std::string DirectionPolicy::describe(LinkKind kind) const {
    const std::string in = ingress_hook == Hook::Xdp ? "ingress (XDP)" : "ingress (tc)";
    const std::string out = egress_hook == Hook::XdpEgress ? "egress (XDP)" : "egress (tc)";
    switch (effective(kind)) {
    case DirectionMode::ClientNet: {
        std::string nets;
        for (const auto& p : client_nets) nets += (nets.empty() ? "" : ", ") + p.str();
        return "source in client net " + nets + " -> " + out + "; others -> " + in;
    }
    case DirectionMode::Link: return "link header: outgoing -> " + out + "; others -> " + in;
    case DirectionMode::AllIngress:
    case DirectionMode::Auto: break;
    }
    return "every frame -> " + in + " (give --direction-by client-net CIDR to split directions)";
}

SourceAddr source_address(std::span<const uint8_t> b) {
    size_t off = 12;
    if (b.size() < off + 2) return {};
    uint16_t type = static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
    for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; ++tags) {
        off += 4;
        if (b.size() < off + 2) return {};
        type = static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
    }
    off += 2;
    if (type == 0x0800 && b.size() >= off + 16) return {4, b.data() + off + 12};
    if (type == 0x86dd && b.size() >= off + 24) return {6, b.data() + off + 8};
    return {};
}

Hook choose_hook(const DirectionPolicy& p, DirectionMode m, const CaptureFrame& f) {
    switch (m) {
    case DirectionMode::ClientNet: {
        const auto s = source_address(f.link.eth);
        if (s.family)
            for (const auto& net : p.client_nets)
                if (net.contains(s.family, s.addr)) return p.egress_hook;
        return p.ingress_hook;
    }
    case DirectionMode::Link: return f.link.dir == LinkDir::Outgoing ? p.egress_hook : p.ingress_hook;
    case DirectionMode::AllIngress:
    case DirectionMode::Auto: break;
    }
    return p.ingress_hook;
}

}  // namespace dw
