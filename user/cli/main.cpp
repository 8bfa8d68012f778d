// dscpwatch: count, explain and fix DSCP marking on a proxy or gateway.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
    CLI::App app{"dscpwatch: per-DSCP and per-flow counters, live DSCP remarking, handshake diagnosis"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "dscpwatch 0.1.0");
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "log libbpf and internal details");
    dw::cli::add_selfcheck(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const dw::Error& e) {
        std::fprintf(stderr, "dscpwatch: %s\n", e.line().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dscpwatch: %s\n", e.what());
        return 1;
    }
    return 0;
}
