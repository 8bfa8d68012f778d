#include "compare/segment.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "core/tls.hpp"

namespace dw {
namespace {

constexpr uint16_t kEthIp = 0x0800, kEthIp6 = 0x86dd, kEthVlan = 0x8100, kEthQinQ = 0x88a8,
                   kEthVlan9100 = 0x9100;
constexpr uint8_t kProtoTcp = 6;

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t* p) { return static_cast<uint32_t>(rd16(p)) << 16 | rd16(p + 2); }

// FNV-1a, 64 bit: a fingerprint, not a defence against forgery.
uint64_t fnv(std::span<const uint8_t> b, uint64_t h = 0xcbf29ce484222325ull) {
    for (uint8_t x : b) h = (h ^ x) * 0x100000001b3ull;
    return h;
}

bool ext_header(uint8_t nh) { return nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44; }

// The IP layer: fills src/dst, DSCP, TTL, id, length; returns the offset of the
// transport header and its protocol, or a kind other than Tcp.
struct L3 {
    FrameKind kind = FrameKind::Malformed;
    size_t l4 = 0, end = 0;  // transport header offset; end of the IP packet in the frame (may exceed it)
    uint8_t proto = 0;
};

L3 ipv4(std::span<const uint8_t> f, size_t off, Segment& s) {
    L3 r;
    if (f.size() < off + 20) return r;
    const uint8_t* ip = &f[off];
    const size_t ihl = (ip[0] & 15) * 4u;
    if ((ip[0] >> 4) != 4 || ihl < 20 || f.size() < off + ihl) return r;
    const uint16_t tot = rd16(ip + 2);
    if (tot < ihl) return r;
    s.src.family = s.dst.family = 4;
    std::memcpy(s.src.addr.data(), ip + 12, 4);
    std::memcpy(s.dst.addr.data(), ip + 16, 4);
    s.dscp = ip[1] >> 2;
    s.ecn = ip[1] & 3;
    s.ttl = ip[8];
    s.ip_id = rd16(ip + 4);
    s.ip_len = tot;
    r.proto = ip[9];
    r.l4 = off + ihl;
    r.end = off + tot;
    const uint16_t frag = rd16(ip + 6);
    r.kind = (frag & 0x3fff) ? FrameKind::Fragment : r.proto == kProtoTcp ? FrameKind::Tcp : FrameKind::OtherIp;
    return r;
}

L3 ipv6(std::span<const uint8_t> f, size_t off, Segment& s) {
    L3 r;
    if (f.size() < off + 40) return r;
    const uint8_t* ip = &f[off];
    if ((ip[0] >> 4) != 6) return r;
    const uint8_t tc = static_cast<uint8_t>((ip[0] & 15) << 4 | ip[1] >> 4);
    s.src.family = s.dst.family = 6;
    std::memcpy(s.src.addr.data(), ip + 8, 16);
    std::memcpy(s.dst.addr.data(), ip + 24, 16);
    s.dscp = tc >> 2;
    s.ecn = tc & 3;
    s.ttl = ip[7];
    const uint32_t plen = rd16(ip + 4);
    if (plen == 0) return r;  // a jumbogram: not on these paths
    s.ip_len = static_cast<uint16_t>(std::min<uint32_t>(40 + plen, 0xffff));
    r.end = off + 40 + plen;
    uint8_t nh = ip[6];
    size_t p = off + 40;
    for (int i = 0; i < 8 && ext_header(nh); i++) {
        if (f.size() < p + 8) return r;
        if (nh == 44) {
            if ((rd16(&f[p + 2]) & 0xfff9) != 0) {  // offset or M set: a fragment
                r.kind = FrameKind::Fragment;
                return r;
            }
            nh = f[p];
            p += 8;
            continue;
        }
        const size_t len = nh == 51 ? (f[p + 1] + 2u) * 4 : (f[p + 1] + 1u) * 8;
        nh = f[p];
        p += len;
    }
    if (ext_header(nh)) return r;
    r.proto = nh;
    r.l4 = p;
    r.kind = nh == kProtoTcp ? FrameKind::Tcp : FrameKind::OtherIp;
    return r;
}

// The TLS record at the payload start: type 20..23, version 3.x.
void tls_record(std::span<const uint8_t> pl, Segment& s) {
    if (pl.size() < 6 || pl[0] < 20 || pl[0] > 23 || pl[1] != 3 || pl[2] > 4) return;
    s.record = true;
    s.record_type = pl[0];
    s.record_msg = pl[5];
    if (pl[0] == kTlsContentAlert && pl.size() >= 7) s.alert_desc = pl[6];
    if (pl[0] == kTlsContentHandshake && pl[5] == kTlsClientHello) s.sni = parse_client_hello(pl).sni;
}

}  // namespace

std::string to_string(const Endpoint& e) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(e.family == 6 ? AF_INET6 : AF_INET, e.addr.data(), buf, sizeof(buf));
    const std::string port = std::to_string(e.port);
    return e.family == 6 ? "[" + std::string(buf) + "]:" + port : std::string(buf) + ":" + port;
}

std::string tcp_flags_text(uint8_t fl) {
    std::string t;
    auto add = [&](uint8_t bit, const char* name) {
        if (!(fl & bit)) return;
        if (!t.empty()) t += '-';
        t += name;
    };
    add(kTcpSyn, "SYN");
    add(kTcpRst, "RST");
    add(kTcpFin, "FIN");
    add(kTcpPsh, "PSH");
    add(kTcpAck, "ACK");
    return t.empty() ? "none" : t;
}

Decoded decode_ethernet(std::span<const uint8_t> f, uint64_t ts_ns, uint64_t frame_no) {
    Decoded d;
    Segment& s = d.seg;
    s.ts_ns = ts_ns;
    s.frame = frame_no;
    if (f.size() < 14) return d;
    size_t off = 12;
    uint16_t et = rd16(&f[off]);
    while (et == kEthVlan || et == kEthQinQ || et == kEthVlan9100) {
        off += 4;
        if (f.size() < off + 2) return d;
        et = rd16(&f[off]);
    }
    off += 2;
    L3 l3;
    if (et == kEthIp) {
        l3 = ipv4(f, off, s);
    } else if (et == kEthIp6) {
        l3 = ipv6(f, off, s);
    } else {
        d.kind = FrameKind::NotIp;
        return d;
    }
    d.kind = l3.kind;
    if (l3.kind != FrameKind::Tcp) return d;
    d.kind = FrameKind::Malformed;
    if (f.size() < l3.l4 + 20 || l3.end < l3.l4 + 20) return d;
    const uint8_t* t = &f[l3.l4];
    const size_t doff = (t[12] >> 4) * 4u;
    if (doff < 20 || f.size() < l3.l4 + doff || l3.end < l3.l4 + doff) return d;
    s.src.port = rd16(t);
    s.dst.port = rd16(t + 2);
    s.seq = rd32(t + 4);
    s.ack = rd32(t + 8);
    s.flags = t[13];
    s.window = rd16(t + 14);
    const size_t pl_off = l3.l4 + doff;
    s.payload_len = static_cast<uint32_t>(l3.end - pl_off);
    const size_t present = std::min(l3.end, f.size()) - pl_off;  // Ethernet padding is not payload
    s.captured = static_cast<uint32_t>(present);
    const auto pl = f.subspan(pl_off, present);
    s.payload_hash = fnv(pl);
    s.prefix_hash = fnv(pl.first(std::min(present, kPrefixHashBytes)));
    const uint8_t id[2] = {static_cast<uint8_t>(s.ip_id >> 8), static_cast<uint8_t>(s.ip_id)};
    s.extra_hash = fnv(f.subspan(l3.l4 + 14, 2), fnv(id));                 // window
    s.extra_hash = fnv(f.subspan(l3.l4 + 20, doff - 20), s.extra_hash);    // options
    tls_record(pl, s);
    d.kind = FrameKind::Tcp;
    return d;
}

}  // namespace dw
