// `dscpwatch baseline BEFORE NOW`: how each server marks its ServerHello
// flight now, against a capture (or a saved summary) taken earlier. Captures
// go through a private instance of the classifier (root needed); saved
// summaries (`--save`) do not.
#include <cstdio>
#include <memory>

#include "bpf/classifier.hpp"
#include "cli/commands.hpp"
#include "compare/baseline.hpp"
#include "core/error.hpp"
#include "view/baseline_view.hpp"

namespace dw::cli {
namespace {

struct BaselineArgs {
    std::vector<std::string> inputs;
    bool json = false;
    std::string save;
    double min_shift = 20;
    double stall_after = 1.0;
};

void warn(const MarkingSet& s) {
    for (const auto& w : s.warnings) std::fprintf(stderr, "dscpwatch: warning: %s\n", w.c_str());
}

void run_baseline(const BaselineArgs& a) {
    if (a.inputs.size() == 1 && a.save.empty())
        throw Error("baseline needs two inputs (the baseline, then now), or one with --save FILE",
                    "e.g. dscpwatch baseline before.pcap now.pcap");
    const uint64_t stall = static_cast<uint64_t>(a.stall_after * 1e9);
    std::vector<MarkingSet> sets;
    for (const auto& in : a.inputs) {
        sets.push_back(load_markings(in, stall));
        warn(sets.back());
    }
    if (!a.save.empty()) save_markings(sets.back(), a.save);
    if (sets.size() == 1) {  // summarise and save only
        std::vector<MarkingChange> rows = compare_markings({}, sets[0].servers);
        if (a.json)
            std::printf("%s\n", markings_to_json(sets[0]).dump(2).c_str());
        else
            for (const auto& r : rows)
                std::printf("%s%s: %s\n", r.server.c_str(), r.sni.empty() ? "" : (" (SNI " + r.sni + ")").c_str(),
                            describe_marking(r.now).c_str());
        return;
    }
    MarkingCompareOptions opt;
    opt.min_shift = a.min_shift / 100.0;
    const auto changes = compare_markings(sets[0].servers, sets[1].servers, opt);
    if (a.json)
        std::printf("%s\n", render_baseline_json(sets[0], sets[1], changes).dump(2).c_str());
    else
        std::printf("%s", render_baseline_text(sets[0], sets[1], changes).c_str());
    globals().exit_code = marking_changed(changes) ? kExitDiffers : 0;
}

}  // namespace

void add_baseline(CLI::App& app) {
    auto args = std::make_shared<BaselineArgs>();
    auto* cmd = app.add_subcommand(
        "baseline", "compare how each server marks its ServerHello flight with an earlier capture or saved summary");
    cmd->add_option("inputs", args->inputs,
                    "BASELINE NOW: each a capture (pcap/pcapng, replayed through the classifier: needs root) or a "
                    "summary saved with --save")
        ->required()
        ->expected(1, 2);
    cmd->add_flag("--json", args->json, "print JSON");
    cmd->add_option("--save", args->save, "write the summary of the last input to FILE (JSON), for a later baseline");
    cmd->add_option("--min-shift", args->min_shift,
                    "percentage points a DSCP's share of ServerHello flights must move to count as a change")
        ->check(CLI::Range(1.0, 100.0))
        ->capture_default_str();
    cmd->add_option("--stall-after", args->stall_after,
                    "seconds without progress after a retransmission before a handshake counts as stalled")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->footer("Exit status: 0 no change, 3 a server's marking changed, 1 error, 2 usage.\n"
                "Examples:\n"
                "  dscpwatch baseline --save nov.json nov.pcap     summarise a capture for later\n"
                "  dscpwatch baseline nov.json dec.pcap            what changed since");
    cmd->callback([args] { run_baseline(*args); });
}

}  // namespace dw::cli
