#include "export/eventlog.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dw {

EventLog::EventLog(std::string path, uint64_t max_bytes, unsigned keep)
    : path_(std::move(path)), max_bytes_(max_bytes), keep_(keep) {}

EventLog::~EventLog() {
    if (fd_ >= 0) ::close(fd_);
}

bool EventLog::ensure_open() {
    if (fd_ >= 0) {
        // Still the file at path? (Moved or removed by someone else: reopen by path.)
        struct stat at {}, open_st {};
        if (stat(path_.c_str(), &at) == 0 && fstat(fd_, &open_st) == 0 && at.st_ino == open_st.st_ino &&
            at.st_dev == open_st.st_dev)
            return true;
        ::close(fd_);
        fd_ = -1;
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) {
        error_ = "cannot open event log " + path_ + ": " + std::strerror(errno);
        return false;
    }
    struct stat st {};
    size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return true;
}

// LOG.<keep-1> -> LOG.<keep>, ..., LOG -> LOG.1; the oldest falls off.
void EventLog::rotate() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (keep_ == 0) {
        ::unlink(path_.c_str());
        return;
    }
    std::remove((path_ + "." + std::to_string(keep_)).c_str());
    for (unsigned i = keep_; i > 1; i--)
        std::rename((path_ + "." + std::to_string(i - 1)).c_str(), (path_ + "." + std::to_string(i)).c_str());
    std::rename(path_.c_str(), (path_ + ".1").c_str());
}

bool EventLog::write(const nlohmann::ordered_json& line) {
    std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    if (!ensure_open()) return false;
    if (max_bytes_ && size_ > 0 && size_ + text.size() > max_bytes_) {
        rotate();
        if (!ensure_open()) return false;
    }
    ssize_t n = ::write(fd_, text.data(), text.size());
    if (n == static_cast<ssize_t>(text.size())) {
        size_ += text.size();
        error_.clear();
        return true;
    }
    const int err = n < 0 ? errno : ENOSPC;
    if (n > 0) {
        // A torn line: cut it off so that every line stays valid JSON.
        if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) size_ += static_cast<uint64_t>(n);
    }
    error_ = "cannot write event log " + path_ + ": " + std::strerror(err);
    // Reopen next time: the file may have been removed or the disk freed.
    ::close(fd_);
    fd_ = -1;
    return false;
}

std::string iso8601_utc(uint64_t unix_ns) {
    const time_t secs = static_cast<time_t>(unix_ns / 1000000000ull);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[80];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                  t.tm_hour, t.tm_min, t.tm_sec, static_cast<unsigned>((unix_ns / 1000000ull) % 1000));
    return buf;
}

}  // namespace dw
