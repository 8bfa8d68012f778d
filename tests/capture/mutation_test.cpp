// A bounded, deterministic mutation corpus through the reader path, built with
// ASan and UBSan (see CMakeLists.txt): every seed from seeds.cpp, each mutated
// a few hundred ways (bit flips, boundary values in length fields, cuts,
// inserted and removed chunks, repeated records). Nothing may crash, overread
// or break the reader's promises (exercise.cpp). Same inputs every run.
#include <gtest/gtest.h>

#include <random>

#include "exercise.hpp"
#include "seeds.hpp"

namespace {

using dwt::PcapBytes;

constexpr int kMutationsPerSeed = 2000;

PcapBytes mutate(const PcapBytes& in, std::mt19937& rng) {
    PcapBytes b = in;
    auto pick = [&](size_t n) { return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng) : 0; };
    const int rounds = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < rounds && !b.empty(); ++i) {
        switch (pick(7)) {
        case 0: b[pick(b.size())] ^= static_cast<uint8_t>(1u << pick(8)); break;
        case 1: {  // a boundary value in a 32-bit field (lengths, link types, sizes)
            static const uint32_t vals[] = {0, 1, 0x7fffffff, 0xffffffff, 0x10000, 14, 16, 20, 65535, 262145};
            size_t at = pick(b.size()) & ~size_t{3};
            uint32_t v = vals[pick(std::size(vals))];
            for (size_t k = 0; k < 4 && at + k < b.size(); ++k) b[at + k] = static_cast<uint8_t>(v >> (8 * k));
            break;
        }
        case 2: b.resize(pick(b.size())); break;  // cut anywhere
        case 3: {  // remove a chunk
            size_t at = pick(b.size()), n = std::min(b.size() - at, pick(64) + 1);
            b.erase(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + n));
            break;
        }
        case 4: {  // insert random bytes
            size_t at = pick(b.size() + 1), n = pick(32) + 1;
            PcapBytes ins(n);
            for (auto& x : ins) x = static_cast<uint8_t>(rng());
            b.insert(b.begin() + static_cast<long>(at), ins.begin(), ins.end());
            break;
        }
        case 5: {  // repeat a chunk (a record, often)
            size_t at = pick(b.size()), n = std::min(b.size() - at, pick(200) + 1);
            PcapBytes chunk(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + n));
            b.insert(b.end(), chunk.begin(), chunk.end());
            break;
        }
        default: b[pick(b.size())] = static_cast<uint8_t>(rng()); break;
        }
    }
    return b;
}

TEST(CaptureFuzz, MutatedCapturesNeverCrashTheReader) {
    std::mt19937 rng(20261203);
    uint64_t inputs = 0, opened = 0, frames = 0, stopped = 0;
    for (const auto& [name, seed] : dwt::capture_seeds()) {
        SCOPED_TRACE(name);
        auto base = dwt::exercise_reader(seed);
        ASSERT_TRUE(base.opened) << "the seed itself must be readable";
        EXPECT_GT(base.frames, 0u);
        for (int i = 0; i < kMutationsPerSeed; ++i) {
            auto r = dwt::exercise_reader(mutate(seed, rng));
            ++inputs;
            opened += r.opened;
            frames += r.frames;
            stopped += r.stopped;
        }
    }
    // The corpus reaches past the file header, and into reading problems.
    std::printf("%llu mutated captures: %llu opened, %llu frames read, %llu stopped at a bad record\n",
                static_cast<unsigned long long>(inputs), static_cast<unsigned long long>(opened),
                static_cast<unsigned long long>(frames), static_cast<unsigned long long>(stopped));
    EXPECT_GT(opened, inputs / 4);
    EXPECT_GT(stopped, inputs / 20);
    EXPECT_GT(frames, inputs);
}

}  // namespace
