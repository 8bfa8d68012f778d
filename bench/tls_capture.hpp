// The replay benchmark's input, generated in code: many TLS 1.3 handshakes
// with valid ClientHello (SNI) and ServerHello records, interleaved the way
// concurrent connections are, written as an Ethernet pcap with libpcap.
#pragma once

#include <cstdint>
#include <string>

namespace dwbench {

struct TlsCaptureSpec {
    uint32_t flows = 20000;      // connections, 16 frames each
    uint32_t concurrent = 64;    // connections open at once (their frames interleave)
};

// Writes the capture; returns the number of frames written.
uint64_t write_tls_capture(const std::string& path, const TlsCaptureSpec& spec);

}  // namespace dwbench
