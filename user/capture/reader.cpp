#include "capture/reader.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "capture/headers.hpp"
#include "core/error.hpp"

namespace dw {
namespace {

constexpr const char* kNotCaptureFix =
    "give a pcap or pcapng file, e.g. one written by `tcpdump -w FILE` or `tshark -w FILE`";

// libpcap's pcapng reader reports the magic of a pcapng section header; the
// classic reader has none. Tell them apart by the file's first four bytes.
bool is_pcapng_magic(const uint8_t* b) { return b[0] == 0x0a && b[1] == 0x0d && b[2] == 0x0d && b[3] == 0x0a; }

CaptureProblem classify_stop(const std::string& msg) {
    if (msg.find("truncated") != std::string::npos) return CaptureProblem::TruncatedRecord;
    if (msg.find("different from the type of the first interface") != std::string::npos)
        return CaptureProblem::LinkTypeChange;
    return CaptureProblem::CorruptRecord;
}

}  // namespace

uint32_t CaptureFrame::wire_eth_len() const {
    const uint64_t wire = std::max<uint64_t>(wire_len, raw.size());
    const uint64_t hdr = link.link_header_len;
    return static_cast<uint32_t>((wire > hdr ? wire - hdr : 0) + kEthHeaderLen);
}

std::unique_ptr<CaptureReader> CaptureReader::open(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        throw_errno("cannot open capture " + path, errno, "check the path");
    if (S_ISDIR(st.st_mode)) throw Error(path + " is a directory, not a capture", "give the capture file inside it");
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
        throw Error(path + " is not a regular file", kNotCaptureFix);
    if (S_ISREG(st.st_mode) && st.st_size == 0)
        throw Error(path + " is empty (0 bytes): no frame to read",
                    "check that the capture was written and its writer stopped cleanly (tcpdump -w flushes on exit)");
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) throw Error(path + ": not a readable pcap or pcapng file (libpcap: " + err + ")", kNotCaptureFix);
    auto r = adopt(p, path);
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        uint8_t magic[4] = {};
        r->pcapng_ = std::fread(magic, 1, 4, f) == 4 && is_pcapng_magic(magic);
        std::fclose(f);
    }
    return r;
}

std::unique_ptr<CaptureReader> CaptureReader::open_memory(std::span<const uint8_t> bytes, const std::string& name) {
    if (bytes.empty()) throw Error(name + " is empty (0 bytes): no frame to read", kNotCaptureFix);
    // fmemopen reads from the caller's buffer, which outlives the reader by contract.
    FILE* f = fmemopen(const_cast<uint8_t*>(bytes.data()), bytes.size(), "rb");
    if (!f) throw_errno("cannot read " + name + " from memory", errno);
    char err[PCAP_ERRBUF_SIZE] = "";
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        std::fclose(f);
        throw Error(name + ": not a readable pcap or pcapng file (libpcap: " + err + ")", kNotCaptureFix);
    }
    auto r = adopt(p, name);
    r->pcapng_ = bytes.size() >= 4 && is_pcapng_magic(bytes.data());
    return r;
}

std::unique_ptr<CaptureReader> CaptureReader::adopt(pcap_t* p, const std::string& name) {
    std::unique_ptr<CaptureReader> r(new CaptureReader());
    r->pcap_ = p;  // closed by the destructor, also when the checks below throw
    r->name_ = name;
    r->dlt_ = pcap_datalink(p);
    const int snap = pcap_snapshot(p);
    r->snaplen_ = snap > 0 ? static_cast<uint32_t>(snap) : 0;
    auto kind = dw::link_kind(r->dlt_);
    if (!kind)
        throw Error(name + ": link type " + dlt_label(r->dlt_) + " is not supported (frame 1 on); dscpwatch reads " +
                        supported_link_types(),
                    "capture on an Ethernet interface (tcpdump -i IFACE) or on any (tcpdump -i any gives Linux cooked)");
    r->kind_ = *kind;
    return r;
}

CaptureReader::~CaptureReader() {
    if (pcap_) pcap_close(pcap_);
}

void CaptureReader::record_stop(const std::string& msg) {
    done_ = true;
    issues_.add(classify_stop(msg), seen_ + 1, "libpcap: " + msg);
}

bool CaptureReader::next(CaptureFrame& f) {
    while (!done_) {
        pcap_pkthdr* h = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(pcap_, &h, &data);
        if (rc == PCAP_ERROR_BREAK) {  // end of file
            done_ = true;
            break;
        }
        if (rc != 1) {
            record_stop(pcap_geterr(pcap_));
            break;
        }
        ++seen_;
        f = CaptureFrame{};
        f.number = seen_;
        f.ts_ns = static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(h->ts.tv_usec);
        f.wire_len = h->len;
        f.raw = {data, h->caplen};
        if (scratch_.size() < h->caplen + kEthHeaderLen) scratch_.resize(h->caplen + kEthHeaderLen);
        auto link = to_ethernet(kind_, f.raw, scratch_);
        if (!link) {
            issues_.add(CaptureProblem::ShortFrame, seen_,
                        std::to_string(h->caplen) + " B captured, link type " + dlt_label(dlt_));
            continue;
        }
        f.link = *link;
        f.cut = h->caplen < h->len;
        if (f.cut && headers_cut(f.link.eth)) {
            f.headers_cut = true;
            issues_.add(CaptureProblem::HeadersCut, seen_,
                        "snaplen " + std::to_string(snaplen_) + ", " + std::to_string(h->caplen) + " of " +
                            std::to_string(h->len) + " B captured");
        }
        return true;
    }
    return false;
}

}  // namespace dw
