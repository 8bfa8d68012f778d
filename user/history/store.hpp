// The DSCP history: per server endpoint, SNI and day (UTC), how many
// handshakes there were, how many completed, and the DSCP of their
// ServerHello flight; plus the drift alerts raised. An embedded SQLite
// database, so it outlives restarts of the daemon.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace dw {

// dscp -1: the handshake ended before the server sent its ServerHello flight.
struct MarkingRow {
    std::string server, sni, day;
    int dscp = -1;
    uint64_t handshakes = 0, completed = 0;
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

    // One more handshake (handshakes += 1) and/or one more completion.
    void add(const std::string& server, const std::string& sni, const std::string& day, int dscp,
             uint64_t handshakes, uint64_t completed);
    // The DSCP most handshakes carried on days before `day` (ties: the lower value).
    std::optional<int> dominant_before(const std::string& server, const std::string& sni, const std::string& day);
    bool alerted(const std::string& server, const std::string& sni, const std::string& day, int now);
    void record_alert(const DriftAlert& a);

    // Everything, ordered by server, SNI, day, DSCP; server "" means all.
    std::vector<MarkingRow> rows(const std::string& server = {});
    std::vector<DriftAlert> alerts(const std::string& server = {});

private:
    void exec(const char* sql);
    sqlite3* db_ = nullptr;
    std::string path_;
};

}  // namespace dw
