#include "diag/marking.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/dscp.hpp"
#include "core/error.hpp"

namespace dw {

int ServerMarking::dominant_dscp() const {
    int best = -1;
    for (unsigned d = 0; d < 64; d++)
        if (sh_dscp[d] && (best < 0 || sh_dscp[d] > sh_dscp[best])) best = static_cast<int>(d);
    return best;
}

double ServerMarking::share(unsigned dscp) const {
    return marked && dscp < 64 ? static_cast<double>(sh_dscp[dscp]) / static_cast<double>(marked) : 0.0;
}

double ServerMarking::success_rate() const {
    return handshakes ? static_cast<double>(completed) / static_cast<double>(handshakes) : 0.0;
}

namespace {

bool is_final(Outcome o) { return o != Outcome::InProgress && o != Outcome::NotTls; }

}  // namespace

std::vector<ServerMarking> server_markings(const std::vector<FlowVerdict>& flows) {
    std::map<std::pair<std::string, std::string>, ServerMarking> by;
    for (const auto& f : flows) {
        if (!is_final(f.outcome)) continue;
        auto& m = by[{f.server_endpoint(), f.sni}];
        m.server = f.server_endpoint();
        m.sni = f.sni;
        m.handshakes++;
        if (f.outcome == Outcome::Completed) m.completed++;
        const uint64_t mask = f.stages[DW_ST_SERVER_HELLO].dscp_mask;
        if (!mask) continue;
        m.marked++;
        for (unsigned d = 0; d < 64; d++)
            if (mask & (1ULL << d)) m.sh_dscp[d]++;
    }
    std::vector<ServerMarking> out;
    out.reserve(by.size());
    for (auto& [k, m] : by) out.push_back(std::move(m));
    return out;
}

void merge_marking(ServerMarking& into, const ServerMarking& more) {
    if (into.server.empty()) {
        into.server = more.server;
        into.sni = more.sni;
    }
    into.handshakes += more.handshakes;
    into.completed += more.completed;
    into.marked += more.marked;
    for (unsigned d = 0; d < 64; d++) into.sh_dscp[d] += more.sh_dscp[d];
}

nlohmann::json marking_to_json(const ServerMarking& m) {
    nlohmann::json dscp = nlohmann::json::object();
    for (unsigned d = 0; d < 64; d++)
        if (m.sh_dscp[d]) dscp[std::to_string(d)] = m.sh_dscp[d];
    return {{"server", m.server},       {"sni", m.sni},       {"handshakes", m.handshakes},
            {"completed", m.completed}, {"marked", m.marked}, {"server_hello_dscp", dscp}};
}

ServerMarking marking_from_json(const nlohmann::json& j) {
    auto field = [&](const char* name) -> const nlohmann::json& {
        if (!j.is_object() || !j.contains(name))
            throw Error(std::string("server marking: field \"") + name + "\" is missing");
        return j.at(name);
    };
    auto count = [&](const nlohmann::json& v, const std::string& what) {
        if (!v.is_number_unsigned()) throw Error("server marking: \"" + what + "\" must be a count");
        return v.get<uint64_t>();
    };
    ServerMarking m;
    if (!field("server").is_string() || !field("sni").is_string())
        throw Error("server marking: \"server\" and \"sni\" must be strings");
    m.server = j.at("server").get<std::string>();
    m.sni = j.at("sni").get<std::string>();
    m.handshakes = count(field("handshakes"), "handshakes");
    m.completed = count(field("completed"), "completed");
    m.marked = count(field("marked"), "marked");
    const auto& dscp = field("server_hello_dscp");
    if (!dscp.is_object()) throw Error("server marking: \"server_hello_dscp\" must be an object");
    for (const auto& [k, v] : dscp.items()) {
        auto d = parse_dscp(k);
        if (!d || k.find_first_not_of("0123456789") != std::string::npos)
            throw Error("server marking: \"" + k + "\" is not a DSCP value 0-63");
        m.sh_dscp[*d] = count(v, "server_hello_dscp." + k);
    }
    if (m.completed > m.handshakes || m.marked > m.handshakes)
        throw Error("server marking for " + m.server + ": more completed or marked handshakes than handshakes");
    return m;
}

std::string_view to_string(MarkingChange::Kind k) {
    switch (k) {
    case MarkingChange::Kind::Same: return "same";
    case MarkingChange::Kind::Changed: return "changed";
    case MarkingChange::Kind::New: return "new";
    case MarkingChange::Kind::Gone: return "gone";
    }
    return "?";
}

namespace {

MarkingChange judge_change(const ServerMarking& before, const ServerMarking& now, const MarkingCompareOptions& opt) {
    MarkingChange c;
    c.server = now.server;
    c.sni = now.sni;
    c.before = before;
    c.now = now;
    c.dscp = now.dominant_dscp();
    c.before_share = before.share(c.dscp < 0 ? 0 : c.dscp);
    c.now_share = now.share(c.dscp < 0 ? 0 : c.dscp);
    if (!before.marked || !now.marked) return c;  // nothing to compare the marking with
    double best = 0;
    for (unsigned d = 0; d < 64; d++) {
        const double shift = now.share(d) - before.share(d);
        if (shift > best + 1e-12) {
            best = shift;
            c.dscp = static_cast<int>(d);
            c.before_share = before.share(d);
            c.now_share = now.share(d);
        }
    }
    if (best + 1e-12 >= opt.min_shift) c.kind = MarkingChange::Kind::Changed;
    return c;
}

}  // namespace

std::vector<MarkingChange> compare_markings(const std::vector<ServerMarking>& before,
                                            const std::vector<ServerMarking>& now,
                                            const MarkingCompareOptions& opt) {
    std::map<std::pair<std::string, std::string>, std::pair<const ServerMarking*, const ServerMarking*>> by;
    for (const auto& m : before) by[{m.server, m.sni}].first = &m;
    for (const auto& m : now) by[{m.server, m.sni}].second = &m;
    std::vector<MarkingChange> out;
    for (const auto& [key, pair] : by) {
        const auto [b, n] = pair;
        if (b && n) {
            out.push_back(judge_change(*b, *n, opt));
            continue;
        }
        MarkingChange c;
        c.kind = b ? MarkingChange::Kind::Gone : MarkingChange::Kind::New;
        c.server = key.first;
        c.sni = key.second;
        (b ? c.before : c.now) = b ? *b : *n;
        c.dscp = (b ? b : n)->dominant_dscp();
        (b ? c.before_share : c.now_share) = (b ? b : n)->share(c.dscp < 0 ? 0 : c.dscp);
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const MarkingChange& x, const MarkingChange& y) {
                         auto rank = [](MarkingChange::Kind k) {
                             switch (k) {
                             case MarkingChange::Kind::Changed: return 0;
                             case MarkingChange::Kind::New: return 1;
                             case MarkingChange::Kind::Gone: return 2;
                             case MarkingChange::Kind::Same: return 3;
                             }
                             return 4;
                         };
                         return rank(x.kind) < rank(y.kind);
                     });
    return out;
}

std::string describe_marking(const ServerMarking& m) {
    if (!m.marked) return "no ServerHello flight seen";
    std::vector<unsigned> order;
    for (unsigned d = 0; d < 64; d++)
        if (m.sh_dscp[d]) order.push_back(d);
    std::stable_sort(order.begin(), order.end(), [&](unsigned a, unsigned b) { return m.sh_dscp[a] > m.sh_dscp[b]; });
    std::string out;
    for (unsigned d : order) {
        if (!out.empty()) out += ", ";
        out += dscp_label(d) + " in " + std::to_string(static_cast<int>(std::lround(m.share(d) * 100))) + " %";
    }
    return out + " of " + std::to_string(m.marked) + (m.marked == 1 ? " handshake" : " handshakes");
}

}  // namespace dw
