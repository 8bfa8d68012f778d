// `dscpwatch diagnose`: why TLS handshakes fail here, and what to do about it.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "diag/collect.hpp"
#include "view/diagnose_view.hpp"

namespace dw::cli {
namespace {

struct DiagnoseArgs {
    bool json = false;
    double watch = 0;
    size_t top = 10;
    double stall_after = 1.0;
};

volatile sig_atomic_t g_stop = 0;

void run_diagnose(const DiagnoseArgs& a) {
    auto inst = open_instance();
    VerdictOptions opt;
    opt.stall_after_ns = static_cast<uint64_t>(a.stall_after * 1e9);
    opt.give_up_ns = std::max<uint64_t>(opt.stall_after_ns * 3, opt.stall_after_ns);
    if (a.watch > 0) {
        signal(SIGINT, [](int) { g_stop = 1; });
        signal(SIGTERM, [](int) { g_stop = 1; });
    }
    do {
        opt.now_ns = 0;
        auto d = diagnose(inst->maps(), opt);
        if (a.json) {
            std::printf("%s\n", render_diagnosis_json(d, a.top).dump(a.watch > 0 ? -1 : 2).c_str());
        } else {
            if (a.watch > 0 && isatty(STDOUT_FILENO)) std::printf("\033[H\033[2J");
            std::printf("%s", render_diagnosis_text(d, a.top).c_str());
        }
        std::fflush(stdout);
        for (double t = 0; a.watch > 0 && t < a.watch && !g_stop; t += 0.1)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (a.watch > 0 && !g_stop);
}

}  // namespace

void add_diagnose(CLI::App& app) {
    auto args = std::make_shared<DiagnoseArgs>();
    auto* cmd = app.add_subcommand("diagnose",
                                   "why TLS handshakes stall or fail here: verdicts per server and SNI, then the worst flows");
    cmd->add_flag("--json", args->json, "print JSON (one object per line with --watch)");
    cmd->add_option("--watch", args->watch, "refresh every SECONDS until interrupted")->check(CLI::PositiveNumber);
    cmd->add_option("--top", args->top, "how many of the worst flows to show (0: all)")->capture_default_str();
    cmd->add_option("--stall-after", args->stall_after,
                    "seconds without progress after a retransmission before a handshake counts as stalled")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->footer("Example: dscpwatch diagnose --watch 2");
    cmd->callback([args] { run_diagnose(*args); });
}

}  // namespace dw::cli
