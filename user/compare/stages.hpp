// The handshake stage of every TCP segment of a capture, decided the way the
// classifier decides it (bpf/handshake.h): SYN, SYN-ACK and the handshake ACK
// by their flags; a side's new flight starts with its first new data after the
// peer spoke, and the TLS record at its start names the stage (TLS 1.3's
// encrypted flights by their order); continuation segments belong to their
// flight; a retransmission belongs to the stage its sequence number was first
// sent in. Other control segments (pure ACKs, FIN, RST) get the furthest stage
// the connection had reached. Unlike the kernel, which keeps the last dozen
// segments per handshake, this labels every segment, which is what `diff`
// needs to say in which stage each lost segment was sent.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compare/segment.hpp"

namespace dw {

struct ConnFacts {
    Endpoint client, server;  // the SYN's sender; without a SYN, the higher port is the client
    bool saw_syn = false;     // the SYN or SYN-ACK is in the capture
    std::string sni;          // from the ClientHello, if seen
};

// Segments in capture order. Fills Segment::stage; returns the facts per flow.
std::map<FlowId, ConnFacts> assign_stages(std::vector<Segment>& segs);

}  // namespace dw
