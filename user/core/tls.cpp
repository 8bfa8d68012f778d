#include "core/tls.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

namespace dw {
namespace {

constexpr size_t kRecordHeader = 5;
constexpr size_t kHandshakeHeader = 4;
constexpr size_t kMaxRecordLength = 16384;  // 2^14, RFC 8446 5.1 / RFC 5246 6.2.1
constexpr size_t kRandomLength = 32;
constexpr size_t kMaxSessionId = 32;

// SHA-256("HelloRetryRequest"), RFC 8446 4.1.3.
constexpr std::array<uint8_t, kRandomLength> kHrrRandom = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
constexpr std::array<uint8_t, 7> kDowngrade = {'D', 'O', 'W', 'N', 'G', 'R', 'D'};

enum ExtType : uint16_t {
    kExtServerName = 0,
    kExtSupportedGroups = 10,
    kExtAlpn = 16,
    kExtSupportedVersions = 43,
    kExtKeyShare = 51,
};

enum class Res { ok, truncated, malformed };

// A field inside the handshake message: [pos, end) are its declared bytes,
// `buf` holds the bytes the snippet has, which may stop anywhere (even before
// pos). Reading past `end` is malformed; reading past buf is truncated.
class Reader {
public:
    Reader() = default;
    // `name` (and `suffix`) must outlive the reader: string literals or static names.
    Reader(std::span<const uint8_t> buf, size_t begin, size_t end, std::string_view name,
           std::string_view suffix = {})
        : buf_(buf), pos_(begin), end_(end), name_(name), suffix_(suffix) {}

    std::string name() const { return std::string(name_) + std::string(suffix_); }
    size_t left() const { return end_ - pos_; }
    bool done() const { return pos_ == end_; }
    bool complete() const { return end_ <= buf_.size(); }  // every declared byte is present

    Res bytes(size_t n, std::span<const uint8_t>& out) {
        if (n > end_ - pos_) return Res::malformed;
        if (pos_ + n > buf_.size()) return Res::truncated;
        out = buf_.subspan(pos_, n);
        pos_ += n;
        return Res::ok;
    }
    Res sub(size_t n, std::string_view name, std::string_view suffix, Reader& out) {
        if (n > end_ - pos_) return Res::malformed;
        out = Reader(buf_, pos_, pos_ + n, name, suffix);
        pos_ += n;
        return Res::ok;
    }

private:
    std::span<const uint8_t> buf_;
    size_t pos_ = 0;
    size_t end_ = 0;
    std::string_view name_;
    std::string_view suffix_;
};

// Reads fields and records the first problem: every method returns false once
// the parse must stop, and `res` / `error` say why.
class Parser {
public:
    Res res = Res::ok;
    std::string error;

    bool malformed(std::string why) {
        res = Res::malformed;
        error = std::move(why);
        return false;
    }
    bool truncated() {
        res = Res::truncated;
        return false;
    }
    // Stop unless every byte of `r` is present.
    bool need(const Reader& r) { return r.complete() || truncated(); }
    // Stop unless `r` was consumed exactly.
    bool end(const Reader& r) {
        if (r.done()) return true;
        return malformed(std::to_string(r.left()) + " unexpected byte(s) at the end of " + r.name());
    }

    bool bytes(Reader& r, size_t n, std::string_view what, std::span<const uint8_t>& out) {
        return check(r.bytes(n, out), r, what);
    }
    bool skip(Reader& r, size_t n, std::string_view what) {
        std::span<const uint8_t> b;
        return bytes(r, n, what, b);
    }
    bool u8(Reader& r, std::string_view what, uint8_t& v) {
        std::span<const uint8_t> b;
        if (!bytes(r, 1, what, b)) return false;
        v = b[0];
        return true;
    }
    bool u16(Reader& r, std::string_view what, uint16_t& v) {
        std::span<const uint8_t> b;
        if (!bytes(r, 2, what, b)) return false;
        v = static_cast<uint16_t>(b[0] << 8 | b[1]);
        return true;
    }
    // A vector with a `len_bytes` (1 or 2) length prefix; its bytes may be absent.
    // `what` names it, in errors and as the name of `out`, followed by `suffix`.
    bool vec(Reader& r, int len_bytes, std::string_view what, Reader& out, std::string_view suffix = {}) {
        size_t n = 0;
        if (len_bytes == 1) {
            uint8_t v = 0;
            if (!u8(r, what, v)) return false;
            n = v;
        } else {
            uint16_t v = 0;
            if (!u16(r, what, v)) return false;
            n = v;
        }
        if (r.sub(n, what, suffix, out) != Res::ok)  // (sub is never truncated)
            return malformed(std::string(what) + std::string(suffix) + " runs past the end of " + r.name());
        return true;
    }
    // A list of 16-bit values with a `len_bytes` length prefix: non-empty, even,
    // and complete.
    bool list16(Reader& r, int len_bytes, std::string_view what, std::vector<uint16_t>& out) {
        Reader l;
        if (!vec(r, len_bytes, what, l) || !need(l)) return false;
        if (l.left() == 0 || l.left() % 2)
            return malformed(std::string(what) + " length " + std::to_string(l.left()) +
                             " is not a positive even number");
        std::vector<uint16_t> v;
        v.reserve(l.left() / 2);
        while (!l.done()) {
            uint16_t x = 0;
            if (!u16(l, what, x)) return false;
            v.push_back(x);
        }
        out = std::move(v);
        return true;
    }

private:
    bool check(Res r, const Reader& in, std::string_view what) {
        if (r == Res::ok) return true;
        if (r == Res::truncated) return truncated();
        return malformed(std::string(what) + " runs past the end of " + in.name());
    }
};

// Wire bytes as printable ASCII: 0x21..0x7e except '\' kept, others "\xNN".
std::string printable(std::span<const uint8_t> b) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    s.reserve(b.size());
    for (uint8_t c : b) {
        if (c > 0x20 && c < 0x7f && c != '\\') {
            s.push_back(static_cast<char>(c));
        } else {
            s += "\\x";
            s.push_back(kHex[c >> 4]);
            s.push_back(kHex[c & 15]);
        }
    }
    return s;
}

std::string hex16(uint16_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    return {'0', 'x', kHex[v >> 12], kHex[(v >> 8) & 15], kHex[(v >> 4) & 15], kHex[v & 15]};
}

// ---- the first handshake message, out of one or more records ----------------

struct Message {
    bool type_known = false;     // the handshake type byte was present
    uint16_t record_version = 0;
    bool length_known = false;
    uint32_t length = 0;         // declared body length
    std::vector<uint8_t> bytes;  // handshake header + body, as much as present
};

// Collects the handshake bytes of the first message from consecutive records.
// Stops (and says so in p) at the first record that is not a handshake record,
// or when the input ends.
Message collect(std::span<const uint8_t> in, uint8_t want, std::string_view want_name, Parser& p) {
    Message m;
    size_t need = SIZE_MAX;  // handshake bytes the message takes, once known
    size_t pos = 0;
    bool first = true;
    while (m.bytes.size() < need) {
        if (pos >= in.size()) {
            p.truncated();
            break;
        }
        const size_t avail = in.size() - pos;
        const uint8_t type = in[pos];
        if (type != kTlsContentHandshake) {
            if (!first) {
                p.malformed("handshake message interrupted by a record of content type " + std::to_string(type));
            } else if ((type & 0x80) && avail >= 3 && in[pos + 2] == kTlsClientHello) {
                p.malformed("SSL 2.0 format ClientHello");
            } else {
                p.malformed("not a TLS handshake record (content type " + std::to_string(type) + ")");
            }
            break;
        }
        if (avail >= 2 && in[pos + 1] != 3) {
            p.malformed("bad record version major " + std::to_string(in[pos + 1]));
            break;
        }
        if (avail < kRecordHeader) {
            p.truncated();
            break;
        }
        const uint16_t version = static_cast<uint16_t>(in[pos + 1] << 8 | in[pos + 2]);
        const size_t len = static_cast<size_t>(in[pos + 3] << 8 | in[pos + 4]);
        if (first) m.record_version = version;
        if (len == 0) {
            p.malformed("empty handshake record");
            break;
        }
        if (len > kMaxRecordLength) {
            p.malformed("record length " + std::to_string(len) + " exceeds 2^14");
            break;
        }
        const size_t take = std::min(len, avail - kRecordHeader);
        const auto body = in.subspan(pos + kRecordHeader, take);
        m.bytes.insert(m.bytes.end(), body.begin(), body.end());
        pos += kRecordHeader + len;  // may pass the end of the input: then the next turn stops
        first = false;

        if (!m.type_known && !m.bytes.empty()) {
            m.type_known = true;
            if (m.bytes[0] != want) {
                const uint8_t t = m.bytes[0];
                std::string name = t == kTlsClientHello   ? " (ClientHello)"
                                   : t == kTlsServerHello ? " (ServerHello)"
                                                          : "";
                p.malformed("not a " + std::string(want_name) + " (handshake type " + std::to_string(t) + name + ")");
                break;
            }
        }
        if (!m.length_known && m.bytes.size() >= kHandshakeHeader) {
            m.length_known = true;
            m.length = static_cast<uint32_t>(m.bytes[1] << 16 | m.bytes[2] << 8 | m.bytes[3]);
            need = kHandshakeHeader + m.length;
        }
    }
    if (m.length_known && m.bytes.size() > need) m.bytes.resize(need);  // later messages
    return m;
}

template <typename Info>
void finish(Info& info, const Message& m, const Parser& p) {
    info.record_version = m.record_version;
    info.message_length = m.length;
    switch (p.res) {
    case Res::ok:
        info.ok = true;
        break;
    case Res::truncated:
        info.truncated = true;
        info.ok = m.type_known;
        if (!info.ok) info.error = "snippet ends before the handshake message type";
        break;
    case Res::malformed:
        info.error = p.error;
        break;
    }
}

// Walks an extensions block, calling on(type, body) for each complete extension.
template <typename On>
bool extensions(Parser& p, Reader& exts, std::vector<uint16_t>& seen, On&& on) {
    while (!exts.done()) {
        uint16_t type = 0;
        Reader body;
        if (!p.u16(exts, "extension type", type)) return false;
        if (!p.vec(exts, 2, tls_extension_name(type), body, " extension")) return false;
        if (!p.need(body)) return false;
        if (std::find(seen.begin(), seen.end(), type) != seen.end())
            return p.malformed("duplicate extension " + std::to_string(type));
        seen.push_back(type);
        if (!on(type, body)) return false;
    }
    return true;
}

// ---- ClientHello ----------------------------------------------------------------

bool client_extension(Parser& p, uint16_t type, Reader& body, ClientHelloInfo& info) {
    switch (type) {
    case kExtServerName: {  // RFC 6066 3
        Reader list;
        if (!p.vec(body, 2, "server_name list", list)) return false;
        if (list.done()) return p.malformed("empty server_name list");
        std::string sni;
        while (!list.done()) {
            uint8_t name_type = 0;
            Reader name;
            std::span<const uint8_t> b;
            if (!p.u8(list, "server_name type", name_type) || !p.vec(list, 2, "server_name", name)) return false;
            if (name.done()) return p.malformed("empty server_name");
            if (!p.bytes(name, name.left(), "server_name", b)) return false;
            if (name_type == 0 && sni.empty()) sni = printable(b);
        }
        if (!p.end(body)) return false;
        info.sni = std::move(sni);
        return true;
    }
    case kExtAlpn: {  // RFC 7301 3.1
        Reader list;
        if (!p.vec(body, 2, "ALPN protocol list", list)) return false;
        if (list.done()) return p.malformed("empty ALPN protocol list");
        std::vector<std::string> alpn;
        while (!list.done()) {
            Reader name;
            std::span<const uint8_t> b;
            if (!p.vec(list, 1, "ALPN protocol", name)) return false;
            if (name.done()) return p.malformed("empty ALPN protocol name");
            if (!p.bytes(name, name.left(), "ALPN protocol", b)) return false;
            alpn.push_back(printable(b));
        }
        if (!p.end(body)) return false;
        info.alpn = std::move(alpn);
        return true;
    }
    case kExtSupportedVersions: {  // RFC 8446 4.2.1
        std::vector<uint16_t> v;
        if (!p.list16(body, 1, "supported_versions list", v) || !p.end(body)) return false;
        info.has_supported_versions = true;
        info.offered_versions = std::move(v);
        return true;
    }
    case kExtSupportedGroups: {  // RFC 8446 4.2.7
        std::vector<uint16_t> v;
        if (!p.list16(body, 2, "supported_groups list", v) || !p.end(body)) return false;
        info.supported_groups = std::move(v);
        return true;
    }
    case kExtKeyShare: {  // RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1>
        Reader list;
        if (!p.vec(body, 2, "key_share list", list)) return false;
        std::vector<uint16_t> groups;
        while (!list.done()) {
            uint16_t group = 0;
            Reader key;
            if (!p.u16(list, "key_share group", group) || !p.vec(list, 2, "key_exchange", key)) return false;
            if (key.done()) return p.malformed("empty key_exchange");
            groups.push_back(group);
        }
        if (!p.end(body)) return false;
        info.key_share_groups = std::move(groups);
        return true;
    }
    default:
        return true;
    }
}

bool client_hello_body(Parser& p, Reader& m, ClientHelloInfo& info) {
    uint16_t legacy = 0;
    if (!p.u16(m, "legacy_version", legacy)) return false;
    info.legacy_version = legacy;
    info.offered_versions = {legacy};
    if (!p.skip(m, kRandomLength, "random")) return false;

    Reader session_id;
    if (!p.vec(m, 1, "legacy_session_id", session_id)) return false;
    if (session_id.left() > kMaxSessionId)
        return p.malformed("legacy_session_id of " + std::to_string(session_id.left()) + " bytes (max 32)");
    if (!p.list16(m, 2, "cipher_suites", info.cipher_suites)) return false;

    Reader compression;
    if (!p.vec(m, 1, "legacy_compression_methods", compression) || !p.need(compression)) return false;
    if (compression.done()) return p.malformed("empty legacy_compression_methods");
    if (m.done()) return true;  // no extensions (SSL 3.0 / early TLS)

    Reader exts;
    if (!p.vec(m, 2, "extensions", exts)) return false;
    if (!p.end(m)) return false;
    return extensions(p, exts, info.extensions,
                      [&](uint16_t type, Reader& body) { return client_extension(p, type, body, info); });
}

// ---- ServerHello ------------------------------------------------------------------

bool server_extension(Parser& p, uint16_t type, Reader& body, ServerHelloInfo& info) {
    switch (type) {
    case kExtAlpn: {  // exactly one protocol
        Reader list, name;
        std::span<const uint8_t> b;
        if (!p.vec(body, 2, "ALPN protocol list", list)) return false;
        if (!p.vec(list, 1, "ALPN protocol", name)) return false;
        if (name.done()) return p.malformed("empty ALPN protocol name");
        if (!p.bytes(name, name.left(), "ALPN protocol", b)) return false;
        if (!list.done()) return p.malformed("ServerHello ALPN names more than one protocol");
        if (!p.end(body)) return false;
        info.alpn = printable(b);
        return true;
    }
    case kExtSupportedVersions: {  // selected_version
        uint16_t v = 0;
        if (!p.u16(body, "supported_versions", v) || !p.end(body)) return false;
        info.has_supported_versions = true;
        info.version = v;
        return true;
    }
    case kExtKeyShare: {  // HRR: selected_group; else a KeyShareEntry
        uint16_t group = 0;
        if (!p.u16(body, "key_share group", group)) return false;
        if (!info.hello_retry_request) {
            Reader key;
            if (!p.vec(body, 2, "key_exchange", key)) return false;
            if (key.done()) return p.malformed("empty key_exchange");
        }
        if (!p.end(body)) return false;
        info.key_share_group = group;
        return true;
    }
    default:  // server_name is empty in a ServerHello; nothing to read
        return true;
    }
}

bool server_hello_body(Parser& p, Reader& m, ServerHelloInfo& info) {
    uint16_t legacy = 0;
    if (!p.u16(m, "legacy_version", legacy)) return false;
    info.legacy_version = legacy;
    info.version = legacy;

    std::span<const uint8_t> random;
    if (!p.bytes(m, kRandomLength, "random", random)) return false;
    info.hello_retry_request = std::equal(random.begin(), random.end(), kHrrRandom.begin());
    const auto tail = random.last(8);
    info.downgrade_sentinel = std::equal(kDowngrade.begin(), kDowngrade.end(), tail.begin()) && tail[7] <= 1;

    Reader session_id;
    if (!p.vec(m, 1, "legacy_session_id", session_id)) return false;
    if (session_id.left() > kMaxSessionId)
        return p.malformed("legacy_session_id of " + std::to_string(session_id.left()) + " bytes (max 32)");
    uint16_t suite = 0;
    uint8_t compression = 0;
    if (!p.u16(m, "cipher_suite", suite)) return false;
    info.cipher_suite = suite;
    if (!p.u8(m, "legacy_compression_method", compression)) return false;
    if (m.done()) return true;  // no extensions

    Reader exts;
    if (!p.vec(m, 2, "extensions", exts)) return false;
    if (!p.end(m)) return false;
    return extensions(p, exts, info.extensions,
                      [&](uint16_t type, Reader& body) { return server_extension(p, type, body, info); });
}

template <typename Info, typename Body>
Info parse_hello(std::span<const uint8_t> record, uint8_t want, std::string_view want_name, Body&& body) {
    Info info;
    Parser p;
    const Message m = collect(record, want, want_name, p);
    if (m.length_known) {  // (implies the type is right)
        // The body: declared [4, 4 + length), present as far as m.bytes goes.
        Parser bp;
        Reader r(m.bytes, kHandshakeHeader, kHandshakeHeader + size_t{m.length}, want_name);
        if (body(bp, r, info) && !r.complete()) bp.truncated();  // (body stops on missing bytes first)
        // A record-level problem after the message started (another record type
        // in the middle of it) is only reported if the body itself ran out of
        // bytes before it: the first problem in the byte stream wins.
        if (!(p.res == Res::malformed && bp.res == Res::truncated)) p = std::move(bp);
    }
    finish(info, m, p);
    return info;
}

// ---- names --------------------------------------------------------------------------

// "0x%04x" for every 16-bit value, built the first time a value has no name.
std::string_view hex_name(uint16_t v) {
    static const std::unique_ptr<char[]> table = [] {
        auto t = std::make_unique<char[]>(65536 * 6);
        for (unsigned i = 0; i < 65536; i++) std::memcpy(&t[i * 6], hex16(static_cast<uint16_t>(i)).data(), 6);
        return t;
    }();
    return {&table[size_t{v} * 6], 6};
}

// "<prefix>N" for N = 0..255.
struct NumberNames {
    explicit NumberNames(std::string_view prefix) {
        for (unsigned i = 0; i < 256; i++) names[i] = std::string(prefix) + std::to_string(i);
    }
    std::array<std::string, 256> names;
};

}  // namespace

uint16_t ClientHelloInfo::max_version() const {
    uint16_t best = 0;
    for (uint16_t v : offered_versions)
        if (!is_grease(v)) best = std::max(best, v);
    return best;
}

ClientHelloInfo parse_client_hello(std::span<const uint8_t> record) {
    return parse_hello<ClientHelloInfo>(record, kTlsClientHello, "ClientHello", client_hello_body);
}

ServerHelloInfo parse_server_hello(std::span<const uint8_t> record) {
    return parse_hello<ServerHelloInfo>(record, kTlsServerHello, "ServerHello", server_hello_body);
}

std::string_view tls_version_name(uint16_t v) {
    switch (v) {
    case 0x0304: return "TLS 1.3";
    case 0x0303: return "TLS 1.2";
    case 0x0302: return "TLS 1.1";
    case 0x0301: return "TLS 1.0";
    case 0x0300: return "SSL 3.0";
    }
    return is_grease(v) ? "GREASE" : hex_name(v);
}

std::string cipher_suite_name(uint16_t cs) {
    struct Suite {
        uint16_t id;
        const char* name;
    };
    static constexpr Suite kSuites[] = {
        // TLS 1.3 (RFC 8446 B.4)
        {0x1301, "TLS_AES_128_GCM_SHA256"},
        {0x1302, "TLS_AES_256_GCM_SHA384"},
        {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
        {0x1304, "TLS_AES_128_CCM_SHA256"},
        {0x1305, "TLS_AES_128_CCM_8_SHA256"},
        // ECDHE (RFC 5289, 7905, 8422, 7251)
        {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
        {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
        {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
        {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
        {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
        {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
        {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
        {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
        {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
        {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
        {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
        {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
        {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
        {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
        {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
        {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
        {0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
        {0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
        // DHE (RFC 5288, 5246, 7905)
        {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
        {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
        {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
        {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
        {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
        {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
        // RSA key exchange (RFC 5246, 5288, 6655)
        {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
        {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
        {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
        {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
        {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
        {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
        {0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
        {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
        {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
        {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
        {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
        // PSK (RFC 5487)
        {0x00a8, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
        {0x00a9, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
        // signalling values
        {0x0000, "TLS_NULL_WITH_NULL_NULL"},
        {0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
        {0x5600, "TLS_FALLBACK_SCSV"},
    };
    for (const auto& s : kSuites)
        if (s.id == cs) return s.name;
    return is_grease(cs) ? "GREASE" : hex16(cs);
}

std::string_view tls_extension_name(uint16_t type) {
    switch (type) {
    case 0: return "server_name";
    case 1: return "max_fragment_length";
    case 5: return "status_request";
    case 10: return "supported_groups";
    case 11: return "ec_point_formats";
    case 13: return "signature_algorithms";
    case 14: return "use_srtp";
    case 15: return "heartbeat";
    case 16: return "application_layer_protocol_negotiation";
    case 18: return "signed_certificate_timestamp";
    case 21: return "padding";
    case 22: return "encrypt_then_mac";
    case 23: return "extended_master_secret";
    case 27: return "compress_certificate";
    case 28: return "record_size_limit";
    case 35: return "session_ticket";
    case 41: return "pre_shared_key";
    case 42: return "early_data";
    case 43: return "supported_versions";
    case 44: return "cookie";
    case 45: return "psk_key_exchange_modes";
    case 47: return "certificate_authorities";
    case 48: return "oid_filters";
    case 49: return "post_handshake_auth";
    case 50: return "signature_algorithms_cert";
    case 51: return "key_share";
    case 57: return "quic_transport_parameters";
    case 0x3374: return "next_protocol_negotiation";
    case 0x4469: return "application_settings_old";
    case 0x44cd: return "application_settings";
    case 0xfe0d: return "encrypted_client_hello";
    case 0xff01: return "renegotiation_info";
    }
    return is_grease(type) ? "GREASE" : hex_name(type);
}

std::string_view named_group_name(uint16_t group) {
    switch (group) {
    case 0x0017: return "secp256r1";
    case 0x0018: return "secp384r1";
    case 0x0019: return "secp521r1";
    case 0x001a: return "brainpoolP256r1";
    case 0x001b: return "brainpoolP384r1";
    case 0x001c: return "brainpoolP512r1";
    case 0x001d: return "x25519";
    case 0x001e: return "x448";
    case 0x0100: return "ffdhe2048";
    case 0x0101: return "ffdhe3072";
    case 0x0102: return "ffdhe4096";
    case 0x0103: return "ffdhe6144";
    case 0x0104: return "ffdhe8192";
    case 0x0200: return "MLKEM512";
    case 0x0201: return "MLKEM768";
    case 0x0202: return "MLKEM1024";
    case 0x11eb: return "SecP256r1MLKEM768";
    case 0x11ec: return "X25519MLKEM768";
    case 0x11ed: return "SecP384r1MLKEM1024";
    case 0x6399: return "X25519Kyber768Draft00";
    }
    return is_grease(group) ? "GREASE" : hex_name(group);
}

std::string_view alert_description_name(uint8_t d) {
    switch (d) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    case 121: return "ech_required";
    }
    static const NumberNames names("alert_");
    return names.names[d];
}

std::string_view alert_level_name(uint8_t l) {
    if (l == 1) return "warning";
    if (l == 2) return "fatal";
    static const NumberNames names("level_");
    return names.names[l];
}

}  // namespace dw
