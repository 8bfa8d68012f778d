// The daemon's IPFIX side: flow-table snapshots in, UDP messages out, with
// templates on start, every template interval and after a failed send.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "export/flow_export.hpp"
#include "export/ipfix.hpp"
#include "export/prometheus.hpp"
#include "serve/throttled.hpp"

namespace dw {

struct IpfixExportOptions {
    std::string collector;              // HOST:PORT
    uint32_t domain = 0;                // observation domain ID
    uint64_t template_interval_ns = 60'000'000'000;
    FlowExportOptions flows;
};

class IpfixExport {
public:
    // Throws dw::Error for a bad collector address.
    explicit IpfixExport(const IpfixExportOptions& o) : o_(o), sender_(o.collector), encoder_(o.domain), flows_(o.flows) {}
    // Exports what is due (everything with flush); counts into c.
    void run(const std::vector<FlowEntry>& flows, const RemarkConfig& cfg, bool flush, DaemonCounters& c);

private:
    IpfixExportOptions o_;
    IpfixSender sender_;
    IpfixEncoder encoder_;
    FlowExporter flows_;
    bool template_sent_ = false;
    bool failing_ = false;
    uint64_t template_at_ = 0;
    Throttled throttle_;
};

}  // namespace dw
