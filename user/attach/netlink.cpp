#include "attach/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dw {
namespace {

struct Socket {
    mnl_socket* s = mnl_socket_open(NETLINK_ROUTE);
    ~Socket() {
        if (s) mnl_socket_close(s);
    }
};

// Sends one dump request and calls cb for every message of the answer.
template <typename F>
int dump(uint16_t type, uint32_t ifindex, uint32_t parent, F&& cb) {
    Socket sock;
    if (!sock.s || mnl_socket_bind(sock.s, 0, MNL_SOCKET_AUTOPID) < 0) throw_errno("opening rtnetlink", errno);
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    const uint32_t seq = static_cast<uint32_t>(time(nullptr));
    nlh->nlmsg_seq = seq;
    auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(tcmsg)));
    tcm->tcm_family = AF_UNSPEC;
    tcm->tcm_ifindex = static_cast<int>(ifindex);
    tcm->tcm_parent = parent;
    if (mnl_socket_sendto(sock.s, nlh, nlh->nlmsg_len) < 0) throw_errno("sending an rtnetlink dump", errno);
    const uint32_t portid = mnl_socket_get_portid(sock.s);
    struct Ctx {
        F* cb;
    } ctx{&cb};
    auto trampoline = [](const nlmsghdr* m, void* data) -> int {
        (*static_cast<Ctx*>(data)->cb)(m);
        return MNL_CB_OK;
    };
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(sock.s, buf.data(), buf.size());
        if (n <= 0) return n < 0 ? -errno : 0;
        int r = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, trampoline, &ctx);
        if (r == MNL_CB_STOP) return 0;
        if (r < 0) return -errno;
    }
}

}  // namespace

bool has_clsact(uint32_t ifindex) {
    bool found = false;
    dump(RTM_GETQDISC, ifindex, 0, [&](const nlmsghdr* m) {
        auto* tcm = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(m));
        if (static_cast<uint32_t>(tcm->tcm_ifindex) != ifindex) return;
        if (tcm->tcm_parent != TC_H_CLSACT) return;
        auto* a = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(m, sizeof(*tcm)));
        const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(m));
        for (; mnl_attr_ok(a, static_cast<int>(tail - reinterpret_cast<const char*>(a))); a = mnl_attr_next(a))
            if (mnl_attr_get_type(a) == TCA_KIND && std::strcmp(mnl_attr_get_str(a), "clsact") == 0) found = true;
    });
    return found;
}

int count_tc_filters(uint32_t ifindex, bool egress) {
    if (!has_clsact(ifindex)) return -1;
    const uint32_t parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
    int count = 0;
    int err = dump(RTM_GETTFILTER, ifindex, parent, [&](const nlmsghdr* m) {
        if (m->nlmsg_type != RTM_NEWTFILTER) return;
        auto* tcm = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(m));
        // A chain lists each filter (handle != 0) after its priority header (handle 0).
        if (tcm->tcm_handle != 0) count++;
    });
    if (err < 0) throw_errno("listing tc filters", err);
    return count;
}

}  // namespace dw
