#include "attach/instance.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/error.hpp"
#include "dscpwatch.skel.h"

namespace dw {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kLayout = 2;

// Registry value: userspace-only state kept in bpffs beside the maps.
struct RegistryValue {
    uint32_t xdp;  // XdpMode
    uint32_t tc;   // TcKind
    uint8_t tc_ingress;
    uint8_t tc_egress;
    uint8_t created_clsact;
    uint8_t pad;
    char ifname[16];
    uint64_t attached_unix;
};
static_assert(sizeof(RegistryValue) == 40);

struct MetaValue {
    uint64_t netns_ino;
    uint32_t flow_capacity;
    uint32_t layout;
    uint64_t created_unix;
    uint32_t hs_capacity;
    uint32_t pad;
};
static_assert(sizeof(MetaValue) == 32);

// The maps userspace reads and writes, in MapFds order.
constexpr const char* kMapNames[] = {"dw_if_stats",  "dw_remarks",   "dw_counters", "dw_flows", "dw_config", "dw_active",
                                     "dw_exempt_v4", "dw_exempt_v6", "dw_clock",    "dw_hs",    "dw_events"};
constexpr const char* kProgNames[] = {"dw_xdp", "dw_tc_ingress", "dw_tc_egress"};

int hook_index(Hook h) { return static_cast<int>(h); }

void remove_tree(const std::string& path) {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
        throw Error("cannot remove " + path + ": " + ec.message());
}

// Leftovers of creations that were killed before the final rename.
void sweep_stale_tmp(const std::string& root) {
    fs::path p(root);
    std::string prefix = p.filename().string() + "-tmp-";
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
        std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + prefix.size()));
        if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)) continue;  // still being made
        std::error_code ec2;
        fs::remove_all(e.path(), ec2);
    }
}

uint32_t id_of(int fd) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) throw_errno("reading program info", errno);
    return info.id;
}

void check_value_size(int fd, uint32_t want, const std::string& name) {
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) throw_errno("reading map info of " + name, errno);
    if (info.value_size != want)
        throw Error("the pinned map " + name + " was made by another dscpwatch version",
                    "run `dscpwatch detach --all` and attach again");
}

Fd obj_get(const std::string& path) {
    int fd = bpf_obj_get(path.c_str());
    if (fd < 0) throw_errno("opening " + path, errno);
    return Fd(fd);
}

}  // namespace

std::string_view to_string(XdpMode m) {
    switch (m) {
    case XdpMode::None: return "none";
    case XdpMode::Native: return "native";
    case XdpMode::Generic: return "generic";
    }
    return "?";
}

std::string_view to_string(TcKind k) {
    switch (k) {
    case TcKind::None: return "none";
    case TcKind::Tcx: return "tcx";
    case TcKind::Clsact: return "clsact";
    }
    return "?";
}

uint64_t current_netns_ino() {
    struct stat st {};
    if (stat("/proc/self/ns/net", &st) != 0) throw_errno("reading the network namespace", errno);
    return st.st_ino;
}

void ensure_bpffs(const std::string& root) {
    fs::path parent = fs::path(root).parent_path();
    struct statfs sf {};
    if (statfs(parent.c_str(), &sf) == 0 && sf.f_type == BPF_FS_MAGIC) return;
    // The usual place: mount it, as systemd would.
    if (parent == "/sys/fs/bpf" || parent.string().rfind("/sys/fs/bpf/", 0) == 0) {
        struct statfs s2 {};
        if (statfs("/sys/fs/bpf", &s2) != 0 || s2.f_type != BPF_FS_MAGIC) {
            if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") != 0)
                throw_errno("no bpf filesystem at /sys/fs/bpf, and mounting one failed", errno,
                            "mount it with `mount -t bpf bpf /sys/fs/bpf`");
        }
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (statfs(parent.c_str(), &sf) == 0 && sf.f_type == BPF_FS_MAGIC) return;
    }
    if (!fs::exists(parent))
        throw Error("the pin root's parent " + parent.string() + " does not exist",
                    "create it on a bpf filesystem, or use --pin-root under /sys/fs/bpf");
    throw Error(parent.string() + " is not on a bpf filesystem (bpffs)",
                "mount one with `mount -t bpf bpf " + parent.string() + "` or use --pin-root under /sys/fs/bpf");
}

bool Instance::exists(const std::string& root) { return fs::exists(fs::path(root) / "meta"); }

std::unique_ptr<Instance> Instance::create(const std::string& root, uint32_t flow_capacity, uint32_t hs_capacity) {
    ensure_bpffs(root);
    if (exists(root)) throw Error("an instance already exists at " + root);
    if (flow_capacity == 0 || flow_capacity > DW_FLOWS_MAX)
        throw Error("flow table size " + std::to_string(flow_capacity) + " is out of range",
                    "choose 1 to " + std::to_string(DW_FLOWS_MAX) + " flows");
    sweep_stale_tmp(root);
    const std::string tmp = root + "-tmp-" + std::to_string(getpid());
    remove_tree(tmp);
    dscpwatch* skel = nullptr;
    try {
        for (const char* d : {"", "/maps", "/progs", "/links"})
            if (mkdir((tmp + d).c_str(), 0700) != 0) throw_errno("creating " + tmp + d, errno);
        skel = dscpwatch::open();
        if (!skel) throw_errno("opening the BPF object", errno);
        if (int err = bpf_map__set_max_entries(skel->maps.dw_flows, flow_capacity))
            throw_errno("sizing the flow table", err);
        if (hs_capacity == 0 || hs_capacity > DW_FLOWS_MAX)
            throw Error("handshake table size " + std::to_string(hs_capacity) + " is out of range",
                        "choose 1 to " + std::to_string(DW_FLOWS_MAX));
        if (int err = bpf_map__set_max_entries(skel->maps.dw_hs, hs_capacity))
            throw_errno("sizing the handshake table", err);
        if (int err = dscpwatch::load(skel))
            throw_errno("loading the BPF object into the kernel", err,
                        "check `dmesg`, and that the kernel has BPF, BTF and the JIT enabled");
        for (const char* name : kMapNames) {
            bpf_map* m = bpf_object__find_map_by_name(skel->obj, name);
            if (!m) throw Error(std::string("map ") + name + " missing from the BPF object");
            if (int err = bpf_map__pin(m, (tmp + "/maps/" + name).c_str())) throw_errno(std::string("pinning ") + name, err);
        }
        bpf_program* progs[] = {skel->progs.dw_xdp, skel->progs.dw_tc_ingress, skel->progs.dw_tc_egress};
        for (int i = 0; i < 3; i++)
            if (int err = bpf_program__pin(progs[i], (tmp + "/progs/" + kProgNames[i]).c_str()))
                throw_errno(std::string("pinning ") + kProgNames[i], err);

        LIBBPF_OPTS(bpf_map_create_opts, mo);
        Fd reg(bpf_map_create(BPF_MAP_TYPE_HASH, "dw_ifaces", sizeof(uint32_t), sizeof(RegistryValue), 1024, &mo));
        if (!reg) throw_errno("creating the interface registry", errno);
        if (bpf_obj_pin(reg.get(), (tmp + "/ifaces").c_str()) != 0) throw_errno("pinning the registry", errno);

        Fd tls(create_tls_info_map(hs_capacity));
        if (bpf_obj_pin(tls.get(), (tmp + "/maps/dw_tlsinfo").c_str()) != 0) throw_errno("pinning the TLS details", errno);

        Fd meta(bpf_map_create(BPF_MAP_TYPE_ARRAY, "dw_meta", sizeof(uint32_t), sizeof(MetaValue), 1, &mo));
        if (!meta) throw_errno("creating the instance record", errno);
        MetaValue mv{current_netns_ino(), flow_capacity, kLayout, static_cast<uint64_t>(time(nullptr)), hs_capacity, 0};
        uint32_t zero = 0;
        if (bpf_map_update_elem(meta.get(), &zero, &mv, BPF_ANY) != 0) throw_errno("writing the instance record", errno);
        if (bpf_obj_pin(meta.get(), (tmp + "/meta").c_str()) != 0) throw_errno("pinning the instance record", errno);

        dscpwatch::destroy(skel);  // the pins keep programs and maps alive
        skel = nullptr;
        if (rename(tmp.c_str(), root.c_str()) != 0)
            throw_errno("moving the new instance to " + root, errno, "is another dscpwatch creating it right now?");
    } catch (...) {
        if (skel) dscpwatch::destroy(skel);
        std::error_code ec;
        fs::remove_all(tmp, ec);
        throw;
    }
    return open(root);
}

std::unique_ptr<Instance> Instance::open(const std::string& root) {
    struct statfs sf {};
    if (statfs(fs::path(root).parent_path().c_str(), &sf) != 0 || sf.f_type != BPF_FS_MAGIC) {
        if (!exists(root))
            throw Error("no dscpwatch instance at " + root + " (no bpf filesystem there)",
                        "attach an interface first: dscpwatch attach IFACE");
    }
    if (!exists(root))
        throw Error("no dscpwatch instance at " + root, "attach an interface first: dscpwatch attach IFACE");
    std::unique_ptr<Instance> in(new Instance());
    in->root_ = root;

    Fd meta = obj_get(root + "/meta");
    check_value_size(meta.get(), sizeof(MetaValue), "meta");
    MetaValue mv{};
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(meta.get(), &zero, &mv) != 0) throw_errno("reading the instance record", errno);
    if (mv.layout != kLayout)
        throw Error("the instance at " + root + " was made by another dscpwatch version",
                    "run `dscpwatch detach --all` and attach again");
    in->meta_ = {mv.netns_ino, mv.flow_capacity, mv.layout, mv.created_unix, mv.hs_capacity};
    if (mv.netns_ino != current_netns_ino())
        throw Error("the instance at " + root + " serves another network namespace",
                    "run in that namespace (--netns NAME), or use another --pin-root");

    for (const char* name : kMapNames) in->map_fds_.push_back(obj_get(root + "/maps/" + name));
    in->map_fds_.push_back(obj_get(root + "/maps/dw_tlsinfo"));
    check_value_size(in->map_fds_[3].get(), sizeof(dw_flow), "dw_flows");
    check_value_size(in->map_fds_[4].get(), sizeof(dw_config), "dw_config");
    check_value_size(in->map_fds_[9].get(), sizeof(dw_hs), "dw_hs");
    for (int i = 0; i < 3; i++) {
        in->progs_[i] = obj_get(root + "/progs/" + kProgNames[i]);
        in->prog_ids_[i] = id_of(in->progs_[i].get());
    }
    in->ifaces_ = obj_get(root + "/ifaces");
    check_value_size(in->ifaces_.get(), sizeof(RegistryValue), "ifaces");
    const auto& f = in->map_fds_;
    in->maps_ = std::make_unique<MapSet>(MapFds{f[0].get(), f[1].get(), f[2].get(), f[3].get(), f[4].get(), f[5].get(),
                                                f[6].get(), f[7].get(), f[8].get(), f[9].get(), f[10].get(),
                                                f[11].get()});
    return in;
}

void Instance::remove(const std::string& root) {
    if (!fs::exists(root)) return;
    remove_tree(root);
}

int Instance::prog_fd(Hook h) const { return progs_[hook_index(h)].get(); }
uint32_t Instance::prog_id(Hook h) const { return prog_ids_[hook_index(h)]; }

bool Instance::is_ours(uint32_t id) const {
    return id != 0 && (id == prog_ids_[0] || id == prog_ids_[1] || id == prog_ids_[2]);
}

std::string Instance::link_path(uint32_t ifindex, Hook h) const {
    return root_ + "/links/" + std::to_string(ifindex) + "-" + std::string(to_string(h));
}

namespace {

Attachment from_registry(uint32_t ifindex, const RegistryValue& v) {
    Attachment a;
    a.ifindex = ifindex;
    a.ifname.assign(v.ifname, strnlen(v.ifname, sizeof(v.ifname)));
    a.xdp = static_cast<XdpMode>(v.xdp);
    a.tc = static_cast<TcKind>(v.tc);
    a.tc_ingress = v.tc_ingress;
    a.tc_egress = v.tc_egress;
    a.created_clsact = v.created_clsact;
    a.attached_unix = v.attached_unix;
    return a;
}

}  // namespace

std::vector<Attachment> Instance::attachments() const {
    std::vector<Attachment> out;
    uint32_t key = 0, next = 0;
    const uint32_t* prev = nullptr;
    while (bpf_map_get_next_key(ifaces_.get(), prev, &next) == 0) {
        RegistryValue v{};
        if (bpf_map_lookup_elem(ifaces_.get(), &next, &v) == 0) out.push_back(from_registry(next, v));
        key = next;
        prev = &key;
    }
    return out;
}

std::optional<Attachment> Instance::attachment(uint32_t ifindex) const {
    RegistryValue v{};
    if (bpf_map_lookup_elem(ifaces_.get(), &ifindex, &v) != 0) return std::nullopt;
    return from_registry(ifindex, v);
}

void Instance::record(const Attachment& a) {
    RegistryValue v{};
    v.xdp = static_cast<uint32_t>(a.xdp);
    v.tc = static_cast<uint32_t>(a.tc);
    v.tc_ingress = a.tc_ingress;
    v.tc_egress = a.tc_egress;
    v.created_clsact = a.created_clsact;
    std::strncpy(v.ifname, a.ifname.c_str(), sizeof(v.ifname) - 1);
    v.attached_unix = a.attached_unix;
    if (bpf_map_update_elem(ifaces_.get(), &a.ifindex, &v, BPF_ANY) != 0)
        throw_errno("recording the attachment of " + a.ifname, errno);
}

void Instance::forget(uint32_t ifindex) { bpf_map_delete_elem(ifaces_.get(), &ifindex); }

}  // namespace dw
