// Differential test: random valid frames from the builder, then random byte
// flips, truncations and length-field corruptions, under random remark
// configurations, through the real classifier and through the model. Verdict
// and output bytes are compared per frame; global, interface and remark
// counters and the flow table per batch. On a counter mismatch the batch is
// replayed frame by frame to name the first frame that disagrees.
//
// The seed is fixed and printed; DW_DIFF_SEED and DW_DIFF_FRAMES override it
// and the frame count (per hook).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <algorithm>

#include "kernel.hpp"

namespace dwt {
namespace {

constexpr uint64_t kDefaultSeed = 0xd5c9'2024'0001ull;
constexpr size_t kDefaultFrames = 100'000;
constexpr size_t kBatch = 1000;
constexpr size_t kMaxFrame = 3000;  // XDP test runs take up to ~3.5 KiB without frags

uint64_t env_u64(const char* name, uint64_t def) {
    const char* v = std::getenv(name);
    return v && *v ? std::strtoull(v, nullptr, 0) : def;
}

const char* const kV4Pool[] = {"10.0.0.1",     "10.0.0.2",        "10.1.2.3", "192.0.2.7",
                               "198.51.100.1", "255.255.255.255", "0.0.0.0",  "128.0.0.1"};
const char* const kV6Pool[] = {"fd00::1",      "fd00::2",    "2001:db8::1", "2001:db8:aa::5",
                               "::1",          "ff02::1",    "2001:db8:cc:0:8000::1", "8000::"};
const uint16_t kPorts[] = {0, 1, 53, 80, 443, 5004, 16384, 32767, 40000, 65535};

class Rng {
public:
    explicit Rng(uint64_t seed) : g_(seed) {}
    uint32_t below(uint32_t n) { return n ? static_cast<uint32_t>(g_() % n) : 0; }
    bool chance(uint32_t percent) { return below(100) < percent; }
    uint8_t byte() { return static_cast<uint8_t>(g_()); }
    uint16_t u16() { return static_cast<uint16_t>(g_()); }
    template <typename T, size_t N>
    const T& pick(const T (&a)[N]) { return a[below(N)]; }

private:
    std::mt19937_64 g_;
};

uint8_t random_tcp_flags(Rng& r) {
    const uint8_t f[] = {tcpf::SYN, tcpf::SYN | tcpf::ACK, tcpf::ACK, tcpf::PSH | tcpf::ACK, tcpf::FIN | tcpf::ACK,
                         tcpf::RST, tcpf::SYN | tcpf::ECE | tcpf::CWR};
    return r.chance(90) ? r.pick(f) : r.byte();
}

// A random well-formed frame, and where its fields are.
std::pair<Bytes, Layout> random_frame(Rng& r) {
    const uint32_t kind = r.below(100);
    Packet p;
    if (kind < 44) {
        p = Packet::ipv4(ip4(r.pick(kV4Pool)), ip4(r.pick(kV4Pool)));
    } else if (kind < 88) {
        p = Packet::ipv6(ip6(r.pick(kV6Pool)), ip6(r.pick(kV6Pool)));
    } else if (kind < 94) {
        p = Packet::arp();
    } else {
        const uint16_t ets[] = {kEthLldp, 0x8847, 0x0042, 0x88cc, 0x9000};
        p = Packet::ether(r.pick(ets), r.below(80));
    }
    const uint32_t t = r.below(100);
    const int tags = t < 60 ? 0 : t < 80 ? 1 : t < 95 ? 2 : 3;
    for (int i = 0; i < tags; i++) p.vlan(r.u16() & 0xfff, r.chance(50) ? kEthVlan : kEthQinQ, r.byte() & 7);
    const int fam = p.family();
    if (fam) {
        p.dscp(r.byte() & 63).ecn(r.byte() & 3).ttl(r.byte());
        if (fam == 4) {
            if (r.chance(20)) {
                Bytes o(1 + r.below(40), 1);
                if (r.chance(50)) o[0] = 0x94;
                p.options(o);
            }
            const uint32_t fr = r.below(100);
            if (fr < 10) p.frag(0, true);
            else if (fr < 20) p.frag(static_cast<uint16_t>(1 + r.below(0x1fff)), r.chance(50));
            if (r.chance(20)) p.df();
            p.ip_id(r.u16());
        } else {
            if (r.chance(50)) {
                const int n = 1 + static_cast<int>(r.below(8));
                const uint8_t types[] = {kExtHop, kExtRouting, kExtDstOpts, kExtFragment, kExtAh};
                for (int i = 0; i < n; i++) {
                    Ext6 e{r.pick(types)};
                    if (e.type == kExtFragment) {
                        const uint32_t fk = r.below(3);
                        e.frag_offset = fk == 2 ? static_cast<uint16_t>(1 + r.below(0x1fff)) : 0;
                        e.more = fk != 0 || r.chance(30);
                    } else if (e.type == kExtAh) {
                        e.hdrlen = static_cast<uint8_t>(r.below(5));
                    } else {
                        e.hdrlen = static_cast<uint8_t>(r.chance(3) ? 200 + r.below(56) : r.below(4));
                    }
                    p.ext(e);
                }
            }
            p.flow_label(static_cast<uint32_t>(r.u16()) << 4 | r.below(16));
        }
        const uint32_t l4 = r.below(100);
        const uint16_t sp = r.chance(90) ? r.pick(kPorts) : r.u16();
        const uint16_t dp = r.chance(90) ? r.pick(kPorts) : r.u16();
        if (l4 < 30) {
            Bytes opts;
            if (r.chance(15)) opts.assign(r.below(41), 1);
            p.tcp(sp, dp, random_tcp_flags(r), opts);
        } else if (l4 < 60) {
            p.udp(sp, dp);
        } else if (l4 < 70) {
            p.icmp_echo(r.chance(50), r.chance(80) ? r.pick(kPorts) : r.u16(), r.u16());
        } else if (l4 < 75) {
            const uint8_t types4[] = {3, 5, 11, 13, 0, 8}, types6[] = {1, 2, 3, 133, 135, 128, 129};
            p.icmp(fam == 4 ? r.pick(types4) : r.pick(types6), r.byte() & 3);
        } else if (l4 < 90) {
            const uint8_t others[] = {kProtoGre, kProtoEsp, kProtoSctp, kProtoIcmp6, kProtoIcmp, kProtoNone6, 4, 41,
                                      255, 0, 43, 60};
            const uint8_t pr = r.pick(others);
            Bytes h(r.below(13));
            for (auto& b : h) b = r.byte();
            p.l4_raw(pr, h);
        } else {
            // no L4 header at all
        }
        p.payload(r.chance(5) ? r.below(1400) : r.below(120));
        if (fam == 6 && r.chance(5)) p.payload_len(0);
    }
    if (r.chance(20)) p.eth_pad(1 + r.below(30));
    Bytes f = p.build();
    Layout lay = p.layout();
    if (f.size() > kMaxFrame) f.resize(kMaxFrame);
    return {f, lay};
}

void put16(Bytes& f, size_t off, uint16_t v) {
    if (off + 1 < f.size()) {
        f[off] = static_cast<uint8_t>(v >> 8);
        f[off + 1] = static_cast<uint8_t>(v);
    }
}

uint16_t near(Rng& r, size_t actual) {
    const uint32_t k = r.below(10);
    if (k == 0) return 0;
    if (k == 1) return 0xffff;
    if (k == 2) return r.u16();
    return static_cast<uint16_t>(static_cast<int>(actual) + static_cast<int>(r.below(17)) - 8);
}

// One random corruption of a built frame.
void mutate(Rng& r, Bytes& f, const Layout& lay) {
    const size_t l3 = lay.l3_off;
    switch (r.below(9)) {
    case 0:  // truncate
        f.resize(14 + r.below(static_cast<uint32_t>(f.size() - 14 + 1)));
        break;
    case 1: {  // flip bytes in the headers
        const size_t span = std::min<size_t>(f.size(), lay.l4_off + 24);
        for (uint32_t n = 1 + r.below(3); n > 0; n--) f[r.below(static_cast<uint32_t>(span))] ^= 1 + r.below(255);
        break;
    }
    case 2:  // IP length fields
        if (lay.family == 4) put16(f, l3 + 2, near(r, lay.l3_end - l3));
        if (lay.family == 6) put16(f, l3 + 4, near(r, lay.l3_end - l3 - 40));
        break;
    case 3:  // IHL / version
        if (l3 < f.size()) {
            if (r.chance(50))
                f[l3] = static_cast<uint8_t>((f[l3] & 0xf0) | r.below(16));
            else
                f[l3] = static_cast<uint8_t>((r.chance(50) ? (r.chance(50) ? 4u : 6u) : r.below(16)) << 4 | (f[l3] & 15));
        }
        break;
    case 4:  // TCP data offset, or an extension header length
        if (!lay.ext.empty() && r.chance(60)) {
            const size_t e = lay.ext[r.below(static_cast<uint32_t>(lay.ext.size()))];
            if (e + 1 < f.size()) f[e + 1] = r.chance(50) ? r.byte() : static_cast<uint8_t>(r.below(4));
        } else if (lay.l4_off + 12 < f.size()) {
            f[lay.l4_off + 12] = static_cast<uint8_t>(r.below(16) << 4);
        }
        break;
    case 5: {  // protocol / next header
        const uint8_t ps[] = {0, 1, 6, 17, 43, 44, 47, 51, 58, 59, 60, 132, 255};
        const size_t at = lay.family == 4 ? l3 + 9 : !lay.ext.empty() && r.chance(50) ? lay.ext.back() : l3 + 6;
        if (lay.family && at < f.size()) f[at] = r.pick(ps);
        break;
    }
    case 6: {  // EtherType (innermost or outer)
        const uint16_t ets[] = {kEthIp, kEthIp6, kEthVlan, kEthQinQ, kEthArp};
        put16(f, r.chance(50) ? 12 : l3 - 2, r.pick(ets));
        break;
    }
    case 7: {  // fragment fields
        if (lay.family == 4) put16(f, l3 + 6, r.u16());
        if (lay.family == 6 && !lay.ext.empty()) put16(f, lay.ext[r.below(static_cast<uint32_t>(lay.ext.size()))] + 2, r.u16());
        break;
    }
    default: {  // append garbage
        for (uint32_t n = 1 + r.below(20); n > 0; n--) f.push_back(r.byte());
        break;
    }
    }
    if (f.size() < 14) f.resize(14);
}

Bytes random_frame_mutated(Rng& r) {
    if (r.chance(3)) {  // pure noise behind an IP-ish EtherType
        Bytes f(14 + r.below(100));
        for (auto& b : f) b = r.byte();
        const uint16_t ets[] = {kEthIp, kEthIp6, kEthVlan, kEthQinQ};
        put16(f, 12, r.pick(ets));
        if (f.size() > 14 && r.chance(70)) f[14] = static_cast<uint8_t>((r.chance(50) ? 0x40 : 0x60) | (f[14] & 15));
        return f;
    }
    auto [f, lay] = random_frame(r);
    if (r.chance(50)) {
        for (uint32_t n = 1 + r.below(3); n > 0; n--) mutate(r, f, lay);
        // Often keep the IPv4 header checksum right, so that remarks start from a valid one.
        if (lay.family == 4 && r.chance(50) && f.size() >= lay.l3_off + 20) {
            const size_t ihl = static_cast<size_t>(f[lay.l3_off] & 15) * 4;
            if (ihl >= 20 && f.size() >= lay.l3_off + ihl) {
                f[lay.l3_off + 10] = f[lay.l3_off + 11] = 0;
                const uint16_t c = ipv4_header_csum(f, lay.l3_off);
                put16(f, lay.l3_off + 10, c);
            }
        }
    }
    return f;
}

dw::Prefix random_prefix(Rng& r) {
    const bool v4 = r.chance(50);
    const std::string addr = v4 ? r.pick(kV4Pool) : r.pick(kV6Pool);
    const unsigned max = v4 ? 32 : 128;
    const unsigned len = r.chance(30) ? max : r.below(max + 1);
    return dw::parse_prefix(addr + "/" + std::to_string(len));  // clears the host bits
}

dw::RemarkConfig random_config(Rng& r) {
    dw::RemarkConfig c;
    const uint32_t m = r.below(100);
    c.mode = m < 15 ? dw::RemarkMode::Off : m < 45 ? dw::RemarkMode::Zero : dw::RemarkMode::Map;
    for (auto& v : c.map)
        if (r.chance(50)) v = static_cast<uint8_t>(r.below(64));
    c.dirs = 1 + r.below(3);
    for (uint32_t n = r.chance(40) ? 0 : r.below(5); n > 0; n--) c.exempt_prefixes.push_back(random_prefix(r));
    for (uint32_t n = r.chance(40) ? 0 : r.below(5); n > 0; n--) {
        dw::PortRange pr;
        pr.proto = r.chance(50) ? kProtoTcp : kProtoUdp;
        pr.lo = r.chance(70) ? r.pick(kPorts) : r.u16();
        pr.hi = static_cast<uint16_t>(std::min<uint32_t>(65535, pr.lo + (r.chance(50) ? 0 : r.below(2000))));
        c.exempt_ports.push_back(pr);
    }
    return c;
}

std::string config_str(const dw::RemarkConfig& c) {
    std::string s = std::string(dw::to_string(c.mode)) + " dirs=" + std::to_string(c.dirs);
    for (const auto& p : c.exempt_prefixes) s += " " + p.str();
    for (const auto& p : c.exempt_ports) s += " " + p.str();
    return s;
}

class DifferentialTest : public HookTest {};
INSTANTIATE_TEST_SUITE_P(Hooks, DifferentialTest, ::testing::ValuesIn(kHooks), hook_param_name);

TEST_P(DifferentialTest, RandomAndMutatedFrames) {
    const uint64_t seed = env_u64("DW_DIFF_SEED", kDefaultSeed) + static_cast<uint64_t>(hook());
    const size_t total = env_u64("DW_DIFF_FRAMES", kDefaultFrames);
    std::cout << "[differential] hook=" << dw::to_string(hook()) << " seed=0x" << std::hex << seed << std::dec
              << " frames=" << total << " (DW_DIFF_SEED / DW_DIFF_FRAMES to change)" << std::endl;
    RecordProperty("seed", std::to_string(seed));

    auto cls = load({.replay_clock = true});
    auto& maps = cls->maps();
    Rng r(seed);
    model::State st;
    dw::RemarkConfig cfg;  // off until the first publish
    uint64_t now = 1'000'000'000;
    int failures = 0;
    size_t remarked = 0, malformed = 0, flows_seen = 0;
    const auto t0 = std::chrono::steady_clock::now();

    for (size_t done = 0; done < total && failures < 10;) {
        if (done == 0 || r.chance(70)) {
            cfg = random_config(r);
            maps.publish(cfg);
        }
        const size_t n = std::min(kBatch, total - done);
        std::vector<Bytes> batch;
        batch.reserve(n);
        for (size_t i = 0; i < n && failures < 10; i++) {
            Bytes f = random_frame_mutated(r);
            if (!injectable(hook(), f)) {  // tc test runs refuse it: make another
                i--;
                continue;
            }
            now += 1 + r.below(5000);
            maps.set_clock(now);
            const dw::RunResult res = cls->run(hook(), f);
            const model::Expect e = st.step(f, hook(), 1, cfg, now);
            remarked += e.remarked;
            malformed += e.p.malformed != 0;
            if (res.retval != e.retval || res.data != e.out) {
                failures++;
                ADD_FAILURE() << "frame " << done + i << " (seed 0x" << std::hex << seed << std::dec << ", config "
                              << config_str(cfg) << "): " << (res.retval != e.retval ? "verdict" : "output bytes")
                              << " differ\nmodel: " << e.str() << "\nframe:" << hex(f, 160) << "\nwant:"
                              << hex(e.out, 160) << "\ngot:" << hex(res.data, 160);
            }
            batch.push_back(std::move(f));
        }
        done += n;

        // ---- counters, per batch ----
        const Snapshot s = snapshot(maps);
        const bool counters_ok = s.counters == st.counters && s.ifc == st.if_counters && s.remarks == st.remarks;
        if (!counters_ok) {
            failures++;
            std::ostringstream msg;
            msg << "counters differ after frame " << done << " (seed 0x" << std::hex << seed << std::dec
                << ", config " << config_str(cfg) << ")\n"
                << diff_counters(st.counters, s.counters);
            if (s.ifc != st.if_counters) msg << "  interface counters differ\n";
            if (s.remarks != st.remarks) msg << "  remark counters differ\n";
            // Replay the batch frame by frame to find the first frame that disagrees.
            for (size_t i = 0; i < batch.size(); i++) {
                const Outcome o = run_frame(*cls, hook(), batch[i]);
                const model::Expect e = model::classify(batch[i], hook(), 1, cfg);
                if (auto m = matches(o, e, batch[i], 1, false); !m) {
                    msg << "first disagreeing frame: #" << done - batch.size() + i << m.message();
                    break;
                }
            }
            ADD_FAILURE() << msg.str();
            break;
        }

        // ---- flows, per batch; then a clean table for the next batch ----
        const auto fl = maps.flows();
        flows_seen += fl.size();
        bool flows_ok = fl.size() == st.flows.records().size();
        std::string fmsg;
        for (const auto& fe : fl) {
            const dw_flow* w = st.flows.find(fe.key);
            if (!w) {
                flows_ok = false;
                fmsg += "  unexpected flow " + model::key_str(fe.key) + "\n";
            } else if (auto d = model::flow_diff(*w, fe.flow); !d.empty()) {
                flows_ok = false;
                fmsg += "  flow " + model::key_str(fe.key) + ":\n" + d;
            }
            if (fmsg.size() > 4000) break;
        }
        if (!flows_ok) {
            failures++;
            ADD_FAILURE() << "flow table differs after frame " << done << " (kernel " << fl.size() << ", model "
                          << st.flows.records().size() << ", seed 0x" << std::hex << seed << std::dec << ")\n"
                          << fmsg;
            break;
        }
        maps.reset_flows();
        st.flows.clear();
        st.counters[DW_CNT_FLOW_NEW] = st.counters[DW_CNT_FLOW_INSERT_FAIL] = 0;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "[differential] " << total << " frames in " << secs << " s: " << malformed << " malformed, "
              << remarked << " remarked, " << flows_seen << " flow records compared" << std::endl;
    // The generator must reach the interesting cases.
    EXPECT_GT(remarked, total / 20);
    EXPECT_GT(malformed, total / 20);
}

}  // namespace
}  // namespace dwt
