#include "compare/stages.hpp"

#include <array>
#include <utility>

#include "core/tls.hpp"
#include "dscpwatch/abi.h"

namespace dw {
namespace {

constexpr uint8_t kRecAppData = 23;
constexpr uint8_t kTlsCertificate = 11, kTlsServerKeyExchange = 12, kTlsServerHelloDone = 14;

bool seq_lt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

struct Side {
    bool isn_valid = false;
    uint32_t isn = 0;
    uint32_t nxt = 0;  // relative: the next new sequence number
    uint8_t stage = DW_ST_NONE;
    bool peer_spoke = false;
    bool acked = false;  // the client's handshake ACK was seen
    std::vector<std::pair<uint32_t, uint8_t>> starts;  // (relative seq, stage) where each flight began

    void learn_isn(uint32_t isn_) {
        isn_valid = true;
        isn = isn_;
        nxt = 1;
    }
    uint8_t stage_at(uint32_t rel) const {
        uint8_t st = starts.empty() ? stage : starts.front().second;
        for (const auto& [s, v] : starts)
            if (!seq_lt(rel, s)) st = v;
        return st;
    }
};

struct Conn {
    ConnFacts facts;
    bool oriented = false;
    std::array<Side, 2> side;  // 0: client, 1: server
    uint8_t reached = DW_ST_NONE;
};

// The stage of a side's new flight, from the record at its start (as
// dw_flight_stage_g in bpf/handshake.h).
uint8_t flight_stage(uint8_t cur, bool client, const Segment& s) {
    if (!s.record) return cur >= DW_ST_CLIENT_HELLO ? cur : static_cast<uint8_t>(DW_ST_ESTABLISHED);
    if (s.record_type == kTlsContentAlert) return cur;
    const bool hs = s.record_type == kTlsContentHandshake;
    if (client) {
        if (hs && s.record_msg == kTlsClientHello) return DW_ST_CLIENT_HELLO;
        return cur < DW_ST_CLIENT_FINISHED ? DW_ST_CLIENT_FINISHED : DW_ST_ESTABLISHED;
    }
    const bool first = s.record_msg == kTlsServerHello || s.record_msg == kTlsCertificate ||
                       s.record_msg == kTlsServerKeyExchange || s.record_msg == kTlsServerHelloDone;
    if (hs && first && cur < DW_ST_SERVER_HELLO) return DW_ST_SERVER_HELLO;
    if (cur < DW_ST_SERVER_HELLO) return DW_ST_ESTABLISHED;
    if (cur == DW_ST_SERVER_HELLO && s.record_type != kRecAppData) return DW_ST_SERVER_FINISHED;
    return DW_ST_ESTABLISHED;
}

void orient(Conn& c, const Segment& s) {
    if (c.oriented) return;
    const bool syn = s.flags & kTcpSyn, ack = s.flags & kTcpAck;
    // The SYN's sender is the client; the SYN-ACK's receiver; else the higher port.
    const bool src_client = syn ? !ack : s.src.port > s.dst.port;
    c.facts.client = src_client ? s.src : s.dst;
    c.facts.server = src_client ? s.dst : s.src;
    c.facts.saw_syn = syn;
    c.oriented = true;
}

uint8_t data_stage(Conn& c, Side& sd, Side& peer, bool client, const Segment& s) {
    const uint32_t rel = s.seq - sd.isn;
    const uint32_t end = rel + s.payload_len;
    if (seq_lt(rel, sd.nxt)) {  // already sent: a retransmission
        if (seq_lt(sd.nxt, end)) sd.nxt = end;
        return sd.stage_at(rel);
    }
    if (sd.peer_spoke || sd.stage < DW_ST_CLIENT_HELLO) {
        const uint8_t st = flight_stage(sd.stage, client, s);
        if (st != sd.stage) sd.starts.emplace_back(rel, st);
        sd.stage = st;
        sd.peer_spoke = false;
    }
    sd.nxt = end;
    peer.peer_spoke = true;
    if (sd.stage > c.reached) c.reached = sd.stage;
    return sd.stage;
}

uint8_t stage_of(Conn& c, const Segment& s) {
    const bool client = s.src == c.facts.client;
    Side& sd = c.side[client ? 0 : 1];
    Side& peer = c.side[client ? 1 : 0];
    if (s.flags & kTcpSyn) {
        const uint8_t st = client ? DW_ST_SYN : DW_ST_SYNACK;
        if (!client && !peer.isn_valid) peer.learn_isn(s.ack - 1);
        if (!sd.isn_valid || sd.stage < st) {
            sd.learn_isn(s.seq);
            sd.stage = st;
            sd.starts = {{0, st}};
        }
        if (st > c.reached) c.reached = st;
        return st;
    }
    if (!sd.isn_valid) {  // no SYN in the capture: data from here on
        sd.learn_isn(s.seq - 1);
        sd.stage = DW_ST_ESTABLISHED;
        sd.starts = {{1, DW_ST_ESTABLISHED}};
    }
    if (s.payload_len > 0) return data_stage(c, sd, peer, client, s);
    if (client && !sd.acked && sd.stage == DW_ST_SYN && peer.stage >= DW_ST_SYNACK && !s.control()) {
        sd.acked = true;
        sd.stage = DW_ST_ACK;
        sd.starts.emplace_back(1, DW_ST_ACK);
        if (DW_ST_ACK > c.reached) c.reached = DW_ST_ACK;
        return DW_ST_ACK;
    }
    return c.reached;
}

}  // namespace

std::map<FlowId, ConnFacts> assign_stages(std::vector<Segment>& segs) {
    std::map<FlowId, Conn> conns;
    for (auto& s : segs) {
        auto& c = conns[s.flow()];
        // A SYN with a new ISN on a known 5-tuple: a new connection.
        const bool syn_only = (s.flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
        if (syn_only && c.oriented && c.side[0].isn_valid && s.seq != c.side[0].isn && s.src == c.facts.client) {
            const std::string sni = c.facts.sni;
            c = Conn{};
            c.facts.sni = sni;
        }
        orient(c, s);
        if (s.flags & kTcpSyn) c.facts.saw_syn = true;
        if (!s.sni.empty()) c.facts.sni = s.sni;
        s.stage = stage_of(c, s);
    }
    std::map<FlowId, ConnFacts> out;
    for (auto& [k, c] : conns) out.emplace(k, std::move(c.facts));
    return out;
}

}  // namespace dw
