// Flow records as a person or a program reads them: filtered, oriented from
// client to server, sorted, and cut to the top N before anything is formatted.
//
// Text output is built from a list of columns (FlowColumn); a new column (the
// handshake "stage" and "history" are next) is one enum value plus one entry
// in the column table of flows_view.cpp, and one field in flow_json().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <functional>

#include "diag/verdict.hpp"

#include "bpf/maps.hpp"
#include "core/remark_config.hpp"

namespace dw {

// ---- selection ----------------------------------------------------------------

enum class FlowSort { Packets, Bytes, Last };
std::string_view to_string(FlowSort s);
// "pkts" (or "packets"), "bytes", "last".
std::optional<FlowSort> parse_flow_sort(std::string_view text);

struct FlowQuery {
    std::optional<uint8_t> dscp;    // seen in either direction
    std::optional<Prefix> host;     // either endpoint inside (a host is a /32 or /128)
    std::optional<uint16_t> port;   // either port (TCP and UDP flows only)
    FlowSort sort = FlowSort::Packets;
    size_t top = 50;                // 0: all
};

// A flow seen from its client: c2s is what the client sent.
struct FlowRow {
    const FlowEntry* entry = nullptr;
    bool client_is_a = true;

    const dw_flow_key& key() const { return entry->key; }
    const dw_flow& flow() const { return entry->flow; }
    // dir[0] carries A->B, dir[1] B->A.
    const dw_flow_dir& c2s() const { return entry->flow.dir[client_is_a ? 0 : 1]; }
    const dw_flow_dir& s2c() const { return entry->flow.dir[client_is_a ? 1 : 0]; }
    const uint8_t* client_addr() const { return client_is_a ? entry->key.addr_a : entry->key.addr_b; }
    const uint8_t* server_addr() const { return client_is_a ? entry->key.addr_b : entry->key.addr_a; }
    uint16_t client_port() const { return client_is_a ? entry->key.port_a : entry->key.port_b; }
    uint16_t server_port() const { return client_is_a ? entry->key.port_b : entry->key.port_a; }
    uint64_t packets() const { return entry->flow.dir[0].packets + entry->flow.dir[1].packets; }
    uint64_t bytes() const { return entry->flow.dir[0].bytes + entry->flow.dir[1].bytes; }
};

FlowRow orient(const FlowEntry& e);

// Whether the protocol has ports in the flow key (TCP, UDP).
bool proto_has_ports(uint8_t proto);

bool flow_matches(const FlowEntry& e, const FlowQuery& q);

struct FlowSelection {
    std::vector<FlowRow> rows;  // the top N, best first
    size_t total = 0;           // flows in the input
    size_t matching = 0;        // flows that passed the filters
};

// Filters, then sorts only as much as the top N needs (partial_sort over
// 16-byte keys). The rows point into `flows`, which must outlive the result.
FlowSelection select_flows(const std::vector<FlowEntry>& flows, const FlowQuery& q);

// ---- DSCP breakdown of one direction -------------------------------------------

struct DscpShare {
    uint8_t dscp = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
};

struct DscpBreakdown {
    std::vector<DscpShare> slots;       // exact counts, in first-seen order
    uint64_t other_packets = 0;         // values past the exact slots
    uint64_t other_bytes = 0;
    std::vector<uint8_t> other_values;  // seen, but not in a slot
    std::vector<uint8_t> seen;          // every value seen, ascending
};

DscpBreakdown dscp_breakdown(const dw_flow_dir& d);
// "EF:120 CS0:3 +5(AF41,13)"; "-" when the direction carried nothing.
std::string dscp_breakdown_text(const dw_flow_dir& d);

// ---- rendering -------------------------------------------------------------------

enum class FlowColumn {
    Proto,     // "tcp", "udp", "icmp id=7"
    Client,    // client addr:port
    Server,    // server addr:port
    PktsC2S,   // packets client -> server
    BytesC2S,
    PktsS2C,   // packets server -> client
    BytesS2C,
    DscpC2S,   // DSCP breakdown client -> server
    DscpS2C,
    Changes,   // DSCP changes "c2s/s2c"
    Age,       // since first seen
    Idle,      // since last seen
    Orient,    // how the client was decided: "syn" or "port"
    Iface,     // interface of the last packet
    Stage,     // TCP/TLS handshake verdict ("completed", "stalled at ServerHello flight")
    History,   // handshake history, one letter per event
};

std::string_view to_string(FlowColumn c);  // the name --columns uses
std::optional<FlowColumn> parse_flow_column(std::string_view name);
// "proto,client,server,..." -> columns; throws dw::Error naming the valid ones.
std::vector<FlowColumn> parse_flow_columns(std::string_view list);
const std::vector<FlowColumn>& default_flow_columns();
const std::vector<FlowColumn>& all_flow_columns();

struct FlowRenderOptions {
    uint64_t now_ns = 0;  // CLOCK_MONOTONIC (the classifier's clock); 0: no ages
    std::vector<FlowColumn> columns = default_flow_columns();
    std::optional<uint32_t> capacity;  // flow table size, for the summary line
    // The handshake verdict of a flow, when its handshake was followed.
    std::function<const FlowVerdict*(const dw_flow_key&)> handshake;
};

std::string render_flows_text(const FlowSelection& s, const FlowRenderOptions& o, const FlowQuery& q = {});
// Every field of one flow (independent of the columns).
nlohmann::json flow_json(const FlowRow& r, const FlowRenderOptions& o);
nlohmann::json render_flows_json(const FlowSelection& s, const FlowRenderOptions& o, const FlowQuery& q = {});

}  // namespace dw
