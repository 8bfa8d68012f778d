#include "seeds.hpp"

#include "packet.hpp"

namespace dwt {
namespace {

std::vector<PcapBytes> frames() {
    return {
        Packet::ipv4("198.18.0.1", "198.19.0.10").dscp(46).tcp(40000, 443, tcpf::SYN).build(),
        Packet::ipv4("198.19.0.10", "198.18.0.1").tcp(443, 40000, tcpf::SYN | tcpf::ACK).build(),
        Packet::ipv4("198.18.0.1", "198.19.0.10").vlan(7).tcp(40000, 443, tcpf::ACK | tcpf::PSH).payload(300).build(),
        Packet::ipv6("2001:db8::1", "2001:db8::2").ext(Ext6::hop()).udp(5000, 53).payload(40).build(),
        Packet::ipv4("198.18.0.1", "198.19.0.10").options({1, 1, 1, 0}).udp(1, 2).payload(1200).build(),
        Packet::arp().build(),
    };
}

std::vector<PcapRecord> records(PcapBytes (*wrap)(const PcapBytes&), bool ip_only) {
    std::vector<PcapRecord> out;
    uint64_t ts = 1'700'000'000'000'000'000ull;
    for (const auto& f : frames()) {
        if (ip_only && f[12] == 0x08 && f[13] == 0x06) continue;  // ARP has no raw-IP form
        if (ip_only && f[12] == 0x81) continue;                   // nor has a VLAN tag
        out.push_back({ts += 1'234'567, wrap ? wrap(f) : f});
    }
    return out;
}

PcapBytes sll_out(const PcapBytes& f) { return to_sll(f, 4); }
PcapBytes sll2_in(const PcapBytes& f) { return to_sll2(f, 0); }

}  // namespace

std::vector<std::pair<std::string, PcapBytes>> capture_seeds() {
    std::vector<std::pair<std::string, PcapBytes>> s;
    const auto eth = records(nullptr, false);
    s.emplace_back("eth-nano.pcap", pcap_file(kLinkEthernet, eth));
    s.emplace_back("eth-micro-be.pcap", pcap_file(kLinkEthernet, eth, {.nano = false, .big_endian = true}));
    s.emplace_back("eth-snap64.pcap", [&] {
        auto cut = eth;
        for (auto& r : cut) {
            r.wire_len = static_cast<uint32_t>(r.data.size());
            if (r.data.size() > 64) r.data.resize(64);
        }
        return pcap_file(kLinkEthernet, cut, {.snaplen = 64});
    }());
    s.emplace_back("sll.pcap", pcap_file(kLinkSll, records(sll_out, false)));
    s.emplace_back("sll2.pcap", pcap_file(kLinkSll2, records(sll2_in, false)));
    s.emplace_back("raw.pcap", pcap_file(kLinkRaw, records(to_raw_ip, true)));
    s.emplace_back("ipv4.pcap", pcap_file(kLinkIpv4, records(to_raw_ip, true)));
    s.emplace_back("eth.pcapng", pcapng_file({kLinkEthernet}, eth));
    auto two = eth;
    for (size_t i = 0; i < two.size(); ++i) two[i].iface = static_cast<uint32_t>(i % 2);
    s.emplace_back("eth-2if.pcapng", pcapng_file({kLinkEthernet, kLinkEthernet}, two));
    auto mixed = records(sll2_in, false);
    mixed.back().iface = 1;
    s.emplace_back("mixed-2if.pcapng", pcapng_file({kLinkSll2, kLinkEthernet}, mixed));
    return s;
}

}  // namespace dwt
