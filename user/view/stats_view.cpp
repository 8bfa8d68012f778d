#include "view/stats_view.hpp"

#include <net/if.h>

#include <tuple>

#include "core/dscp.hpp"
#include "view/table.hpp"

namespace dw {
namespace {

const char* dir_name(uint8_t d) { return d == DW_DIR_EGRESS ? "egress" : "ingress"; }

std::string slot_label(uint8_t slot) {
    if (slot == DW_SLOT_NONIP) return "non-IP";
    if (slot == DW_SLOT_MALFORMED) return "malformed";
    return dscp_label(slot);
}

struct Row {
    uint64_t packets = 0, bytes = 0, remarked = 0;
};

using Key = std::tuple<uint32_t, uint8_t, uint8_t>;  // ifindex, dir, slot

std::map<Key, Row> rows_of(const StatsView& v) {
    std::map<Key, Row> rows;
    for (const auto& c : v.counters) {
        auto& r = rows[{c.ifindex, c.dir, c.slot}];
        r.packets += c.packets;
        r.bytes += c.bytes;
    }
    for (const auto& r : v.remarks) rows[{r.ifindex, r.dir, r.from}].remarked += r.packets;
    return rows;
}

const char* counter_name(unsigned i) {
    static const char* names[DW_CNT_MAX] = {
        "frames", "non_ip", "ipv4", "ipv6", "vlan", "frag_first", "frag_later", "other_proto",
        "malformed_l2_truncated", "malformed_l3_truncated", "malformed_l4_truncated", "malformed_bad_ihl",
        "malformed_bad_length", "malformed_bad_version", "malformed_ipv6_chain_too_deep",
        "flows_created", "flow_insert_failed", "ifstat_insert_failed",
        "remarked", "exempt_prefix", "exempt_port", "remark_failed",
    };
    return i < DW_CNT_MAX ? names[i] : "?";
}

}  // namespace

std::string ifname_of(uint32_t ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, buf)) return buf;
    return "if" + std::to_string(ifindex);
}

std::string render_stats_text(const StatsView& v) {
    Table t({"interface", "dir", "dscp", "packets", "bytes", "remarked"});
    for (const auto& [k, r] : rows_of(v)) {
        auto [ifindex, dir, slot] = k;
        t.row({ifname_of(ifindex), dir_name(dir), slot_label(slot), std::to_string(r.packets),
               std::to_string(r.bytes), std::to_string(r.remarked)});
    }
    std::string out = t.empty() ? "no packets counted yet\n" : t.str();
    if (!v.remarks.empty()) {
        Table rt({"interface", "dir", "from", "to", "packets", "bytes"});
        for (const auto& r : v.remarks)
            rt.row({ifname_of(r.ifindex), dir_name(r.dir), dscp_label(r.from), dscp_label(r.to),
                    std::to_string(r.packets), std::to_string(r.bytes)});
        out += "\nremarked\n" + rt.str();
    }
    std::string mal;
    for (unsigned i = DW_CNT_MAL_FIRST; i <= DW_CNT_MAL_LAST; i++)
        if (v.global[i]) mal += std::string(mal.empty() ? "" : ", ") + counter_name(i) + " " + std::to_string(v.global[i]);
    if (!mal.empty()) out += "\nmalformed (passed): " + mal + "\n";
    return out;
}

nlohmann::json render_stats_json(const StatsView& v) {
    nlohmann::json j;
    j["interfaces"] = nlohmann::json::array();
    for (const auto& [k, r] : rows_of(v)) {
        auto [ifindex, dir, slot] = k;
        nlohmann::json e{{"ifindex", ifindex}, {"interface", ifname_of(ifindex)}, {"direction", dir_name(dir)},
                         {"packets", r.packets}, {"bytes", r.bytes}, {"remarked", r.remarked}};
        if (slot < DW_DSCP_VALUES) {
            e["dscp"] = slot;
            e["name"] = std::string(dscp_name(slot));
        } else {
            e["dscp"] = nullptr;
            e["class"] = slot == DW_SLOT_NONIP ? "non-ip" : "malformed";
        }
        j["interfaces"].push_back(e);
    }
    j["remarks"] = nlohmann::json::array();
    for (const auto& r : v.remarks)
        j["remarks"].push_back({{"ifindex", r.ifindex}, {"interface", ifname_of(r.ifindex)},
                                {"direction", dir_name(r.dir)}, {"from", r.from}, {"to", r.to},
                                {"packets", r.packets}, {"bytes", r.bytes}});
    for (unsigned i = 0; i < DW_CNT_MAX; i++) j["counters"][counter_name(i)] = v.global[i];
    return j;
}

}  // namespace dw
