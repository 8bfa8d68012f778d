// `dscpwatch serve`: the long-running daemon of one host. It reads the pinned
// live instance that `dscpwatch attach` made, consumes the event ring, keeps
// the verdicts current, and exports: Prometheus metrics over HTTP, a JSON-lines
// event log, a DSCP history (SQLite) with drift alerts, and IPFIX over UDP.
#pragma once

#include <cstdint>
#include <string>

namespace dw {

struct ServeOptions {
    std::string pin_root;
    std::string metrics;          // ADDR:PORT; empty: no HTTP server
    std::string event_log;        // path; empty: none
    uint64_t event_log_max = 10 * 1024 * 1024;
    unsigned event_log_keep = 5;
    std::string history;          // SQLite path; empty: no history
    std::string history_day;      // YYYY-MM-DD instead of today's UTC date (tests, replays)
    unsigned drift_window = 3;    // handshakes in a row with a new marking before an alert
    std::string ipfix;            // HOST:PORT; empty: no export
    uint32_t ipfix_domain = 0;
    double ipfix_template_interval = 60;  // seconds
    double ipfix_active_timeout = 60;
    double ipfix_idle_timeout = 15;
    double interval = 5;          // seconds between refreshes
    double stall_after = 1.0;
    std::string version;
};

// Runs until SIGTERM or SIGINT; returns the exit status. Throws dw::Error for
// bad options or exporters that cannot start (port taken, unwritable history).
int run_serve(const ServeOptions& o);

}  // namespace dw
