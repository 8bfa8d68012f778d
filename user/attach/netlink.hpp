// The few rtnetlink questions libbpf does not answer, asked with libmnl.
#pragma once

#include <cstdint>

namespace dw {

// Number of tc filters under a clsact hook (parent ffff:fff2 ingress, ffff:fff3 egress).
// Returns -1 if the hook (qdisc) does not exist.
int count_tc_filters(uint32_t ifindex, bool egress);

// Whether the interface has a clsact qdisc.
bool has_clsact(uint32_t ifindex);

}  // namespace dw
