// The flow table under pressure: a small LRU table, many more flows than it
// holds. Every flow is created once, the table never grows past its capacity,
// old records are evicted, and every frame still passes.
#include <gtest/gtest.h>

#include "kernel.hpp"

namespace dwt {
namespace {

constexpr uint32_t kCapacity = 64;
constexpr uint32_t kFlows = 2000;

class FlowTableTest : public KernelTest {
protected:
    dw::LoadOptions load_options() const override { return {.flow_capacity = kCapacity, .replay_clock = true}; }
};

Bytes nth_flow(uint32_t i) {
    // Distinct 5-tuples across both families and protocols.
    const uint16_t sport = static_cast<uint16_t>(10000 + i);
    switch (i % 4) {
    case 0:
        return Packet::ipv4(Ip4{10, 0, uint8_t(i >> 8), uint8_t(i)}, ip4("192.0.2.1")).tcp(sport, 443, tcpf::SYN).build();
    case 1: return Packet::ipv4(ip4("10.9.9.9"), ip4("192.0.2.2")).udp(sport, 53).build();
    case 2: return Packet::ipv6(ip6("fd00::1"), ip6("fd00::2")).vlan(7).udp(sport, 4789).build();
    default: return Packet::ipv6(ip6("fd00::3"), ip6("fd00::4")).dscp(46).icmp_echo(true, sport).build();
    }
}

TEST_F(FlowTableTest, SmallTableEvicts) {
    each_hook([&] {
        auto& m = cls_->maps();
        ASSERT_EQ(m.flow_capacity(), kCapacity);
        for (uint32_t i = 0; i < kFlows; i++) {
            m.set_clock(1000 + i);
            const Bytes f = nth_flow(i);
            const auto r = cls_->run(hook(), f);
            ASSERT_EQ(r.retval, pass(hook())) << "frame " << i;
            ASSERT_EQ(r.data, f);
        }
        const auto c = m.counters();
        const auto flows = m.flows();
        const uint64_t created = c[DW_CNT_FLOW_NEW], failed = c[DW_CNT_FLOW_INSERT_FAIL];
        std::cout << "[flowtable] " << dw::to_string(hook()) << ": created " << created << ", insert failures "
                  << failed << ", live " << flows.size() << ", evicted " << created - flows.size() << std::endl;
        EXPECT_EQ(created + failed, kFlows);
        EXPECT_EQ(created, kFlows) << "every distinct flow creates a record";
        EXPECT_LE(flows.size(), kCapacity);
        EXPECT_GT(created - flows.size(), 0u) << "records were evicted";
        EXPECT_EQ(c[DW_CNT_FRAMES], kFlows);
        // Each live record holds exactly its one packet, stamped with its own time.
        for (const auto& fe : flows) {
            EXPECT_EQ(fe.flow.dir[0].packets + fe.flow.dir[1].packets, 1u) << model::key_str(fe.key);
            EXPECT_EQ(fe.flow.first_ns, fe.flow.last_ns);
            EXPECT_GE(fe.flow.first_ns, 1000u);
            EXPECT_LT(fe.flow.first_ns, 1000u + kFlows);
        }
        // A flow that was evicted comes back as a new record.
        m.set_clock(99999);
        cls_->run(hook(), nth_flow(0));
        EXPECT_EQ(m.counters()[DW_CNT_FLOW_NEW], created + 1);
    });
}

}  // namespace
}  // namespace dwt
