// `dscpwatch serve`: the daemon (see user/serve/daemon.hpp and dist/dscpwatch.service).
#include <memory>

#include "cli/commands.hpp"
#include "serve/daemon.hpp"

namespace dw::cli {

void add_serve(CLI::App& app) {
    auto o = std::make_shared<ServeOptions>();
    auto* cmd = app.add_subcommand(
        "serve", "run as a daemon: Prometheus metrics, event log, DSCP history with drift alerts, IPFIX export");
    cmd->add_option("--metrics", o->metrics, "serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9462)");
    cmd->add_option("--event-log", o->event_log, "append JSON lines here: verdict changes, remark mode changes, drift alerts");
    cmd->add_option("--event-log-max-bytes", o->event_log_max, "rotate the event log at this size")
        ->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--event-log-keep", o->event_log_keep, "rotated event logs kept (LOG.1 .. LOG.N)")
        ->capture_default_str();
    cmd->add_option("--history", o->history, "keep the DSCP history in this SQLite database (e.g. " +
                                                 std::string(kDefaultHistoryPath) + ")");
    cmd->add_option("--history-day", o->history_day,
                    "record under this day (YYYY-MM-DD) instead of today's UTC date (replays and tests)")
        ->check([](const std::string& s) {
            return s.size() == 10 && s[4] == '-' && s[7] == '-' ? std::string() : "want YYYY-MM-DD";
        });
    cmd->add_option("--drift-window", o->drift_window,
                    "handshakes in a row with a new ServerHello marking before a drift alert")
        ->capture_default_str()->check(CLI::Range(1, 1000));
    cmd->add_option("--ipfix", o->ipfix, "export IPFIX flow records over UDP to this collector (HOST:PORT)");
    cmd->add_option("--ipfix-domain", o->ipfix_domain, "IPFIX observation domain ID")->capture_default_str();
    cmd->add_option("--ipfix-template-interval", o->ipfix_template_interval, "re-send the templates every SECONDS")
        ->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--ipfix-active-timeout", o->ipfix_active_timeout, "export long flows at least every SECONDS")
        ->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--ipfix-idle-timeout", o->ipfix_idle_timeout, "a flow idle this long has ended: export it")
        ->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--interval", o->interval, "seconds between refreshes of verdicts, metrics and exports")
        ->capture_default_str()->check(CLI::Range(0.1, 3600.0));
    cmd->add_option("--stall-after", o->stall_after, "as in diagnose")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->footer(
        "serve reads the live instance that `dscpwatch attach` made (it attaches nothing) and drains its\n"
        "event ring: while it runs, `diagnose` and `flows` see what serve absorbed (SNI, versions) but\n"
        "the ring itself is serve's. It keeps working if the instance is detached and attached again.\n"
        "SIGTERM or SIGINT flush the exports and stop it. See dist/dscpwatch.service.\n\n"
        "Example: dscpwatch serve --metrics 127.0.0.1:9462 --event-log /var/log/dscpwatch/events.jsonl \\\n"
        "           --history /var/lib/dscpwatch/history.db --ipfix 192.0.2.50:4739");
    cmd->callback([o] {
        prepare();
        o->pin_root = globals().pin_root;
        o->version = kVersion;
        run_serve(*o);
    });
}

}  // namespace dw::cli
