#include "compare/match.hpp"

#include <algorithm>
#include <cstdlib>
#include <tuple>

namespace dw {
namespace {

// What identifies a segment within its flow: direction, sequence, payload
// length, flags (PSH, URG and the ECN flags aside), and for segments without
// payload the ACK number (pure ACKs share a sequence number).
using Key = std::tuple<bool, uint32_t, uint32_t, uint8_t, uint32_t>;

Key key_of(const Segment& s, const FlowId& f) {
    const uint8_t fl = s.flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpAck);
    const bool bare = s.payload_len == 0 && !(s.flags & kTcpSyn);
    return {s.src == f.lo, s.seq, s.payload_len, fl, bare ? s.ack : 0};
}

struct Bucket {
    std::vector<size_t> a, b;
};

int64_t delta(const Segment& a, const Segment& b) {
    return static_cast<int64_t>(b.ts_ns) - static_cast<int64_t>(a.ts_ns);
}

// Pass 1: transmissions that agree on everything, the IPv4 id, window and TCP
// options too, where that pairing is unambiguous (one of each in the bucket).
void pair_exact(const std::vector<Segment>& A, const std::vector<Segment>& B, const Bucket& k,
                std::vector<bool>& used_a, std::vector<bool>& used_b, FlowMatch& m) {
    auto count = [](const std::vector<Segment>& S, const std::vector<size_t>& idx, uint64_t h) {
        return std::count_if(idx.begin(), idx.end(), [&](size_t i) { return S[i].extra_hash == h; });
    };
    for (size_t i = 0; i < k.a.size(); i++) {
        const Segment& x = A[k.a[i]];
        if (count(A, k.a, x.extra_hash) != 1 || count(B, k.b, x.extra_hash) != 1) continue;
        for (size_t j = 0; j < k.b.size(); j++) {
            const Segment& y = B[k.b[j]];
            if (used_b[j] || x.extra_hash != y.extra_hash || !same_payload(x, y)) continue;
            used_a[i] = used_b[j] = true;
            m.pairs.push_back({k.a[i], k.b[j]});
            break;
        }
    }
}

// Pass 2: the rest (identical transmissions, a middlebox that rewrote options,
// IPv6 without timestamps): the pairs whose crossing time is nearest the
// flow's usual one first; without a usual time, in order.
void pair_rest(const std::vector<Segment>& A, const std::vector<Segment>& B, const Bucket& k,
               std::vector<bool>& used_a, std::vector<bool>& used_b, bool have_usual, int64_t usual,
               FlowMatch& m) {
    struct Cand {
        int64_t err;
        size_t i, j;
    };
    std::vector<Cand> c;
    for (size_t i = 0; i < k.a.size(); i++) {
        if (used_a[i]) continue;
        for (size_t j = 0; j < k.b.size(); j++) {
            if (used_b[j] || !same_payload(A[k.a[i]], B[k.b[j]])) continue;
            const int64_t err = have_usual ? std::llabs(delta(A[k.a[i]], B[k.b[j]]) - usual)
                                           : static_cast<int64_t>(i > j ? i - j : j - i);
            c.push_back({err, i, j});
        }
    }
    std::sort(c.begin(), c.end(), [](const Cand& x, const Cand& y) {
        return std::tie(x.err, x.i, x.j) < std::tie(y.err, y.i, y.j);
    });
    for (const auto& x : c) {
        if (used_a[x.i] || used_b[x.j]) continue;
        used_a[x.i] = used_b[x.j] = true;
        m.pairs.push_back({k.a[x.i], k.b[x.j]});
    }
}

void match_flow(const FlowId& id, const std::vector<Segment>& A, const std::vector<Segment>& B, FlowMatch& m) {
    std::map<Key, Bucket> buckets;
    for (size_t i : m.in_a) buckets[key_of(A[i], id)].a.push_back(i);
    for (size_t i : m.in_b) buckets[key_of(B[i], id)].b.push_back(i);
    std::map<Key, std::pair<std::vector<bool>, std::vector<bool>>> used;
    for (auto& [k, bk] : buckets) {
        auto& u = used[k];
        u.first.assign(bk.a.size(), false);
        u.second.assign(bk.b.size(), false);
        pair_exact(A, B, bk, u.first, u.second, m);
    }
    // The usual crossing time per direction, from the exact pairs.
    std::vector<int64_t> d[2];
    for (const auto& p : m.pairs) d[A[p.a].src == id.lo ? 0 : 1].push_back(delta(A[p.a], B[p.b]));
    const bool have[2] = {!d[0].empty(), !d[1].empty()};
    const int64_t usual[2] = {median(d[0]), median(d[1])};
    for (auto& [k, bk] : buckets) {
        auto& u = used[k];
        const int dir = std::get<0>(k) ? 0 : 1;
        pair_rest(A, B, bk, u.first, u.second, have[dir], usual[dir], m);
        for (size_t i = 0; i < bk.a.size(); i++)
            if (!u.first[i]) m.only_a.push_back(bk.a[i]);
        for (size_t j = 0; j < bk.b.size(); j++)
            if (!u.second[j]) m.only_b.push_back(bk.b[j]);
    }
    auto by_pos = [](const Pair& x, const Pair& y) { return x.a < y.a; };
    std::sort(m.pairs.begin(), m.pairs.end(), by_pos);
    std::sort(m.only_a.begin(), m.only_a.end());
    std::sort(m.only_b.begin(), m.only_b.end());
}

}  // namespace

bool same_payload(const Segment& x, const Segment& y) {
    if (x.payload_len != y.payload_len) return false;
    if (!x.truncated() && !y.truncated()) return x.payload_hash == y.payload_hash;
    // The first kPrefixHashBytes bytes, if both captures hold them (or all of a shorter payload).
    const uint32_t want = std::min<uint32_t>(x.payload_len, kPrefixHashBytes);
    if (x.captured >= want && y.captured >= want) return x.prefix_hash == y.prefix_hash;
    return true;  // too little captured to tell
}

int64_t median(std::vector<int64_t>& v) {
    if (v.empty()) return 0;
    auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    return *mid;
}

std::map<FlowId, FlowMatch> match_segments(const std::vector<Segment>& A, const std::vector<Segment>& B) {
    std::map<FlowId, FlowMatch> flows;
    for (size_t i = 0; i < A.size(); i++) flows[A[i].flow()].in_a.push_back(i);
    for (size_t i = 0; i < B.size(); i++) flows[B[i].flow()].in_b.push_back(i);
    for (auto& [id, m] : flows) {
        if (m.in_a.empty() || m.in_b.empty()) continue;
        match_flow(id, A, B, m);
    }
    return flows;
}

}  // namespace dw
