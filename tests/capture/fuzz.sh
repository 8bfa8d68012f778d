#!/usr/bin/env bash
# libFuzzer on the capture reader path (bytes -> libpcap -> CaptureReader ->
# Ethernet frames) with ASan and UBSan. Builds with clang into $BUILD/fuzz,
# seeds the corpus with dw_capture_seeds, and fuzzes for $SECONDS_TO_RUN s.
#   tests/capture/fuzz.sh [BUILD_DIR] [SECONDS]     (default build/, 60 s)
# Crashes are written to $BUILD/fuzz/crash-*; the exit status is non-zero then.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$here/build}" && pwd)
seconds=${2:-60}
out=$build/fuzz
mkdir -p "$out/corpus"
cxx=$(command -v clang++ || command -v clang++-14)
src=(tests/capture/fuzz_reader.cpp tests/capture/exercise.cpp
     user/capture/link.cpp user/capture/headers.cpp user/capture/issues.cpp
     user/capture/reader.cpp user/capture/writer.cpp user/core/error.cpp)
(cd "$here" && "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
   -Iuser -Iinclude -Itests/support "${src[@]}" $(pkg-config --libs libpcap) -o "$out/fuzz_reader")
"$build/tests/capture/dw_capture_seeds" "$out/corpus"
cd "$out"
./fuzz_reader -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 corpus
