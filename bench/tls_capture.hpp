// The replay benchmark's input, generated in code: many TLS 1.3 handshakes
// with valid ClientHello (SNI) and ServerHello records, interleaved the way
// concurrent connections are, written as an Ethernet pcap with libpcap.
#pragma once

#include <cstdint>
#include <string>

namespace dwbench {

struct TlsCaptureSpec {
    uint32_t flows = 20000;      // connections, 16 frames each plus the bulk data below
    uint32_t concurrent = 64;    // connections open at once (their frames interleave)
    // Bulk: after the response, the server sends this many more 1,380-byte
    // TLS records (one per segment) and the client ACKs every second one, as
    // in a download. 0: handshakes only (every frame is in a handshake stage).
    uint32_t data_segments = 0;
};

// Writes the capture; returns the number of frames written.
// Frames per connection: 16 + data_segments + data_segments / 2.
uint64_t write_tls_capture(const std::string& path, const TlsCaptureSpec& spec);

}  // namespace dwbench
