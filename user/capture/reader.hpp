// Reads pcap and pcapng captures with libpcap, frame by frame, in file order,
// with nanosecond timestamps, and puts every frame into Ethernet shape for the
// classifier (see link.hpp). Problems are never fatal after the file header:
// frames that can be read are returned, the rest is recorded in issues().
//
//   auto r = dw::CaptureReader::open("gw.pcap");      // throws dw::Error (cause; fix)
//   dw::CaptureFrame f;
//   while (r->next(f)) use(f.number, f.ts_ns, f.link.eth, f.wire_len);
//   if (auto* s = r->issues().stop()) warn(r->name() + ": " + s->text());
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "capture/issues.hpp"
#include "capture/link.hpp"

typedef struct pcap pcap_t;

namespace dw {

struct CaptureFrame {
    uint64_t number = 0;            // 1-based, as Wireshark numbers frames (packets only, across interfaces)
    uint64_t ts_ns = 0;             // capture timestamp, nanoseconds since the Unix epoch
    uint32_t wire_len = 0;          // length on the wire (the record's original length), link header included
    std::span<const uint8_t> raw;   // the captured bytes as stored (caplen); valid until the next next()
    LinkFrame link;                 // raw as Ethernet; link.eth is valid until the next next()
    bool cut = false;               // the snaplen kept fewer bytes than the wire carried
    bool headers_cut = false;       // ... and it cut inside the headers the classifier reads

    // The frame's length as Ethernet on the wire (what a NIC hook would have seen).
    uint32_t wire_eth_len() const;
};

class CaptureReader {
public:
    // Opens a file. Throws dw::Error naming the file, the cause and a fix for a
    // missing file, a directory, an empty file, a file that is not pcap/pcapng,
    // and a link type dscpwatch cannot read (named, with its DLT number).
    static std::unique_ptr<CaptureReader> open(const std::string& path);
    // Reads a capture held in memory (tests, the fuzzer). `name` is used in messages.
    static std::unique_ptr<CaptureReader> open_memory(std::span<const uint8_t> bytes, const std::string& name);
    ~CaptureReader();
    CaptureReader(const CaptureReader&) = delete;
    CaptureReader& operator=(const CaptureReader&) = delete;

    // The next usable frame, in file order. False at the end of the file or
    // where reading had to stop (issues().stop() says why). Frames shorter
    // than their link header are skipped and counted.
    bool next(CaptureFrame& f);

    const std::string& name() const { return name_; }
    int dlt() const { return dlt_; }           // libpcap DLT_ value (of the first interface for pcapng)
    LinkKind link_kind() const { return kind_; }
    uint32_t snaplen() const { return snaplen_; }
    bool pcapng() const { return pcapng_; }
    uint64_t frames_seen() const { return seen_; }   // records read, skipped ones included
    const CaptureIssues& issues() const { return issues_; }

private:
    CaptureReader() = default;
    static std::unique_ptr<CaptureReader> adopt(pcap_t* p, const std::string& name);
    void record_stop(const std::string& libpcap_message);

    pcap_t* pcap_ = nullptr;
    std::string name_;
    int dlt_ = 0;
    LinkKind kind_ = LinkKind::Ethernet;
    uint32_t snaplen_ = 0;
    bool pcapng_ = false;
    bool done_ = false;
    uint64_t seen_ = 0;
    CaptureIssues issues_;
    std::vector<uint8_t> scratch_;  // synthetic Ethernet frames are built here
};

}  // namespace dw
