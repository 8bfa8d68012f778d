// `dscpwatch stats [IFACE] [--json] [--watch SECONDS]`: packets, bytes and
// remarks per interface, direction and DSCP; with --watch, rates too.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "attach/attach.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "view/stats_view.hpp"

namespace dw::cli {
namespace {

struct StatsArgs {
    std::string iface;
    bool json = false;
    double watch = 0;  // seconds; 0: one sample
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

double monotonic_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double unix_s() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The frame counter is read before and after the tables: with no traffic in
// between the per-DSCP sum check is exact, otherwise it is a range.
StatsView sample(const MapSet& m) {
    StatsView v;
    v.global = m.counters();
    v.counters = m.if_counters();
    v.remarks = m.remark_counters();
    v.frames_after = m.counters()[DW_CNT_FRAMES];
    return v;
}

// Sleeps up to `seconds`, waking early on SIGINT/SIGTERM.
void sleep_interruptible(double seconds) {
    const double until = monotonic_s() + seconds;
    while (!g_stop) {
        double left = until - monotonic_s();
        if (left <= 0) break;
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.1)));
    }
}

std::string now_hms() {
    time_t t = time(nullptr);
    tm tmv{};
    localtime_r(&t, &tmv);
    char buf[16];
    strftime(buf, sizeof(buf), "%H:%M:%S", &tmv);
    return buf;
}

// Redraw in place on a terminal: home, each line cleared to its end, then
// everything below cleared. No full-screen clear, so no flicker.
void redraw(const std::string& text) {
    std::string out = "\x1b[H";
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        out.append(text, pos, nl - pos);
        out += "\x1b[K\n";
        pos = nl + 1;
    }
    out += "\x1b[J";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
}

void run_stats(const StatsArgs& a) {
    prepare();
    StatsOptions opts;
    if (!a.iface.empty()) opts.ifindex = resolve_ifindex(a.iface);
    auto inst = open_instance();
    const MapSet& maps = inst->maps();

    if (a.watch <= 0) {
        auto v = sample(maps);
        if (a.json)
            std::printf("%s\n", render_stats_json(v, opts).dump(2).c_str());
        else
            std::printf("%s", render_stats_text(v, opts).c_str());
        return;
    }

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old_int {}, old_term {};
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    const bool tty = isatty(STDOUT_FILENO) == 1;
    if (tty && !a.json) std::printf("\x1b[2J");

    std::optional<StatsView> prev;
    double prev_t = 0;
    while (!g_stop) {
        auto v = sample(maps);
        const double t = monotonic_s();
        StatsOptions o = opts;
        if (prev) {
            o.prev = &*prev;
            o.interval_s = t - prev_t;
        }
        if (a.json) {
            auto j = render_stats_json(v, o);
            j["time"] = unix_s();
            std::printf("%s\n", j.dump().c_str());
            std::fflush(stdout);
        } else {
            char interval[32];
            std::snprintf(interval, sizeof(interval), "%g", a.watch);
            std::string text = "dscpwatch stats" + (a.iface.empty() ? "" : " " + a.iface) + ", every " + interval +
                               "s, " + now_hms() + (prev ? "" : " (rates from the next sample)") +
                               "; Ctrl-C to stop\n\n" + render_stats_text(v, o);
            if (tty) {
                redraw(text);
            } else {
                std::printf("%s\n", text.c_str());
                std::fflush(stdout);
            }
        }
        prev = std::move(v);
        prev_t = t;
        sleep_interruptible(a.watch);
    }
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
}

}  // namespace

void add_stats(CLI::App& app) {
    auto a = std::make_shared<StatsArgs>();
    auto* cmd = app.add_subcommand("stats", "packets, bytes and remarks per interface, direction and DSCP");
    cmd->add_option("IFACE", a->iface, "show only this interface");
    cmd->add_flag("--json", a->json, "print JSON (with --watch: one JSON object per line per sample)");
    cmd->add_option("--watch", a->watch, "refresh every SECONDS until Ctrl-C, with packet and bit rates")
        ->check(CLI::PositiveNumber);
    cmd->footer(
        "DSCP values are shown with their names (CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE). Below the\n"
        "table: totals per interface and direction, fragment and malformed counters, and a check that\n"
        "the per-DSCP sum over all interfaces equals the classifier's frame count. 'remarked' counts\n"
        "packets of that DSCP that were rewritten to another value.\n\n"
        "Examples:\n"
        "  dscpwatch stats\n"
        "  dscpwatch stats eth1 --watch 1\n"
        "  dscpwatch stats --json --watch 5 > samples.jsonl");
    cmd->callback([a] { run_stats(*a); });
}

}  // namespace dw::cli
