#include "tls_capture.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "capture/writer.hpp"
#include "packet.hpp"

namespace dwbench {
namespace {

using dwt::Bytes;
using dwt::Packet;
namespace tcpf = dwt::tcpf;

void put16(Bytes& b, size_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

// A TLS record of `type` around body; a handshake message of `msg` around it when msg >= 0.
Bytes record(uint8_t type, Bytes body, int msg = -1) {
    if (msg >= 0) {
        Bytes h{static_cast<uint8_t>(msg), 0};
        put16(h, body.size());
        h.insert(h.end(), body.begin(), body.end());
        body = std::move(h);
    }
    Bytes r{type, 3, static_cast<uint8_t>(type == 22 && msg == 1 ? 1 : 3)};
    put16(r, body.size());
    r.insert(r.end(), body.begin(), body.end());
    return r;
}

Bytes extension(uint16_t type, const Bytes& data) {
    Bytes e;
    put16(e, type);
    put16(e, data.size());
    e.insert(e.end(), data.begin(), data.end());
    return e;
}

Bytes hello_common(uint32_t n) {
    Bytes b{3, 3};
    for (int i = 0; i < 32; ++i) b.push_back(static_cast<uint8_t>(n * 31 + i));  // random
    b.push_back(32);
    for (int i = 0; i < 32; ++i) b.push_back(static_cast<uint8_t>(n + i));  // legacy session id
    return b;
}

Bytes client_hello(uint32_t n) {
    Bytes b = hello_common(n);
    b.insert(b.end(), {0, 6, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 1, 0});  // cipher suites, compression
    const std::string sni = "app" + std::to_string(n % 50) + ".example.test";
    Bytes name{0};
    put16(name, sni.size());
    name.insert(name.end(), sni.begin(), sni.end());
    Bytes list;
    put16(list, name.size());
    list.insert(list.end(), name.begin(), name.end());
    Bytes exts = extension(0, list);                       // server_name
    auto sv = extension(0x2b, {2, 3, 4});                  // supported_versions: TLS 1.3
    auto groups = extension(0x0a, {0, 2, 0, 0x1d});        // supported_groups: x25519
    Bytes ks{0, 36, 0, 0x1d, 0, 32};
    for (int i = 0; i < 32; ++i) ks.push_back(static_cast<uint8_t>(n ^ i));
    auto key_share = extension(0x33, ks);
    for (const auto* e : {&sv, &groups, &key_share}) exts.insert(exts.end(), e->begin(), e->end());
    put16(b, exts.size());
    b.insert(b.end(), exts.begin(), exts.end());
    return record(22, b, 1);
}

// ServerHello, ChangeCipherSpec and the first encrypted flight, as one payload.
Bytes server_flight(uint32_t n) {
    Bytes b = hello_common(n + 7);
    b.insert(b.end(), {0x13, 0x01, 0});  // cipher suite, compression
    Bytes ks{0, 0x1d, 0, 32};
    for (int i = 0; i < 32; ++i) ks.push_back(static_cast<uint8_t>(n + 3 * i));
    Bytes exts = extension(0x2b, {3, 4});
    auto key_share = extension(0x33, ks);
    exts.insert(exts.end(), key_share.begin(), key_share.end());
    put16(b, exts.size());
    b.insert(b.end(), exts.begin(), exts.end());
    Bytes out = record(22, b, 2);
    auto ccs = record(20, {1});
    auto enc = record(23, Bytes(900, static_cast<uint8_t>(n)));
    out.insert(out.end(), ccs.begin(), ccs.end());
    out.insert(out.end(), enc.begin(), enc.end());
    return out;
}

struct Conn {
    uint32_t n = 0;
    std::array<uint8_t, 4> client{};
    uint16_t port = 0;
    uint32_t cseq = 0, sseq = 0;
};

Bytes segment(const Conn& c, bool from_client, uint8_t flags, const Bytes& payload) {
    const std::array<uint8_t, 4> server{198, 19, 0, 10};
    auto p = from_client ? Packet::ipv4(c.client, server).tcp(c.port, 443, flags)
                         : Packet::ipv4(server, c.client).tcp(443, c.port, flags);
    if (!payload.empty()) p.payload(payload);
    Bytes f = p.build();
    const size_t l4 = p.layout().l4_off;
    const uint32_t seq = htonl(from_client ? c.cseq : c.sseq);
    const uint32_t ack = htonl((flags & tcpf::ACK) ? (from_client ? c.sseq : c.cseq) : 0);
    // Replace the builder's numbers and update the checksum incrementally (RFC 1624, eqn. 3).
    auto word = [&](size_t i) { return static_cast<uint32_t>(f[l4 + i] << 8 | f[l4 + i + 1]); };
    uint32_t sum = ~word(16) & 0xffff;
    for (size_t i = 4; i < 12; i += 2) sum += ~word(i) & 0xffff;
    std::memcpy(&f[l4 + 4], &seq, 4);
    std::memcpy(&f[l4 + 8], &ack, 4);
    for (size_t i = 4; i < 12; i += 2) sum += word(i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const uint16_t cs = static_cast<uint16_t>(~sum);
    f[l4 + 16] = static_cast<uint8_t>(cs >> 8);
    f[l4 + 17] = static_cast<uint8_t>(cs);
    return f;
}

// The connection's frames in order; `step` picks one.
struct Step {
    bool from_client;
    uint8_t flags;
    int what;  // 0 none, 1 ClientHello, 2 server flight, 3 client Finished, 4 request, 5 response
};
constexpr Step kSteps[] = {
    {true, tcpf::SYN, 0},  {false, tcpf::SYN | tcpf::ACK, 0}, {true, tcpf::ACK, 0},
    {true, tcpf::ACK | tcpf::PSH, 1}, {false, tcpf::ACK, 0}, {false, tcpf::ACK | tcpf::PSH, 2},
    {true, tcpf::ACK, 0}, {true, tcpf::ACK | tcpf::PSH, 3}, {false, tcpf::ACK, 0},
    {true, tcpf::ACK | tcpf::PSH, 4}, {false, tcpf::ACK, 0}, {false, tcpf::ACK | tcpf::PSH, 5},
    {true, tcpf::ACK, 0}, {true, tcpf::ACK | tcpf::FIN, 0}, {false, tcpf::ACK | tcpf::FIN, 0},
    {true, tcpf::ACK, 0},
};

Bytes payload_of(int what, uint32_t n) {
    switch (what) {
    case 1: return client_hello(n);
    case 2: return server_flight(n);
    case 3: {
        Bytes b = record(20, {1});
        auto fin = record(23, Bytes(53, 0x11));
        b.insert(b.end(), fin.begin(), fin.end());
        return b;
    }
    case 4: return record(23, Bytes(300, 0x22));
    case 5: return record(23, Bytes(1380, 0x33));
    default: return {};
    }
}

}  // namespace

uint64_t write_tls_capture(const std::string& path, const TlsCaptureSpec& spec) {
    auto w = dw::CaptureWriter::create(path, 1 /* Ethernet */, 65535);
    uint64_t ts = 1'764'000'000'000'000'000ull, frames = 0;
    for (uint32_t first = 0; first < spec.flows; first += spec.concurrent) {
        std::vector<Conn> open;
        for (uint32_t n = first; n < std::min(spec.flows, first + spec.concurrent); ++n)
            open.push_back({n, {198, 18, static_cast<uint8_t>(1 + n / 60000 % 200), static_cast<uint8_t>(2 + n % 250)},
                            static_cast<uint16_t>(1024 + n % 60000), 1000 + n * 7, 5000 + n * 13});
        auto emit = [&](Conn& c, bool from_client, uint8_t flags, const Bytes& pl) {
            const Bytes f = segment(c, from_client, flags, pl);
            w->write(ts += 10'000, static_cast<uint32_t>(f.size()), f);
            ++frames;
            uint32_t& seq = from_client ? c.cseq : c.sseq;
            seq += static_cast<uint32_t>(pl.size()) + ((flags & (tcpf::SYN | tcpf::FIN)) ? 1 : 0);
        };
        const Bytes bulk = record(23, Bytes(1380, 0x44));
        for (const Step& s : kSteps) {
            for (auto& c : open) emit(c, s.from_client, s.flags, payload_of(s.what, c.n));
            if (s.what != 5) continue;
            // The download, after the response (and before the client's ACK of it).
            for (uint32_t k = 0; k < spec.data_segments; ++k)
                for (auto& c : open) {
                    emit(c, false, tcpf::ACK | tcpf::PSH, bulk);
                    if (k % 2) emit(c, true, tcpf::ACK, {});
                }
        }
    }
    w->close();
    return frames;
}

}  // namespace dwbench
