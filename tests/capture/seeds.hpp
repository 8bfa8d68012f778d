// Valid captures to mutate: every link type, pcap (micro/nano, both byte
// orders) and pcapng (one and two interfaces), TCP/UDP over IPv4/IPv6, VLAN.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pcapfile.hpp"

namespace dwt {

std::vector<std::pair<std::string, PcapBytes>> capture_seeds();

}  // namespace dwt
