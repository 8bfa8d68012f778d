#include "kernel.hpp"

#include <unistd.h>

#include <cstring>
#include <sstream>

#include "core/error.hpp"

namespace dw {
void PrintTo(Hook h, std::ostream* os) { *os << to_string(h); }
}  // namespace dw

namespace dwt {

std::string hook_param_name(const ::testing::TestParamInfo<dw::Hook>& info) {
    switch (info.param) {
    case dw::Hook::Xdp: return "Xdp";
    case dw::Hook::TcIngress: return "TcIngress";
    case dw::Hook::TcEgress: return "TcEgress";
    case dw::Hook::XdpEgress: return "XdpEgress";
    }
    return "Unknown";
}

std::string privilege_problem() {
    const std::string what = "kernel tests need root (BPF_PROG_TEST_RUN): run as root, as CI does";
    if (geteuid() != 0) return what + " (euid is " + std::to_string(geteuid()) + ")";
    try {
        dw::require_bpf_privileges();
    } catch (const dw::Error& e) {
        return what + " (" + e.line() + ")";
    }
    return {};
}

bool injectable(dw::Hook h, std::span<const uint8_t> frame) {
    if (h == dw::Hook::Xdp || frame.size() < 14) return true;
    const uint16_t et = static_cast<uint16_t>(frame[12] << 8 | frame[13]);
    if (et == kEthIp && frame.size() < 14 + 20) return false;
    if (et == kEthIp6 && frame.size() < 14 + 40) return false;
    return true;
}

void KernelTest::SetUp() {
    if (auto why = privilege_problem(); !why.empty()) GTEST_FAIL() << why;
    cls_ = load(load_options());
}

void KernelTest::reset() {
    auto& m = cls_->maps();
    m.reset_counters();
    m.reset_flows();
    if (m.active_config() != dw::RemarkConfig{}) m.publish(dw::RemarkConfig{});
    m.set_clock(0);
}

std::unique_ptr<dw::Classifier> HookTest::load(const dw::LoadOptions& opts) { return dw::Classifier::load(opts); }

void HookTest::SetUp() {
    if (auto why = privilege_problem(); !why.empty()) GTEST_FAIL() << why;
}

std::unique_ptr<dw::Classifier> KernelTest::load(const dw::LoadOptions& opts) {
    return dw::Classifier::load(opts);
}

Snapshot snapshot(const dw::MapSet& m) {
    Snapshot s;
    s.counters = model::known(m.counters());
    for (const auto& c : m.if_counters()) s.ifc[{c.ifindex, c.dir, c.slot}] = {c.packets, c.bytes};
    for (const auto& c : m.remark_counters()) s.remarks[{c.ifindex, c.dir, c.from, c.to}] = {c.packets, c.bytes};
    return s;
}

template <typename K>
static std::map<K, model::Cnt> map_diff(const std::map<K, model::Cnt>& a, const std::map<K, model::Cnt>& b) {
    std::map<K, model::Cnt> out;
    for (const auto& [k, v] : a) {
        model::Cnt d = v;
        if (auto it = b.find(k); it != b.end()) {
            d.packets -= it->second.packets;
            d.bytes -= it->second.bytes;
        }
        if (d.packets || d.bytes) out[k] = d;
    }
    return out;
}

Snapshot diff(const Snapshot& after, const Snapshot& before) {
    Snapshot d;
    for (int i = 0; i < DW_CNT_MAX; i++) d.counters[i] = after.counters[i] - before.counters[i];
    d.ifc = map_diff(after.ifc, before.ifc);
    d.remarks = map_diff(after.remarks, before.remarks);
    return d;
}

Outcome run_frame(const dw::Classifier& c, dw::Hook h, const Bytes& frame, uint32_t ifindex) {
    Outcome o;
    const Snapshot before = snapshot(c.maps());
    o.res = c.run(h, frame, ifindex);
    o.delta = diff(snapshot(c.maps()), before);
    return o;
}

model::Counters counts(std::initializer_list<int> idx) {
    model::Counters c{};
    for (int i : idx) c[i]++;
    return c;
}

std::string diff_counters(const model::Counters& want, const model::Counters& got) {
    std::string s;
    for (int i = 0; i < DW_CNT_MAX; i++)
        if (want[i] != got[i])
            s += std::string("  ") + model::counter_name(i) + ": want " + std::to_string(want[i]) + ", got " +
                 std::to_string(got[i]) + "\n";
    return s;
}

::testing::AssertionResult matches(const Outcome& o, const model::Expect& e, const Bytes& frame,
                                   uint32_t ifindex, bool check_flow_new) {
    std::ostringstream err;
    if (o.res.retval != e.retval) err << "verdict: want " << e.retval << ", got " << o.res.retval << "\n";
    if (o.res.data != e.out) {
        err << "output bytes differ";
        for (size_t i = 0; i < std::max(o.res.data.size(), e.out.size()); i++) {
            if (i >= o.res.data.size() || i >= e.out.size() || o.res.data[i] != e.out[i]) {
                err << " (first at offset " << i << ")";
                break;
            }
        }
        err << "\n  want:" << hex(e.out, 128) << "\n  got:" << hex(o.res.data, 128) << "\n";
    }
    model::Counters want = e.counters, got = o.delta.counters;
    if (!check_flow_new) want[DW_CNT_FLOW_NEW] = got[DW_CNT_FLOW_NEW] = 0;
    if (want != got) err << "global counters:\n" << diff_counters(want, got);
    std::map<model::IfKey, model::Cnt> ifc_want{{{ifindex, e.dir, e.slot}, {1, frame.size()}}};
    if (o.delta.ifc != ifc_want) {
        err << "interface counters: want slot " << int(e.slot) << " dir " << int(e.dir) << " +1/+" << frame.size()
            << ", got:";
        for (const auto& [k, v] : o.delta.ifc)
            err << " (if " << std::get<0>(k) << " dir " << int(std::get<1>(k)) << " slot " << int(std::get<2>(k))
                << ": +" << v.packets << "/+" << v.bytes << ")";
        err << "\n";
    }
    std::map<model::RemarkKey, model::Cnt> rem_want;
    if (e.remarked) rem_want[{ifindex, e.dir, e.from, e.to}] = {1, frame.size()};
    if (o.delta.remarks != rem_want) {
        err << "remark counters: want " << (e.remarked ? std::to_string(e.from) + "->" + std::to_string(e.to) : "none")
            << ", got:";
        for (const auto& [k, v] : o.delta.remarks)
            err << " (" << int(std::get<2>(k)) << "->" << int(std::get<3>(k)) << " dir " << int(std::get<1>(k))
                << ": +" << v.packets << ")";
        err << "\n";
    }
    if (err.str().empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\nmodel: " << e.str() << "\nframe (" << frame.size()
                                         << " bytes):" << hex(frame, 96) << "\n"
                                         << err.str();
}

const dw::FlowEntry* find_flow(const std::vector<dw::FlowEntry>& flows, const dw_flow_key& k) {
    const auto want = model::key_bytes(k);
    for (const auto& f : flows)
        if (model::key_bytes(f.key) == want) return &f;
    return nullptr;
}

void check_crafted(dw::Classifier& c, dw::Hook h, const Crafted& k) {
    SCOPED_TRACE(k.name + " on " + std::string(dw::to_string(h)));
    if (!injectable(h, k.frame)) return;  // tc test runs refuse it; XDP covers it
    c.maps().reset_flows();
    const Outcome o = run_frame(c, h, k.frame);
    EXPECT_EQ(o.res.retval, pass(h));
    EXPECT_EQ(o.res.data, k.frame) << "the frame must leave unchanged";
    model::Counters got = o.delta.counters;
    const uint64_t flow_new = got[DW_CNT_FLOW_NEW];
    got[DW_CNT_FLOW_NEW] = 0;
    EXPECT_EQ(got, k.counters) << "global counters (want: " << model::describe(k.counters)
                               << ")\n" << diff_counters(k.counters, got) << "frame:" << hex(k.frame, 96);
    ASSERT_EQ(o.delta.ifc.size(), 1u);
    const auto& [ik, iv] = *o.delta.ifc.begin();
    EXPECT_EQ(std::get<0>(ik), 1u);
    EXPECT_EQ(std::get<1>(ik), model::direction(h));
    EXPECT_EQ(int(std::get<2>(ik)), k.slot) << "interface slot";
    EXPECT_EQ(iv.packets, 1u);
    EXPECT_EQ(iv.bytes, k.frame.size());
    EXPECT_EQ(flow_new, k.flow ? 1u : 0u) << "FLOW_NEW";
    EXPECT_EQ(c.maps().flows().size(), k.flow ? 1u : 0u) << "flow records";
    EXPECT_TRUE(o.delta.remarks.empty());

    model::State st;
    const model::Expect e = st.step(k.frame, h, 1, dw::RemarkConfig{});
    EXPECT_TRUE(matches(o, e, k.frame)) << "kernel vs model";
}

}  // namespace dwt
