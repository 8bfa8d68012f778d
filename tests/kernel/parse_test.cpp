// bpf/parse.h: every header combination the parser walks, and every way a frame
// can be malformed, on all three hooks. Each case states its expectation (slot,
// counters, flow) and is also checked against the model.
#include <gtest/gtest.h>

#include "kernel.hpp"

namespace dwt {
namespace {

const Ip4 kA4 = ip4("192.0.2.1"), kB4 = ip4("198.51.100.7");
const Ip6 kA6 = ip6("2001:db8::1"), kB6 = ip6("2001:db8:ffff::2");

Packet v4() { return Packet::ipv4(kA4, kB4).dscp(10).ecn(1); }
Packet v6() { return Packet::ipv6(kA6, kB6).dscp(26).ecn(2); }

model::Counters c(std::initializer_list<int> idx) { return dwt::counts(idx); }

class ParseTest : public KernelTest {};

void run_all(dw::Classifier& cls, dw::Hook h, const std::vector<Crafted>& cases) {
    for (const auto& k : cases) check_crafted(cls, h, k);
}

// IPv4: protocols, options, fragments.
TEST_F(ParseTest, Ipv4) {
    each_hook([&] {
        section("Ipv4Protocols", [&] {
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, O = DW_CNT_OTHER_PROTO;
            run_all(*cls_, hook(), {
                {"tcp", v4().tcp(40000, 443, tcpf::ACK).payload(10).build(), 10, c({F, V4}), true},
                {"tcp syn", v4().tcp(40000, 443, tcpf::SYN).build(), 10, c({F, V4}), true},
                {"tcp with options", v4().tcp(40000, 443, tcpf::ACK, {2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7}).build(), 10,
                 c({F, V4}), true},
                {"udp", v4().udp(5353, 53).payload(20).build(), 10, c({F, V4}), true},
                {"udp no payload", v4().udp(1, 2).build(), 10, c({F, V4}), true},
                {"icmp echo request", v4().icmp_echo(true, 0x1234).payload(8).build(), 10, c({F, V4}), true},
                {"icmp echo reply", v4().icmp_echo(false, 0x1234).build(), 10, c({F, V4}), true},
                {"icmp unreachable", v4().icmp(3, 1).payload(28).build(), 10, c({F, V4}), true},
                {"gre", v4().l4_raw(kProtoGre, {0, 0, 0x08, 0}).payload(20).build(), 10, c({F, V4, O}), true},
                {"sctp", v4().l4_raw(kProtoSctp, Bytes(12, 1)).build(), 10, c({F, V4, O}), true},
                {"esp", v4().l4_raw(kProtoEsp, Bytes(8, 2)).payload(16).build(), 10, c({F, V4, O}), true},
                // ICMP is v4-only and ICMPv6 v6-only: ICMPv6 over IPv4 is just another protocol.
                {"icmpv6 over ipv4", v4().l4_raw(kProtoIcmp6, {128, 0, 0, 0, 0, 1, 0, 1}).build(), 10, c({F, V4, O}),
                 true},
                {"no payload at all, protocol 253", v4().build(), 10, c({F, V4, O}), true},
                {"ethernet padding after the packet", v4().tcp(1, 2).eth_pad(12).build(), 10, c({F, V4}), true},
                {"udp with padding", v4().udp(7, 7).eth_pad(30).build(), 10, c({F, V4}), true},
                {"DF set", v4().df().udp(1000, 2000).build(), 10, c({F, V4}), true},
                {"dscp 0", Packet::ipv4(kA4, kB4).udp(1, 2).build(), 0, c({F, V4}), true},
                {"dscp 63 ecn 3", Packet::ipv4(kA4, kB4).dscp(63).ecn(3).udp(1, 2).build(), 63, c({F, V4}), true},
            });
        });
        section("Ipv4Options", [&] {
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4;
            std::vector<Crafted> cases;
            for (size_t n : {1u, 4u, 8u, 12u, 20u, 36u, 40u}) {  // IHL 6 .. 15
                Bytes opts(n, 1);                                 // NOPs
                cases.push_back({"options " + std::to_string(n), v4().options(opts).tcp(1234, 80).payload(5).build(), 10,
                                 c({F, V4}), true});
                cases.push_back({"options " + std::to_string(n) + " udp + vlan",
                                 v4().vlan(7).options(opts).udp(1234, 80).build(), 10, c({F, V4, DW_CNT_VLAN}), true});
            }
            // Router alert + record route.
            cases.push_back({"router alert", v4().options({0x94, 4, 0, 0}).udp(5000, 5001).build(), 10, c({F, V4}), true});
            cases.push_back({"record route", v4().options({7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0}).icmp_echo(true, 9).build(), 10,
                             c({F, V4}), true});
            run_all(*cls_, hook(), cases);
        });
        section("Ipv4Fragments", [&] {
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, FF = DW_CNT_FRAG_FIRST, FL = DW_CNT_FRAG_LATER;
            run_all(*cls_, hook(), {
                {"first fragment udp", v4().frag(0, true).udp(5000, 53).payload(100).build(), 10, c({F, V4, FF}), true},
                {"first fragment tcp", v4().frag(0, true).tcp(5000, 80).payload(64).build(), 10, c({F, V4, FF}), true},
                {"first fragment gre", v4().frag(0, true).l4_raw(kProtoGre, {0, 0, 8, 0}).build(), 10,
                 c({F, V4, FF, DW_CNT_OTHER_PROTO}), true},
                {"first fragment, options, vlan", v4().vlan(3).options({1, 1, 1, 1}).frag(0, true).udp(1, 2).build(), 10,
                 c({F, V4, FF, DW_CNT_VLAN}), true},
                {"middle fragment", v4().frag(185, true).proto(kProtoUdp).payload(1480).build(), 10, c({F, V4, FL}), false},
                {"last fragment", v4().frag(370, false).proto(kProtoUdp).payload(100).build(), 10, c({F, V4, FL}), false},
                {"later fragment offset 1", v4().frag(1, false).proto(kProtoTcp).payload(8).build(), 10, c({F, V4, FL}),
                 false},
                {"later fragment max offset", v4().frag(0x1fff, false).proto(kProtoTcp).payload(8).build(), 10,
                 c({F, V4, FL}), false},
                // A later fragment whose bytes look like a TCP header is still not parsed for ports.
                {"later fragment with a tcp-looking payload", v4().frag(100, true).tcp(1, 2).build(), 10, c({F, V4, FL}),
                 false},
                {"later fragment, empty", v4().frag(100, false).proto(kProtoGre).build(), 10, c({F, V4, FL}), false},
                // A fragment with MF=0 and offset 0 is a whole packet.
                {"atomic (DF)", v4().df().frag(0, false).udp(1, 2).build(), 10, c({F, V4}), true},
            });
        });
    });
}

// VLAN tags (none, 802.1Q, 802.1ad, QinQ, a third one) and non-IP frames.
TEST_F(ParseTest, VlanAndNonIp) {
    each_hook([&] {
        section("VlanTags", [&] {
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, V6 = DW_CNT_IPV6, VL = DW_CNT_VLAN, N = DW_CNT_NONIP;
            run_all(*cls_, hook(), {
                {"no tag", v4().udp(1, 2).build(), 10, c({F, V4}), true},
                {"802.1Q", v4().vlan(100).udp(1, 2).build(), 10, c({F, V4, VL}), true},
                {"802.1ad", v4().vlan(100, kEthQinQ).udp(1, 2).build(), 10, c({F, V4, VL}), true},
                {"QinQ 88a8+8100", v4().vlan(100, kEthQinQ).vlan(200).udp(1, 2).build(), 10, c({F, V4, VL}), true},
                {"double 8100", v4().vlan(100).vlan(200).tcp(1, 2).build(), 10, c({F, V4, VL}), true},
                {"double 88a8", v4().vlan(100, kEthQinQ).vlan(200, kEthQinQ).tcp(1, 2).build(), 10, c({F, V4, VL}), true},
                {"8100 then 88a8", v4().vlan(1).vlan(2, kEthQinQ).icmp_echo(true, 5).build(), 10, c({F, V4, VL}), true},
                {"v6 802.1Q", v6().vlan(4094, kEthVlan, 5).udp(1, 2).build(), 26, c({F, V6, VL}), true},
                {"v6 QinQ", v6().vlan(10, kEthQinQ).vlan(20).tcp(1, 2).build(), 26, c({F, V6, VL}), true},
                // A third tag: the parser stops after two, and what follows is not IP.
                {"three tags + ipv4", v4().vlan(1).vlan(2).vlan(3).udp(1, 2).build(), DW_SLOT_NONIP, c({F, N, VL}), false},
                {"three tags + ipv6", v6().vlan(1, kEthQinQ).vlan(2).vlan(3).udp(1, 2).build(), DW_SLOT_NONIP,
                 c({F, N, VL}), false},
                {"vlan + arp", Packet::arp().vlan(5).build(), DW_SLOT_NONIP, c({F, N, VL}), false},
                {"qinq + arp", Packet::arp().vlan(5, kEthQinQ).vlan(6).build(), DW_SLOT_NONIP, c({F, N, VL}), false},
            });
        });
        section("NonIp", [&] {
            const int F = DW_CNT_FRAMES, N = DW_CNT_NONIP;
            run_all(*cls_, hook(), {
                {"arp", Packet::arp().build(), DW_SLOT_NONIP, c({F, N}), false},
                {"arp padded to 60", Packet::arp().eth_pad(18).build(), DW_SLOT_NONIP, c({F, N}), false},
                {"lldp", Packet::ether(kEthLldp, 30).build(), DW_SLOT_NONIP, c({F, N}), false},
                {"802.3 length field", Packet::ether(0x0040, 64).build(), DW_SLOT_NONIP, c({F, N}), false},
                {"header only", Packet::ether(0x9000, 0).build(), DW_SLOT_NONIP, c({F, N}), false},
                {"mpls", Packet::ether(0x8847, 40).build(), DW_SLOT_NONIP, c({F, N}), false},
            });
        });
    });
}

// IPv6: protocols and extension header chains, up to and past the limits.
TEST_F(ParseTest, Ipv6) {
    each_hook([&] {
        section("Ipv6Protocols", [&] {
            const int F = DW_CNT_FRAMES, V6 = DW_CNT_IPV6, O = DW_CNT_OTHER_PROTO;
            run_all(*cls_, hook(), {
                {"tcp", v6().tcp(40000, 443).payload(30).build(), 26, c({F, V6}), true},
                {"udp", v6().udp(5353, 5353).build(), 26, c({F, V6}), true},
                {"icmpv6 echo request", v6().icmp_echo(true, 77).payload(16).build(), 26, c({F, V6}), true},
                {"icmpv6 echo reply", v6().icmp_echo(false, 77).build(), 26, c({F, V6}), true},
                {"icmpv6 neighbour solicitation", v6().icmp(135).payload(16).build(), 26, c({F, V6}), true},
                {"icmpv6 unreachable", v6().icmp(1, 4).payload(48).build(), 26, c({F, V6}), true},
                {"gre", v6().l4_raw(kProtoGre, {0, 0, 0x86, 0xdd}).payload(40).build(), 26, c({F, V6, O}), true},
                {"no next header", v6().build(), 26, c({F, V6, O}), true},
                // ICMP (1) inside IPv6 is not ICMPv6: another protocol.
                {"icmp over ipv6", v6().l4_raw(kProtoIcmp, {8, 0, 0, 0, 0, 1, 0, 1}).build(), 26, c({F, V6, O}), true},
                {"payload_len 0: the frame bounds the packet", v6().udp(1, 2).payload(10).payload_len(0).build(), 26,
                 c({F, V6}), true},
                {"padding after the packet", v6().tcp(1, 2).eth_pad(20).build(), 26, c({F, V6}), true},
                {"tclass 0", Packet::ipv6(kA6, kB6).udp(1, 2).build(), 0, c({F, V6}), true},
                {"tclass 0xff", Packet::ipv6(kA6, kB6).dscp(63).ecn(3).udp(1, 2).build(), 63, c({F, V6}), true},
            });
        });
        section("Ipv6ExtensionHeaders", [&] {
            const int F = DW_CNT_FRAMES, V6 = DW_CNT_IPV6, FF = DW_CNT_FRAG_FIRST, FL = DW_CNT_FRAG_LATER;
            const int DEEP = DW_CNT_MAL_V6_TOO_DEEP;
            run_all(*cls_, hook(), {
                {"hop-by-hop", v6().ext(Ext6::hop()).tcp(1, 2).build(), 26, c({F, V6}), true},
                {"hop-by-hop 24 bytes", v6().ext(Ext6::hop(2)).udp(1, 2).build(), 26, c({F, V6}), true},
                {"routing", v6().ext(Ext6::routing(2)).udp(1, 2).build(), 26, c({F, V6}), true},
                {"destination options", v6().ext(Ext6::dstopts(1)).icmp_echo(true, 3).build(), 26, c({F, V6}), true},
                {"AH 12 bytes", v6().ext(Ext6::ah(1)).tcp(1, 2).build(), 26, c({F, V6}), true},
                {"AH 24 bytes", v6().ext(Ext6::ah(4)).tcp(1, 2).build(), 26, c({F, V6}), true},
                {"AH 20 bytes (not a multiple of 8)", v6().ext(Ext6::ah(3)).udp(9, 9).build(), 26, c({F, V6}), true},
                {"fragment, first", v6().ext(Ext6::fragment(0, true)).udp(1, 2).payload(50).build(), 26, c({F, V6, FF}),
                 true},
                {"fragment, atomic", v6().ext(Ext6::fragment(0, false)).udp(1, 2).build(), 26, c({F, V6}), true},
                {"fragment, later", v6().ext(Ext6::fragment(181, true)).proto(kProtoUdp).payload(64).build(), 26,
                 c({F, V6, FL}), false},
                {"fragment, last", v6().ext(Ext6::fragment(362, false)).proto(kProtoTcp).payload(10).build(), 26,
                 c({F, V6, FL}), false},
                {"hop + fragment later", v6().ext(Ext6::hop()).ext(Ext6::fragment(1, false)).proto(kProtoTcp).build(), 26,
                 c({F, V6, FL}), false},
                {"chain of 3", v6().ext(Ext6::hop()).ext(Ext6::routing()).ext(Ext6::dstopts()).tcp(1, 2).build(), 26,
                 c({F, V6}), true},
                {"chain of 6 (limit)",
                 v6().ext(Ext6::hop()).ext(Ext6::dstopts()).ext(Ext6::routing(1)).ext(Ext6::fragment(0, true))
                     .ext(Ext6::ah(2)).ext(Ext6::dstopts(3)).tcp(40000, 22).build(),
                 26, c({F, V6, FF}), true},
                {"chain of 6, all dstopts", [] {
                     Packet p = v6();
                     for (int i = 0; i < 6; i++) p.ext(Ext6::dstopts());
                     return p.udp(1, 2).build();
                 }(), 26, c({F, V6}), true},
                {"chain of 7", [] {
                     Packet p = v6();
                     for (int i = 0; i < 7; i++) p.ext(Ext6::dstopts());
                     return p.udp(1, 2).build();
                 }(), 26, c({F, V6, DEEP}), false},
                {"chain of 7, mixed, with a first fragment",
                 v6().ext(Ext6::hop()).ext(Ext6::dstopts()).ext(Ext6::routing()).ext(Ext6::fragment(0, true))
                     .ext(Ext6::ah()).ext(Ext6::dstopts()).ext(Ext6::dstopts()).tcp(1, 2).build(),
                 26, c({F, V6, FF, DEEP}), false},
                {"chain of 8", [] {
                     Packet p = v6();
                     for (int i = 0; i < 8; i++) p.ext(i % 2 ? Ext6::routing() : Ext6::dstopts());
                     return p.udp(1, 2).build();
                 }(), 26, c({F, V6, DEEP}), false},
                {"6 headers then a later fragment as the 7th", [] {
                     Packet p = v6();
                     for (int i = 0; i < 6; i++) p.ext(Ext6::dstopts());
                     return p.ext(Ext6::fragment(10, false)).proto(kProtoUdp).build();
                 }(), 26, c({F, V6, DEEP}), false},
                {"5 headers then a later fragment as the 6th", [] {
                     Packet p = v6();
                     for (int i = 0; i < 5; i++) p.ext(Ext6::dstopts());
                     return p.ext(Ext6::fragment(10, false)).proto(kProtoUdp).build();
                 }(), 26, c({F, V6, FL}), false},
                {"ext headers + vlan", v6().vlan(9).ext(Ext6::hop()).ext(Ext6::ah()).udp(1, 2).build(), 26,
                 c({F, V6, DW_CNT_VLAN}), true},
                {"ext + payload_len 0", v6().ext(Ext6::hop()).tcp(1, 2).payload_len(0).build(), 26, c({F, V6}), true},
                // An L4 header must start before DW_L4_MAX_OFF (2048).
                {"L4 past 2048", v6().ext(Ext6::hop(255)).tcp(1, 2).build(), 26, c({F, V6, DEEP}), false},
                {"ext header past 2048", v6().ext(Ext6::hop(255)).ext(Ext6::dstopts()).udp(1, 2).build(), 26,
                 c({F, V6, DEEP}), false},
                {"L4 just before 2048", v6().ext(Ext6::hop(200)).ext(Ext6::dstopts(47)).udp(1, 2).build(), 26,
                 c({F, V6}), true},
            });
        });
        section("SixthExtensionHeaderRunsPastThePacket", [&] {
            // The 6th extension header runs past the packet and names a 7th: the first
            // problem on the walk is the cut.
            Packet p = v6();
            for (int i = 0; i < 5; i++) p.ext(Ext6::dstopts());
            p.ext(Ext6::dstopts(4)).ext(Ext6::dstopts()).udp(1, 2);
            Bytes f = p.build();
            const Layout lay = p.layout();
            // payload_len ends the packet inside the 6th header.
            const size_t plen = lay.ext[5] + 16 - (lay.l3_off + 40);
            f[lay.l3_off + 4] = static_cast<uint8_t>(plen >> 8);
            f[lay.l3_off + 5] = static_cast<uint8_t>(plen);
            run_all(*cls_, hook(), {{"6th header cut, 7th named", f, 26,
                              c({DW_CNT_FRAMES, DW_CNT_IPV6, DW_CNT_MAL_L4_TRUNC}), false}});
        });
    });
}

// Every malformed reason, with its slot; the frame passes unchanged.
TEST_F(ParseTest, Malformed) {
    each_hook([&] {
        section("MalformedL2AndL3", [&] {
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, V6 = DW_CNT_IPV6, VL = DW_CNT_VLAN;
            const int M = DW_SLOT_MALFORMED;
            std::vector<Crafted> cases;
            // L2: a VLAN header cut (frames are at least 14 bytes).
            Bytes tagged = v4().vlan(5).vlan(6).udp(1, 2).build();
            for (size_t n = 14; n < 18; n++)
                cases.push_back({"first tag cut at " + std::to_string(n), Bytes(tagged.begin(), tagged.begin() + n), M,
                                 c({F, DW_CNT_MAL_L2_TRUNC}), false});
            // One complete tag, the second cut: the frame did carry a tag.
            for (size_t n = 18; n < 22; n++)
                cases.push_back({"second tag cut at " + std::to_string(n), Bytes(tagged.begin(), tagged.begin() + n), M,
                                 c({F, DW_CNT_MAL_L2_TRUNC, VL}), false});
            // L3 fixed header cut.
            Bytes f4 = v4().udp(1, 2).build(), f6 = v6().udp(1, 2).build();
            cases.push_back({"ipv4, no header", Bytes(f4.begin(), f4.begin() + 14), M, c({F, V4, DW_CNT_MAL_L3_TRUNC}),
                             false});
            cases.push_back({"ipv4, 19 bytes", Bytes(f4.begin(), f4.begin() + 33), M, c({F, V4, DW_CNT_MAL_L3_TRUNC}),
                             false});
            cases.push_back({"ipv6, 39 bytes", Bytes(f6.begin(), f6.begin() + 53), M, c({F, V6, DW_CNT_MAL_L3_TRUNC}),
                             false});
            {
                Bytes t = v6().vlan(1).udp(1, 2).build();
                cases.push_back({"ipv6 + vlan, 1 byte", Bytes(t.begin(), t.begin() + 19), M,
                                 c({F, V6, VL, DW_CNT_MAL_L3_TRUNC}), false});
            }
            // Version nibble.
            for (uint8_t ver : {0, 5, 6, 15})
                cases.push_back({"ethertype ipv4, version " + std::to_string(ver), v4().version(ver).udp(1, 2).build(), M,
                                 c({F, V4, DW_CNT_MAL_BAD_VERSION}), false});
            for (uint8_t ver : {0, 4, 7})
                cases.push_back({"ethertype ipv6, version " + std::to_string(ver), v6().version(ver).udp(1, 2).build(), M,
                                 c({F, V6, DW_CNT_MAL_BAD_VERSION}), false});
            cases.push_back({"ipv6 packet behind ethertype ipv4", v6().ethertype(kEthIp).udp(1, 2).build(), M,
                             c({F, V4, DW_CNT_MAL_BAD_VERSION}), false});
            cases.push_back({"ipv4 packet behind ethertype ipv6 + vlan",
                             v4().vlan(2).ethertype(kEthIp6).udp(1, 2).payload(20).build(),
                             M, c({F, V6, VL, DW_CNT_MAL_BAD_VERSION}), false});
            // IHL.
            for (uint8_t ihl = 0; ihl < 5; ihl++)
                cases.push_back({"ihl " + std::to_string(ihl), v4().ihl(ihl).udp(1, 2).build(), M,
                                 c({F, V4, DW_CNT_MAL_BAD_IHL}), false});
            cases.push_back({"ihl 15, 28 bytes after L2", v4().ihl(15).udp(1, 2).build(), M,
                             c({F, V4, DW_CNT_MAL_BAD_IHL}), false});
            cases.push_back({"ihl 6, 20 bytes after L2", v4().ihl(6).build(), M, c({F, V4, DW_CNT_MAL_BAD_IHL}), false});
            cases.push_back({"options cut by the frame", [] {
                                 Bytes b = v4().options(Bytes(40, 1)).udp(1, 2).build();
                                 b.resize(14 + 44);
                                 return b;
                             }(), M, c({F, V4, DW_CNT_MAL_BAD_IHL}), false});
            // Total length.
            cases.push_back({"tot_len 0", v4().tot_len(0).udp(1, 2).build(), M, c({F, V4, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"tot_len 19", v4().tot_len(19).udp(1, 2).build(), M, c({F, V4, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"tot_len < ihl*4", v4().options(Bytes(8, 1)).tot_len(24).udp(1, 2).build(), M,
                             c({F, V4, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"tot_len one past the frame", v4().tot_len(20 + 8 + 1).udp(1, 2).build(), M,
                             c({F, V4, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"tot_len 65535", v4().tot_len(65535).udp(1, 2).build(), M, c({F, V4, DW_CNT_MAL_BAD_LEN}),
                             false});
            cases.push_back({"tot_len ok, padding", v4().tot_len(28).udp(1, 2).eth_pad(4).build(), 10, c({F, V4}), true});
            // IPv6 payload length.
            cases.push_back({"payload_len one past the frame", v6().payload_len(9).udp(1, 2).build(), M,
                             c({F, V6, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"payload_len 65535", v6().payload_len(65535).udp(1, 2).build(), M,
                             c({F, V6, DW_CNT_MAL_BAD_LEN}), false});
            cases.push_back({"payload_len shorter, padding after", v6().payload_len(8).udp(1, 2).eth_pad(30).build(), 26,
                             c({F, V6}), true});
            run_all(*cls_, hook(), cases);
        });
        section("MalformedL4", [&] {
            // The IP header is sound: the DSCP slot is counted, but there is no flow.
            const int F = DW_CNT_FRAMES, V4 = DW_CNT_IPV4, V6 = DW_CNT_IPV6, L4 = DW_CNT_MAL_L4_TRUNC;
            std::vector<Crafted> cases = {
                {"tcp doff 0", v4().tcp(1, 2).tcp_doff(0).build(), 10, c({F, V4, L4}), false},
                {"tcp doff 4", v4().tcp(1, 2).tcp_doff(4).payload(20).build(), 10, c({F, V4, L4}), false},
                {"tcp doff 15, no options", v4().tcp(1, 2).tcp_doff(15).build(), 10, c({F, V4, L4}), false},
                {"tcp doff 6, options cut by tot_len", v4().tcp(1, 2).tcp_doff(6).build(), 10, c({F, V4, L4}), false},
                {"tcp doff 15 with 40 option bytes", v4().tcp(1, 2, tcpf::ACK, Bytes(40, 1)).build(), 10, c({F, V4}), true},
                {"v6 tcp doff 3", v6().tcp(1, 2).tcp_doff(3).payload(8).build(), 26, c({F, V6, L4}), false},
                // tot_len, not the frame, bounds the packet: padding does not make an L4 header whole.
                {"tcp cut by tot_len", v4().tcp(1, 2).tot_len(20 + 19).build(), 10, c({F, V4, L4}), false},
                {"tcp cut by tot_len, padding behind", v4().tcp(1, 2).tot_len(20 + 10).eth_pad(40).build(), 10,
                 c({F, V4, L4}), false},
                {"udp cut by tot_len", v4().udp(1, 2).tot_len(27).build(), 10, c({F, V4, L4}), false},
                {"icmp cut by tot_len", v4().icmp_echo(true, 1).tot_len(27).build(), 10, c({F, V4, L4}), false},
                {"icmp 4 bytes", v4().l4_raw(kProtoIcmp, {8, 0, 0, 0}).build(), 10, c({F, V4, L4}), false},
                {"v6 udp cut by payload_len", v6().udp(1, 2).payload_len(7).eth_pad(8).build(), 26, c({F, V6, L4}), false},
                {"v6 icmpv6 cut by payload_len", v6().icmp_echo(true, 1).payload_len(4).build(), 26, c({F, V6, L4}), false},
                // Empty payloads.
                {"v4 empty, proto tcp", v4().proto(kProtoTcp).build(), 10, c({F, V4, L4}), false},
                {"v4 empty, proto udp", v4().proto(kProtoUdp).build(), 10, c({F, V4, L4}), false},
                {"v4 empty, proto icmp", v4().proto(kProtoIcmp).build(), 10, c({F, V4, L4}), false},
                {"v4 empty, proto gre", v4().proto(kProtoGre).build(), 10, c({F, V4, DW_CNT_OTHER_PROTO}), true},
                {"v4 empty with options, proto udp", v4().options({1, 1, 1, 1}).proto(kProtoUdp).build(), 10,
                 c({F, V4, L4}), false},
                {"v6 empty, proto tcp", v6().proto(kProtoTcp).build(), 26, c({F, V6, L4}), false},
                {"v6 empty, proto icmpv6", v6().proto(kProtoIcmp6).build(), 26, c({F, V6, L4}), false},
                {"v6 empty, payload_len 0, proto udp", v6().proto(kProtoUdp).payload_len(0).build(), 26, c({F, V6, L4}),
                 false},
                {"v6 payload_len 0, udp cut by the frame", [] {
                     Bytes b = v6().udp(1, 2).payload_len(0).build();
                     b.resize(b.size() - 1);
                     return b;
                 }(), 26, c({F, V6, L4}), false},
                // Extension headers running past the packet.
                {"hop-by-hop, no room", v6().proto(kExtHop).build(), 26, c({F, V6, L4}), false},
                {"hop-by-hop fixed part cut", v6().ext(Ext6::hop()).payload_len(4).eth_pad(4).build(), 26, c({F, V6, L4}),
                 false},
                {"hop-by-hop length runs past the packet", v6().ext(Ext6::hop(4)).udp(1, 2).payload_len(16).build(), 26,
                 c({F, V6, L4}), false},
                {"routing header runs past, gre behind", v6().ext(Ext6::routing(3)).proto(kProtoGre).payload_len(8).build(),
                 26, c({F, V6, L4}), false},
                {"AH runs past", v6().ext(Ext6::ah(10)).proto(kProtoUdp).payload_len(16).build(), 26, c({F, V6, L4}),
                 false},
                {"second header runs past", v6().ext(Ext6::hop()).ext(Ext6::dstopts(2)).tcp(1, 2).payload_len(24).build(),
                 26, c({F, V6, L4}), false},
                {"fragment header cut", v6().ext(Ext6::fragment(0, true)).payload_len(7).eth_pad(1).build(), 26,
                 c({F, V6, L4}), false},
                {"ext header exactly fills, gre behind", v6().ext(Ext6::hop(1)).proto(kProtoGre).build(), 26,
                 c({F, V6, DW_CNT_OTHER_PROTO}), true},
                {"ext header exactly fills, tcp behind", v6().ext(Ext6::hop(1)).proto(kProtoTcp).build(), 26,
                 c({F, V6, L4}), false},
                // First fragments with the L4 header cut: counted as first fragments, no flow.
                {"v4 first fragment, udp cut", v4().frag(0, true).udp(1, 2).tot_len(24).build(), 10,
                 c({F, V4, L4, DW_CNT_FRAG_FIRST}), false},
                {"v6 first fragment, tcp cut", v6().ext(Ext6::fragment(0, true)).tcp(1, 2).payload_len(8 + 12).build(), 26,
                 c({F, V6, L4, DW_CNT_FRAG_FIRST}), false},
            };
            run_all(*cls_, hook(), cases);
        });
    });
}

struct Base {
    std::string name;
    Packet pkt;
};

std::vector<Base> bases() {
    return {
        {"v4 tcp, options, QinQ",
         v4().vlan(10, kEthQinQ).vlan(20).options(Bytes(8, 1)).tcp(40000, 80, tcpf::SYN, {2, 4, 5, 0xb4}).payload(6)},
        {"v4 udp", v4().udp(5353, 53).payload(4)},
        {"v4 icmp echo, vlan", v4().vlan(9).icmp_echo(true, 42).payload(4)},
        {"v4 first fragment", v4().frag(0, true).udp(9, 9).payload(8)},
        {"v6 udp, ext chain", v6().ext(Ext6::hop()).ext(Ext6::routing(1)).ext(Ext6::fragment(0, true))
                                  .ext(Ext6::ah(1)).udp(1000, 2000).payload(4)},
        {"v6 icmpv6 echo, vlan", v6().vlan(77).icmp_echo(false, 3).payload(2)},
        {"v6 tcp", v6().tcp(1, 65535, tcpf::SYN | tcpf::ACK).payload(3)},
        {"v6 gre, dstopts", v6().ext(Ext6::dstopts()).l4_raw(kProtoGre, {0, 0, 8, 0})},
    };
}

// Base frames cut at every length from 14 bytes to the full frame.
TEST_F(ParseTest, EveryCut) {
    each_hook([&] {
        section("EveryCutStaleLengths", [&] {
            // Cut a frame at every length from 14 up: the length fields stay as they were.
            auto& cls = cls_;
            for (const auto& b : bases()) {
                const Bytes full = b.pkt.build();
                const Layout lay = b.pkt.layout();
                for (size_t n = 14; n <= full.size(); n++) {
                    SCOPED_TRACE(b.name + ", cut at " + std::to_string(n) + " of " + std::to_string(full.size()));
                    const Bytes f(full.begin(), full.begin() + n);
                    if (!injectable(hook(), f)) continue;
                    int reason;
                    if (n < lay.l3_off)
                        reason = DW_CNT_MAL_L2_TRUNC;
                    else if (n < lay.l3_off + (lay.family == 4 ? 20 : 40))
                        reason = DW_CNT_MAL_L3_TRUNC;
                    else if (lay.family == 4 && n < lay.l3_off + lay.l3_hdr)
                        reason = DW_CNT_MAL_BAD_IHL;
                    else if (n < full.size())
                        reason = DW_CNT_MAL_BAD_LEN;
                    else
                        reason = 0;
                    const Outcome o = run_frame(*cls, hook(), f);
                    ASSERT_EQ(o.res.retval, pass(hook()));
                    EXPECT_EQ(o.res.data, f);
                    for (int r = DW_CNT_MAL_FIRST; r <= DW_CNT_MAL_LAST; r++)
                        EXPECT_EQ(o.delta.counters[r], r == reason ? 1u : 0u) << model::counter_name(r);
                    ASSERT_EQ(o.delta.ifc.size(), 1u);
                    EXPECT_EQ(int(std::get<2>(o.delta.ifc.begin()->first)),
                              reason ? DW_SLOT_MALFORMED : lay.family == 4 ? 10 : 26);
                    const model::Expect e = model::classify(f, hook(), 1, {});
                    EXPECT_TRUE(matches(o, e, f, 1, false));
                }
            }
        });
        section("EveryCutConsistentLengths", [&] {
            // Cut at every length with the IP length fields made to agree: what breaks is
            // the L4 header (or an extension header).
            auto& cls = cls_;
            for (const auto& b : bases()) {
                const Bytes full = b.pkt.build();
                const Layout lay = b.pkt.layout();
                for (size_t n = 14; n <= full.size(); n++) {
                    SCOPED_TRACE(b.name + ", cut at " + std::to_string(n) + " of " + std::to_string(full.size()));
                    Bytes f(full.begin(), full.begin() + n);
                    const size_t l3 = lay.l3_off;
                    int reason = 0;
                    if (n < l3) {
                        reason = DW_CNT_MAL_L2_TRUNC;
                    } else if (lay.family == 4) {
                        if (n < l3 + 20) {
                            reason = DW_CNT_MAL_L3_TRUNC;
                        } else {
                            const size_t tl = n - l3;
                            f[l3 + 2] = static_cast<uint8_t>(tl >> 8);
                            f[l3 + 3] = static_cast<uint8_t>(tl);
                            if (n < l3 + lay.l3_hdr) {
                                reason = DW_CNT_MAL_BAD_IHL;
                            } else {
                                f[l3 + 10] = f[l3 + 11] = 0;
                                const uint16_t cs = ipv4_header_csum(f, l3);
                                f[l3 + 10] = static_cast<uint8_t>(cs >> 8);
                                f[l3 + 11] = static_cast<uint8_t>(cs);
                                const size_t need = lay.proto == kProtoGre ? 0 : lay.l4_hdr;
                                if (n < lay.l4_off + need) reason = DW_CNT_MAL_L4_TRUNC;
                            }
                        }
                    } else {
                        if (n < l3 + 40) {
                            reason = DW_CNT_MAL_L3_TRUNC;
                        } else {
                            const size_t pl = n - l3 - 40;
                            f[l3 + 4] = static_cast<uint8_t>(pl >> 8);
                            f[l3 + 5] = static_cast<uint8_t>(pl);
                            const size_t need = lay.proto == kProtoGre ? 0 : lay.l4_hdr;
                            if (n < lay.l4_off + need) reason = DW_CNT_MAL_L4_TRUNC;
                        }
                    }
                    if (!injectable(hook(), f)) continue;
                    const Outcome o = run_frame(*cls, hook(), f);
                    ASSERT_EQ(o.res.retval, pass(hook()));
                    for (int r = DW_CNT_MAL_FIRST; r <= DW_CNT_MAL_LAST; r++)
                        EXPECT_EQ(o.delta.counters[r], r == reason ? 1u : 0u) << model::counter_name(r);
                    const bool l3_sound = reason == 0 || reason == DW_CNT_MAL_L4_TRUNC;
                    ASSERT_EQ(o.delta.ifc.size(), 1u);
                    EXPECT_EQ(int(std::get<2>(o.delta.ifc.begin()->first)),
                              l3_sound ? (lay.family == 4 ? 10 : 26) : DW_SLOT_MALFORMED);
                    const model::Expect e = model::classify(f, hook(), 1, {});
                    EXPECT_TRUE(matches(o, e, f, 1, false));
                }
            }
        });
    });
}
}  // namespace
}  // namespace dwt
