#include "capture/writer.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/error.hpp"

namespace dw {

std::unique_ptr<CaptureWriter> CaptureWriter::create(const std::string& path, int dlt, uint32_t snaplen) {
    std::unique_ptr<CaptureWriter> w(new CaptureWriter());
    w->path_ = path;
    w->dlt_ = dlt;
    w->dead_ = pcap_open_dead_with_tstamp_precision(dlt, static_cast<int>(snaplen ? snaplen : 262144),
                                                    PCAP_TSTAMP_PRECISION_NANO);
    if (!w->dead_) throw Error("cannot prepare a pcap writer for " + path);
    w->dumper_ = pcap_dump_open(w->dead_, path.c_str());
    if (!w->dumper_)
        throw Error("cannot write " + path + " (" + pcap_geterr(w->dead_) + ")",
                    "check that the directory exists and is writable");
    return w;
}

CaptureWriter::~CaptureWriter() {
    if (dumper_) pcap_dump_close(dumper_);
    if (dead_) pcap_close(dead_);
}

void CaptureWriter::write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> head,
                          std::span<const uint8_t> tail) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(ts_ns / 1'000'000'000ull);
    h.ts.tv_usec = static_cast<suseconds_t>(ts_ns % 1'000'000'000ull);  // nanoseconds: the writer is in nano mode
    h.caplen = static_cast<uint32_t>(head.size() + tail.size());
    h.len = std::max(wire_len, h.caplen);
    const u_char* data = head.data();
    if (!tail.empty()) {
        buf_.assign(head.begin(), head.end());
        buf_.append(tail.begin(), tail.end());
        data = buf_.data();
    }
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, data);
    ++frames_;
}

void CaptureWriter::close() {
    if (!dumper_) return;
    const bool flush_failed = pcap_dump_flush(dumper_) != 0;
    FILE* f = pcap_dump_file(dumper_);
    const bool write_failed = f && std::ferror(f);
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
    if (flush_failed || write_failed)
        throw Error("writing " + path_ + " failed", "check free space and permissions");
}

}  // namespace dw
