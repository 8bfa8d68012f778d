// An independent userspace model of the classifier, written from the spec (not
// from bpf/): for one frame on one hook, what the verdict, the interface slot,
// the global counters, the flow record, the remark and the output bytes must be.
// State (flow table, counter maps) lives in model::State, which applies a
// sequence of frames the way the kernel maps should end up.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/classifier.hpp"
#include "core/remark_config.hpp"
#include "dscpwatch/abi.h"

namespace dwt::model {

inline constexpr uint32_t kXdpPass = 2;                                     // XDP_PASS
inline constexpr uint32_t kTcUnspec = static_cast<uint32_t>(-1);           // TC_ACT_UNSPEC
uint32_t pass_verdict(dw::Hook h);
uint8_t direction(dw::Hook h);  // XDP and tc ingress: DW_DIR_INGRESS; tc egress: DW_DIR_EGRESS

using Counters = std::array<uint64_t, DW_CNT_MAX>;
// The counters this model covers: DW_CNT_FRAMES .. DW_CNT_REMARK_FAIL. Later
// additions to enum dw_cnt (features outside this spec) are not modelled.
inline constexpr int kModelledCounters = DW_CNT_REMARK_FAIL + 1;
Counters known(Counters c);  // zeroes the counters the model does not cover
const char* counter_name(int idx);
std::string describe(const Counters& c);  // "FRAMES=1 IPV4=1 ..."

// What the spec says the parser learns from one frame.
struct Parse {
    enum class Frag { None, First, Later };
    uint8_t family = 0;      // from the EtherType: 0, 4 or 6
    int tags = 0;            // complete VLAN tags walked (at most 2)
    size_t l3_off = 0;
    int malformed = 0;       // 0 or the enum dw_cnt reason
    bool l3_ok = false;      // the IP header is sound: DSCP known, may be remarked
    uint8_t dscp = 0;
    uint8_t proto = 0;       // after extension headers
    Frag frag = Frag::None;
    bool l4_ok = false;      // ports known (0 where a protocol has none): the flow is touched
    uint16_t sport = 0, dport = 0;
    uint8_t tcp_flags = 0;
    std::array<uint8_t, 16> src{}, dst{};
    std::string str() const;
};
Parse parse(std::span<const uint8_t> frame);

// The flow record update one frame makes.
struct FlowTouch {
    dw_flow_key key{};
    int dir_index = 0;    // 0: sent by endpoint A
    int syn_client = -1;  // DW_SIDE_A / DW_SIDE_B if this packet is a SYN or SYN-ACK
    uint8_t dscp = 0;
    uint32_t len = 0;
};

struct Expect {
    Parse p;
    uint32_t retval = 0;
    uint8_t dir = 0;
    uint8_t slot = 0;
    Counters counters{};  // increments of this frame (FLOW_NEW only from State::step)
    std::optional<FlowTouch> flow;
    bool remarked = false;
    uint8_t from = 0, to = 0;
    std::vector<uint8_t> out;  // the frame as it must leave
    std::string str() const;
};

// Stateless: everything but FLOW_NEW.
Expect classify(std::span<const uint8_t> frame, dw::Hook hook, uint32_t ifindex, const dw::RemarkConfig& cfg);

// The bytes of a canonical flow key, for ordering.
using KeyBytes = std::array<uint8_t, sizeof(dw_flow_key)>;
KeyBytes key_bytes(const dw_flow_key& k);
std::string key_str(const dw_flow_key& k);

struct Cnt {
    uint64_t packets = 0, bytes = 0;
    bool operator==(const Cnt&) const = default;
};
using IfKey = std::tuple<uint32_t, uint8_t, uint8_t>;              // ifindex, dir, slot
using RemarkKey = std::tuple<uint32_t, uint8_t, uint8_t, uint8_t>;  // ifindex, dir, from, to

class FlowTable {
public:
    // Applies one touch; returns true if the record was created.
    bool touch(const FlowTouch& t, uint64_t now_ns, uint32_t ifindex);
    const std::map<KeyBytes, std::pair<dw_flow_key, dw_flow>>& records() const { return recs_; }
    const dw_flow* find(const dw_flow_key& k) const;
    void clear() { recs_.clear(); }

private:
    std::map<KeyBytes, std::pair<dw_flow_key, dw_flow>> recs_;
};

// The maps as they must be after a sequence of frames.
struct State {
    Counters counters{};
    std::map<IfKey, Cnt> if_counters;
    std::map<RemarkKey, Cnt> remarks;
    FlowTable flows;

    Expect step(std::span<const uint8_t> frame, dw::Hook hook, uint32_t ifindex, const dw::RemarkConfig& cfg,
                uint64_t now_ns = 0);
};

// Field-by-field comparison of two flow records; empty if equal.
std::string flow_diff(const dw_flow& want, const dw_flow& got);

}  // namespace dwt::model
