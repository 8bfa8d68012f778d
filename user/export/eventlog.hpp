// A JSON-lines event log with rotation by size: LOG, LOG.1 .. LOG.<keep>.
// A write that fails (disk full, directory gone) is counted and reported by
// the caller; the next write tries again, so logging resumes when space does.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace dw {

class EventLog {
public:
    // max_bytes: rotate before a line would make the file larger; keep: rotated files kept.
    EventLog(std::string path, uint64_t max_bytes, unsigned keep);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    // Appends one line (the object, compact, keys in the given order, plus
    // "\n"). Returns false on failure; error() then says why.
    bool write(const nlohmann::ordered_json& line);
    // Opens the file now (appending); false, with error(), when it cannot.
    bool open_now() { return ensure_open(); }
    const std::string& error() const { return error_; }
    const std::string& path() const { return path_; }

private:
    bool ensure_open();
    void rotate();
    std::string path_;
    uint64_t max_bytes_;
    unsigned keep_;
    int fd_ = -1;
    uint64_t size_ = 0;
    std::string error_;
};

// "2026-11-17T09:30:00.123Z" for a Unix time in nanoseconds.
std::string iso8601_utc(uint64_t unix_ns);

}  // namespace dw
