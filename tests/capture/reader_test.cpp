// The capture reader on tiny captures built in code (tests/support/pcapfile):
// every link type, pcap and pcapng, timestamps, and every kind of bad file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "capture/headers.hpp"
#include "capture/reader.hpp"
#include "capture/writer.hpp"
#include "core/error.hpp"
#include "packet.hpp"
#include "pcapfile.hpp"

namespace {

using dwt::PcapBytes;
using dwt::PcapRecord;

PcapBytes tcp_frame(uint16_t sport, size_t payload = 100, bool v6 = false) {
    auto p = v6 ? dwt::Packet::ipv6("2001:db8::1", "2001:db8::2") : dwt::Packet::ipv4("198.18.0.1", "198.19.0.10");
    return p.dscp(46).tcp(sport, 443, dwt::tcpf::ACK | dwt::tcpf::PSH).payload(payload).build();
}

std::vector<PcapRecord> three_frames() {
    return {{1'700'000'000'123'456'789ull, tcp_frame(40000)},
            {1'700'000'001'000'000'001ull, tcp_frame(40001, 10)},
            {1'700'000'002'999'999'999ull, tcp_frame(40002, 1000)}};
}

struct Read {
    std::vector<dw::CaptureFrame> frames;
    std::vector<PcapBytes> eth;  // copies: a frame's spans die with the next read
    std::vector<PcapBytes> raw;
    std::unique_ptr<dw::CaptureReader> reader;
};

Read read_all(const PcapBytes& file) {
    Read r;
    r.reader = dw::CaptureReader::open_memory(file, "test.pcap");
    dw::CaptureFrame f;
    while (r.reader->next(f)) {
        r.frames.push_back(f);
        r.eth.emplace_back(f.link.eth.begin(), f.link.eth.end());
        r.raw.emplace_back(f.raw.begin(), f.raw.end());
    }
    return r;
}

std::string open_error(const std::string& path) {
    try {
        dw::CaptureReader::open(path);
    } catch (const dw::Error& e) {
        return e.line();
    }
    return "no error";
}

class TempDir {
public:
    TempDir() {
        char tmpl[] = "/tmp/dw-capture-test-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

TEST(CaptureReader, EthernetPcapNanosecondsInOrder) {
    const auto recs = three_frames();
    auto r = read_all(dwt::pcap_file(dwt::kLinkEthernet, recs));
    ASSERT_EQ(r.frames.size(), 3u);
    EXPECT_EQ(r.reader->dlt(), 1);
    EXPECT_EQ(r.reader->link_kind(), dw::LinkKind::Ethernet);
    EXPECT_FALSE(r.reader->pcapng());
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(r.frames[i].number, i + 1);
        EXPECT_EQ(r.frames[i].ts_ns, recs[i].ts_ns);
        EXPECT_EQ(r.frames[i].wire_len, recs[i].data.size());
        EXPECT_EQ(r.eth[i], recs[i].data);  // Ethernet frames are handed over as they are
        EXPECT_EQ(r.frames[i].link.link_header_len, 14u);
        EXPECT_EQ(r.frames[i].link.dir, dw::LinkDir::Unknown);
        EXPECT_FALSE(r.frames[i].cut);
    }
    EXPECT_TRUE(r.reader->issues().empty());
}

TEST(CaptureReader, MicrosecondAndBigEndianFiles) {
    auto recs = three_frames();
    for (auto& rec : recs) rec.ts_ns -= rec.ts_ns % 1000;  // microsecond files cannot hold more
    for (bool be : {false, true}) {
        SCOPED_TRACE(be ? "big-endian" : "little-endian");
        auto r = read_all(dwt::pcap_file(dwt::kLinkEthernet, recs, {.nano = false, .big_endian = be}));
        ASSERT_EQ(r.frames.size(), 3u);
        for (size_t i = 0; i < 3; ++i) {
            EXPECT_EQ(r.frames[i].ts_ns, recs[i].ts_ns);
            EXPECT_EQ(r.eth[i], recs[i].data);
        }
    }
}

// Linux cooked v1 and v2: a synthetic Ethernet header with the cooked header's
// protocol, the network layer unchanged, and the direction from the packet type.
TEST(CaptureReader, LinuxCookedV1AndV2) {
    const auto eth4 = tcp_frame(40000), eth6 = tcp_frame(40001, 50, true);
    struct Case {
        uint32_t linktype;
        PcapBytes a, b;
        size_t hlen;
    } cases[] = {
        {dwt::kLinkSll, dwt::to_sll(eth4, 4), dwt::to_sll(eth6, 0), 16},
        {dwt::kLinkSll2, dwt::to_sll2(eth4, 4), dwt::to_sll2(eth6, 0), 20},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("linktype " + std::to_string(c.linktype));
        auto r = read_all(dwt::pcap_file(c.linktype, {{1, c.a}, {2, c.b}}));
        ASSERT_EQ(r.frames.size(), 2u);
        EXPECT_EQ(r.frames[0].link.dir, dw::LinkDir::Outgoing);
        EXPECT_EQ(r.frames[1].link.dir, dw::LinkDir::Incoming);
        EXPECT_EQ(r.frames[0].link.ethertype, 0x0800);
        EXPECT_EQ(r.frames[1].link.ethertype, 0x86dd);
        EXPECT_EQ(r.frames[0].link.link_header_len, c.hlen);
        // Everything from the EtherType on equals the original Ethernet frame.
        EXPECT_EQ(PcapBytes(r.eth[0].begin() + 12, r.eth[0].end()), PcapBytes(eth4.begin() + 12, eth4.end()));
        EXPECT_EQ(PcapBytes(r.eth[1].begin() + 12, r.eth[1].end()), PcapBytes(eth6.begin() + 12, eth6.end()));
        // The cooked header's source address becomes the Ethernet source.
        EXPECT_EQ(PcapBytes(r.eth[0].begin() + 6, r.eth[0].begin() + 12), PcapBytes(eth4.begin() + 6, eth4.begin() + 12));
        EXPECT_EQ(r.frames[0].wire_eth_len(), eth4.size());
    }
}

// Raw IP under each of its link types: the version nibble picks the EtherType.
TEST(CaptureReader, RawIpAllLinkTypes) {
    const auto eth4 = tcp_frame(40000), eth6 = tcp_frame(40001, 50, true);
    for (uint32_t lt : {dwt::kLinkRaw, 12u, 14u, dwt::kLinkIpv4, dwt::kLinkIpv6}) {
        SCOPED_TRACE("linktype " + std::to_string(lt));
        auto r = read_all(dwt::pcap_file(lt, {{1, dwt::to_raw_ip(eth4)}, {2, dwt::to_raw_ip(eth6)}}));
        ASSERT_EQ(r.frames.size(), 2u);
        EXPECT_EQ(r.reader->link_kind(), dw::LinkKind::RawIp);
        EXPECT_EQ(r.frames[0].link.ethertype, 0x0800);
        EXPECT_EQ(r.frames[1].link.ethertype, 0x86dd);
        EXPECT_EQ(r.frames[0].link.link_header_len, 0u);
        EXPECT_EQ(PcapBytes(r.eth[0].begin() + 12, r.eth[0].end()), PcapBytes(eth4.begin() + 12, eth4.end()));
        EXPECT_EQ(r.frames[1].wire_eth_len(), eth6.size());
    }
}

TEST(CaptureReader, PcapngTwoInterfacesSameLinkType) {
    auto recs = three_frames();
    recs[1].iface = 1;
    auto r = read_all(dwt::pcapng_file({dwt::kLinkEthernet, dwt::kLinkEthernet}, recs));
    ASSERT_EQ(r.frames.size(), 3u);
    EXPECT_TRUE(r.reader->pcapng());
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(r.frames[i].ts_ns, recs[i].ts_ns);
        EXPECT_EQ(r.eth[i], recs[i].data);
    }
}

// libpcap reads one link type per file: an interface of another type ends
// reading there, with the frame number; the frames before it are returned.
TEST(CaptureReader, PcapngInterfaceOfAnotherLinkTypeStopsWithFrameNumber) {
    auto recs = three_frames();
    recs[2].iface = 1;
    recs[2].data = dwt::to_raw_ip(recs[2].data);
    auto r = read_all(dwt::pcapng_file({dwt::kLinkEthernet, dwt::kLinkRaw}, recs));
    EXPECT_EQ(r.frames.size(), 2u);
    const auto* stop = r.reader->issues().stop();
    ASSERT_NE(stop, nullptr);
    EXPECT_EQ(stop->problem, dw::CaptureProblem::LinkTypeChange);
    EXPECT_EQ(stop->first_frame, 3u);
    EXPECT_NE(stop->text().find("frame 3"), std::string::npos) << stop->text();
}

TEST(CaptureReader, TruncatedRecordKeepsEarlierFrames) {
    const auto file = dwt::pcap_file(dwt::kLinkEthernet, three_frames());
    const size_t last_len = three_frames()[2].data.size();
    // Cut inside the last frame's data, and inside its 16-byte record header.
    for (size_t cut : {last_len / 2, last_len + 8}) {
        SCOPED_TRACE("cut " + std::to_string(cut) + " bytes from the end");
        PcapBytes f(file.begin(), file.end() - static_cast<long>(cut));
        auto r = read_all(f);
        EXPECT_EQ(r.frames.size(), 2u);
        const auto* stop = r.reader->issues().stop();
        ASSERT_NE(stop, nullptr);
        EXPECT_EQ(stop->problem, dw::CaptureProblem::TruncatedRecord);
        EXPECT_EQ(stop->first_frame, 3u);
    }
}

TEST(CaptureReader, CorruptRecordLengthStopsWithFrameNumber) {
    auto file = dwt::pcap_file(dwt::kLinkEthernet, three_frames());
    const size_t rec2 = 24 + 16 + three_frames()[0].data.size();
    for (size_t i = 0; i < 4; ++i) file[rec2 + 8 + i] = 0x7f;  // caplen 0x7f7f7f7f
    auto r = read_all(file);
    EXPECT_EQ(r.frames.size(), 1u);
    const auto* stop = r.reader->issues().stop();
    ASSERT_NE(stop, nullptr);
    EXPECT_EQ(stop->problem, dw::CaptureProblem::CorruptRecord);
    EXPECT_EQ(stop->first_frame, 2u);
}

TEST(CaptureReader, FrameShorterThanLinkHeaderIsSkippedAndCounted) {
    auto recs = three_frames();
    recs[1].data.resize(10);
    recs[1].wire_len = 10;
    auto r = read_all(dwt::pcap_file(dwt::kLinkEthernet, recs));
    ASSERT_EQ(r.frames.size(), 2u);
    EXPECT_EQ(r.frames[1].number, 3u);  // frame numbers stay those of the file
    const auto& s = r.reader->issues().get(dw::CaptureProblem::ShortFrame);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->first_frame, 2u);
    EXPECT_EQ(r.reader->issues().stop(), nullptr);
}

// A snaplen inside the headers is reported per frame; one inside the payload is not.
TEST(CaptureReader, SnaplenCuttingHeadersIsReported) {
    auto full = tcp_frame(40000, 200);
    std::vector<PcapRecord> recs;
    recs.push_back({1, PcapBytes(full.begin(), full.begin() + 40), static_cast<uint32_t>(full.size())});  // in TCP
    recs.push_back({2, PcapBytes(full.begin(), full.begin() + 60), static_cast<uint32_t>(full.size())});  // payload
    recs.push_back({3, PcapBytes(full.begin(), full.begin() + 20), static_cast<uint32_t>(full.size())});  // in IP
    auto r = read_all(dwt::pcap_file(dwt::kLinkEthernet, recs, {.snaplen = 60}));
    ASSERT_EQ(r.frames.size(), 3u);
    EXPECT_TRUE(r.frames[0].headers_cut);
    EXPECT_TRUE(r.frames[1].cut);
    EXPECT_FALSE(r.frames[1].headers_cut);
    EXPECT_TRUE(r.frames[2].headers_cut);
    EXPECT_EQ(r.frames[0].wire_eth_len(), full.size());
    const auto& s = r.reader->issues().get(dw::CaptureProblem::HeadersCut);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->count, 2u);
    EXPECT_EQ(s->first_frame, 1u);
}

TEST(CaptureReader, HeaderBytesNeeded) {
    auto v = dwt::Packet::ipv4("198.18.0.1", "198.19.0.10").vlan(10).vlan(20, dwt::kEthQinQ)
                 .options({1, 1, 1, 1}).tcp(1, 2, dwt::tcpf::ACK, {1, 1, 1, 1, 1, 1, 1, 1}).payload(10);
    auto lay = v.layout();
    auto frame = v.build();
    EXPECT_EQ(dw::header_bytes_needed(frame), lay.l4_off + lay.l4_hdr);
    auto w = dwt::Packet::ipv6("2001:db8::1", "2001:db8::2").ext(dwt::Ext6::hop()).ext(dwt::Ext6::dstopts(1))
                 .udp(1, 2).payload(10);
    lay = w.layout();
    frame = w.build();
    EXPECT_EQ(dw::header_bytes_needed(frame), lay.l4_off + 8);
    for (size_t n = 0; n < lay.l4_off + 8; ++n)
        EXPECT_TRUE(dw::headers_cut({frame.data(), n})) << n << " bytes";
    EXPECT_FALSE(dw::headers_cut(frame));
    EXPECT_EQ(dw::header_bytes_needed(dwt::Packet::arp().build()), 14u);
}

TEST(CaptureReader, UnknownLinkTypeIsNamed) {
    TempDir d;
    const auto path = d.file("wifi.pcap");
    dwt::write_bytes(path, dwt::pcap_file(dwt::kLinkWifi, three_frames()));
    auto msg = open_error(path);
    EXPECT_NE(msg.find("IEEE802_11"), std::string::npos) << msg;
    EXPECT_NE(msg.find("105"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not supported"), std::string::npos) << msg;
    // A type libpcap has no name for is named by its number.
    dwt::write_bytes(path, dwt::pcap_file(147, three_frames()));
    msg = open_error(path);
    EXPECT_NE(msg.find("DLT 147"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not supported"), std::string::npos) << msg;
}

TEST(CaptureReader, FilesThatAreNotCapturesGetOneLineErrors) {
    TempDir d;
    dwt::write_bytes(d.file("empty.pcap"), {});
    auto file = dwt::pcap_file(dwt::kLinkEthernet, three_frames());
    dwt::write_bytes(d.file("header.pcap"), PcapBytes(file.begin(), file.begin() + 10));
    dwt::write_bytes(d.file("text.pcap"), PcapBytes(100, 'x'));
    std::filesystem::create_directory(d.file("dir"));
    struct Case {
        std::string name, want;
    } cases[] = {
        {"empty.pcap", "is empty (0 bytes)"},
        {"header.pcap", "not a readable pcap or pcapng file"},
        {"text.pcap", "not a readable pcap or pcapng file"},
        {"missing.pcap", "No such file or directory"},
        {"dir", "is a directory"},
    };
    for (const auto& c : cases) {
        const auto msg = open_error(d.file(c.name));
        EXPECT_NE(msg.find(c.want), std::string::npos) << c.name << ": " << msg;
        EXPECT_NE(msg.find(d.file(c.name)), std::string::npos) << c.name << ": the message names the file: " << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
}

TEST(CaptureReader, OpensFilesOnDisk) {
    TempDir d;
    const auto recs = three_frames();
    dwt::write_bytes(d.file("a.pcapng"), dwt::pcapng_file({dwt::kLinkSll2}, {{5, dwt::to_sll2(recs[0].data, 4)}}));
    auto r = dw::CaptureReader::open(d.file("a.pcapng"));
    dw::CaptureFrame f;
    ASSERT_TRUE(r->next(f));
    EXPECT_TRUE(r->pcapng());
    EXPECT_EQ(r->link_kind(), dw::LinkKind::LinuxSll2);
    EXPECT_EQ(f.ts_ns, 5u);
    EXPECT_FALSE(r->next(f));
}

TEST(CaptureWriter, RoundTripKeepsBytesTimesAndLinkType) {
    TempDir d;
    const auto recs = three_frames();
    const auto path = d.file("out.pcap");
    {
        auto w = dw::CaptureWriter::create(path, 276 /* SLL2 */, 65535);
        for (const auto& rec : recs) {
            auto sll = dwt::to_sll2(rec.data, 0);
            w->write(rec.ts_ns, static_cast<uint32_t>(sll.size()), {sll.data(), 20}, {sll.data() + 20, sll.size() - 20});
        }
        w->close();
        EXPECT_EQ(w->frames(), 3u);
    }
    auto r = dw::CaptureReader::open(path);
    EXPECT_EQ(r->link_kind(), dw::LinkKind::LinuxSll2);
    EXPECT_EQ(r->snaplen(), 65535u);
    dw::CaptureFrame f;
    for (const auto& rec : recs) {
        ASSERT_TRUE(r->next(f));
        EXPECT_EQ(f.ts_ns, rec.ts_ns);
        EXPECT_EQ(PcapBytes(f.link.eth.begin() + 12, f.link.eth.end()), PcapBytes(rec.data.begin() + 12, rec.data.end()));
    }
    EXPECT_FALSE(r->next(f));
}

TEST(CaptureWriter, UnwritablePathIsAnError) {
    try {
        dw::CaptureWriter::create("/nonexistent-dir/x.pcap", 1, 65535);
        FAIL() << "no error";
    } catch (const dw::Error& e) {
        EXPECT_NE(e.line().find("/nonexistent-dir/x.pcap"), std::string::npos) << e.line();
    }
}

}  // namespace
