// The reader path as the fuzzer and the mutation test drive it: bytes in
// memory -> libpcap -> CaptureReader -> every frame in Ethernet shape. It
// touches every byte it is handed (so ASan sees any overread) and checks the
// reader's promises; a broken promise aborts.
#pragma once

#include <cstdint>
#include <span>

namespace dwt {

struct ExerciseResult {
    bool opened = false;     // the file header was accepted
    uint64_t frames = 0;     // frames returned
    bool stopped = false;    // reading ended at a problem
};

ExerciseResult exercise_reader(std::span<const uint8_t> bytes);

}  // namespace dwt
