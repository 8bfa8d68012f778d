// Reads a capture with the shared reader (user/capture: pcap and pcapng, any
// link type it takes, in Ethernet shape) and decodes its TCP segments.
#pragma once

#include <string>
#include <vector>

#include "compare/diff.hpp"

namespace dw {

struct LoadedCapture {
    CaptureSegments segs;
    std::vector<std::string> warnings;  // where reading stopped early, frames the snaplen cut inside their headers
};

// Throws dw::Error (from the reader: missing, empty, not a capture, unknown link type).
LoadedCapture load_segments(const std::string& path);

}  // namespace dw
