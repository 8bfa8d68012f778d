#include "packet.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace dwt {
namespace {

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
void set16(Bytes& b, size_t off, uint16_t v) {
    b[off] = static_cast<uint8_t>(v >> 8);
    b[off + 1] = static_cast<uint8_t>(v);
}
uint16_t get16(std::span<const uint8_t> b, size_t off) {
    return static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
}

// Fills n bytes of a hop-by-hop / destination options area with Pad1/PadN options.
void pad_options(Bytes& b, size_t n) {
    while (n > 0) {
        if (n == 1) {
            b.push_back(0);  // Pad1
            n = 0;
            break;
        }
        size_t k = std::min<size_t>(n, 257);
        if (n - k == 1) k--;  // leave at least 2 bytes for the next PadN
        b.push_back(1);       // PadN
        b.push_back(static_cast<uint8_t>(k - 2));
        b.insert(b.end(), k - 2, 0);
        n -= k;
    }
}

uint32_t sum_words(std::span<const uint8_t> d, uint32_t s = 0) {
    uint64_t acc = s;
    size_t i = 0;
    for (; i + 1 < d.size(); i += 2) acc += static_cast<uint32_t>(d[i] << 8 | d[i + 1]);
    if (i < d.size()) acc += static_cast<uint32_t>(d[i] << 8);
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return static_cast<uint32_t>(acc);
}

// Sum of the pseudo-header for an upper-layer packet of len bytes.
uint32_t pseudo_sum(int family, std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t proto,
                    size_t len) {
    Bytes ph;
    if (family == 4) {
        ph.insert(ph.end(), src.begin(), src.begin() + 4);
        ph.insert(ph.end(), dst.begin(), dst.begin() + 4);
        ph.push_back(0);
        ph.push_back(proto);
        put16(ph, static_cast<uint16_t>(len));
    } else {
        ph.insert(ph.end(), src.begin(), src.begin() + 16);
        ph.insert(ph.end(), dst.begin(), dst.begin() + 16);
        put32(ph, static_cast<uint32_t>(len));
        ph.insert(ph.end(), {0, 0, 0});
        ph.push_back(proto);
    }
    return sum_words(ph);
}

// Offset of the checksum field inside an L4 header of this protocol, or -1.
int csum_field(int family, uint8_t proto) {
    if (proto == kProtoTcp) return 16;
    if (proto == kProtoUdp) return 6;
    if (proto == kProtoIcmp && family == 4) return 2;
    if (proto == kProtoIcmp6 && family == 6) return 2;
    return -1;
}

bool uses_pseudo(int family, uint8_t proto) { return !(family == 4 && proto == kProtoIcmp); }

}  // namespace

Ip4 ip4(std::string_view text) {
    Ip4 a{};
    std::string s(text);
    if (inet_pton(AF_INET, s.c_str(), a.data()) != 1) throw std::invalid_argument("bad IPv4 address " + s);
    return a;
}

Ip6 ip6(std::string_view text) {
    Ip6 a{};
    std::string s(text);
    if (inet_pton(AF_INET6, s.c_str(), a.data()) != 1) throw std::invalid_argument("bad IPv6 address " + s);
    return a;
}

size_t Ext6::size() const {
    if (type == kExtFragment) return 8;
    if (type == kExtAh) return (static_cast<size_t>(hdrlen) + 2) * 4;
    return (static_cast<size_t>(hdrlen) + 1) * 8;
}

Packet Packet::ipv4(Ip4 src, Ip4 dst) {
    Packet p;
    p.l3_ = L3::V4;
    std::copy(src.begin(), src.end(), p.src_.begin());
    std::copy(dst.begin(), dst.end(), p.dst_.begin());
    return p;
}

Packet Packet::ipv6(Ip6 src, Ip6 dst) {
    Packet p;
    p.l3_ = L3::V6;
    p.src_ = src;
    p.dst_ = dst;
    return p;
}

Packet Packet::arp() {
    Packet p;
    p.l3_ = L3::Arp;
    return p;
}

Packet Packet::ether(uint16_t et, size_t payload_len) {
    Packet p;
    p.l3_ = L3::Ether;
    p.ethertype_ = et;
    p.ether_payload_ = payload_len;
    return p;
}

Packet& Packet::vlan(uint16_t vid, uint16_t tpid, uint8_t pcp) {
    tags_.emplace_back(tpid, static_cast<uint16_t>((pcp & 7) << 13 | (vid & 0x0fff)));
    return *this;
}
Packet& Packet::ethertype(uint16_t et) { ethertype_ = et; return *this; }
Packet& Packet::eth_pad(size_t n) { eth_pad_ = n; return *this; }
Packet& Packet::dscp(uint8_t v) { tos_ = static_cast<uint8_t>((v & 63) << 2 | (tos_ & 3)); return *this; }
Packet& Packet::ecn(uint8_t v) { tos_ = static_cast<uint8_t>((tos_ & 0xfc) | (v & 3)); return *this; }
Packet& Packet::ttl(uint8_t v) { ttl_ = v; return *this; }
Packet& Packet::proto(uint8_t p) { proto_ = p; return *this; }
Packet& Packet::version(uint8_t v) { version_ = v; return *this; }
Packet& Packet::options(Bytes o) {
    while (o.size() % 4) o.push_back(0);  // EOL
    options_ = std::move(o);
    return *this;
}
Packet& Packet::frag(uint16_t offset8, bool more) { frag_off8_ = offset8 & 0x1fff; mf_ = more; return *this; }
Packet& Packet::df(bool on) { df_ = on; return *this; }
Packet& Packet::ip_id(uint16_t id) { ip_id_ = id; return *this; }
Packet& Packet::ihl(uint8_t v) { ihl_ = v & 15; return *this; }
Packet& Packet::tot_len(uint16_t v) { tot_len_ = v; return *this; }
Packet& Packet::ip_csum(uint16_t v) { ip_csum_ = v; return *this; }
Packet& Packet::flow_label(uint32_t v) { flow_label_ = v & 0xfffff; return *this; }
Packet& Packet::ext(Ext6 e) { ext_.push_back(e); return *this; }
Packet& Packet::payload_len(uint16_t v) { payload_len_ = v; return *this; }

Packet& Packet::tcp(uint16_t sport, uint16_t dport, uint8_t flags, Bytes opts) {
    l4_ = L4::Tcp;
    sport_ = sport;
    dport_ = dport;
    tcp_flags_ = flags;
    while (opts.size() % 4) opts.push_back(0);  // EOL
    tcp_opts_ = std::move(opts);
    return *this;
}
Packet& Packet::tcp_doff(uint8_t doff) { tcp_doff_ = doff & 15; return *this; }
Packet& Packet::tcp_seq(uint32_t v) { tcp_seq_ = v; return *this; }
Packet& Packet::tcp_ack(uint32_t v) { tcp_ack_ = v; return *this; }
Packet& Packet::tcp_window(uint16_t v) { tcp_window_ = v; return *this; }
Packet& Packet::udp(uint16_t sport, uint16_t dport) {
    l4_ = L4::Udp;
    sport_ = sport;
    dport_ = dport;
    return *this;
}
Packet& Packet::icmp_echo(bool request, uint16_t id, uint16_t seq) {
    l4_ = L4::IcmpEcho;
    icmp_type_ = request ? 1 : 0;  // resolved per family in build()
    icmp_id_ = id;
    icmp_seq_ = seq;
    return *this;
}
Packet& Packet::icmp(uint8_t type, uint8_t code) {
    l4_ = L4::Icmp;
    icmp_type_ = type;
    icmp_code_ = code;
    return *this;
}
Packet& Packet::l4_raw(uint8_t proto, Bytes header) {
    l4_ = L4::Raw;
    raw_proto_ = proto;
    raw_hdr_ = std::move(header);
    return *this;
}
Packet& Packet::payload(Bytes data) { payload_ = std::move(data); return *this; }
Packet& Packet::payload(size_t n) {
    payload_.resize(n);
    for (size_t i = 0; i < n; i++) payload_[i] = static_cast<uint8_t>(0xa0 + i * 7);
    return *this;
}

Bytes Packet::build() const { return build(nullptr); }

Layout Packet::layout() const {
    Layout l;
    build(&l);
    return l;
}

Bytes Packet::build(Layout* lay) const {
    Layout L;
    Bytes f;
    f.insert(f.end(), dmac_.begin(), dmac_.end());
    f.insert(f.end(), smac_.begin(), smac_.end());
    for (auto [tpid, tci] : tags_) {
        put16(f, tpid);
        put16(f, tci);
    }
    uint16_t et = l3_ == L3::V4 ? kEthIp : l3_ == L3::V6 ? kEthIp6 : l3_ == L3::Arp ? kEthArp : 0;
    if (ethertype_) et = *ethertype_;
    put16(f, et);
    L.l3_off = f.size();

    if (l3_ == L3::Arp) {
        put16(f, 1);       // Ethernet
        put16(f, kEthIp);  // IPv4
        f.push_back(6);
        f.push_back(4);
        put16(f, 1);  // request
        f.insert(f.end(), smac_.begin(), smac_.end());
        f.insert(f.end(), {192, 0, 2, 1});
        f.insert(f.end(), 6, 0);
        f.insert(f.end(), {192, 0, 2, 2});
    } else if (l3_ == L3::Ether) {
        for (size_t i = 0; i < ether_payload_; i++) f.push_back(static_cast<uint8_t>(i));
    }
    if (l3_ != L3::V4 && l3_ != L3::V6) {
        f.insert(f.end(), eth_pad_, 0);
        L.frame_len = f.size();
        if (lay) *lay = L;
        return f;
    }

    const int fam = l3_ == L3::V4 ? 4 : 6;
    L.family = fam;

    // ---- upper layer ----
    Bytes up;
    uint8_t l4proto = 0;
    switch (l4_) {
    case L4::None:
        l4proto = fam == 4 ? 253 : kProtoNone6;
        break;
    case L4::Tcp: {
        l4proto = kProtoTcp;
        put16(up, sport_);
        put16(up, dport_);
        put32(up, tcp_seq_);
        put32(up, tcp_ack_ ? *tcp_ack_ : (tcp_flags_ & tcpf::ACK) ? 0x0a0b0c0du : 0);
        uint8_t doff = tcp_doff_ ? *tcp_doff_ : static_cast<uint8_t>(5 + tcp_opts_.size() / 4);
        up.push_back(static_cast<uint8_t>(doff << 4));
        up.push_back(tcp_flags_);
        put16(up, tcp_window_);
        put16(up, 0);      // checksum
        put16(up, 0);      // urgent
        up.insert(up.end(), tcp_opts_.begin(), tcp_opts_.end());
        break;
    }
    case L4::Udp:
        l4proto = kProtoUdp;
        put16(up, sport_);
        put16(up, dport_);
        put16(up, static_cast<uint16_t>(8 + payload_.size()));
        put16(up, 0);
        break;
    case L4::IcmpEcho:
        l4proto = fam == 4 ? kProtoIcmp : kProtoIcmp6;
        up.push_back(fam == 4 ? (icmp_type_ ? 8 : 0) : (icmp_type_ ? 128 : 129));
        up.push_back(0);
        put16(up, 0);
        put16(up, icmp_id_);
        put16(up, icmp_seq_);
        break;
    case L4::Icmp:
        l4proto = fam == 4 ? kProtoIcmp : kProtoIcmp6;
        up.push_back(icmp_type_);
        up.push_back(icmp_code_);
        put16(up, 0);
        put32(up, 0);
        break;
    case L4::Raw:
        l4proto = raw_proto_;
        up = raw_hdr_;
        break;
    }
    L.l4_hdr = up.size();
    up.insert(up.end(), payload_.begin(), payload_.end());
    const uint8_t final_proto = proto_ ? *proto_ : l4proto;
    L.proto = final_proto;

    // ---- IPv6 extension headers ----
    Bytes exts;
    std::vector<size_t> ext_rel;
    for (size_t i = 0; i < ext_.size(); i++) {
        const Ext6& e = ext_[i];
        const uint8_t nh = i + 1 < ext_.size() ? ext_[i + 1].type : final_proto;
        ext_rel.push_back(exts.size());
        const size_t start = exts.size();
        exts.push_back(nh);
        if (e.type == kExtFragment) {
            exts.push_back(0);
            put16(exts, static_cast<uint16_t>((e.frag_offset & 0x1fff) << 3 | (e.more ? 1 : 0)));
            put32(exts, e.ident);
        } else if (e.type == kExtAh) {
            exts.push_back(e.hdrlen);
            exts.resize(start + e.size(), 0);
            if (e.size() >= 8) {  // SPI
                exts[start + 4] = 0x00;
                exts[start + 5] = 0x00;
                exts[start + 6] = 0x10;
                exts[start + 7] = 0x01;
            }
        } else if (e.type == kExtHop || e.type == kExtDstOpts) {
            exts.push_back(e.hdrlen);
            pad_options(exts, e.size() - 2);
        } else {  // routing or anything else: zeros (routing type 0, segments left 0)
            exts.push_back(e.hdrlen);
            exts.resize(start + e.size(), 0);
        }
    }

    // ---- IP header ----
    const size_t l3 = L.l3_off;
    if (fam == 4) {
        const size_t hdr = 20 + options_.size();
        L.l3_hdr = hdr;
        const uint8_t ver = version_ ? *version_ : 4;
        const uint8_t ihlv = ihl_ ? *ihl_ : static_cast<uint8_t>(hdr / 4);
        f.push_back(static_cast<uint8_t>(ver << 4 | (ihlv & 15)));
        f.push_back(tos_);
        put16(f, tot_len_ ? *tot_len_ : static_cast<uint16_t>(hdr + up.size()));
        put16(f, ip_id_);
        put16(f, static_cast<uint16_t>((df_ ? 0x4000 : 0) | (mf_ ? 0x2000 : 0) | frag_off8_));
        f.push_back(ttl_);
        f.push_back(final_proto);
        put16(f, 0);
        f.insert(f.end(), src_.begin(), src_.begin() + 4);
        f.insert(f.end(), dst_.begin(), dst_.begin() + 4);
        f.insert(f.end(), options_.begin(), options_.end());
        set16(f, l3 + 10, ip_csum_ ? *ip_csum_ : ipv4_header_csum(f, l3));
    } else {
        L.l3_hdr = 40;
        const uint8_t ver = version_ ? *version_ : 6;
        f.push_back(static_cast<uint8_t>(ver << 4 | tos_ >> 4));
        f.push_back(static_cast<uint8_t>((tos_ & 15) << 4 | flow_label_ >> 16));
        put16(f, static_cast<uint16_t>(flow_label_));
        put16(f, payload_len_ ? *payload_len_ : static_cast<uint16_t>(exts.size() + up.size()));
        f.push_back(ext_.empty() ? final_proto : ext_[0].type);
        f.push_back(ttl_);
        f.insert(f.end(), src_.begin(), src_.end());
        f.insert(f.end(), dst_.begin(), dst_.end());
        for (size_t r : ext_rel) L.ext.push_back(f.size() + r);
        f.insert(f.end(), exts.begin(), exts.end());
    }
    L.l4_off = f.size();
    f.insert(f.end(), up.begin(), up.end());
    L.l3_end = f.size();

    // ---- L4 checksum over what was written ----
    if (l4_ != L4::None && l4_ != L4::Raw) {
        const int field = csum_field(fam, final_proto);
        if (field >= 0 && L.l4_hdr >= static_cast<size_t>(field) + 2) {
            std::span<const uint8_t> seg(f.data() + L.l4_off, f.size() - L.l4_off);
            uint32_t s = 0;
            if (uses_pseudo(fam, final_proto)) {
                const size_t a = fam == 4 ? l3 + 12 : l3 + 8;
                const size_t alen = fam == 4 ? 4 : 16;
                s = pseudo_sum(fam, std::span<const uint8_t>(f.data() + a, alen),
                               std::span<const uint8_t>(f.data() + a + alen, alen), final_proto, seg.size());
            }
            uint16_t c = static_cast<uint16_t>(~sum_words(seg, s));
            if (c == 0 && final_proto == kProtoUdp) c = 0xffff;
            set16(f, L.l4_off + field, c);
        }
    }

    f.insert(f.end(), eth_pad_, 0);
    L.frame_len = f.size();
    if (lay) *lay = L;
    return f;
}

uint16_t ones_sum(std::span<const uint8_t> data, uint32_t initial) {
    return static_cast<uint16_t>(sum_words(data, initial));
}

uint16_t ipv4_header_csum(std::span<const uint8_t> frame, size_t l3_off) {
    const size_t ihl = static_cast<size_t>(frame[l3_off] & 15) * 4;
    const size_t len = std::min(std::max<size_t>(ihl, 20), frame.size() - l3_off);
    Bytes h(frame.begin() + l3_off, frame.begin() + l3_off + len);
    h[10] = h[11] = 0;
    return static_cast<uint16_t>(~sum_words(h));
}

bool ipv4_header_ok(std::span<const uint8_t> frame, size_t l3_off) {
    if (frame.size() < l3_off + 20) return false;
    const size_t ihl = static_cast<size_t>(frame[l3_off] & 15) * 4;
    if (ihl < 20 || frame.size() < l3_off + ihl) return false;
    return sum_words(frame.subspan(l3_off, ihl)) == 0xffff;
}

bool l4_csum_ok(std::span<const uint8_t> frame, const Layout& lay) {
    const int field = csum_field(lay.family, lay.proto);
    if (field < 0 || lay.l3_end > frame.size() || lay.l4_off + field + 2 > lay.l3_end) return false;
    auto seg = frame.subspan(lay.l4_off, lay.l3_end - lay.l4_off);
    if (lay.family == 4 && lay.proto == kProtoUdp && get16(seg, 6) == 0) return true;
    uint32_t s = 0;
    if (uses_pseudo(lay.family, lay.proto)) {
        const size_t a = lay.family == 4 ? lay.l3_off + 12 : lay.l3_off + 8;
        const size_t alen = lay.family == 4 ? 4 : 16;
        s = pseudo_sum(lay.family, frame.subspan(a, alen), frame.subspan(a + alen, alen), lay.proto, seg.size());
    }
    return sum_words(seg, s) == 0xffff;
}

std::string hex(std::span<const uint8_t> data, size_t max) {
    std::string s;
    char buf[32];
    const size_t n = std::min(max, data.size());
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0) {
            std::snprintf(buf, sizeof(buf), "\n%04zx:", i);
            s += buf;
        }
        std::snprintf(buf, sizeof(buf), " %02x", data[i]);
        s += buf;
    }
    if (n < data.size()) s += "\n... (" + std::to_string(data.size()) + " bytes)";
    return s;
}

}  // namespace dwt
