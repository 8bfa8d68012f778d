#include <gtest/gtest.h>

#include <string>

#include "view/status_view.hpp"

namespace dw {
namespace {

StatusView attached_view() {
    StatusView v;
    v.pin_root = "/sys/fs/bpf/dscpwatch";
    v.instance = true;
    v.meta.netns_ino = 4026531840;
    v.meta.flow_capacity = 1000;
    v.meta.created_unix = 1'700'000'000;
    v.now_unix = 1'700'003'600;
    StatusIface a;
    a.a.ifindex = 7;
    a.a.ifname = "eth1";
    a.a.xdp = XdpMode::Native;
    a.a.tc = TcKind::Tcx;
    a.a.tc_egress = true;
    a.a.attached_unix = 1'700'000'000;
    a.xdp_prog_id = 41;
    a.tc_egress_prog_id = 43;
    v.ifaces.push_back(a);
    StatusIface b;
    b.a.ifindex = 9;
    b.a.ifname = "eth2";
    b.a.tc = TcKind::Clsact;
    b.a.tc_ingress = b.a.tc_egress = true;
    b.a.created_clsact = true;
    b.tc_ingress_prog_id = 42;
    b.tc_egress_prog_id = 43;
    v.ifaces.push_back(b);
    v.remark.mode = RemarkMode::Zero;
    v.remark.exempt_ports.push_back(parse_port_range("udp:16384-32767"));
    v.remark.exempt_prefixes.push_back(parse_prefix("198.51.100.0/24"));
    v.generation = 7;
    v.flows_live = 250;
    v.flow_capacity = 1000;
    v.flows_created = 300;
    v.flow_insert_failed = 2;
    v.kernel = KernelFeatures{"6.18.0", true, true, true, true, true, true, true, true, 1};
    v.tc_auto = {TcKind::Tcx, "TCX links"};
    return v;
}

TEST(StatusView, NotAttachedJson) {
    StatusView v;
    v.pin_root = "/sys/fs/bpf/x";
    auto j = render_status_json(v);
    EXPECT_EQ(j["attached"], false);
    EXPECT_EQ(j["instance"], false);
    EXPECT_EQ(j["pin_root"], "/sys/fs/bpf/x");
    EXPECT_FALSE(j.contains("interfaces"));
    EXPECT_FALSE(j.contains("kernel"));
}

TEST(StatusView, NotAttachedText) {
    StatusView v;
    v.pin_root = "/sys/fs/bpf/x";
    v.netns = "lab";
    v.kernel = KernelFeatures{"6.1.0", false, true, true, true, true, true, true, true, 1};
    v.tc_auto = {TcKind::Clsact, "no TCX on this kernel (Linux 6.6+): a clsact qdisc with a cls_bpf filter"};
    auto t = render_status_text(v);
    EXPECT_NE(t.find("not attached: no dscpwatch instance at /sys/fs/bpf/x (netns lab)"), std::string::npos) << t;
    EXPECT_NE(t.find("kernel: 6.1.0\n  features: tcx no, xdp_link yes"), std::string::npos) << t;
    EXPECT_NE(t.find("tc attach (--tc-mode auto): clsact: no TCX on this kernel"), std::string::npos) << t;
    EXPECT_NE(t.find("classifier: loads here (needs Linux 5.18+)"), std::string::npos) << t;
}

TEST(StatusView, KernelTooOld) {
    StatusView v;
    v.kernel = KernelFeatures{"5.15.0", false, true, true, true, true, false, false, true, 1};
    v.missing = {"the bpf_loop helper (Linux 5.17+)", "the bpf_xdp_load_bytes helper (Linux 5.18+)"};
    auto t = render_status_text(v);
    EXPECT_NE(t.find("classifier: cannot load here: the kernel lacks the bpf_loop helper (Linux 5.17+), "
                     "the bpf_xdp_load_bytes helper (Linux 5.18+); use Linux 5.18+"),
              std::string::npos)
        << t;
    auto j = render_status_json(v);
    EXPECT_EQ(j["kernel"]["classifier_loads"], false);
    EXPECT_EQ(j["kernel"]["missing"].size(), 2u);
    EXPECT_EQ(j["kernel"]["bpf_loop"], false);
}

TEST(StatusView, InstanceWithoutAttachments) {
    StatusView v;
    v.instance = true;
    EXPECT_FALSE(v.attached());
    EXPECT_EQ(render_status_json(v)["attached"], false);
    EXPECT_EQ(render_status_json(v)["instance"], true);
    EXPECT_NE(render_status_text(v).find("attached: nowhere"), std::string::npos);
}

TEST(StatusView, EvictionsAreClamped) {
    StatusView v;
    v.flows_live = 10;
    v.flows_created = 4;  // counters reset while flows stayed
    EXPECT_EQ(v.flows_evicted(), 0u);
    v.flows_created = 15;
    EXPECT_EQ(v.flows_evicted(), 5u);
}

TEST(StatusView, Json) {
    auto j = render_status_json(attached_view());
    EXPECT_EQ(j["attached"], true);
    EXPECT_EQ(j["meta"]["netns_ino"], 4026531840ull);
    ASSERT_EQ(j["interfaces"].size(), 2u);
    const auto& a = j["interfaces"][0];
    EXPECT_EQ(a["interface"], "eth1");
    EXPECT_EQ(a["xdp"]["mode"], "native");
    EXPECT_EQ(a["xdp"]["prog_id"], 41);
    EXPECT_EQ(a["tc"]["kind"], "tcx");
    EXPECT_TRUE(a["tc"]["ingress"].is_null());
    EXPECT_EQ(a["tc"]["egress"]["prog_id"], 43);
    const auto& b = j["interfaces"][1];
    EXPECT_TRUE(b["xdp"].is_null());
    EXPECT_EQ(b["tc"]["kind"], "clsact");
    EXPECT_EQ(b["tc"]["created_clsact"], true);
    EXPECT_EQ(b["tc"]["ingress"]["prog_id"], 42);
    EXPECT_EQ(j["remark"]["mode"], "zero");
    EXPECT_EQ(j["remark"]["generation"], 7);
    EXPECT_EQ(j["remark"]["exempt_ports"][0]["spec"], "udp:16384-32767");
    EXPECT_EQ(j["remark"]["exempt_prefixes"][0], "198.51.100.0/24");
    EXPECT_EQ(j["flows"]["live"], 250);
    EXPECT_EQ(j["flows"]["capacity"], 1000);
    EXPECT_DOUBLE_EQ(j["flows"]["fill"].get<double>(), 0.25);
    EXPECT_EQ(j["flows"]["evicted"], 50);
    EXPECT_EQ(j["flows"]["insert_failed"], 2);
    EXPECT_EQ(j["kernel"]["release"], "6.18.0");
    EXPECT_EQ(j["kernel"]["tcx"], true);
    EXPECT_EQ(j["kernel"]["mmapable_array"], true);
    EXPECT_EQ(j["kernel"]["tc_auto"]["kind"], "tcx");
    EXPECT_EQ(j["kernel"]["classifier_loads"], true);
    EXPECT_EQ(j["kernel"]["jit"], 1);
}

TEST(StatusView, Text) {
    auto t = render_status_text(attached_view());
    for (const char* x : {"instance: /sys/fs/bpf/dscpwatch", "(1h00m ago)", "netns inode 4026531840", "eth1",
                          "native (prog 41)", "tcx (prog 43)", "clsact (ours) (prog 42)",
                          "remark: zero (generation 7); exempt: udp:16384-32767, 198.51.100.0/24",
                          "flows: 250 / 1000 (25.0% full), 300 created, 50 evicted, 2 insert failures",
                          "kernel: 6.18.0\n  features: tcx yes", "jit on", "tc attach (--tc-mode auto): tcx"})
        EXPECT_NE(t.find(x), std::string::npos) << x << "\n" << t;
    EXPECT_EQ(t.find("nearly full"), std::string::npos);
}

TEST(StatusView, NearlyFullFlowTable) {
    auto v = attached_view();
    v.flows_live = 950;
    EXPECT_NE(render_status_text(v).find("nearly full"), std::string::npos);
}

TEST(StatusView, ModeNames) {
    EXPECT_EQ(xdp_mode_name(XdpMode::Generic), "generic");
    EXPECT_EQ(xdp_mode_name(XdpMode::None), "");
    EXPECT_EQ(tc_kind_name(TcKind::Clsact), "clsact");
}

}  // namespace
}  // namespace dw
