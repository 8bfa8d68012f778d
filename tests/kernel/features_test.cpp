// Kernel feature probing against the kernel the test runs on (the host's, and
// Debian 12's 6.1 in vmtest): each probe agrees with the release, and "can the
// classifier load" agrees with actually loading it.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "attach/attach.hpp"
#include "bpf/features.hpp"
#include "core/error.hpp"
#include "kernel.hpp"

namespace dwt {
namespace {

int version_code(const std::string& release) {
    int a = 0, b = 0;
    EXPECT_EQ(std::sscanf(release.c_str(), "%d.%d", &a, &b), 2) << release;
    return a * 1000 + b;
}

class FeaturesTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto why = privilege_problem(); !why.empty()) GTEST_FAIL() << why;
    }
};

TEST_F(FeaturesTest, ProbesAgreeWithTheRelease) {
    const dw::KernelFeatures f = dw::probe_kernel_features();
    const int v = version_code(f.release);
    std::printf("[features] %s: tcx %d ringbuf %d bpf_loop %d xdp_load_bytes %d btf %d jit %d\n", f.release.c_str(),
                f.tcx, f.ringbuf, f.bpf_loop, f.xdp_load_bytes, f.btf, f.jit);
    EXPECT_EQ(f.tcx, v >= 6006) << "TCX came with Linux 6.6";
    EXPECT_EQ(f.bpf_loop, v >= 5017) << "bpf_loop came with Linux 5.17";
    EXPECT_EQ(f.xdp_load_bytes, v >= 5018) << "bpf_xdp_load_bytes came with Linux 5.18";
    EXPECT_EQ(f.ringbuf, v >= 5008);
    EXPECT_EQ(f.mmapable_array, v >= 5005);
    EXPECT_EQ(f.bounded_loops, v >= 5003);
}

TEST_F(FeaturesTest, CanLoadMeansItLoads) {
    const dw::KernelFeatures f = dw::probe_kernel_features();
    const auto missing = dw::missing_requirements(f);
    if (missing.empty()) {
        EXPECT_NO_THROW(dw::Classifier::load({.flow_capacity = 1024, .hs_capacity = 1024}));
    } else {
        try {
            dw::Classifier::load({.flow_capacity = 1024, .hs_capacity = 1024});
            ADD_FAILURE() << "loaded although the probe says the kernel lacks " << missing.front();
        } catch (const dw::Error& e) {
            EXPECT_NE(std::string(e.what()).find(missing.front()), std::string::npos) << e.line();
        }
    }
}

TEST(FeatureRules, EachMissingRequirementIsNamedWithItsRelease) {
    dw::KernelFeatures none;
    const auto m = dw::missing_requirements(none);
    ASSERT_EQ(m.size(), 6u);
    for (const char* want : {"bounded loops", "mmapable", "ring buffer", "XDP links", "bpf_loop helper", "bpf_xdp_load_bytes helper"})
        EXPECT_NE(::testing::PrintToString(m).find(want), std::string::npos) << want;
    for (const auto& line : m) EXPECT_NE(line.find("(Linux 5."), std::string::npos) << line;
    dw::KernelFeatures all{"6.1.0", false, true, true, true, true, true, true, true, 1};
    EXPECT_TRUE(dw::missing_requirements(all).empty()) << "TCX is optional";
}

TEST(FeatureRules, TcAutoIsTcxOnlyWhereTheKernelHasIt) {
    dw::KernelFeatures f;
    f.tcx = false;
    auto c = dw::auto_tc_choice(f);
    EXPECT_EQ(c.kind, dw::TcKind::Clsact);
    EXPECT_NE(c.why.find("no TCX on this kernel"), std::string::npos) << c.why;
    f.tcx = true;
    EXPECT_EQ(dw::auto_tc_choice(f).kind, dw::TcKind::Tcx);
}

}  // namespace
}  // namespace dwt
