// Writes frames to a pcap file with libpcap (pcap_dump), nanosecond
// timestamps, in a link type the caller picks: the input's own where the
// frames keep their original link header, or Ethernet for synthetic frames.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace dw {

class CaptureWriter {
public:
    // Creates (truncates) path. Throws dw::Error with cause and fix.
    static std::unique_ptr<CaptureWriter> create(const std::string& path, int dlt, uint32_t snaplen);
    ~CaptureWriter();  // flushes and closes
    CaptureWriter(const CaptureWriter&) = delete;
    CaptureWriter& operator=(const CaptureWriter&) = delete;

    // One record: the bytes (captured length) and the length on the wire.
    // `head` then `tail` are written back to back, so a frame can be put
    // together from its original link header and a rewritten rest without a copy.
    void write(uint64_t ts_ns, uint32_t wire_len, std::span<const uint8_t> head, std::span<const uint8_t> tail = {});
    // Flushes and closes; throws if the data could not be written (disk full).
    void close();
    uint64_t frames() const { return frames_; }
    int dlt() const { return dlt_; }
    const std::string& path() const { return path_; }

private:
    CaptureWriter() = default;
    pcap_t* dead_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    std::string path_;
    int dlt_ = 0;
    uint64_t frames_ = 0;
    std::basic_string<uint8_t> buf_;
};

}  // namespace dw
