// libFuzzer entry point for the reader path. Built by tests/capture/fuzz.sh
// with clang -fsanitize=fuzzer,address,undefined; not part of the cmake build.
#include <cstddef>
#include <cstdint>

#include "exercise.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    dwt::exercise_reader({data, size});
    return 0;
}
