// What the running kernel offers BPF programs, probed with tiny programs and
// maps (not guessed from the version), and which of those features the
// classifier object cannot load without.
#pragma once

#include <string>
#include <vector>

namespace dw {

struct KernelFeatures {
    std::string release;          // uname -r
    bool tcx = false;             // TCX links (6.6+)
    bool xdp_link = false;        // XDP bpf_link (5.9+)
    bool ringbuf = false;         // BPF ring buffer (5.8+)
    bool bounded_loops = false;   // verifier bounded loops (5.3+)
    bool mmapable_array = false;  // BPF_F_MMAPABLE (5.5+)
    bool bpf_loop = false;        // bpf_loop helper (5.17+)
    bool xdp_load_bytes = false;  // bpf_xdp_load_bytes helper (5.18+)
    bool btf = false;             // the kernel's own BTF (/sys/kernel/btf/vmlinux)
    int jit = -1;                 // net.core.bpf_jit_enable: 0 off, 1 on, 2 on with debug; -1 unknown
};

// Probes the kernel this process runs on. Needs the privileges to load BPF
// programs; without them every probe reads "no".
KernelFeatures probe_kernel_features();

// What the classifier needs that this kernel lacks, each as "what (Linux X.Y+)";
// empty when it can load. The oldest kernel with all of it is kMinKernel.
std::vector<std::string> missing_requirements(const KernelFeatures& f);
inline constexpr const char* kMinKernel = "5.18";

}  // namespace dw
