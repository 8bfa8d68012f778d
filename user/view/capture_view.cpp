#include "view/capture_view.hpp"

#include <cstdio>

#include "capture/link.hpp"
#include "view/format.hpp"

namespace dw {
namespace {

std::string span_text(uint64_t first_ns, uint64_t last_ns) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%03llu", static_cast<unsigned long long>(first_ns % 1'000'000'000ull / 1'000'000));
    return local_time(first_ns / 1'000'000'000ull) + frac + " + " +
           human_duration_ns(last_ns >= first_ns ? last_ns - first_ns : 0);
}

struct Tally {
    const char* key;
    const FrameTally* t;
    const char* words;
};

std::vector<Tally> tallies(const FileReport& f) {
    return {
        {"oversize", &f.oversize,
         "larger than BPF_PROG_TEST_RUN takes (a GRO/TSO capture?): skipped; capture with `ethtool -K IFACE gro off "
         "tso off gso off`"},
        {"refused", &f.refused, "refused by the kernel's test run (e.g. an IPv4 EtherType without an IPv4 header): skipped"},
        {"clock_back", &f.clock_back, "timestamp earlier than the frame before: classified at the later time"},
        {"padded", &f.padded, "cut by the snaplen: zero-filled to the wire length, so lengths and counts are the wire's"},
    };
}

}  // namespace

std::vector<std::string> capture_problems(const FileReport& f) {
    std::vector<std::string> out;
    if (!f.open_error.empty()) return {f.open_error};
    for (size_t i = 0; i < kCaptureProblems; ++i)
        if (const auto& is = f.issues.get(static_cast<CaptureProblem>(i))) out.push_back(f.name + ": " + is->text());
    for (const auto& t : tallies(f)) {
        if (!t.t->count || t.t == &f.padded) continue;
        out.push_back(f.name + ": frame " + std::to_string(t.t->first) + ": " + t.words +
                      (t.t->count > 1 ? "; " + std::to_string(t.t->count) + " frames in all" : ""));
    }
    if (f.frames_seen == 0 && f.issues.empty()) out.push_back(f.name + ": holds no frames");
    return out;
}

std::string render_capture_text(const ReplayReport& r) {
    std::string s;
    for (const auto& f : r.files) {
        if (!f.open_error.empty()) {
            s += "capture " + f.name + ": not read: " + f.open_error + "\n";
            continue;
        }
        s += "capture " + f.name + ": " + (f.pcapng ? "pcapng" : "pcap") + ", " + dlt_label(f.dlt) + ", snaplen " +
             std::to_string(f.snaplen) + ", " + std::to_string(f.frames_seen) + " frames";
        if (f.frames_seen) s += ", " + span_text(f.first_ts_ns, f.last_ts_ns);
        s += "\n  direction: " + f.direction + "\n";
        s += "  classified " + std::to_string(f.classified) + " (ingress " + std::to_string(f.ingress) + ", egress " +
             std::to_string(f.egress) + ")";
        if (f.padded.count) s += "; " + std::to_string(f.padded.count) + " cut by the snaplen, zero-filled to wire length";
        s += "\n";
        for (const auto& p : capture_problems(f)) s += "  problem: " + p + "\n";
    }
    char rate[96] = "";
    if (r.seconds > 0)
        std::snprintf(rate, sizeof(rate), r.seconds < 1 ? " in %.1f ms (%s frames/s)" : " in %.3f s (%s frames/s)",
                      r.seconds < 1 ? r.seconds * 1e3 : r.seconds,
                      human_rate(static_cast<double>(r.classified) / r.seconds).c_str());
    s += "replayed " + std::to_string(r.classified) + " frames through the classifier" + rate +
         (r.complete() ? "; every frame read\n" : "; NOT every frame could be read (see problems above)\n");
    return s;
}

nlohmann::json render_capture_json(const ReplayReport& r) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.files) {
        nlohmann::json j{{"file", f.name}};
        if (!f.open_error.empty()) {
            j["error"] = f.open_error;
            files.push_back(j);
            continue;
        }
        j["format"] = f.pcapng ? "pcapng" : "pcap";
        j["dlt"] = f.dlt;
        j["link_type"] = dlt_label(f.dlt);
        j["snaplen"] = f.snaplen;
        j["direction"] = f.direction;
        j["frames"] = f.frames_seen;
        j["classified"] = f.classified;
        j["ingress"] = f.ingress;
        j["egress"] = f.egress;
        j["first_ns"] = f.first_ts_ns;
        j["last_ns"] = f.last_ts_ns;
        nlohmann::json problems = nlohmann::json::array();
        for (size_t i = 0; i < kCaptureProblems; ++i)
            if (const auto& is = f.issues.get(static_cast<CaptureProblem>(i)))
                problems.push_back({{"problem", to_string(is->problem)}, {"frames", is->count},
                                    {"first_frame", is->first_frame}, {"text", is->text()}});
        for (const auto& t : tallies(f))
            if (t.t->count)
                problems.push_back({{"problem", t.key}, {"frames", t.t->count}, {"first_frame", t.t->first},
                                    {"text", t.words}});
        j["problems"] = problems;
        j["complete"] = f.complete();
        files.push_back(j);
    }
    return {{"files", files},
            {"classified", r.classified},
            {"seconds", r.seconds},
            {"clock_ns", r.clock_ns},
            {"complete", r.complete()}};
}

}  // namespace dw
