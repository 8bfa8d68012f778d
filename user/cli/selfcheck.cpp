// `dscpwatch selfcheck`: load the classifier, run known frames through every
// entry point with BPF_PROG_TEST_RUN, remark them, and print what was counted.
// Touches no interface.
#include <cstdio>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "bpf/classifier.hpp"
#include "cli/commands.hpp"
#include "core/dscp.hpp"
#include "core/error.hpp"
#include "core/frame.hpp"
#include "view/stats_view.hpp"

namespace dw::cli {
namespace {

struct Sample {
    const char* what;
    FrameSpec spec;
    int count;
};

int run_selfcheck(bool json) {
    auto c = Classifier::load();
    const Sample samples[] = {
        {"IPv4 TCP CS0", {.dscp = 0, .payload = 100}, 3},
        {"IPv4 TCP EF (ServerHello-sized)", {.src = "198.19.0.10", .dst = "198.18.0.1", .sport = 443, .dport = 40000, .dscp = 46, .payload = 1348}, 2},
        {"IPv4 UDP EF (VoIP)", {.proto = 17, .sport = 20000, .dport = 20002, .dscp = 46, .payload = 160}, 2},
        {"IPv6 TCP AF41", {.family = 6, .src = "2001:db8::1", .dst = "2001:db8::10", .dscp = 34, .ecn = 1, .payload = 200}, 1},
    };
    int failures = 0;
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::fprintf(stderr, "selfcheck: FAILED: %s\n", what.c_str());
            failures++;
        }
    };
    auto run_all = [&](Hook h) {
        for (const auto& s : samples) {
            auto f = build_frame(s.spec);
            for (int i = 0; i < s.count; i++) {
                auto r = c->run(h, f);
                bool pass = h == Hook::Xdp ? r.retval == XDP_PASS : r.retval == static_cast<uint32_t>(TC_ACT_UNSPEC);
                check(pass, std::string(s.what) + " passes on " + std::string(to_string(h)));
            }
        }
        auto arp = build_arp_frame();
        c->run(h, arp);
    };

    // Count only, on every entry point.
    for (Hook h : {Hook::Xdp, Hook::TcIngress, Hook::TcEgress}) run_all(h);

    // Remark to zero, keeping VoIP's EF on UDP 16384-32767, on tc egress.
    RemarkConfig cfg;
    cfg.mode = RemarkMode::Zero;
    cfg.exempt_ports.push_back(parse_port_range("udp:16384-32767"));
    c->maps().publish(cfg);
    auto ef = build_frame(samples[1].spec);
    auto out = c->run(Hook::TcEgress, ef);
    check(out.data.size() == ef.size() && (out.data[15] >> 2) == 0, "EF TCP frame leaves with DSCP 0");
    auto voip = build_frame(samples[2].spec);
    auto out2 = c->run(Hook::TcEgress, voip);
    check(out2.data == voip, "exempt VoIP frame leaves untouched");
    c->maps().publish(RemarkConfig{});

    StatsView v{c->maps().if_counters(), c->maps().remark_counters(), c->maps().counters()};
    if (json) {
        auto j = render_stats_json(v);
        j["flows"] = c->maps().flows().size();
        j["ok"] = failures == 0;
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("dscpwatch self-check: the classifier was loaded into this kernel and fed %s frames\n",
                    std::to_string(v.global[DW_CNT_FRAMES]).c_str());
        std::printf("through XDP, tc ingress and tc egress (BPF_PROG_TEST_RUN; no interface touched).\n\n");
        std::printf("%s", render_stats_text(v).c_str());
        std::printf("\nflows tracked: %zu\n", c->maps().flows().size());
        std::printf("%s\n", failures == 0 ? "self-check passed" : "self-check FAILED");
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace

void add_selfcheck(CLI::App& app) {
    auto* cmd = app.add_subcommand("selfcheck", "load the classifier and run known frames through it (no interface is touched)");
    static bool json = false;
    cmd->add_flag("--json", json, "print JSON");
    cmd->callback([] {
        int rc = run_selfcheck(json);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace dw::cli
