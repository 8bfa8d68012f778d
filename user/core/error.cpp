#include "core/error.hpp"

#include <cstring>

namespace dw {

void throw_errno(const std::string& what, int err, std::string fix) {
    if (err < 0) err = -err;
    throw Error(what + ": " + std::strerror(err), std::move(fix));
}

}  // namespace dw
