// `dscpwatch diff A.pcap B.pcap`: the same traffic captured at two points of a
// path (A upstream, e.g. the proxy; B downstream, e.g. the client), compared
// segment by segment: what was lost between them, what appeared on the way,
// what was remarked, per flow and handshake stage, and loss by DSCP and size.
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "compare/load.hpp"
#include "core/error.hpp"
#include "view/diff_view.hpp"

namespace dw::cli {
namespace {

struct DiffArgs {
    std::string a, b;
    bool json = false;
    size_t list = 50;
    std::string buckets = "128,576,700,1000,1400";
    double end_slack = 1.0;
};

std::vector<uint16_t> parse_buckets(const std::string& text) {
    std::vector<uint16_t> v;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        size_t used = 0;
        unsigned long n = 0;
        try {
            n = std::stoul(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || item.empty() || n == 0 || n > 65535)
            throw Error("bad --size-buckets entry '" + item + "'",
                        "give IP lengths 1..65535 separated by commas, e.g. 128,576,700,1000,1400");
        v.push_back(static_cast<uint16_t>(n));
    }
    return v;
}

void same_file_check(const std::string& a, const std::string& b) {
    struct stat sa {}, sb {};
    if (stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
        throw Error("A and B are the same file (" + a + ")",
                    "give the captures taken at the two points: A upstream, B downstream");
}

void run_diff(const DiffArgs& args) {
    same_file_check(args.a, args.b);
    DiffOptions opt;
    opt.size_edges = parse_buckets(args.buckets);
    opt.list_max = args.list;
    opt.end_slack_ns = static_cast<uint64_t>(args.end_slack * 1e9);
    LoadedCapture a = load_segments(args.a), b = load_segments(args.b);
    for (const auto* w : {&a.warnings, &b.warnings})
        for (const auto& line : *w) std::fprintf(stderr, "dscpwatch: warning: %s\n", line.c_str());
    const DiffResult r = diff_captures(a.segs, b.segs, opt);
    if (args.json)
        std::printf("%s\n", render_diff_json(r).dump(2).c_str());
    else
        std::printf("%s", render_diff_text(r).c_str());
    globals().exit_code = r.differs() ? kExitDiffers : 0;
}

}  // namespace

void add_diff(CLI::App& app) {
    auto args = std::make_shared<DiffArgs>();
    auto* cmd = app.add_subcommand(
        "diff", "compare captures of the same traffic at two points: lost, appeared and remarked segments");
    cmd->add_option("A", args->a, "capture at the upstream point (e.g. the proxy), pcap or pcapng")->required();
    cmd->add_option("B", args->b, "capture at the downstream point (e.g. the client)")->required();
    cmd->add_flag("--json", args->json, "print JSON");
    cmd->add_option("--list", args->list, "segments listed per flow, direction and kind (0: all)")->capture_default_str();
    cmd->add_option("--size-buckets", args->buckets, "upper bounds of the IP length buckets for the loss tables")
        ->capture_default_str();
    cmd->add_option("--end-slack", args->end_slack,
                    "seconds after a capture's last frame during which it is taken to be still running")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->footer("Exit status: 0 no difference, 3 segments lost, appeared or remarked between A and B, 1 error, 2 usage.\n"
                "Example: dscpwatch diff gw-wan.pcap client.pcap");
    cmd->callback([args] { run_diff(*args); });
}

}  // namespace dw::cli
