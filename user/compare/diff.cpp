#include "compare/diff.hpp"

#include <algorithm>
#include <set>

#include "compare/match.hpp"
#include "compare/stages.hpp"
#include "core/error.hpp"

namespace dw {
namespace {

using Facts = std::map<FlowId, ConnFacts>;

Point other(Point p) { return p == Point::A ? Point::B : Point::A; }

// How the points sit on the path: which one each side of a flow is nearer to,
// and the usual crossing time each way.
struct Crossing {
    int64_t ab = 0, ba = 0;  // t(downstream) - t(upstream) for A -> B and B -> A
    int64_t of(Point upstream) const { return upstream == Point::A ? ab : ba; }
};

const ConnFacts& facts_of(const FlowId& id, const Facts& fa, const Facts& fb) {
    const auto ia = fa.find(id), ib = fb.find(id);
    if (ia == fa.end()) return ib->second;
    if (ib == fb.end() || ia->second.saw_syn || !ib->second.saw_syn) return ia->second;
    return ib->second;
}

// Where the client sits: by TTL (lower after the router between the points),
// else by timing, else at B.
void orient(FlowDiff& f, const FlowMatch& m, const CaptureSegments& a, const CaptureSegments& b) {
    int vote = 0;  // > 0: the client is at A
    std::vector<int64_t> dc, ds;
    for (const auto& p : m.pairs) {
        const Segment &x = a.segs[p.a], &y = b.segs[p.b];
        const bool from_client = x.src == f.client;
        if (x.ttl != y.ttl) vote += (x.ttl > y.ttl) == from_client ? 1 : -1;
        (from_client ? dc : ds).push_back(static_cast<int64_t>(y.ts_ns) - static_cast<int64_t>(x.ts_ns));
    }
    if (vote != 0) {
        f.client_at = vote > 0 ? Point::A : Point::B;
        f.orientation = "TTL";
    } else if (!dc.empty() && !ds.empty()) {
        // The client's segments take longer from A to B than the server's if they run A -> B.
        f.client_at = median(dc) > median(ds) ? Point::A : Point::B;
        f.orientation = "timing";
    } else {
        f.client_at = Point::B;
        f.orientation = "assumed";
    }
}

Crossing estimate_clock(DiffResult& r, const std::vector<FlowDiff>& flows, const std::vector<const FlowMatch*>& ms) {
    std::vector<int64_t> ab, ba;
    for (size_t i = 0; i < flows.size(); i++) {
        for (const auto& p : ms[i]->pairs) {
            const Segment &x = r.a->segs[p.a], &y = r.b->segs[p.b];
            const bool from_client = x.src == flows[i].client;
            const Point up = from_client ? flows[i].client_at : other(flows[i].client_at);
            const int64_t d = static_cast<int64_t>(y.ts_ns) - static_cast<int64_t>(x.ts_ns);
            if (up == Point::A)
                ab.push_back(d);
            else
                ba.push_back(-d);
        }
    }
    r.pairs_ab = ab.size();
    r.pairs_ba = ba.size();
    r.ab_ns = median(ab);
    r.ba_ns = median(ba);
    Crossing c;
    if (!ab.empty() && !ba.empty()) {
        r.offset_ns = (r.ab_ns - r.ba_ns) / 2;
        r.delay_ns = (r.ab_ns + r.ba_ns) / 2;
        c = {r.ab_ns, r.ba_ns};
    } else if (!ab.empty()) {
        r.offset_ns = r.ab_ns;  // no delay known: all of it counts as offset
        c = {r.ab_ns, -r.ab_ns};
    } else if (!ba.empty()) {
        r.offset_ns = -r.ba_ns;
        c = {-r.ba_ns, r.ba_ns};
    }
    return c;
}

bool inside(const CaptureSegments& c, int64_t t, uint64_t end_slack) {
    return t >= static_cast<int64_t>(c.first_ns) && t <= static_cast<int64_t>(c.last_ns + end_slack);
}

// Merged sequence ranges (relative to base) that reached the downstream point.
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

Ranges delivered(const std::vector<Segment>& segs, const std::vector<size_t>& idx, const Endpoint& from, uint32_t base) {
    Ranges r;
    for (size_t i : idx) {
        const Segment& s = segs[i];
        if (s.src != from || !s.payload_len) continue;
        const uint64_t lo = static_cast<uint32_t>(s.seq - base);
        r.emplace_back(lo, lo + s.payload_len);
    }
    std::sort(r.begin(), r.end());
    Ranges m;
    for (const auto& x : r) {
        if (!m.empty() && x.first <= m.back().second)
            m.back().second = std::max(m.back().second, x.second);
        else
            m.push_back(x);
    }
    return m;
}

bool covered(const Ranges& r, uint64_t lo, uint64_t hi) {
    auto it = std::upper_bound(r.begin(), r.end(), std::make_pair(lo, UINT64_MAX));
    return it != r.begin() && std::prev(it)->first <= lo && std::prev(it)->second >= hi;
}

class Classifier {
public:
    Classifier(DiffResult& r, Crossing c) : r_(r), c_(c) {}

    void direction(DirectionDiff& d, const FlowMatch& m, bool& partly_outside) {
        const bool up_a = d.upstream == Point::A;
        const CaptureSegments& U = up_a ? *r_.a : *r_.b;
        const CaptureSegments& D = up_a ? *r_.b : *r_.a;
        const auto& only_up = up_a ? m.only_a : m.only_b;
        const auto& only_down = up_a ? m.only_b : m.only_a;
        const int64_t cross = c_.of(d.upstream);
        std::map<std::pair<uint8_t, uint8_t>, uint64_t> remarks;
        for (const auto& p : m.pairs) {
            const Segment& u = up_a ? r_.a->segs[p.a] : r_.b->segs[p.b];
            const Segment& w = up_a ? r_.b->segs[p.b] : r_.a->segs[p.a];
            if (u.src != d.from) continue;
            d.matched++;
            count_sent(d, u, false);
            if (u.dscp != w.dscp) remarks[{u.dscp, w.dscp}]++;
        }
        const auto& down_idx = up_a ? m.in_b : m.in_a;
        const uint32_t base = first_seq(U.segs, up_a ? m.in_a : m.in_b, d.from);
        d.isn = base;
        const Ranges got = delivered(D.segs, down_idx, d.from, base);
        for (size_t i : only_up) {
            const Segment& u = U.segs[i];
            if (u.src != d.from) continue;
            if (!inside(D, static_cast<int64_t>(u.ts_ns) + cross, r_.opt.end_slack_ns)) {
                d.outside++;
                partly_outside = true;
                continue;
            }
            const uint64_t lo = static_cast<uint32_t>(u.seq - base);
            const bool later = u.payload_len && covered(got, lo, lo + u.payload_len);
            lose(d, u, later);
        }
        for (size_t i : only_down) {
            const Segment& w = D.segs[i];
            if (w.src != d.from) continue;
            if (!inside(U, static_cast<int64_t>(w.ts_ns) - cross, r_.opt.end_slack_ns)) {
                d.outside++;
                partly_outside = true;
                continue;
            }
            d.appeared++;
            d.stages[w.stage % DW_ST_MAX].appeared++;
            if (keep(d.appeared_segs.size())) d.appeared_segs.push_back(w);
        }
        for (const auto& [k, n] : remarks) {
            d.remarks.push_back({k.first, k.second, n});
            r_.remarks[k] += n;
            r_.remarked += n;
        }
        r_.sent += d.sent;
        r_.matched += d.matched;
        r_.lost += d.lost;
        r_.lost_undelivered += d.lost_undelivered;
        r_.appeared += d.appeared;
        r_.outside += d.outside;
    }

private:
    static uint32_t first_seq(const std::vector<Segment>& segs, const std::vector<size_t>& idx, const Endpoint& from) {
        for (size_t i : idx)
            if (segs[i].src == from) return segs[i].seq - ((segs[i].flags & kTcpSyn) ? 0 : 1);
        return 0;
    }

    bool keep(size_t n) const { return r_.opt.list_max == 0 || n < r_.opt.list_max; }

    LossCell& cell(uint8_t dscp, uint16_t len) {
        auto& row = r_.by_dscp_size[dscp];
        row.resize(r_.by_size.size());
        return row[size_bucket(r_.opt.size_edges, len)];
    }

    void count_sent(DirectionDiff& d, const Segment& u, bool lost) {
        d.sent++;
        d.stages[u.stage % DW_ST_MAX].sent++;
        const uint64_t l = lost ? 1 : 0;
        auto& bd = r_.by_dscp[u.dscp];
        bd.sent++;
        bd.lost += l;
        auto& bs = r_.by_size[size_bucket(r_.opt.size_edges, u.ip_len)];
        bs.sent++;
        bs.lost += l;
        auto& c = cell(u.dscp, u.ip_len);
        c.sent++;
        c.lost += l;
    }

    void lose(DirectionDiff& d, const Segment& u, bool later) {
        count_sent(d, u, true);
        d.lost++;
        d.lost_bytes += u.payload_len;
        if (!later && u.payload_len) {
            d.lost_undelivered++;
            d.undelivered_bytes += u.payload_len;
        }
        auto& st = d.stages[u.stage % DW_ST_MAX];
        st.lost++;
        st.lost_dscp |= 1ull << (u.dscp & 63);
        st.lost_min = st.lost_min ? std::min(st.lost_min, u.ip_len) : u.ip_len;
        st.lost_max = std::max(st.lost_max, u.ip_len);
        if (keep(d.lost_segs.size())) d.lost_segs.push_back({u, later});
    }

    DiffResult& r_;
    Crossing c_;
};

void check_inputs(const CaptureSegments& a, const CaptureSegments& b) {
    for (const auto* c : {&a, &b})
        if (c->segs.empty())
            throw Error(c->name + " holds no TCP segment (" + std::to_string(c->frames) + " frames)",
                        "diff compares TCP traffic; give captures of the same TCP flows");
}

// The same packets at the same instants with the same TTLs: one capture given twice.
bool same_capture(const CaptureSegments& a, const CaptureSegments& b, const std::map<FlowId, FlowMatch>& ms) {
    if (a.segs.size() != b.segs.size()) return false;
    for (const auto& [id, m] : ms) {
        if (!m.only_a.empty() || !m.only_b.empty() || m.in_a.empty() || m.in_b.empty()) return false;
        for (const auto& p : m.pairs)
            if (a.segs[p.a].ts_ns != b.segs[p.b].ts_ns || a.segs[p.a].ttl != b.segs[p.b].ttl) return false;
    }
    return true;
}

size_t count_flows(const CaptureSegments& c) {
    std::set<FlowId> ids;
    for (const auto& s : c.segs) ids.insert(s.flow());
    return ids.size();
}

}  // namespace

std::vector<std::string> size_bucket_names(const std::vector<uint16_t>& e) {
    std::vector<std::string> n;
    for (size_t i = 0; i < e.size(); i++)
        n.push_back(i == 0 ? "<=" + std::to_string(e[0]) : std::to_string(e[i - 1] + 1) + "-" + std::to_string(e[i]));
    n.push_back(e.empty() ? "all" : ">" + std::to_string(e.back()));
    return n;
}

size_t size_bucket(const std::vector<uint16_t>& e, uint16_t len) {
    return static_cast<size_t>(std::lower_bound(e.begin(), e.end(), len) - e.begin());
}

DiffResult diff_captures(CaptureSegments& a, CaptureSegments& b, const DiffOptions& opt) {
    check_inputs(a, b);
    DiffResult r;
    r.a = &a;
    r.b = &b;
    r.opt = opt;
    std::sort(r.opt.size_edges.begin(), r.opt.size_edges.end());
    r.by_size.resize(r.opt.size_edges.size() + 1);
    const Facts fa = assign_stages(a.segs), fb = assign_stages(b.segs);
    const auto ms = match_segments(a.segs, b.segs);
    std::vector<const FlowMatch*> both;
    for (const auto& [id, m] : ms) {
        const ConnFacts& cf = facts_of(id, fa, fb);
        if (m.in_a.empty() || m.in_b.empty()) {
            r.one_sided.push_back({id, cf.client, cf.server, m.in_a.empty() ? Point::B : Point::A,
                                   std::max(m.in_a.size(), m.in_b.size()), false});
            continue;
        }
        FlowDiff f;
        f.id = id;
        f.client = cf.client;
        f.server = cf.server;
        f.sni = cf.sni;
        if (f.sni.empty()) {  // the ClientHello may be in one capture only (lost on the way)
            for (const Facts* fx : {&fa, &fb})
                if (auto it = fx->find(id); it != fx->end() && !it->second.sni.empty()) f.sni = it->second.sni;
        }
        orient(f, m, a, b);
        r.flows.push_back(std::move(f));
        both.push_back(&m);
    }
    if (r.flows.empty())
        throw Error("no TCP flow is in both captures (" + a.name + ": " + std::to_string(count_flows(a)) + " flows, " +
                        b.name + ": " + std::to_string(count_flows(b)) + ")",
                    "diff compares captures of the same traffic taken at two points with no NAT between them");
    if (&a == &b || same_capture(a, b, ms))
        throw Error(a.name + " and " + b.name + " hold the same packets with the same timestamps: one capture given twice",
                    "give the captures taken at the two points (A upstream, B downstream)");
    const Crossing c = estimate_clock(r, r.flows, both);
    Classifier cl(r, c);
    for (size_t i = 0; i < r.flows.size(); i++) {
        FlowDiff& f = r.flows[i];
        f.c2s.from = f.s2c.to = f.client;
        f.c2s.to = f.s2c.from = f.server;
        f.c2s.upstream = f.client_at;
        f.s2c.upstream = other(f.client_at);
        cl.direction(f.c2s, *both[i], f.partly_outside);
        cl.direction(f.s2c, *both[i], f.partly_outside);
    }
    for (auto& o : r.one_sided) {
        const CaptureSegments& other_cap = o.seen_at == Point::A ? b : a;
        const auto& m = ms.at(o.id);
        const auto& idx = o.seen_at == Point::A ? m.in_a : m.in_b;
        const auto& segs = o.seen_at == Point::A ? a.segs : b.segs;
        const int64_t shift = o.seen_at == Point::A ? c.ab : -c.ab;
        o.outside = !inside(other_cap, static_cast<int64_t>(segs[idx.front()].ts_ns) + shift, opt.end_slack_ns) &&
                    !inside(other_cap, static_cast<int64_t>(segs[idx.back()].ts_ns) + shift, opt.end_slack_ns);
    }
    return r;
}

}  // namespace dw
