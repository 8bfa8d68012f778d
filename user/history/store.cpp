#include "history/store.hpp"

#include <sqlite3.h>

#include <map>
#include <tuple>

#include "core/dscp.hpp"
#include "core/error.hpp"

namespace dw {
namespace {

// A prepared statement, finalized however the scope ends.
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql, const std::string& path) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
            throw Error("history database " + path + ": " + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt& text(int i, const std::string& v) {
        sqlite3_bind_text(st_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& blob(int i, const std::string& v) {
        sqlite3_bind_blob(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    std::string col_blob(int i) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st_, i));
        return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_, i))) : std::string();
    }
    Stmt& num(int i, int64_t v) {
        sqlite3_bind_int64(st_, i, v);
        return *this;
    }
    bool step(const std::string& path) {
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw Error("history database " + path + ": " + sqlite3_errmsg(db_),
                    "check the disk and the file's permissions");
    }
    std::string col_text(int i) {
        auto* p = sqlite3_column_text(st_, i);
        return p ? reinterpret_cast<const char*>(p) : "";
    }
    int64_t col_num(int i) { return sqlite3_column_int64(st_, i); }

private:
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

}  // namespace

std::string marking_name(int dscp) {
    if (dscp < 0) return "none";
    auto n = dscp_name(static_cast<unsigned>(dscp));
    if (dscp == 0 || n.empty()) return std::to_string(dscp);
    return std::string(n);
}

std::string DriftAlert::message() const {
    return server + " (SNI " + (sni.empty() ? "none" : sni) + ") started marking its ServerHello " +
           marking_name(now) + " on " + day + "; before, " + marking_name(before);
}

HistoryStore::HistoryStore(const std::string& path, bool read_only) : path_(path) {
    const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw Error("cannot open the history database " + path + ": " + why,
                    read_only ? "give the file `dscpwatch serve --history` writes (--db PATH)"
                              : "check that its directory exists and is writable, or give --history PATH");
    }
    sqlite3_busy_timeout(db_, 3000);
    if (read_only) return;
    exec("CREATE TABLE IF NOT EXISTS days ("
         " server TEXT NOT NULL, sni TEXT NOT NULL, day TEXT NOT NULL,"
         " handshakes INTEGER NOT NULL, completed INTEGER NOT NULL, marked INTEGER NOT NULL,"
         " PRIMARY KEY (server, sni, day))");
    exec("CREATE TABLE IF NOT EXISTS server_hello_dscp ("
         " server TEXT NOT NULL, sni TEXT NOT NULL, day TEXT NOT NULL, dscp INTEGER NOT NULL,"
         " handshakes INTEGER NOT NULL, PRIMARY KEY (server, sni, day, dscp))");
    exec("CREATE TABLE IF NOT EXISTS counted (id BLOB PRIMARY KEY, verdict TEXT NOT NULL, completed INTEGER NOT NULL)");
    exec("CREATE TABLE IF NOT EXISTS drift_alerts ("
         " server TEXT NOT NULL, sni TEXT NOT NULL, day TEXT NOT NULL, before_dscp INTEGER NOT NULL,"
         " now_dscp INTEGER NOT NULL, PRIMARY KEY (server, sni, day, now_dscp))");
}

HistoryStore::~HistoryStore() { sqlite3_close(db_); }

void HistoryStore::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = err ? err : "unknown error";
        sqlite3_free(err);
        throw Error("history database " + path_ + ": " + why, "check the disk and the file's permissions");
    }
}

void HistoryStore::add(const std::string& day, const ServerMarking& m) { commit(day, {m}, {}, {}); }

void HistoryStore::commit(const std::string& day, const std::vector<ServerMarking>& deltas,
                          const std::vector<Counted>& counted, const std::vector<std::string>& forgotten) {
    exec("BEGIN");
    try {
        for (const auto& m : deltas) add_rows(day, m);
        for (const auto& c : counted) {
            Stmt s(db_, "INSERT OR REPLACE INTO counted VALUES (?1, ?2, ?3)", path_);
            s.blob(1, c.id).text(2, c.verdict).num(3, c.completed ? 1 : 0).step(path_);
        }
        for (const auto& id : forgotten) {
            Stmt s(db_, "DELETE FROM counted WHERE id = ?1", path_);
            s.blob(1, id).step(path_);
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::vector<HistoryStore::Counted> HistoryStore::counted() {
    std::vector<Counted> out;
    Stmt s(db_, "SELECT id, verdict, completed FROM counted", path_);
    while (s.step(path_)) out.push_back({s.col_blob(0), s.col_text(1), s.col_num(2) != 0});
    return out;
}

void HistoryStore::add_rows(const std::string& day, const ServerMarking& m) {
    {
        Stmt d(db_,
               "INSERT INTO days VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (server, sni, day) DO UPDATE SET"
               " handshakes = handshakes + ?4, completed = completed + ?5, marked = marked + ?6",
               path_);
        d.text(1, m.server).text(2, m.sni).text(3, day);
        d.num(4, static_cast<int64_t>(m.handshakes)).num(5, static_cast<int64_t>(m.completed));
        d.num(6, static_cast<int64_t>(m.marked)).step(path_);
        for (unsigned v = 0; v < 64; v++) {
            if (!m.sh_dscp[v]) continue;
            Stmt x(db_,
                   "INSERT INTO server_hello_dscp VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server, sni, day, dscp)"
                   " DO UPDATE SET handshakes = handshakes + ?5",
                   path_);
            x.text(1, m.server).text(2, m.sni).text(3, day).num(4, v).num(5, static_cast<int64_t>(m.sh_dscp[v]));
            x.step(path_);
        }
    }
}

std::optional<int> HistoryStore::dominant_before(const std::string& server, const std::string& sni,
                                                 const std::string& day) {
    ServerMarking before;
    for (auto& d : days(server))
        if (d.marking.sni == sni && d.day < day) merge_marking(before, d.marking);
    const int dom = before.dominant_dscp();
    if (dom < 0) return std::nullopt;
    return dom;
}

bool HistoryStore::alerted(const std::string& server, const std::string& sni, const std::string& day, int now) {
    Stmt s(db_, "SELECT 1 FROM drift_alerts WHERE server = ?1 AND sni = ?2 AND day = ?3 AND now_dscp = ?4", path_);
    s.text(1, server).text(2, sni).text(3, day).num(4, now);
    return s.step(path_);
}

void HistoryStore::record_alert(const DriftAlert& a) {
    Stmt s(db_, "INSERT OR IGNORE INTO drift_alerts VALUES (?1, ?2, ?3, ?4, ?5)", path_);
    s.text(1, a.server).text(2, a.sni).text(3, a.day).num(4, a.before).num(5, a.now);
    s.step(path_);
}

std::vector<DayMarking> HistoryStore::days(const std::string& server) {
    std::vector<DayMarking> out;
    Stmt s(db_,
           "SELECT server, sni, day, handshakes, completed, marked FROM days WHERE ?1 = '' OR server = ?1"
           " ORDER BY server, sni, day",
           path_);
    s.text(1, server);
    while (s.step(path_)) {
        DayMarking d;
        d.marking.server = s.col_text(0);
        d.marking.sni = s.col_text(1);
        d.day = s.col_text(2);
        d.marking.handshakes = static_cast<uint64_t>(s.col_num(3));
        d.marking.completed = static_cast<uint64_t>(s.col_num(4));
        d.marking.marked = static_cast<uint64_t>(s.col_num(5));
        out.push_back(std::move(d));
    }
    std::map<std::tuple<std::string, std::string, std::string>, size_t> index;
    for (size_t i = 0; i < out.size(); i++) index[{out[i].marking.server, out[i].marking.sni, out[i].day}] = i;
    Stmt x(db_,
           "SELECT server, sni, day, dscp, handshakes FROM server_hello_dscp WHERE ?1 = '' OR server = ?1", path_);
    x.text(1, server);
    while (x.step(path_)) {
        auto it = index.find({x.col_text(0), x.col_text(1), x.col_text(2)});
        const auto dscp = x.col_num(3);
        if (it != index.end() && dscp >= 0 && dscp < 64)
            out[it->second].marking.sh_dscp[static_cast<size_t>(dscp)] = static_cast<uint64_t>(x.col_num(4));
    }
    return out;
}

std::vector<DriftAlert> HistoryStore::alerts(const std::string& server) {
    Stmt s(db_,
           "SELECT server, sni, day, before_dscp, now_dscp FROM drift_alerts WHERE ?1 = '' OR server = ?1"
           " ORDER BY day, server, sni",
           path_);
    s.text(1, server);
    std::vector<DriftAlert> out;
    while (s.step(path_))
        out.push_back({s.col_text(0), s.col_text(1), s.col_text(2), static_cast<int>(s.col_num(3)),
                       static_cast<int>(s.col_num(4))});
    return out;
}

}  // namespace dw
