#include "serve/daemon.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "attach/instance.hpp"
#include "core/error.hpp"
#include "diag/collect.hpp"
#include "diag/marking.hpp"
#include "export/eventlog.hpp"
#include "export/prometheus.hpp"
#include "history/drift.hpp"
#include "history/store.hpp"
#include "serve/ipfix_export.hpp"
#include "serve/metrics_server.hpp"
#include "serve/throttled.hpp"
#include "serve/tracker.hpp"
#include "view/stats_view.hpp"

namespace dw {
namespace {

uint64_t unix_now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t secs_ns(double s) { return static_cast<uint64_t>(s * 1e9); }

class Daemon {
public:
    explicit Daemon(const ServeOptions& o) : o_(o), drift_(o.drift_window) {
        if (!o.history.empty()) {
            history_ = std::make_unique<HistoryStore>(o.history);
            // Handshakes a previous run counted and that may still be in the kernel's table.
            std::vector<CountedFlow> before;
            for (auto& c : history_->counted()) before.push_back({std::move(c.id), std::move(c.verdict), c.completed});
            tracker_.preload(before);
        }
        if (!o.event_log.empty()) {
            log_ = std::make_unique<EventLog>(o.event_log, o.event_log_max, o.event_log_keep);
            // A path that cannot be opened at all is a mistake in the command line; a
            // full disk later is not (the daemon then keeps serving and counts the loss).
            if (!log_->open_now())
                throw Error(log_->error(), "create its directory, or give another --event-log path");
        }
        if (!o.ipfix.empty())
            ipfix_ = std::make_unique<IpfixExport>(IpfixExportOptions{
                o.ipfix, o.ipfix_domain, secs_ns(o.ipfix_template_interval),
                FlowExportOptions{secs_ns(o.ipfix_active_timeout), secs_ns(o.ipfix_idle_timeout)}});
        if (!o.metrics.empty()) http_ = std::make_unique<MetricsServer>(o.metrics);
        snap_.version = o.version;
    }

    int run(int sigfd) {
        emit({{"event", "start"}, {"pin_root", o_.pin_root}});
        spdlog::info("serving{}{}{}{}", http_ ? " metrics on " + o_.metrics : "",
                     log_ ? ", event log " + o_.event_log : "", history_ ? ", history " + o_.history : "",
                     ipfix_ ? ", IPFIX to " + o_.ipfix : "");
        uint64_t next = 0;
        for (;;) {
            const uint64_t now = monotonic_now_ns();
            if (now >= next) {
                refresh(false);
                next = now + secs_ns(o_.interval);
            }
            pollfd p[2] = {{sigfd, POLLIN, 0}, {inst_ ? inst_->maps().fds().events : -1, POLLIN, 0}};
            const uint64_t left = next > monotonic_now_ns() ? next - monotonic_now_ns() : 0;
            int n = poll(p, 2, static_cast<int>(left / 1000000 + 1));
            if (n < 0 && errno != EINTR) throw_errno("poll", errno);
            if (n > 0 && (p[0].revents & POLLIN)) {
                signalfd_siginfo si{};
                if (read(sigfd, &si, sizeof(si)) == sizeof(si))
                    spdlog::info("signal {}: flushing and stopping", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
                break;
            }
            if (n > 0 && (p[1].revents & POLLIN) && inst_) {
                try {
                    absorb_events(inst_->maps());  // keep the ring drained between refreshes
                } catch (const Error& e) {
                    lose_instance(e.line());
                }
            }
        }
        refresh(true);
        emit({{"event", "stop"}});
        if (http_) http_->stop();
        return 0;
    }

private:
    // One event line: "ts" first, then the fields in the order given.
    void emit(const nlohmann::ordered_json& j) {
        if (!log_) return;
        nlohmann::ordered_json line{{"ts", iso8601_utc(unix_now_ns())}};
        for (const auto& [k, v] : j.items()) line[k] = v;
        if (log_->write(line)) {
            snap_.daemon.eventlog_lines++;
        } else {
            snap_.daemon.eventlog_errors++;
            throttle_log_.error(log_->error() + " (the daemon keeps serving; lines are lost until it can write)");
        }
    }

    static uint64_t pin_inode(const std::string& root) {
        struct stat st {};
        return stat((root + "/maps/dw_counters").c_str(), &st) == 0 ? st.st_ino : 0;
    }

    void lose_instance(const std::string& why) {
        if (inst_) {
            spdlog::warn("lost the live instance at {}: {}; retrying every refresh", o_.pin_root, why);
            emit({{"event", "instance"}, {"state", "lost"}, {"reason", why}});
        }
        inst_.reset();
        inode_ = 0;
    }

    // Opens the instance, or notices that it was removed or replaced.
    bool ensure_instance() {
        const uint64_t ino = pin_inode(o_.pin_root);
        if (inst_ && ino == inode_) return true;
        if (inst_) lose_instance(ino ? "it was replaced" : "it was removed (detach --all?)");
        try {
            inst_ = Instance::open(o_.pin_root);
            inode_ = pin_inode(o_.pin_root);
            spdlog::info("reading the live instance at {}", o_.pin_root);
            emit({{"event", "instance"}, {"state", "found"}});
            mode_.reset();
            return true;
        } catch (const Error& e) {
            throttle_inst_.error("no live instance: " + e.line());
            return false;
        }
    }

    std::string today() const {
        if (!o_.history_day.empty()) return o_.history_day;
        return iso8601_utc(unix_now_ns()).substr(0, 10);
    }

    // A new remark policy: log a mode change, and export what the flows did
    // under the old policy before the new one colours the post-remark DSCP.
    // (Packets between the switch and this refresh count under the old one.)
    void note_remark_policy(MapSet& m) {
        const uint64_t gen = m.generation();
        if (mode_ && gen == generation_) return;
        const auto cfg = m.active_config();
        snap_.remark_mode = static_cast<uint32_t>(cfg.mode);
        if (mode_ && *mode_ != cfg.mode)
            emit({{"event", "remark_mode"}, {"mode", std::string(to_string(cfg.mode))},
                  {"previous", std::string(to_string(*mode_))}, {"generation", gen}});
        if (mode_ && ipfix_) export_flows(m.flows(), true);
        mode_ = cfg.mode;
        generation_ = gen;
        cfg_ = cfg;
    }

    void note_verdicts(const Diagnosis& d) {
        auto r = tracker_.update(d.flows, d.now_ns);
        for (const auto& c : r.changes) {
            const auto& v = *c.flow;
            nlohmann::ordered_json j{{"event", "verdict"},
                             {"client", v.client + ":" + std::to_string(v.client_port)},
                             {"server", v.server_endpoint()},
                             {"sni", v.sni},
                             {"verdict", v.verdict_text()},
                             {"outcome", outcome_label(to_string(v.outcome))},
                             {"stage", std::string(stage_key(v.stage))},
                             {"previous", c.previous.empty() ? nullptr : nlohmann::ordered_json(c.previous)},
                             {"history", v.history}};
            const int sh = server_hello_dscp(v);
            j["server_hello_dscp"] = sh >= 0 ? nlohmann::ordered_json(sh) : nlohmann::ordered_json(nullptr);
            emit(j);
        }
        if (!history_) return;
        const std::string day = today();
        try {
            auto deltas = server_markings(r.decided);
            for (const auto* v : r.completed_late) {
                ServerMarking late;
                late.server = v->server_endpoint();
                late.sni = v->sni;
                late.completed = 1;
                deltas.push_back(std::move(late));
            }
            std::vector<HistoryStore::Counted> counted;
            for (auto& c : r.counted) counted.push_back({std::move(c.id), std::move(c.verdict), c.completed});
            history_->commit(day, deltas, counted, r.forgotten);
            for (const auto& v : r.decided) {
                auto a = drift_.observe(*history_, v.server_endpoint(), v.sni, day, server_hello_dscp(v));
                if (!a) continue;
                snap_.daemon.drift_alerts++;
                spdlog::warn("DSCP drift: {}", a->message());
                emit({{"event", "dscp_drift"}, {"server", a->server}, {"sni", a->sni}, {"day", a->day},
                      {"dscp", a->now}, {"before", a->before}, {"message", a->message()}});
            }
        } catch (const Error& e) {
            snap_.daemon.history_errors++;
            throttle_hist_.error(e.line());
        }
    }

    void tally_handshakes(const Diagnosis& d) {
        snap_.handshakes.clear();
        snap_.stalled_by_lost_dscp.fill(0);
        for (const auto& v : d.flows) {
            snap_.handshakes[{outcome_label(to_string(v.outcome)), std::string(stage_key(v.stage))}]++;
            if (v.outcome != Outcome::Stalled) continue;
            const uint64_t m = v.stages[v.stage < DW_ST_MAX ? v.stage : 0].lost_dscp_mask;
            for (unsigned b = 0; b < 64; b++)
                if (m & (1ull << b)) snap_.stalled_by_lost_dscp[b]++;
        }
        snap_.handshakes_tracked = d.handshakes_tracked;
        snap_.handshake_capacity = d.handshake_capacity;
        snap_.verdicts_total = tracker_.totals();
    }

    void export_flows(const std::vector<FlowEntry>& flows, bool flush) {
        if (ipfix_) ipfix_->run(flows, cfg_, flush, snap_.daemon);
    }

    void refresh(bool final) {
        snap_.daemon.refreshes++;
        if (!ensure_instance()) {
            snap_.instance_up = false;
            snap_.daemon.refresh_errors++;
            publish();
            return;
        }
        try {
            MapSet& m = inst_->maps();
            note_remark_policy(m);
            VerdictOptions vo;
            vo.stall_after_ns = secs_ns(o_.stall_after);
            vo.give_up_ns = vo.stall_after_ns * 3;
            const auto d = diagnose(m, vo);
            note_verdicts(d);
            tally_handshakes(d);
            const auto flows = m.flows();
            snap_.flows = flows.size();
            snap_.flow_capacity = m.flow_capacity();
            snap_.global = m.counters();
            snap_.counters = m.if_counters();
            snap_.remarks = m.remark_counters();
            for (const auto& c : snap_.counters)
                if (!snap_.ifnames.count(c.ifindex)) snap_.ifnames[c.ifindex] = ifname_of(c.ifindex);
            snap_.instance_up = true;
            snap_.refreshed_unix = static_cast<double>(unix_now_ns()) / 1e9;
            export_flows(flows, final);
        } catch (const Error& e) {
            snap_.instance_up = false;
            snap_.daemon.refresh_errors++;
            lose_instance(e.line());
        }
        publish();
    }

    void publish() {
        if (http_) http_->publish(render_prometheus(snap_));
    }

    const ServeOptions& o_;
    std::unique_ptr<Instance> inst_;
    uint64_t inode_ = 0;
    std::unique_ptr<HistoryStore> history_;
    std::unique_ptr<EventLog> log_;
    std::unique_ptr<IpfixExport> ipfix_;
    std::unique_ptr<MetricsServer> http_;
    DriftDetector drift_;
    VerdictTracker tracker_;
    MetricsSnapshot snap_;
    std::optional<RemarkMode> mode_;
    uint64_t generation_ = 0;
    RemarkConfig cfg_;
    Throttled throttle_log_, throttle_inst_, throttle_hist_;
};

}  // namespace

int run_serve(const ServeOptions& o) {
    // Signals arrive through a signalfd in the main loop; every thread
    // (the HTTP server's too) inherits the blocked mask. A client that
    // disconnects mid-response must not kill us with SIGPIPE.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);
    const int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) throw_errno("signalfd", errno);
    int rc = 0;
    try {
        Daemon d(o);
        rc = d.run(sfd);
    } catch (...) {
        close(sfd);
        throw;
    }
    close(sfd);
    return rc;
}

}  // namespace dw
