// dscpwatch: count, explain and fix DSCP marking on a proxy or gateway.
#include <fcntl.h>
#include <sched.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "bpf/classifier.hpp"
#include "bpf/fd.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"

namespace dw::cli {

Globals& globals() {
    static Globals g;
    return g;
}

void prepare() {
    static bool done = false;
    if (done) return;
    done = true;
    auto& g = globals();
    if (!g.netns.empty()) {
        if (g.netns.find('/') != std::string::npos)
            throw Error("bad network namespace name '" + g.netns + "'", "give a name from `ip netns list`");
        const std::string path = "/run/netns/" + g.netns;
        Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("cannot open network namespace " + path, errno, "list them with `ip netns list`");
        if (setns(fd.get(), CLONE_NEWNET) != 0) throw_errno("cannot enter network namespace " + g.netns, errno);
    }
    require_bpf_privileges();
}

std::unique_ptr<Instance> open_instance() {
    prepare();
    return Instance::open(globals().pin_root);
}

}  // namespace dw::cli

namespace {

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG && !dw::cli::globals().verbose) return 0;
    if (level != LIBBPF_WARN && !dw::cli::globals().verbose) return 0;
    return std::vfprintf(stderr, fmt, args);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dscpwatch: per-DSCP and per-flow counters, live DSCP remarking and handshake diagnosis\n"
                 "for proxies and gateways (XDP and tc, in the kernel, at wire speed)."};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("dscpwatch ") + dw::cli::kVersion);
    auto& g = dw::cli::globals();
    app.add_option("--pin-root", g.pin_root, "bpffs directory of the live instance")
        ->capture_default_str();
    app.add_option("--netns", g.netns, "work in this named network namespace (ip netns)");
    app.add_flag("-v,--verbose", g.verbose, "log libbpf and internal details");
    app.footer("Examples:\n"
               "  dscpwatch attach eth1                     XDP on ingress, tc on egress\n"
               "  dscpwatch stats --watch 1                 per-DSCP packets, bytes and rates\n"
               "  dscpwatch remark zero --exempt-port udp:16384-32767\n"
               "  dscpwatch flows --dscp EF --top 20\n"
               "  dscpwatch analyze gw.pcap --client-net 198.18.0.0/16   offline, same classifier\n"
               "  dscpwatch diff gw.pcap client.pcap        what was lost between two capture points\n"
               "  dscpwatch baseline nov.pcap dec.pcap      did a server change its marking?\n"
               "  dscpwatch detach --all");
    dw::cli::add_attach(app);
    dw::cli::add_detach(app);
    dw::cli::add_status(app);
    dw::cli::add_remark(app);
    dw::cli::add_stats(app);
    dw::cli::add_flows(app);
    dw::cli::add_reset(app);
    dw::cli::add_diagnose(app);
    dw::cli::add_serve(app);
    dw::cli::add_history(app);
    dw::cli::add_selfcheck(app);
    dw::cli::add_analyze(app);
    dw::cli::add_diff(app);
    dw::cli::add_baseline(app);

    libbpf_set_print(libbpf_log);
    // Warnings go to stderr: stdout carries the results (tables, JSON).
    spdlog::set_default_logger(spdlog::stderr_color_mt("dscpwatch"));
    spdlog::set_pattern("dscpwatch: %l: %v");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; a bad command line exits 2, the usual
        // usage-error status, whatever CLI11's internal error number is.
        return app.exit(e) == 0 ? 0 : 2;
    } catch (const dw::Error& e) {
        std::fprintf(stderr, "dscpwatch: %s\n", e.line().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dscpwatch: %s\n", e.what());
        return 1;
    }
    return g.exit_code;
}
