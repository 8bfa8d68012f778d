#include "compare/baseline.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bpf/classifier.hpp"
#include "capture/reader.hpp"
#include "core/error.hpp"
#include "diag/collect.hpp"
#include "replay/replay.hpp"

namespace dw {
namespace {

constexpr const char* kKind = "server-markings";

bool looks_like_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char c = 0;
    while (in.get(c))
        if (!std::isspace(static_cast<unsigned char>(c))) return c == '{';
    return false;
}

}  // namespace

MarkingSet markings_from_capture(const std::string& path, uint64_t stall_after_ns) {
    auto reader = CaptureReader::open(path);  // a bad file fails here, before the classifier loads
    require_bpf_privileges();
    const ReplayOptions ro;
    auto cls = Classifier::load({.replay_clock = true, .hooks = ro.direction.hooks()});
    Replayer rp(*cls, ro);
    const FileReport& fr = rp.feed(*reader);
    rp.finish();
    MarkingSet s;
    s.source = path;
    s.first_ns = fr.first_ts_ns;
    s.last_ns = fr.last_ts_ns;
    s.frames = fr.frames_seen;
    if (const auto* stop = fr.issues.stop()) s.warnings.push_back(path + ": " + stop->text());
    if (fr.oversize.count)
        s.warnings.push_back(path + ": " + std::to_string(fr.oversize.count) + " frames larger than a test run takes (from frame " +
                             std::to_string(fr.oversize.first) + ") were skipped; capture with GRO/TSO off");
    VerdictOptions opt;
    opt.now_ns = rp.report().clock_ns;
    opt.stall_after_ns = stall_after_ns;
    opt.give_up_ns = stall_after_ns * 3;
    s.servers = server_markings(diagnose(cls->maps(), opt).flows);
    return s;
}

nlohmann::json markings_to_json(const MarkingSet& s) {
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& m : s.servers) servers.push_back(marking_to_json(m));
    return {{"dscpwatch", kKind}, {"version", 1},          {"source", s.source}, {"first", s.first_ns / 1e9},
            {"last", s.last_ns / 1e9}, {"frames", s.frames}, {"servers", servers}};
}

MarkingSet markings_from_json(const nlohmann::json& j, const std::string& name) {
    const std::string fix = "give a file written by `dscpwatch baseline --save FILE CAPTURE`, or a capture";
    if (!j.is_object() || j.value("dscpwatch", "") != kKind)
        throw Error(name + ": not a saved dscpwatch summary (\"dscpwatch\": \"" + kKind + "\" missing)", fix);
    if (j.value("version", 0) != 1)
        throw Error(name + ": saved summary version " + j.value("version", nlohmann::json()).dump() + " is not 1", fix);
    MarkingSet s;
    try {
        s.source = j.at("source").get<std::string>();
        s.first_ns = static_cast<uint64_t>(j.at("first").get<double>() * 1e9);
        s.last_ns = static_cast<uint64_t>(j.at("last").get<double>() * 1e9);
        s.frames = j.at("frames").get<uint64_t>();
        for (const auto& m : j.at("servers")) s.servers.push_back(marking_from_json(m));
    } catch (const Error& e) {
        throw Error(name + ": " + e.what(), fix);
    } catch (const nlohmann::json::exception& e) {
        throw Error(name + ": malformed saved summary (" + std::string(e.what()) + ")", fix);
    }
    return s;
}

MarkingSet load_markings(const std::string& path, uint64_t stall_after_ns) {
    if (!std::ifstream(path))
        throw Error("cannot open " + path + ": " + std::strerror(errno), "check the path");
    if (!looks_like_json(path)) return markings_from_capture(path, stall_after_ns);
    std::ifstream in(path);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": not valid JSON (" + std::string(e.what()) + ")",
                    "give a file written by `dscpwatch baseline --save FILE CAPTURE`, or a capture");
    }
    return markings_from_json(j, path);
}

void save_markings(const MarkingSet& s, const std::string& path) {
    std::ofstream out(path, std::ios::trunc);
    out << markings_to_json(s).dump(2) << "\n";
    out.close();
    if (!out) throw Error("cannot write " + path, "check that the directory exists and is writable");
}

}  // namespace dw
