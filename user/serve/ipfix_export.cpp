#include "serve/ipfix_export.hpp"

#include <time.h>

namespace dw {

void IpfixExport::run(const std::vector<FlowEntry>& flows, const RemarkConfig& cfg, bool flush, DaemonCounters& c) {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const uint64_t wall = static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
    const uint64_t mono = monotonic_now_ns();
    auto recs = flows_.collect(flows, cfg, mono, wall, flush);
    // Templates on start, every template interval, and after a failed send:
    // a collector that was down (or restarted) has lost them.
    const bool templates = !template_sent_ || failing_ || mono - template_at_ >= o_.template_interval_ns;
    if (recs.empty() && !templates) return;
    for (const auto& m : encoder_.encode(recs, templates, static_cast<uint32_t>(ts.tv_sec))) {
        if (sender_.send(m)) {
            c.ipfix_messages++;
            failing_ = false;
        } else {
            failing_ = true;
            c.ipfix_errors++;
            throttle_.error(sender_.error() + " (is the collector up? the daemon keeps exporting)");
        }
    }
    c.ipfix_records += recs.size();
    if (templates) {
        template_sent_ = true;
        template_at_ = mono;
    }
}

}  // namespace dw
