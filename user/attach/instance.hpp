// A live dscpwatch instance: the classifier's programs and maps pinned under a
// bpffs root, shared by every interface it is attached to, outliving the tool.
//
// Pin layout (ROOT defaults to /sys/fs/bpf/dscpwatch):
//   ROOT/maps/<map>        every map of the classifier (counters survive restarts)
//   ROOT/progs/<prog>      dw_xdp, dw_tc_ingress, dw_tc_egress
//   ROOT/links/<ifindex>-<hook>   XDP and TCX links (the attachments themselves)
//   ROOT/ifaces            registry: what we attached where (userspace-only map)
//   ROOT/meta              instance facts: network namespace, flow table size
// ROOT is created complete under a temporary name and renamed into place, so
// a crash never leaves a half-made instance behind.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bpf/classifier.hpp"
#include "bpf/fd.hpp"
#include "bpf/maps.hpp"

namespace dw {

inline constexpr const char* kDefaultPinRoot = "/sys/fs/bpf/dscpwatch";

enum class XdpMode : uint32_t { None = 0, Native = 1, Generic = 2 };
enum class TcKind : uint32_t { None = 0, Tcx = 1, Clsact = 2 };
std::string_view to_string(XdpMode m);
std::string_view to_string(TcKind k);

// One interface's attachments, as recorded in the registry.
struct Attachment {
    uint32_t ifindex = 0;
    std::string ifname;
    XdpMode xdp = XdpMode::None;
    TcKind tc = TcKind::None;
    bool tc_ingress = false;
    bool tc_egress = false;
    bool created_clsact = false;  // we added the clsact qdisc, so detach removes it
    uint64_t attached_unix = 0;
    bool any() const { return xdp != XdpMode::None || tc_ingress || tc_egress; }
};

struct InstanceMeta {
    uint64_t netns_ino = 0;      // network namespace the instance serves
    uint32_t flow_capacity = 0;
    uint32_t layout = 0;         // pin layout version
    uint64_t created_unix = 0;
    uint32_t hs_capacity = 0;
};

class Instance {
public:
    // Whether ROOT holds an instance.
    static bool exists(const std::string& root);
    // Opens the pinned instance; throws dw::Error (with the fix) when there is none.
    static std::unique_ptr<Instance> open(const std::string& root);
    // Loads the classifier and pins it under ROOT, atomically.
    static std::unique_ptr<Instance> create(const std::string& root, uint32_t flow_capacity,
                                            uint32_t hs_capacity = DW_HS_DEFAULT);
    // Removes ROOT and everything pinned under it (links included, which detaches them).
    static void remove(const std::string& root);

    const std::string& root() const { return root_; }
    const InstanceMeta& meta() const { return meta_; }
    MapSet& maps() { return *maps_; }
    const MapSet& maps() const { return *maps_; }
    int prog_fd(Hook h) const;
    uint32_t prog_id(Hook h) const;
    bool is_ours(uint32_t prog_id) const;

    std::vector<Attachment> attachments() const;
    std::optional<Attachment> attachment(uint32_t ifindex) const;
    void record(const Attachment& a);
    void forget(uint32_t ifindex);

    std::string link_path(uint32_t ifindex, Hook h) const;

private:
    Instance() = default;
    std::string root_;
    InstanceMeta meta_;
    std::vector<Fd> map_fds_;
    Fd progs_[3];
    uint32_t prog_ids_[3] = {};
    Fd ifaces_;
    std::unique_ptr<MapSet> maps_;
};

// Makes sure a bpffs is mounted at (or above) the pin root's parent; mounts
// one at /sys/fs/bpf if none is. Throws dw::Error when it cannot.
void ensure_bpffs(const std::string& root);

// The inode of the caller's network namespace.
uint64_t current_netns_ino();

}  // namespace dw
