#include "pcapfile.hpp"

#include <cstdio>
#include <stdexcept>

namespace dwt {
namespace {

class Out {
public:
    explicit Out(bool be) : be_(be) {}
    void u16(uint16_t v) { put(v, 2); }
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }  // pcapng writes 64-bit values as two 32-bit halves, high first
    void bytes(const PcapBytes& b) { buf.insert(buf.end(), b.begin(), b.end()); }
    void pad4() {
        while (buf.size() % 4) buf.push_back(0);
    }
    void set_u32(size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) buf[at + i] = static_cast<uint8_t>(be_ ? v >> (24 - 8 * i) : v >> (8 * i));
    }
    PcapBytes buf;

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf.push_back(static_cast<uint8_t>(be_ ? v >> (8 * (n - 1 - i)) : v >> (8 * i)));
    }
    bool be_;
};

uint32_t wire(const PcapRecord& r) { return r.wire_len ? r.wire_len : static_cast<uint32_t>(r.data.size()); }

}  // namespace

PcapBytes pcap_file(uint32_t linktype, const std::vector<PcapRecord>& records, const PcapOptions& o) {
    Out out(o.big_endian);
    out.u32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4);
    out.u16(2);
    out.u16(4);
    out.u32(0);  // reserved (was thiszone)
    out.u32(0);  // reserved (was sigfigs)
    out.u32(o.snaplen);
    out.u32(linktype);
    for (const auto& r : records) {
        const uint64_t unit = o.nano ? 1 : 1000;
        out.u32(static_cast<uint32_t>(r.ts_ns / 1'000'000'000ull));
        out.u32(static_cast<uint32_t>(r.ts_ns % 1'000'000'000ull / unit));
        out.u32(static_cast<uint32_t>(r.data.size()));
        out.u32(wire(r));
        out.bytes(r.data);
    }
    return out.buf;
}

PcapBytes pcapng_file(const std::vector<uint32_t>& iface_linktypes, const std::vector<PcapRecord>& records,
                      uint32_t snaplen) {
    Out out(false);
    // Section header block.
    out.u32(0x0a0d0d0a);
    out.u32(28);
    out.u32(0x1a2b3c4d);
    out.u16(1);
    out.u16(0);
    out.u64(~0ull);  // section length unknown
    out.u32(28);
    // Interface k's description block comes just before the first record on an
    // interface >= k (interface 0 right after the section header), so a file can
    // introduce an interface in the middle, as a capture on "any" does.
    size_t described = 0;
    auto describe_up_to = [&](size_t k) {
        for (; described <= k && described < iface_linktypes.size(); ++described) {
            // Interface description block with if_tsresol = 9 (nanoseconds), then opt_endofopt.
            out.u32(1);
            out.u32(32);
            out.u16(static_cast<uint16_t>(iface_linktypes[described]));
            out.u16(0);
            out.u32(snaplen);
            out.u16(9);  // if_tsresol
            out.u16(1);
            out.buf.push_back(9);
            out.pad4();
            out.u32(0);  // opt_endofopt
            out.u32(32);
        }
    };
    describe_up_to(0);
    for (const auto& r : records) {
        describe_up_to(r.iface);
        const size_t start = out.buf.size();
        out.u32(6);  // enhanced packet block
        out.u32(0);  // length, set below
        out.u32(r.iface);
        out.u32(static_cast<uint32_t>(r.ts_ns >> 32));
        out.u32(static_cast<uint32_t>(r.ts_ns));
        out.u32(static_cast<uint32_t>(r.data.size()));
        out.u32(wire(r));
        out.bytes(r.data);
        out.pad4();
        const uint32_t len = static_cast<uint32_t>(out.buf.size() - start + 4);
        out.u32(len);
        out.set_u32(start + 4, len);
    }
    describe_up_to(iface_linktypes.size());
    return out.buf;
}

PcapBytes to_sll(const PcapBytes& eth, uint16_t pkttype) {
    PcapBytes b{static_cast<uint8_t>(pkttype >> 8), static_cast<uint8_t>(pkttype), 0x00, 0x01 /* ARPHRD_ETHER */,
                0x00, 0x06};
    b.insert(b.end(), eth.begin() + 6, eth.begin() + 12);  // the source address
    b.push_back(0);
    b.push_back(0);
    b.insert(b.end(), eth.begin() + 12, eth.end());  // protocol, then the network layer
    return b;
}

PcapBytes to_sll2(const PcapBytes& eth, uint8_t pkttype, uint32_t ifindex) {
    PcapBytes b{eth[12], eth[13], 0, 0};
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<uint8_t>(ifindex >> (8 * i)));
    b.push_back(0x00);
    b.push_back(0x01);  // ARPHRD_ETHER
    b.push_back(pkttype);
    b.push_back(6);
    b.insert(b.end(), eth.begin() + 6, eth.begin() + 12);
    b.push_back(0);
    b.push_back(0);
    b.insert(b.end(), eth.begin() + 14, eth.end());
    return b;
}

PcapBytes to_raw_ip(const PcapBytes& eth) { return PcapBytes(eth.begin() + 14, eth.end()); }

void write_bytes(const std::string& path, const PcapBytes& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot create " + path);
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("cannot write " + path);
}

}  // namespace dwt
