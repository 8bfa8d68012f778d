#include "core/counter_names.hpp"

#include <array>
#include <iterator>

namespace dw {
namespace {

struct CounterInfo {
    std::string_view name;
    std::string_view description;
};

struct Entry {
    unsigned index;  // enum dw_cnt
    CounterInfo info;
};

// Every enum dw_cnt value, by name, so the table cannot drift out of order.
constexpr Entry kEntries[] = {
    {DW_CNT_FRAMES, {"frames", "frames the classifier saw"}},
    {DW_CNT_NONIP, {"non_ip", "frames that are not IPv4/IPv6"}},
    {DW_CNT_IPV4, {"ipv4", "IPv4 frames"}},
    {DW_CNT_IPV6, {"ipv6", "IPv6 frames"}},
    {DW_CNT_VLAN, {"vlan", "frames with one or two VLAN tags"}},
    {DW_CNT_FRAG_FIRST, {"frag_first", "first IP fragments"}},
    {DW_CNT_FRAG_LATER, {"frag_later", "non-initial IP fragments (counted per DSCP, no ports)"}},
    {DW_CNT_OTHER_PROTO, {"other_proto", "IP protocols other than TCP/UDP/ICMP/ICMPv6"}},
    {DW_CNT_MAL_L2_TRUNC, {"malformed_l2_truncated", "Ethernet or VLAN header cut short"}},
    {DW_CNT_MAL_L3_TRUNC, {"malformed_l3_truncated", "IP header cut short"}},
    {DW_CNT_MAL_L4_TRUNC, {"malformed_l4_truncated", "TCP/UDP/ICMP or IPv6 extension header cut short"}},
    {DW_CNT_MAL_BAD_IHL, {"malformed_bad_ihl", "IPv4 header length invalid"}},
    {DW_CNT_MAL_BAD_LEN, {"malformed_bad_length", "IP length field inconsistent with the frame"}},
    {DW_CNT_MAL_BAD_VERSION, {"malformed_bad_version", "IP version disagrees with the EtherType"}},
    {DW_CNT_MAL_V6_TOO_DEEP, {"malformed_ipv6_chain_too_deep", "IPv6 extension header chain too long"}},
    {DW_CNT_FLOW_NEW, {"flows_created", "flow records created"}},
    {DW_CNT_FLOW_INSERT_FAIL, {"flow_insert_failed", "flow records that could not be created"}},
    {DW_CNT_IFSTAT_FAIL, {"ifstat_insert_failed", "interface/remark counter entries that could not be created"}},
    {DW_CNT_REMARKED, {"remarked", "frames whose DSCP was rewritten"}},
    {DW_CNT_EXEMPT_PREFIX, {"exempt_prefix", "frames left alone: address prefix exempt"}},
    {DW_CNT_EXEMPT_PORT, {"exempt_port", "frames left alone: protocol/port range exempt"}},
    {DW_CNT_REMARK_FAIL, {"remark_failed", "rewrites that failed (frame passed unchanged)"}},
    {DW_CNT_HS_NEW, {"handshakes_created", "handshake records created (SYN or SYN-ACK seen)"}},
    {DW_CNT_HS_INSERT_FAIL, {"handshake_insert_failed", "handshake records that could not be created"}},
    {DW_CNT_EVENTS, {"events", "events written to the ring buffer"}},
    {DW_CNT_EVENTS_DROPPED, {"events_dropped", "events lost: the ring buffer was full"}},
};

constexpr std::array<CounterInfo, DW_CNT_MAX> build() {
    std::array<CounterInfo, DW_CNT_MAX> a{};
    for (const auto& e : kEntries) a[e.index] = e.info;
    return a;
}

constexpr bool complete() {
    if (std::size(kEntries) != DW_CNT_MAX) return false;
    for (const auto& c : build())
        if (c.name.empty()) return false;
    return true;
}
static_assert(complete(), "enum dw_cnt changed: give every counter a name in kEntries");

constexpr std::array<CounterInfo, DW_CNT_MAX> kCounters = build();

}  // namespace

std::string_view counter_name(unsigned index) {
    return index < kCounters.size() ? kCounters[index].name : std::string_view("?");
}

std::string_view counter_description(unsigned index) {
    return index < kCounters.size() ? kCounters[index].description : std::string_view();
}

std::optional<unsigned> counter_index(std::string_view name) {
    for (unsigned i = 0; i < kCounters.size(); i++)
        if (kCounters[i].name == name) return i;
    return std::nullopt;
}

}  // namespace dw
