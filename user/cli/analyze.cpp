// `dscpwatch analyze FILE...`: the live classifier, offline. Every frame of
// the captures goes through a private instance of the same BPF program with
// BPF_PROG_TEST_RUN, in order, on the capture's clock; then the live views
// (stats, flows, diagnose) show the result. With --remark and --write, the
// frames are written as the classifier would have rewritten them.
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "capture/writer.hpp"
#include "cli/commands.hpp"
#include "cli/remark_args.hpp"
#include "core/error.hpp"
#include "diag/collect.hpp"
#include "replay/replay.hpp"
#include "replay/workers.hpp"
#include "view/capture_view.hpp"
#include "view/diagnose_view.hpp"
#include "view/flows_view.hpp"
#include "view/stats_view.hpp"

namespace dw::cli {
namespace {

struct AnalyzeArgs {
    std::vector<std::string> files;
    bool json = false;
    std::string views = "stats,flows,diagnose";
    std::vector<std::string> client_nets;
    std::string direction_by = "auto";
    std::string ingress_hook = "xdp";
    std::string egress_hook = "xdp";
    RemarkArgs remark;  // mode empty: off
    std::string write;
    uint32_t flows = DW_FLOWS_DEFAULT;
    uint32_t handshakes = DW_HS_DEFAULT;
    size_t top = 20;
    double stall_after = 1.0;
    unsigned threads = 1;  // 0: one per usable CPU (at most 8)
};

struct Views {
    bool stats = false, flows = false, diagnose = false;
};

Views parse_views(const std::string& list) {
    Views v;
    std::stringstream ss(list);
    for (std::string item; std::getline(ss, item, ',');) {
        if (item == "stats") v.stats = true;
        else if (item == "flows") v.flows = true;
        else if (item == "diagnose") v.diagnose = true;
        else if (item == "none") continue;
        else throw Error("unknown view '" + item + "'", "use stats, flows, diagnose (comma-separated) or none");
    }
    return v;
}

DirectionPolicy parse_direction_policy(const AnalyzeArgs& a) {
    DirectionPolicy p;
    std::string by = a.direction_by;
    std::vector<std::string> nets = a.client_nets;
    if (by.rfind("client-net=", 0) == 0) {  // --direction-by client-net=CIDR[,CIDR]
        std::stringstream ss(by.substr(11));
        for (std::string n; std::getline(ss, n, ',');) nets.push_back(n);
        by = "client-net";
    }
    if (by == "auto") p.mode = nets.empty() ? DirectionMode::Auto : DirectionMode::ClientNet;
    else if (by == "client-net") p.mode = DirectionMode::ClientNet;
    else if (by == "link") p.mode = DirectionMode::Link;
    else if (by == "ingress") p.mode = DirectionMode::AllIngress;
    else
        throw Error("unknown --direction-by '" + a.direction_by + "'",
                    "use auto, link, ingress, or client-net with --client-net CIDR");
    if (p.mode == DirectionMode::ClientNet && nets.empty())
        throw Error("--direction-by client-net needs the client nets", "add --client-net CIDR (repeatable)");
    if (p.mode != DirectionMode::ClientNet && !nets.empty())
        throw Error("--client-net only applies with --direction-by client-net (or auto)", "drop one of them");
    for (const auto& n : nets) p.client_nets.push_back(parse_prefix(n));
    if (a.ingress_hook == "tc") p.ingress_hook = Hook::TcIngress;
    else if (a.ingress_hook != "xdp") throw Error("unknown --ingress-hook '" + a.ingress_hook + "'", "use xdp or tc");
    if (a.egress_hook == "tc") p.egress_hook = Hook::TcEgress;
    else if (a.egress_hook != "xdp") throw Error("unknown --egress-hook '" + a.egress_hook + "'", "use xdp or tc");
    return p;
}

// Writes frames as the classifier left them: with their own link header when
// every capture has the same link type, else all as Ethernet.
class RewriteSink {
public:
    RewriteSink(const std::string& path, const std::vector<std::unique_ptr<CaptureReader>>& readers) {
        std::set<int> dlts;
        uint32_t snaplen = 0;
        for (const auto& r : readers) {
            dlts.insert(r->dlt());
            snaplen = std::max(snaplen, r->snaplen());
        }
        keep_link_ = dlts.size() == 1;
        writer_ = CaptureWriter::create(path, keep_link_ ? *dlts.begin() : DLT_EN10MB, snaplen);
    }
    void operator()(const CaptureFrame& f, std::span<const uint8_t> eth) {
        if (keep_link_)
            writer_->write(f.ts_ns, f.wire_len, f.raw.first(f.link.link_header_len), eth.subspan(kEthHeaderLen));
        else
            writer_->write(f.ts_ns, f.wire_eth_len(), eth);
    }
    CaptureWriter& writer() { return *writer_; }
    bool keeps_link() const { return keep_link_; }

private:
    std::unique_ptr<CaptureWriter> writer_;
    bool keep_link_ = true;
};

void print_views(const Views& v, const AnalyzeArgs& a, const ReplayReport& rep, MapSet& maps) {
    StatsView sv;
    if (v.stats) {
        sv.global = maps.counters();
        sv.counters = maps.if_counters();
        sv.remarks = maps.remark_counters();
        sv.frames_after = sv.global[DW_CNT_FRAMES];
    }
    VerdictOptions vo;
    vo.now_ns = rep.clock_ns ? rep.clock_ns : 1;
    vo.stall_after_ns = static_cast<uint64_t>(a.stall_after * 1e9);
    vo.give_up_ns = vo.stall_after_ns * 3;
    const Diagnosis d = v.flows || v.diagnose ? diagnose(maps, vo) : Diagnosis{};
    FlowQuery q;
    q.top = a.top;
    FlowRenderOptions fo;
    fo.now_ns = rep.clock_ns;
    fo.capacity = maps.flow_capacity();
    fo.handshake = verdict_lookup(d);
    const auto flows = v.flows ? maps.flows() : std::vector<FlowEntry>{};
    const auto sel = select_flows(flows, q);
    if (a.json) {
        nlohmann::json j{{"capture", render_capture_json(rep)}};
        if (v.stats) j["stats"] = render_stats_json(sv);
        if (v.flows) j["flows"] = render_flows_json(sel, fo, q);
        if (v.diagnose) j["diagnose"] = render_diagnosis_json(d, a.top);
        std::printf("%s\n", j.dump(2).c_str());
        return;
    }
    std::printf("%s", render_capture_text(rep).c_str());
    if (v.stats) std::printf("\n== stats ==\n%s", render_stats_text(sv).c_str());
    if (v.flows) std::printf("\n== flows ==\n%s", render_flows_text(sel, fo, q).c_str());
    if (v.diagnose) std::printf("\n== diagnose ==\n%s", render_diagnosis_text(d, a.top).c_str());
}

void run_analyze(const AnalyzeArgs& a) {
    // Everything the arguments say is checked before the kernel is touched.
    const Views views = parse_views(a.views);
    ReplayOptions ro;
    ro.direction = parse_direction_policy(a);
    ro.threads = a.threads ? a.threads : static_cast<unsigned>(std::max<size_t>(1, usable_cpus(8).size()));
    std::optional<RemarkConfig> remark;
    if (!a.remark.mode.empty()) remark = build_config(a.remark);
    else if (!a.remark.spec.empty() || !a.remark.exempt_prefixes.empty() || !a.remark.exempt_ports.empty())
        throw Error("--map and the exemptions need --remark", "e.g. --remark zero --exempt-port udp:16384-32767");
    prepare();

    // Open every capture first: the output's link type depends on all of them.
    std::vector<std::unique_ptr<CaptureReader>> readers;
    std::vector<std::pair<std::string, Error>> unreadable;
    for (const auto& f : a.files) {
        try {
            readers.push_back(CaptureReader::open(f));
        } catch (const Error& e) {
            unreadable.emplace_back(f, e);
        }
    }
    if (readers.empty() && unreadable.size() == 1) throw unreadable.front().second;
    for (const auto& u : unreadable) std::fprintf(stderr, "dscpwatch: %s\n", u.second.line().c_str());
    if (readers.empty())
        throw Error("none of the " + std::to_string(a.files.size()) + " captures could be read", "see the messages above");

    auto cls = Classifier::load({.flow_capacity = a.flows,
                                 .hs_capacity = a.handshakes,
                                 .replay_clock = true,
                                 .hooks = ro.direction.hooks()});
    if (remark) cls->maps().publish(*remark);
    std::unique_ptr<RewriteSink> out;
    FrameSink sink;
    if (!a.write.empty()) {
        out = std::make_unique<RewriteSink>(a.write, readers);
        sink = [&out](const CaptureFrame& f, std::span<const uint8_t> eth) { (*out)(f, eth); };
    }
    Replayer rp(*cls, ro);
    for (const auto& [name, err] : unreadable) rp.add_unreadable(name, err.line());
    for (auto& r : readers) {
        rp.feed(*r, sink);
        for (const auto& p : capture_problems(rp.report().files.back()))
            std::fprintf(stderr, "dscpwatch: warning: %s\n", p.c_str());
    }
    rp.finish();
    if (out) {
        out->writer().close();
        std::fprintf(stderr, "dscpwatch: wrote %llu frames to %s (%s)\n",
                     static_cast<unsigned long long>(out->writer().frames()), a.write.c_str(),
                     out->keeps_link() ? "the captures' own link type" : "Ethernet: the captures' link types differ");
    }
    set_interface_alias(ro.ifindex, a.files.size() == 1 ? std::filesystem::path(a.files[0]).filename().string()
                                                        : std::string("capture"));
    print_views(views, a, rp.report(), cls->maps());
    if (!rp.report().complete()) globals().exit_code = kExitPartialInput;
}

}  // namespace

void add_analyze(CLI::App& app) {
    auto a = std::make_shared<AnalyzeArgs>();
    auto* cmd = app.add_subcommand(
        "analyze", "run pcap/pcapng captures through the same classifier offline: stats, flows and diagnose");
    cmd->add_option("FILE", a->files, "pcap or pcapng captures (Ethernet, Linux cooked v1/v2, raw IP), replayed in the order given")
        ->required();
    cmd->add_flag("--json", a->json, "print one JSON object: capture, stats, flows, diagnose");
    cmd->add_option("--view", a->views, "which views, comma-separated: stats, flows, diagnose (or none)")
        ->capture_default_str();
    cmd->add_option("--client-net", a->client_nets,
                    "frames from this prefix go out toward the servers (egress); all others come in (repeatable, IPv4/IPv6)")
        ->allow_extra_args(false);
    cmd->add_option("--direction-by", a->direction_by,
                    "auto (client nets if given, else the cooked header's direction, else all ingress), client-net, "
                    "client-net=CIDR[,CIDR], link, or ingress")
        ->capture_default_str();
    cmd->add_option("--ingress-hook", a->ingress_hook, "xdp or tc: the program that takes ingress frames")
        ->capture_default_str();
    cmd->add_option("--egress-hook", a->egress_hook,
                    "xdp (the replay-only XDP entry with direction egress, about twice as fast) or tc (the live tc egress program)")
        ->capture_default_str();
    cmd->add_option("--remark", a->remark.mode, "remark policy to apply while replaying: off, zero, or map (with --map)");
    cmd->add_option("--map", a->remark.spec, "remark map: FROM=TO pairs, e.g. 46=0,af41=18");
    cmd->add_option("--exempt-prefix", a->remark.exempt_prefixes, "leave frames from or to this prefix alone (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--exempt-port", a->remark.exempt_ports, "leave frames with this port alone (repeatable), PROTO:LO-HI")
        ->allow_extra_args(false);
    cmd->add_option("--remark-direction", a->remark.direction, "remark on ingress, egress or both (default both)");
    cmd->add_option("--threads", a->threads,
                    "replay worker threads, one per CPU, flows sharded by address pair (0: one per usable CPU, up "
                    "to 8; --write runs in one). On 2 CPUs one thread is fastest: the reader competes with the workers")
        ->capture_default_str();
    cmd->add_option("--write", a->write, "write every frame as the classifier left it (after --remark) to this pcap");
    cmd->add_option("--flows", a->flows, "flow table size")->check(CLI::Range(1u, DW_FLOWS_MAX))->capture_default_str();
    cmd->add_option("--handshakes", a->handshakes, "handshake table size")
        ->check(CLI::Range(1u, DW_FLOWS_MAX))
        ->capture_default_str();
    cmd->add_option("--top", a->top, "flows to show in the flows and diagnose views (0: all)")->capture_default_str();
    cmd->add_option("--stall-after", a->stall_after,
                    "seconds without progress after a retransmission before a handshake counts as stalled")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->footer(
        "Direction: a capture has none, so analyze follows a gateway NIC that faces the servers: frames\n"
        "from a --client-net leave toward the servers (egress), all others arrive (ingress). Linux\n"
        "cooked captures (tcpdump -i any) say per frame whether it was outgoing. Both directions run\n"
        "the live classifier's core; --egress-hook tc runs egress through the tc program itself.\n"
        "Timestamps are the classifier's clock: ages and stalls are as of the last frame.\n"
        "Exit status: 0 every frame read; 2 analysed, but some frames or files could not be read; 1 error.\n\n"
        "Examples:\n"
        "  dscpwatch analyze gw.pcap --client-net 198.18.0.0/16\n"
        "  dscpwatch analyze gw.pcap --client-net 198.18.0.0/16 --view diagnose --json\n"
        "  dscpwatch analyze gw.pcap --remark zero --exempt-port udp:16384-32767 --write gw-remarked.pcap");
    cmd->callback([a] { run_analyze(*a); });
}

}  // namespace dw::cli
