// TLS ClientHello / ServerHello parsing for the snippets the classifier sends
// (dw_event.snippet: the first DW_SNIPPET_MAX bytes of a TCP segment that starts
// with a TLS handshake record), and the names of TLS versions, cipher suites,
// extensions, groups and alerts.
//
// The parsers take untrusted bytes. Every length field is checked against both
// the field that contains it and the bytes actually present; they never read
// outside the span, never throw, and run in time linear in its size.
//
// Outcome of a parse, in three cases:
//   ok && !truncated   the whole first handshake message was present and parsed.
//   ok && truncated    the bytes are the start of a well-formed hello, but the
//                      snippet ends before the message does; the fields wholly
//                      inside the snippet are filled, the others stay empty.
//   !ok                `error` says why: not a handshake record, another message
//                      type, or a length/field that contradicts its container.
//                      Fields parsed before the problem are still filled.
//                      truncated is set too when the snippet was shorter than a
//                      record header plus the handshake type byte (nothing to
//                      decide on yet).
// A variable-length field (the cipher suite list, an extension) is reported only
// when all of its bytes are present, never half of it.
//
// Only the first handshake message counts: the record may carry more messages
// after it (ServerHello, Certificate, ...), and may be followed by more records.
// A message fragmented over several consecutive handshake records is put back
// together.
//
// Strings taken from the wire (SNI, ALPN) keep bytes 0x21..0x7e except '\' and
// write every other byte as "\xNN", so they are always printable ASCII (safe for
// a terminal and valid UTF-8 for JSON).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dw {

inline constexpr uint8_t kTlsContentHandshake = 22;
inline constexpr uint8_t kTlsContentAlert = 21;
inline constexpr uint8_t kTlsClientHello = 1;
inline constexpr uint8_t kTlsServerHello = 2;
inline constexpr uint16_t kTls12 = 0x0303;
inline constexpr uint16_t kTls13 = 0x0304;

// RFC 8701 GREASE value (0x0a0a, 0x1a1a, ..., 0xfafa) for versions, cipher
// suites, extensions and groups.
constexpr bool is_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }

struct ClientHelloInfo {
    bool ok = false;
    std::string error;
    bool truncated = false;           // the snippet ended before the message did

    uint16_t record_version = 0;      // record layer version (0x0301 is typical)
    uint32_t message_length = 0;      // declared handshake body length; 0 until known
    uint16_t legacy_version = 0;      // ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3)
    bool has_supported_versions = false;
    // The supported_versions list (GREASE included, in wire order), else
    // {legacy_version}; also {legacy_version} when the snippet ends before that
    // extension (then has_supported_versions is false and truncated true).
    std::vector<uint16_t> offered_versions;
    std::string sni;                  // first host_name of server_name; empty if none
    std::vector<std::string> alpn;    // protocols offered, in order
    std::vector<uint16_t> cipher_suites;   // in wire order, GREASE included
    std::vector<uint16_t> extensions;      // types of the complete extensions, in order
    std::vector<uint16_t> supported_groups;
    std::vector<uint16_t> key_share_groups;  // groups the client sent a key share for

    // The highest non-GREASE version offered; 0 if none is known.
    uint16_t max_version() const;
};

struct ServerHelloInfo {
    bool ok = false;
    std::string error;
    bool truncated = false;           // the snippet ended before the message did

    uint16_t record_version = 0;
    uint32_t message_length = 0;      // declared handshake body length; 0 until known
    uint16_t legacy_version = 0;      // ServerHello.legacy_version
    bool has_supported_versions = false;
    // The negotiated version: supported_versions if present, else legacy_version.
    uint16_t version = 0;
    uint16_t cipher_suite = 0;        // 0 until known (see truncated)
    bool hello_retry_request = false; // random == SHA-256("HelloRetryRequest")
    // The random ends in "DOWNGRD\x01" / "DOWNGRD\x00": a TLS 1.3 server that
    // negotiated TLS 1.2 / 1.1 or below (RFC 8446, 4.1.3).
    bool downgrade_sentinel = false;
    std::string alpn;                 // chosen protocol (TLS 1.2; 1.3 sends it encrypted)
    uint16_t key_share_group = 0;     // TLS 1.3 key_share group (HRR: the group asked for)
    std::vector<uint16_t> extensions; // types of the complete extensions, in order
};

// `record` starts at the 5-byte TLS record header (content type 22).
ClientHelloInfo parse_client_hello(std::span<const uint8_t> record);
ServerHelloInfo parse_server_hello(std::span<const uint8_t> record);

// Names. The string_views point to static storage and stay valid forever.

// "TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0", "SSL 3.0", "GREASE", else "0x%04x".
std::string_view tls_version_name(uint16_t v);
// IANA name of common suites ("TLS_AES_128_GCM_SHA256",
// "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ...), "GREASE", else "0x%04x".
std::string cipher_suite_name(uint16_t cs);
// IANA extension name ("server_name", "key_share", ...), "GREASE", else "0x%04x".
std::string_view tls_extension_name(uint16_t type);
// IANA named group ("x25519", "secp256r1", "X25519MLKEM768", ...), "GREASE", else "0x%04x".
std::string_view named_group_name(uint16_t group);
// RFC 8446 / 5246 (and IANA) alert description names; else "alert_N".
std::string_view alert_description_name(uint8_t d);
// "warning" (1), "fatal" (2); else "level_N".
std::string_view alert_level_name(uint8_t l);

}  // namespace dw
