// `dscpwatch flows`: per-flow packets, bytes and DSCP breakdown per direction,
// oriented from client to server, filtered and sorted, top N.
#include <time.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "diag/collect.hpp"
#include <map>
#include "core/dscp.hpp"
#include "core/error.hpp"
#include "view/diagnose_view.hpp"
#include "view/flows_view.hpp"

namespace dw::cli {
namespace {

struct FlowsArgs {
    bool json = false;
    size_t top = 50;
    std::string sort = "pkts";
    std::string dscp;
    std::string host;
    std::string port;
    std::string columns;
};

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Everything the arguments say, checked before the kernel is touched.
FlowQuery build_query(const FlowsArgs& a) {
    FlowQuery q;
    q.top = a.top;
    auto sort = parse_flow_sort(a.sort);
    if (!sort) throw Error("unknown sort '" + a.sort + "'", "use pkts, bytes or last");
    q.sort = *sort;
    if (!a.dscp.empty()) {
        q.dscp = parse_dscp(a.dscp);
        if (!q.dscp)
            throw Error("bad DSCP value '" + a.dscp + "'", "give 0-63 or a name such as EF, AF41, CS3, VOICE-ADMIT, LE");
    }
    if (!a.host.empty()) {
        try {
            q.host = parse_prefix(a.host);
        } catch (const Error&) {
            throw Error("malformed address '" + a.host + "'",
                        "give an IPv4 or IPv6 address, or a prefix such as 198.51.100.0/24");
        }
    }
    if (!a.port.empty()) {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(a.port.data(), a.port.data() + a.port.size(), v);
        if (ec != std::errc{} || end != a.port.data() + a.port.size() || v > 65535)
            throw Error("bad port '" + a.port + "'", "give a TCP/UDP port 0-65535");
        q.port = static_cast<uint16_t>(v);
    }
    return q;
}

void run_flows(const FlowsArgs& a) {
    const FlowQuery q = build_query(a);
    FlowRenderOptions o;
    if (!a.columns.empty()) o.columns = parse_flow_columns(a.columns);
    prepare();
    auto inst = open_instance();
    const auto flows = inst->maps().flows();
    o.now_ns = monotonic_ns();
    // Handshake verdicts, joined by flow key.
    const Diagnosis d = diagnose(inst->maps());
    o.handshake = verdict_lookup(d);
    o.capacity = inst->maps().flow_capacity();
    const auto sel = select_flows(flows, q);
    if (a.json)
        std::printf("%s\n", render_flows_json(sel, o, q).dump(2).c_str());
    else
        std::fputs(render_flows_text(sel, o, q).c_str(), stdout);
}

}  // namespace

void add_flows(CLI::App& app) {
    auto a = std::make_shared<FlowsArgs>();
    auto* cmd = app.add_subcommand("flows", "per-flow packets, bytes and DSCP values, client to server and back");
    cmd->add_flag("--json", a->json, "print JSON (every field, whatever --columns says)");
    cmd->add_option("--top", a->top, "show the first N flows after sorting; 0: all")
        ->check(CLI::Range(0, static_cast<int>(DW_FLOWS_MAX)))
        ->capture_default_str();
    cmd->add_option("--sort", a->sort, "pkts, bytes, or last (most recently seen first)")
        ->check(CLI::IsMember({"pkts", "packets", "bytes", "last"}))
        ->capture_default_str();
    cmd->add_option("--dscp", a->dscp, "only flows that carried this DSCP in either direction (0-63 or a name: EF, AF41, ...)");
    cmd->add_option("--host", a->host, "only flows with an endpoint at this address (or inside this prefix)");
    cmd->add_option("--port", a->port, "only TCP/UDP flows with this port on either side");
    cmd->add_option("--columns", a->columns,
                    "text columns, comma-separated, from: " + [] {
                        std::string s;
                        for (auto c : all_flow_columns()) s += (s.empty() ? "" : ",") + std::string(to_string(c));
                        return s;
                    }());
    cmd->footer(
        "c>s is client to server, s>c server to client. A DSCP cell lists exact counts for the first 4\n"
        "values seen, in first-seen order (EF:120 CS0:3), then +N(values) for packets with any other\n"
        "value. 'changes' counts packets whose DSCP differed from the packet before (c>s/s>c). 'age'\n"
        "is the time since the first packet, 'idle' since the last. 'by' says how the client was\n"
        "found: syn (handshake seen) or port (no SYN seen: the lower port is the server).\n\n"
        "Examples:\n"
        "  dscpwatch flows --dscp EF --top 20\n"
        "  dscpwatch flows --host 198.51.100.7 --port 443 --sort last\n"
        "  dscpwatch flows --top 0 --json > flows.json");
    cmd->callback([a] { run_flows(*a); });
}

}  // namespace dw::cli
