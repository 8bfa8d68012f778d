// Logs an error at most once per distinct message and minute, so a full disk
// or a dead collector does not flood the journal.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>

#include "diag/collect.hpp"

namespace dw {

class Throttled {
public:
    void error(const std::string& msg) {
        const uint64_t now = monotonic_now_ns();
        if (msg == last_ && now - at_ < 60'000'000'000ull) return;
        last_ = msg;
        at_ = now;
        spdlog::error("{}", msg);
    }

private:
    std::string last_;
    uint64_t at_ = 0;
};

}  // namespace dw
