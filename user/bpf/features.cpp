#include "bpf/features.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

namespace dw {
namespace {

// Attach type of TCX ingress (Linux 6.6); Debian 12's UAPI headers predate it.
constexpr int kBpfTcxIngress = 46;

int version_code(const std::string& release) {
    int a = 0, b = 0;
    std::sscanf(release.c_str(), "%d.%d", &a, &b);
    return a * 1000 + b;
}

// Loads a program and says whether the verifier took it.
bool loads(bpf_prog_type type, const bpf_insn* insns, size_t n) {
    int fd = bpf_prog_load(type, "dw_probe", "GPL", insns, n, nullptr);
    if (fd < 0) return false;
    close(fd);
    return true;
}

// TCX: creating a link to ifindex 0 fails with ENODEV where TCX exists, and
// with EINVAL where the attach type is unknown. No interface is touched.
bool probe_tcx() {
    const bpf_insn ret_unspec[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, -1},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    int prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "dw_probe", "GPL", ret_unspec, 2, nullptr);
    if (prog < 0) return false;
    int l = bpf_link_create(prog, 0, static_cast<bpf_attach_type>(kBpfTcxIngress), nullptr);
    int e = errno;
    if (l >= 0) close(l);
    close(prog);
    return l >= 0 || e == ENODEV;
}

// Bounded loops: a program with a backward jump loads only where the verifier allows loops.
bool probe_bounded_loops() {
    const bpf_insn loop[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
        {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_0, 0, 0, 1},
        {BPF_JMP | BPF_JLT | BPF_K, BPF_REG_0, 0, -2, 4},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    return loads(BPF_PROG_TYPE_SOCKET_FILTER, loop, 4);
}

bool probe_mmapable_array() {
    LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
    int m = bpf_map_create(BPF_MAP_TYPE_ARRAY, "dw_probe", 4, 8, 1, &mo);
    if (m < 0) return false;
    close(m);
    return true;
}

bool probe_helper(bpf_prog_type type, bpf_func_id id) {
    // libbpf logs a failed probe; a missing helper is an answer here, not an error.
    libbpf_print_fn_t old = libbpf_set_print(nullptr);
    bool ok = libbpf_probe_bpf_helper(type, id, nullptr) == 1;
    libbpf_set_print(old);
    return ok;
}

int read_jit() {
    std::ifstream in("/proc/sys/net/core/bpf_jit_enable");
    int v = -1;
    if (!(in >> v)) return -1;
    return v;
}

}  // namespace

KernelFeatures probe_kernel_features() {
    KernelFeatures f;
    utsname u{};
    uname(&u);
    f.release = u.release;
    f.tcx = probe_tcx();
    f.bounded_loops = probe_bounded_loops();
    f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    f.mmapable_array = probe_mmapable_array();
    f.bpf_loop = probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_loop);
    f.xdp_load_bytes = probe_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_load_bytes);
    // An XDP link can only be tried on a real interface; the version tells.
    f.xdp_link = version_code(f.release) >= 5009;
    f.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
    f.jit = read_jit();
    return f;
}

std::vector<std::string> missing_requirements(const KernelFeatures& f) {
    std::vector<std::string> out;
    if (!f.bounded_loops) out.push_back("bounded loops in the verifier (Linux 5.3+)");
    if (!f.mmapable_array) out.push_back("mmapable array maps (Linux 5.5+)");
    if (!f.ringbuf) out.push_back("the BPF ring buffer (Linux 5.8+)");
    if (!f.xdp_link) out.push_back("XDP links (Linux 5.9+)");
    if (!f.bpf_loop) out.push_back("the bpf_loop helper (Linux 5.17+)");
    if (!f.xdp_load_bytes) out.push_back("the bpf_xdp_load_bytes helper (Linux 5.18+)");
    return out;
}

}  // namespace dw
