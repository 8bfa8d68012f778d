#include "exercise.hpp"

#include <cstdio>
#include <cstdlib>

#include "capture/headers.hpp"
#include "capture/reader.hpp"
#include "core/error.hpp"

namespace dwt {
namespace {

[[noreturn]] void broken(const char* what, uint64_t frame) {
    std::fprintf(stderr, "capture reader broke a promise at frame %llu: %s\n", static_cast<unsigned long long>(frame),
                 what);
    std::abort();
}

}  // namespace

ExerciseResult exercise_reader(std::span<const uint8_t> bytes) {
    ExerciseResult res;
    std::unique_ptr<dw::CaptureReader> r;
    try {
        r = dw::CaptureReader::open_memory(bytes, "fuzz.pcap");
    } catch (const dw::Error& e) {
        if (std::string(e.what()).empty()) broken("an error without a message", 0);
        return res;
    }
    res.opened = true;
    dw::CaptureFrame f;
    uint64_t last = 0;
    volatile uint32_t sink = 0;
    while (r->next(f)) {
        if (f.number <= last) broken("frame numbers must increase", f.number);
        last = f.number;
        if (f.link.eth.size() < dw::kEthHeaderLen) broken("an Ethernet frame shorter than its header", f.number);
        if (f.link.link_header_len > f.raw.size()) broken("a link header longer than the frame", f.number);
        if (f.link.eth.size() - dw::kEthHeaderLen != f.raw.size() - f.link.link_header_len)
            broken("the network layer changed length", f.number);
        uint32_t sum = 0;
        for (uint8_t b : f.link.eth) sum += b;
        for (uint8_t b : f.raw) sum += b;
        sink = sink + sum + static_cast<uint32_t>(dw::header_bytes_needed(f.link.eth)) + f.wire_eth_len();
        if (f.headers_cut && !f.cut) broken("headers cut in a frame that was not cut", f.number);
        ++res.frames;
    }
    if (r->next(f)) broken("a frame after the end", last);
    res.stopped = r->issues().stop() != nullptr;
    if (res.stopped && r->issues().stop()->text().empty()) broken("a stop without words", last);
    (void)sink;
    return res;
}

}  // namespace dwt
