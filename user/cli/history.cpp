// `dscpwatch history [--server ADDR:PORT] [--json] [--db PATH]`: the DSCP
// history that `dscpwatch serve --history PATH` keeps.
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "history/store.hpp"
#include "view/history_view.hpp"

namespace dw::cli {

void add_history(CLI::App& app) {
    struct Args {
        std::string db = kDefaultHistoryPath;
        std::string server;
        bool json = false;
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("history",
                                   "per server and SNI, per day: handshakes, success rate and ServerHello DSCP; drift alerts");
    cmd->add_option("--db", a->db, "the history database that `serve --history` writes")->capture_default_str();
    cmd->add_option("--server", a->server, "only this server endpoint (ADDR:PORT, [V6]:PORT)");
    cmd->add_flag("--json", a->json, "print JSON");
    cmd->footer("Example: dscpwatch history --server 198.19.0.10:443");
    cmd->callback([a] {
        if (access(a->db.c_str(), R_OK) != 0)
            throw Error("no history database at " + a->db,
                        "run `dscpwatch serve --history " + a->db + "` first, or give --db PATH");
        HistoryStore store(a->db, true);
        auto days = store.days(a->server);
        auto alerts = store.alerts(a->server);
        if (a->json)
            std::printf("%s\n", render_history_json(days, alerts).dump(2).c_str());
        else
            std::printf("%s", render_history_text(days, alerts).c_str());
    });
}

}  // namespace dw::cli
