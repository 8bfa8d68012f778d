#include "view/remark_view.hpp"

#include "core/dscp.hpp"

namespace dw {

std::string map_spec(const std::array<uint8_t, 64>& map) {
    std::string s;
    for (unsigned from = 0; from < map.size(); from++) {
        if (map[from] == from) continue;
        if (!s.empty()) s += ',';
        s += std::to_string(from) + "=" + std::to_string(map[from]);
    }
    return s;
}

std::string dirs_name(uint32_t dirs) {
    switch (dirs & DW_DIRS_ALL) {
    case DW_DIRS_INGRESS: return "ingress";
    case DW_DIRS_EGRESS: return "egress";
    case DW_DIRS_ALL: return "both";
    }
    return "none";
}

std::string describe_remark(const RemarkConfig& cfg, uint64_t generation) {
    return "remark " + remark_policy_text(cfg, generation);
}

std::string remark_policy_text(const RemarkConfig& cfg, uint64_t generation) {
    std::string s(to_string(cfg.mode));
    if (cfg.mode == RemarkMode::Map) {
        auto spec = map_spec(cfg.map);
        s += " " + (spec.empty() ? std::string("(identity: nothing changes)") : spec);
    }
    if (cfg.mode != RemarkMode::Off && (cfg.dirs & DW_DIRS_ALL) != DW_DIRS_ALL) s += " on " + dirs_name(cfg.dirs);
    s += " (generation " + std::to_string(generation) + ")";
    if (!cfg.exempt_ports.empty() || !cfg.exempt_prefixes.empty()) {
        s += "; exempt: ";
        bool first = true;
        for (const auto& p : cfg.exempt_ports) {
            s += (first ? "" : ", ") + p.str();
            first = false;
        }
        for (const auto& p : cfg.exempt_prefixes) {
            s += (first ? "" : ", ") + p.str();
            first = false;
        }
    }
    return s;
}

nlohmann::json remark_json(const RemarkConfig& cfg, uint64_t generation) {
    nlohmann::json j{{"mode", std::string(to_string(cfg.mode))},
                     {"generation", generation},
                     {"directions", dirs_name(cfg.dirs)}};
    j["map"] = nlohmann::json::array();
    for (unsigned from = 0; from < cfg.map.size(); from++) {
        if (cfg.map[from] == from) continue;
        unsigned to = cfg.map[from];
        j["map"].push_back({{"from", from},
                            {"from_name", std::string(dscp_name(from))},
                            {"to", to},
                            {"to_name", std::string(dscp_name(to))}});
    }
    j["map_spec"] = map_spec(cfg.map);
    j["exempt_prefixes"] = nlohmann::json::array();
    for (const auto& p : cfg.exempt_prefixes) j["exempt_prefixes"].push_back(p.str());
    j["exempt_ports"] = nlohmann::json::array();
    for (const auto& p : cfg.exempt_ports)
        j["exempt_ports"].push_back(
            {{"spec", p.str()}, {"proto", p.proto == 6 ? "tcp" : "udp"}, {"lo", p.lo}, {"hi", p.hi}});
    return j;
}

}  // namespace dw
