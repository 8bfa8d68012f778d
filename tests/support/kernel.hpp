// What every kernel test shares: the root check, loading the classifier, running
// one frame and reading what it changed in the maps, and checking that against
// the model.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "bpf/classifier.hpp"
#include "bpf/maps.hpp"
#include "model.hpp"
#include "packet.hpp"

namespace dw {
// gtest prints parameters with this (found by ADL).
void PrintTo(Hook h, std::ostream* os);
}  // namespace dw

namespace dwt {

inline const std::array<dw::Hook, 3> kHooks{dw::Hook::Xdp, dw::Hook::TcIngress, dw::Hook::TcEgress};
std::string hook_param_name(const ::testing::TestParamInfo<dw::Hook>& info);

// Empty if this process may load and test-run BPF programs; else why not.
std::string privilege_problem();

// BPF_PROG_TEST_RUN on a tc program refuses a frame whose outer EtherType is
// IPv4 (IPv6) but which holds less than a fixed IPv4 (IPv6) header after the
// Ethernet header (EINVAL since the kernel reads the addresses). Such frames
// can only be tried on XDP, or behind a VLAN tag.
bool injectable(dw::Hook h, std::span<const uint8_t> frame);

// Every kernel test derives from this: without root, it FAILS (never skips).
// Loading the object costs ~0.4 s of verifier time, so a test loads it once
// and runs its frames on each of the three hooks in turn (each_hook).
class KernelTest : public ::testing::Test {
protected:
    void SetUp() override;  // the root check, then loads cls_ with load_options()
    virtual dw::LoadOptions load_options() const { return {.replay_clock = true}; }
    static std::unique_ptr<dw::Classifier> load(const dw::LoadOptions& opts = {});

    // Runs f once per hook with clean maps: counters, flows, remark policy off, clock 0.
    template <typename F>
    void each_hook(F&& f) {
        for (dw::Hook h : kHooks) {
            SCOPED_TRACE(std::string("hook ") + std::string(dw::to_string(h)));
            hook_ = h;
            reset();
            f();
            if (HasFatalFailure()) return;
        }
    }
    // One part of a test: traced by its name, run on clean maps.
    template <typename F>
    void section(const std::string& name, F&& f) {
        SCOPED_TRACE(name);
        reset();
        f();
    }
    virtual void reset();
    dw::Hook hook() const { return hook_; }

    std::unique_ptr<dw::Classifier> cls_;
    dw::Hook hook_ = dw::Hook::Xdp;
};

// For tests that run as one test per hook (the long ones).
class HookTest : public ::testing::Test, public ::testing::WithParamInterface<dw::Hook> {
protected:
    void SetUp() override;  // the root check only
    static std::unique_ptr<dw::Classifier> load(const dw::LoadOptions& opts = {});
    dw::Hook hook() const { return GetParam(); }
};

// The counter maps at one moment (per-CPU values summed).
struct Snapshot {
    model::Counters counters{};
    std::map<model::IfKey, model::Cnt> ifc;
    std::map<model::RemarkKey, model::Cnt> remarks;
};
Snapshot snapshot(const dw::MapSet& m);
Snapshot diff(const Snapshot& after, const Snapshot& before);  // zero entries dropped

struct Outcome {
    dw::RunResult res;
    Snapshot delta;
};
// Runs one frame and returns what it changed in the counter maps.
Outcome run_frame(const dw::Classifier& c, dw::Hook h, const Bytes& frame, uint32_t ifindex = 1);

// The run matches the model: verdict, output bytes, global counter deltas,
// exactly one interface counter (+1, +len) and the remark counter.
// FLOW_NEW is compared only if check_flow_new.
::testing::AssertionResult matches(const Outcome& o, const model::Expect& e, const Bytes& frame,
                                   uint32_t ifindex = 1, bool check_flow_new = true);

// Counters with each listed index incremented once.
model::Counters counts(std::initializer_list<int> idx);
std::string diff_counters(const model::Counters& want, const model::Counters& got);

const dw::FlowEntry* find_flow(const std::vector<dw::FlowEntry>& flows, const dw_flow_key& k);

inline uint32_t pass(dw::Hook h) { return model::pass_verdict(h); }

// A hand-made frame and what the spec says about it (remark off).
struct Crafted {
    std::string name;
    Bytes frame;
    int slot = 0;                // DSCP, DW_SLOT_NONIP or DW_SLOT_MALFORMED
    model::Counters counters{};  // every increment but FLOW_NEW
    bool flow = false;           // a flow record is touched
};
// Runs it on a clean flow table; checks the stated expectation, then the model.
void check_crafted(dw::Classifier& c, dw::Hook h, const Crafted& k);

}  // namespace dwt
