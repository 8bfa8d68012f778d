// One error type for the whole tool: what went wrong, and what to do about it.
#pragma once

#include <stdexcept>
#include <string>

namespace dw {

class Error : public std::runtime_error {
public:
    Error(std::string what, std::string fix = {})
        : std::runtime_error(std::move(what)), fix_(std::move(fix)) {}
    const std::string& fix() const noexcept { return fix_; }
    // "cause; fix" on one line, as the CLI prints it.
    std::string line() const { return fix_.empty() ? what() : std::string(what()) + "; " + fix_; }

private:
    std::string fix_;
};

// Error from a failing syscall or libbpf call: appends strerror(err).
[[noreturn]] void throw_errno(const std::string& what, int err, std::string fix = {});

}  // namespace dw
