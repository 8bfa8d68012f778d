// The DSCP history: per server endpoint, SNI and day (UTC), how many
// handshakes there were, how many completed, and the DSCP of their
// ServerHello flight; plus the drift alerts raised. An embedded SQLite
// database, so it outlives restarts of the daemon.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diag/marking.hpp"

struct sqlite3;

namespace dw {

// One server endpoint and SNI on one day (UTC): the marking summary of
// diag/marking.hpp (handshakes, completed, ServerHello flights by DSCP).
struct DayMarking {
    std::string day;  // YYYY-MM-DD
    ServerMarking marking;
};

struct DriftAlert {
    std::string server, sni, day;
    int before = 0, now = 0;  // dominant DSCP before that day; the new marking
    // "198.19.0.10:443 (SNI x) started marking its ServerHello EF on 2026-11-17; before, 0"
    std::string message() const;
};

// "EF", "AF41", "0", "13": how the history names a marking.
std::string marking_name(int dscp);

class HistoryStore {
public:
    // Opens or creates the database. Throws dw::Error naming the cause and fix.
    explicit HistoryStore(const std::string& path, bool read_only = false);
    ~HistoryStore();
    HistoryStore(const HistoryStore&) = delete;
    HistoryStore& operator=(const HistoryStore&) = delete;

    // Adds a summary of handshakes that just finished (a delta) to the day's.
    void add(const std::string& day, const ServerMarking& delta);

    // Handshakes already counted, so that a restarted daemon does not count
    // the ones still in the kernel's table again: (id, verdict, completed).
    struct Counted {
        std::string id, verdict;
        bool completed = false;
    };
    // One transaction: the day's deltas, the flows now counted, and the
    // counted flows that left the kernel's table (forgotten).
    void commit(const std::string& day, const std::vector<ServerMarking>& deltas, const std::vector<Counted>& counted,
                const std::vector<std::string>& forgotten);
    std::vector<Counted> counted();
    // The DSCP most ServerHello flights carried on the days before `day`
    // together (ties: the lower value); nullopt without such days.
    std::optional<int> dominant_before(const std::string& server, const std::string& sni, const std::string& day);
    bool alerted(const std::string& server, const std::string& sni, const std::string& day, int now);
    void record_alert(const DriftAlert& a);

    // Every day, ordered by server, SNI, day; server "" means all.
    std::vector<DayMarking> days(const std::string& server = {});
    std::vector<DriftAlert> alerts(const std::string& server = {});

private:
    void exec(const char* sql);
    void add_rows(const std::string& day, const ServerMarking& delta);
    sqlite3* db_ = nullptr;
    std::string path_;
};

}  // namespace dw
