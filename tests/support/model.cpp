// The classifier as the spec states it. Deliberately written in a different
// shape from bpf/: a bounds-checked reader that throws the malformed reason,
// and plain comparisons for the flow key, so that a shared mistake is unlikely.
#include "model.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <iterator>
#include <cstring>
#include <sstream>

#include "packet.hpp"

namespace dwt::model {
namespace {

// Thrown by the reader: parsing stops with this malformed reason.
struct Stop {
    int reason;
};

class Reader {
public:
    explicit Reader(std::span<const uint8_t> f) : f_(f) {}
    size_t size() const { return f_.size(); }
    uint8_t u8(size_t off) const { return f_[off]; }
    uint16_t u16(size_t off) const { return static_cast<uint16_t>(f_[off] << 8 | f_[off + 1]); }
    // Bytes [off, off+n) must lie within limit (the frame, or the IP packet), else stop.
    void need(size_t off, size_t n, size_t limit, int reason) const {
        if (off + n > limit) throw Stop{reason};
    }
    void copy(size_t off, size_t n, uint8_t* out) const { std::memcpy(out, f_.data() + off, n); }

private:
    std::span<const uint8_t> f_;
};

bool is_tag(uint16_t et) { return et == kEthVlan || et == kEthQinQ; }

bool is_v6_ext(uint8_t nh) {
    switch (nh) {
    case kExtHop:
    case kExtRouting:
    case kExtDstOpts:
    case kExtFragment:
    case kExtAh:
        return true;
    default:
        return false;
    }
}

// The L4 header at off, inside the IP packet that ends at end.
void transport(const Reader& r, Parse& p, size_t off, size_t end) {
    if (off > end) throw Stop{DW_CNT_MAL_L4_TRUNC};
    // abi.h: an L4 header must start before DW_L4_MAX_OFF.
    if (off >= DW_L4_MAX_OFF) throw Stop{DW_CNT_MAL_V6_TOO_DEEP};
    const bool icmp = (p.family == 4 && p.proto == kProtoIcmp) || (p.family == 6 && p.proto == kProtoIcmp6);
    if (p.proto == kProtoTcp) {
        r.need(off, 20, end, DW_CNT_MAL_L4_TRUNC);
        const size_t hl = static_cast<size_t>(r.u8(off + 12) >> 4) * 4;
        if (hl < 20) throw Stop{DW_CNT_MAL_L4_TRUNC};
        r.need(off, hl, end, DW_CNT_MAL_L4_TRUNC);
        p.sport = r.u16(off);
        p.dport = r.u16(off + 2);
        p.tcp_flags = r.u8(off + 13);
    } else if (p.proto == kProtoUdp) {
        r.need(off, 8, end, DW_CNT_MAL_L4_TRUNC);
        p.sport = r.u16(off);
        p.dport = r.u16(off + 2);
    } else if (icmp) {
        r.need(off, 8, end, DW_CNT_MAL_L4_TRUNC);
        const uint8_t type = r.u8(off);
        const bool echo = p.family == 4 ? (type == 8 || type == 0) : (type == 128 || type == 129);
        if (echo) p.sport = p.dport = r.u16(off + 4);
    }
    p.l4_ok = true;
}

void ipv4(const Reader& r, Parse& p) {
    const size_t l3 = p.l3_off;
    p.family = 4;
    const size_t avail = r.size() - l3;
    if (avail < 20) throw Stop{DW_CNT_MAL_L3_TRUNC};
    if ((r.u8(l3) >> 4) != 4) throw Stop{DW_CNT_MAL_BAD_VERSION};
    const size_t hl = static_cast<size_t>(r.u8(l3) & 15) * 4;
    if (hl < 20 || hl > avail) throw Stop{DW_CNT_MAL_BAD_IHL};
    const size_t total = r.u16(l3 + 2);
    if (total < hl || total > avail) throw Stop{DW_CNT_MAL_BAD_LEN};
    p.l3_ok = true;
    p.dscp = r.u8(l3 + 1) >> 2;
    p.proto = r.u8(l3 + 9);
    r.copy(l3 + 12, 4, p.src.data());
    r.copy(l3 + 16, 4, p.dst.data());
    const uint16_t fo = r.u16(l3 + 6);
    const bool more = fo & 0x2000;
    const unsigned offset = fo & 0x1fff;
    if (offset != 0) {
        p.frag = Parse::Frag::Later;
        return;
    }
    if (more) p.frag = Parse::Frag::First;
    transport(r, p, l3 + hl, l3 + total);
}

void ipv6(const Reader& r, Parse& p) {
    const size_t l3 = p.l3_off;
    p.family = 6;
    const size_t avail = r.size() - l3;
    if (avail < 40) throw Stop{DW_CNT_MAL_L3_TRUNC};
    if ((r.u8(l3) >> 4) != 6) throw Stop{DW_CNT_MAL_BAD_VERSION};
    const size_t plen = r.u16(l3 + 4);
    if (40 + plen > avail) throw Stop{DW_CNT_MAL_BAD_LEN};
    const size_t end = plen == 0 ? r.size() : l3 + 40 + plen;
    const uint8_t tclass = static_cast<uint8_t>((r.u8(l3) & 0x0f) << 4 | r.u8(l3 + 1) >> 4);
    p.l3_ok = true;
    p.dscp = tclass >> 2;
    r.copy(l3 + 8, 16, p.src.data());
    r.copy(l3 + 24, 16, p.dst.data());

    uint8_t next = r.u8(l3 + 6);
    size_t at = l3 + 40;
    int seen = 0;
    while (is_v6_ext(next)) {
        if (seen == DW_V6_MAX_EXT) throw Stop{DW_CNT_MAL_V6_TOO_DEEP};
        if (at >= DW_L4_MAX_OFF) throw Stop{DW_CNT_MAL_V6_TOO_DEEP};
        r.need(at, 8, end, DW_CNT_MAL_L4_TRUNC);
        size_t len;
        if (next == kExtFragment) {
            const uint16_t fo = r.u16(at + 2);
            if ((fo >> 3) != 0) {  // not the first fragment: no L4 header here
                p.frag = Parse::Frag::Later;
                p.proto = r.u8(at);
                return;
            }
            if (fo & 1) p.frag = Parse::Frag::First;
            len = 8;
        } else if (next == kExtAh) {
            len = (static_cast<size_t>(r.u8(at + 1)) + 2) * 4;
        } else {
            len = (static_cast<size_t>(r.u8(at + 1)) + 1) * 8;
        }
        next = r.u8(at);
        at += len;
        seen++;
        // The spec: an extension header running past the packet is an L4 cut.
        if (at > end) throw Stop{DW_CNT_MAL_L4_TRUNC};
    }
    p.proto = next;
    transport(r, p, at, end);
}

void walk(const Reader& r, Parse& p) {
    r.need(0, 14, r.size(), DW_CNT_MAL_L2_TRUNC);
    uint16_t et = r.u16(12);
    size_t off = 14;
    while (is_tag(et) && p.tags < DW_MAX_VLAN) {
        r.need(off, 4, r.size(), DW_CNT_MAL_L2_TRUNC);
        et = r.u16(off + 2);
        off += 4;
        p.tags++;
    }
    p.l3_off = off;
    if (et == kEthIp)
        ipv4(r, p);
    else if (et == kEthIp6)
        ipv6(r, p);
    // anything else, a third tag included, is not IP
}

bool known_l4(uint8_t family, uint8_t proto) {
    return proto == kProtoTcp || proto == kProtoUdp || (family == 4 && proto == kProtoIcmp) ||
           (family == 6 && proto == kProtoIcmp6);
}

bool prefix_has(const dw::Prefix& pf, int family, const std::array<uint8_t, 16>& a) {
    if (pf.family != family) return false;
    for (unsigned bit = 0; bit < pf.len; bit++) {
        const unsigned byte = bit / 8, shift = 7 - bit % 8;
        if (((pf.addr[byte] >> shift) & 1) != ((a[byte] >> shift) & 1)) return false;
    }
    return true;
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
uint16_t rfc1624(uint16_t hc, uint16_t m, uint16_t m2) {
    uint32_t s = static_cast<uint16_t>(~hc);
    s += static_cast<uint16_t>(~m);
    s += m2;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(~s);
}

const char* const kCounterNames[] = {
    "FRAMES",        "NONIP",       "IPV4",         "IPV6",           "VLAN",
    "FRAG_FIRST",    "FRAG_LATER",  "OTHER_PROTO",  "MAL_L2_TRUNC",   "MAL_L3_TRUNC",
    "MAL_L4_TRUNC",  "MAL_BAD_IHL", "MAL_BAD_LEN",  "MAL_BAD_VERSION", "MAL_V6_TOO_DEEP",
    "FLOW_NEW",      "FLOW_INSERT_FAIL", "IFSTAT_FAIL", "REMARKED",    "EXEMPT_PREFIX",
    "EXEMPT_PORT",   "REMARK_FAIL",
};
static_assert(std::size(kCounterNames) == kModelledCounters, "one name per modelled counter");

std::string addr_str(int family, const uint8_t* a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf));
    return buf;
}

}  // namespace

uint32_t pass_verdict(dw::Hook h) { return h == dw::Hook::Xdp ? kXdpPass : kTcUnspec; }
uint8_t direction(dw::Hook h) { return h == dw::Hook::TcEgress ? DW_DIR_EGRESS : DW_DIR_INGRESS; }

const char* counter_name(int idx) { return idx >= 0 && idx < kModelledCounters ? kCounterNames[idx] : "(not modelled)"; }

Counters known(Counters c) {
    for (int i = kModelledCounters; i < DW_CNT_MAX; i++) c[i] = 0;
    return c;
}

std::string describe(const Counters& c) {
    std::string s;
    for (int i = 0; i < DW_CNT_MAX; i++)
        if (c[i]) s += std::string(s.empty() ? "" : " ") + counter_name(i) + "=" + std::to_string(c[i]);
    return s.empty() ? "(none)" : s;
}

std::string Parse::str() const {
    std::ostringstream o;
    o << "family=" << int(family) << " tags=" << tags << " l3_off=" << l3_off;
    if (malformed) o << " malformed=" << counter_name(malformed);
    if (l3_ok) {
        o << " dscp=" << int(dscp) << " proto=" << int(proto) << " " << addr_str(family, src.data()) << " > "
          << addr_str(family, dst.data());
        if (frag != Frag::None) o << (frag == Frag::First ? " frag=first" : " frag=later");
        if (l4_ok) o << " ports=" << sport << ">" << dport << " tcp_flags=0x" << std::hex << int(tcp_flags);
    }
    return o.str();
}

Parse parse(std::span<const uint8_t> frame) {
    Parse p;
    try {
        walk(Reader(frame), p);
    } catch (const Stop& s) {
        p.malformed = s.reason;
    }
    return p;
}

std::string Expect::str() const {
    std::ostringstream o;
    o << p.str() << " | slot=" << int(slot) << " counters: " << describe(counters);
    if (flow) o << " | flow " << key_str(flow->key) << " dir=" << flow->dir_index;
    if (remarked) o << " | remark " << int(from) << "->" << int(to);
    return o.str();
}

Expect classify(std::span<const uint8_t> frame, dw::Hook hook, uint32_t ifindex, const dw::RemarkConfig& cfg) {
    (void)ifindex;
    Expect e;
    e.p = parse(frame);
    const Parse& p = e.p;
    e.retval = pass_verdict(hook);
    e.dir = direction(hook);
    e.out.assign(frame.begin(), frame.end());

    // ---- slot and global counters ----
    if (p.l3_ok)
        e.slot = p.dscp;
    else if (p.family == 0 && p.malformed == 0)
        e.slot = DW_SLOT_NONIP;
    else
        e.slot = DW_SLOT_MALFORMED;

    auto& c = e.counters;
    c[DW_CNT_FRAMES]++;
    if (p.malformed) c[p.malformed]++;
    if (p.family == 0 && p.malformed == 0) c[DW_CNT_NONIP]++;
    if (p.family == 4) c[DW_CNT_IPV4]++;
    if (p.family == 6) c[DW_CNT_IPV6]++;
    if (p.tags > 0) c[DW_CNT_VLAN]++;
    if (p.frag == Parse::Frag::First) c[DW_CNT_FRAG_FIRST]++;
    if (p.frag == Parse::Frag::Later) c[DW_CNT_FRAG_LATER]++;
    if (p.l4_ok && !known_l4(p.family, p.proto)) c[DW_CNT_OTHER_PROTO]++;

    // ---- flow ----
    if (p.l3_ok && p.l4_ok && p.frag != Parse::Frag::Later) {
        FlowTouch t;
        const auto me = std::make_pair(p.src, p.sport);
        const auto peer = std::make_pair(p.dst, p.dport);
        const bool sender_is_a = !(peer < me);
        const auto& a = sender_is_a ? me : peer;
        const auto& b = sender_is_a ? peer : me;
        std::memcpy(t.key.addr_a, a.first.data(), 16);
        std::memcpy(t.key.addr_b, b.first.data(), 16);
        t.key.port_a = a.second;
        t.key.port_b = b.second;
        t.key.proto = p.proto;
        t.key.family = p.family;
        t.dir_index = sender_is_a ? 0 : 1;
        if (p.proto == kProtoTcp && (p.tcp_flags & tcpf::SYN)) {
            const int sender = sender_is_a ? DW_SIDE_A : DW_SIDE_B;
            const int receiver = sender_is_a ? DW_SIDE_B : DW_SIDE_A;
            t.syn_client = (p.tcp_flags & tcpf::ACK) ? receiver : sender;
        }
        t.dscp = p.dscp;
        t.len = static_cast<uint32_t>(frame.size());
        e.flow = t;
    }

    // ---- remark ----
    if (!p.l3_ok || cfg.mode == dw::RemarkMode::Off || !(cfg.dirs & (1u << e.dir))) return e;
    const uint8_t to = cfg.mode == dw::RemarkMode::Zero ? 0 : static_cast<uint8_t>(cfg.map[p.dscp] & 63);
    if (to == p.dscp) return e;
    for (const auto& pf : cfg.exempt_prefixes) {
        if (prefix_has(pf, p.family, p.src) || prefix_has(pf, p.family, p.dst)) {
            c[DW_CNT_EXEMPT_PREFIX]++;
            return e;
        }
    }
    if (p.l4_ok && (p.proto == kProtoTcp || p.proto == kProtoUdp)) {
        for (const auto& r : cfg.exempt_ports) {
            if (r.proto != p.proto) continue;
            const bool s = p.sport >= r.lo && p.sport <= r.hi;
            const bool d = p.dport >= r.lo && p.dport <= r.hi;
            if (s || d) {
                c[DW_CNT_EXEMPT_PORT]++;
                return e;
            }
        }
    }
    e.remarked = true;
    e.from = p.dscp;
    e.to = to;
    c[DW_CNT_REMARKED]++;
    auto& o = e.out;
    const size_t l3 = p.l3_off;
    if (p.family == 4) {
        const uint16_t old_word = static_cast<uint16_t>(o[l3] << 8 | o[l3 + 1]);
        o[l3 + 1] = static_cast<uint8_t>(to << 2 | (o[l3 + 1] & 3));
        const uint16_t new_word = static_cast<uint16_t>(o[l3] << 8 | o[l3 + 1]);
        const uint16_t hc = static_cast<uint16_t>(o[l3 + 10] << 8 | o[l3 + 11]);
        const uint16_t nc = rfc1624(hc, old_word, new_word);
        o[l3 + 10] = static_cast<uint8_t>(nc >> 8);
        o[l3 + 11] = static_cast<uint8_t>(nc);
    } else {
        const uint8_t ecn = (o[l3 + 1] >> 4) & 3;
        const uint8_t tclass = static_cast<uint8_t>(to << 2 | ecn);
        o[l3] = static_cast<uint8_t>((o[l3] & 0xf0) | tclass >> 4);
        o[l3 + 1] = static_cast<uint8_t>((tclass & 15) << 4 | (o[l3 + 1] & 0x0f));
    }
    return e;
}

KeyBytes key_bytes(const dw_flow_key& k) {
    KeyBytes b{};
    dw_flow_key z = k;
    z.pad = 0;
    std::memcpy(b.data(), &z, sizeof(z));
    return b;
}

std::string key_str(const dw_flow_key& k) {
    std::ostringstream o;
    o << "proto " << int(k.proto) << " v" << int(k.family) << " [" << addr_str(k.family, k.addr_a) << "]:"
      << k.port_a << " <-> [" << addr_str(k.family, k.addr_b) << "]:" << k.port_b;
    return o.str();
}

const dw_flow* FlowTable::find(const dw_flow_key& k) const {
    auto it = recs_.find(key_bytes(k));
    return it == recs_.end() ? nullptr : &it->second.second;
}

bool FlowTable::touch(const FlowTouch& t, uint64_t now_ns, uint32_t ifindex) {
    const KeyBytes kb = key_bytes(t.key);
    auto it = recs_.find(kb);
    bool created = false;
    if (it == recs_.end()) {
        dw_flow f{};
        if (t.syn_client >= 0) {
            f.client = static_cast<uint8_t>(t.syn_client);
            f.orient = DW_ORIENT_SYN;
        } else {
            // The lower port is the server; equal ports: A is the client.
            f.client = t.key.port_a < t.key.port_b ? DW_SIDE_B : DW_SIDE_A;
            f.orient = DW_ORIENT_PORT;
        }
        f.first_ns = now_ns;
        f.first_ifindex = ifindex;
        it = recs_.emplace(kb, std::make_pair(t.key, f)).first;
        created = true;
    }
    dw_flow& f = it->second.second;
    if (t.syn_client >= 0) {
        f.client = static_cast<uint8_t>(t.syn_client);
        f.orient = DW_ORIENT_SYN;
    }
    dw_flow_dir& d = f.dir[t.dir_index];
    const bool first_packet = d.packets == 0;
    d.packets++;
    d.bytes += t.len;
    const uint32_t tag = t.dscp + 1u;
    int slot = -1;
    for (int i = 0; i < DW_FLOW_DSCP_SLOTS && slot < 0; i++)
        if (d.slot_tag[i] == tag) slot = i;
    for (int i = 0; i < DW_FLOW_DSCP_SLOTS && slot < 0; i++)
        if (d.slot_tag[i] == 0) {
            d.slot_tag[i] = tag;
            slot = i;
        }
    if (slot >= 0) {
        d.slot_packets[slot]++;
        d.slot_bytes[slot] += t.len;
    } else {
        d.other_packets++;
        d.other_bytes += t.len;
    }
    d.seen_mask |= 1ull << t.dscp;
    if (!first_packet && d.last_dscp != t.dscp) d.dscp_changes++;
    d.last_dscp = t.dscp;
    f.last_ns = now_ns;
    f.last_ifindex = ifindex;
    return created;
}

Expect State::step(std::span<const uint8_t> frame, dw::Hook hook, uint32_t ifindex, const dw::RemarkConfig& cfg,
                   uint64_t now_ns) {
    Expect e = classify(frame, hook, ifindex, cfg);
    for (int i = 0; i < DW_CNT_MAX; i++) counters[i] += e.counters[i];
    auto& ic = if_counters[{ifindex, e.dir, e.slot}];
    ic.packets++;
    ic.bytes += frame.size();
    if (e.flow && flows.touch(*e.flow, now_ns, ifindex)) {
        e.counters[DW_CNT_FLOW_NEW]++;
        counters[DW_CNT_FLOW_NEW]++;
    }
    if (e.remarked) {
        auto& rc = remarks[{ifindex, e.dir, e.from, e.to}];
        rc.packets++;
        rc.bytes += frame.size();
    }
    return e;
}

std::string flow_diff(const dw_flow& w, const dw_flow& g) {
    std::ostringstream o;
    auto f = [&](const char* name, uint64_t a, uint64_t b) {
        if (a != b) o << "  " << name << ": want " << a << ", got " << b << "\n";
    };
    for (int d = 0; d < 2; d++) {
        const auto &x = w.dir[d], &y = g.dir[d];
        const std::string p = "dir[" + std::to_string(d) + "].";
        f((p + "packets").c_str(), x.packets, y.packets);
        f((p + "bytes").c_str(), x.bytes, y.bytes);
        for (int i = 0; i < DW_FLOW_DSCP_SLOTS; i++) {
            const std::string s = p + "slot[" + std::to_string(i) + "].";
            f((s + "tag").c_str(), x.slot_tag[i], y.slot_tag[i]);
            f((s + "packets").c_str(), x.slot_packets[i], y.slot_packets[i]);
            f((s + "bytes").c_str(), x.slot_bytes[i], y.slot_bytes[i]);
        }
        f((p + "other_packets").c_str(), x.other_packets, y.other_packets);
        f((p + "other_bytes").c_str(), x.other_bytes, y.other_bytes);
        f((p + "seen_mask").c_str(), x.seen_mask, y.seen_mask);
        f((p + "dscp_changes").c_str(), x.dscp_changes, y.dscp_changes);
        f((p + "last_dscp").c_str(), x.last_dscp, y.last_dscp);
    }
    f("first_ns", w.first_ns, g.first_ns);
    f("last_ns", w.last_ns, g.last_ns);
    f("first_ifindex", w.first_ifindex, g.first_ifindex);
    f("last_ifindex", w.last_ifindex, g.last_ifindex);
    f("client", w.client, g.client);
    f("orient", w.orient, g.orient);
    return o.str();
}

}  // namespace dwt::model
