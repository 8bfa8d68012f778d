// dw_diff_bench: how fast `dscpwatch diff` compares two captures. A TLS
// capture is generated in code (bench/tls_capture.cpp: N TLS 1.3 connections
// of 16 frames, 64 at a time interleaved), then written twice as the two
// vantage points would see it: at A the client's frames have crossed a router
// (TTL - 1), at B the server's have, and B misses every 50th server frame.
// Figures (median of R rounds): reading both files and decoding their TCP
// segments, and matching them (diff_captures), in frames per second of wall
// time; the lost count must equal the frames left out.
//
//   build/bench/dw_diff_bench [--quick] [--flows N] [--rounds R] [--json]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture/reader.hpp"
#include "capture/writer.hpp"
#include "compare/diff.hpp"
#include "compare/load.hpp"
#include "tls_capture.hpp"

namespace {

double secs(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Writes the two vantage points' captures; returns the server frames left out of B.
uint64_t write_points(const std::string& src, const std::string& a, const std::string& b) {
    auto r = dw::CaptureReader::open(src);
    auto wa = dw::CaptureWriter::create(a, 1, 65535), wb = dw::CaptureWriter::create(b, 1, 65535);
    dw::CaptureFrame f;
    uint64_t server_frames = 0, dropped = 0;
    std::vector<uint8_t> buf;
    while (r->next(f)) {
        buf.assign(f.raw.begin(), f.raw.end());
        const bool from_server = buf.size() > 34 && std::memcmp(&buf[26], "\xc6\x13\x00\x0a", 4) == 0;
        std::vector<uint8_t> crossed = buf;
        if (crossed.size() > 22) crossed[22]--;  // IPv4 TTL (checksums are not what diff reads)
        (from_server ? wa : wb)->write(f.ts_ns, f.wire_len, buf);
        if (from_server && ++server_frames % 50 == 0) {
            dropped++;
            continue;
        }
        (from_server ? wb : wa)->write(f.ts_ns + 1000, f.wire_len, crossed);
    }
    wa->close();
    wb->close();
    return dropped;
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t flows = 20000, rounds = 5;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--quick")) flows = 2000, rounds = 3;
        else if (!std::strcmp(argv[i], "--flows") && i + 1 < argc) flows = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = static_cast<uint32_t>(std::stoul(argv[++i]));
        else if (!std::strcmp(argv[i], "--json")) json = true;
        else {
            std::fprintf(stderr, "usage: dw_diff_bench [--quick] [--flows N] [--rounds R] [--json]\n");
            return 2;
        }
    }
    char dir[] = "/tmp/dw-diff-bench.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    const std::string g = std::string(dir) + "/g.pcap", a = std::string(dir) + "/a.pcap", b = std::string(dir) + "/b.pcap";
    dwbench::write_tls_capture(g, {.flows = flows, .concurrent = 64});
    const uint64_t dropped = write_points(g, a, b);
    std::vector<double> load_s, match_s;
    uint64_t frames = 0, lost = 0;
    for (uint32_t i = 0; i < rounds; i++) {
        auto t0 = std::chrono::steady_clock::now();
        auto ca = dw::load_segments(a), cb = dw::load_segments(b);
        load_s.push_back(secs(t0));
        t0 = std::chrono::steady_clock::now();
        const auto r = dw::diff_captures(ca.segs, cb.segs);
        match_s.push_back(secs(t0));
        frames = ca.segs.frames + cb.segs.frames;
        lost = r.lost;
    }
    const double lm = median(load_s), mm = median(match_s);
    for (const auto& f : {g, a, b}) unlink(f.c_str());
    rmdir(dir);
    if (json) {
        nlohmann::json j = {{"flows", flows},         {"frames", frames},       {"rounds", rounds},
                            {"read_decode_s", lm},    {"match_s", mm},          {"frames_per_s", frames / (lm + mm)},
                            {"lost", lost},           {"left_out", dropped}};
        std::printf("%s\n", j.dump(2).c_str());
    } else {
        std::printf("diff of two captures, %u TLS connections, %llu frames in both (median of %u rounds)\n", flows,
                    static_cast<unsigned long long>(frames), rounds);
        std::printf("  read + decode   %8.3f s  %10.0f frames/s\n", lm, frames / lm);
        std::printf("  match + report  %8.3f s  %10.0f frames/s\n", mm, frames / mm);
        std::printf("  total           %8.3f s  %10.0f frames/s\n", lm + mm, frames / (lm + mm));
        std::printf("  lost found %llu, frames left out of B %llu: %s\n", static_cast<unsigned long long>(lost),
                    static_cast<unsigned long long>(dropped), lost == dropped ? "equal" : "DIFFERENT");
    }
    return lost == dropped ? 0 : 1;
}
