#include "export/ipfix.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace dw {
namespace {

struct Field {
    uint16_t id, len;
};

// Fields of a template, in record order.
std::vector<Field> fields_of(uint16_t tid) {
    const bool v6 = tid == kTemplateV6 || tid == kTemplateV6Post;
    const bool post = tid == kTemplateV4Post || tid == kTemplateV6Post;
    std::vector<Field> f;
    if (v6)
        f = {{27, 16}, {28, 16}};
    else
        f = {{8, 4}, {12, 4}};
    f.insert(f.end(), {{7, 2}, {11, 2}, {4, 1}, {195, 1}, {5, 1}, {2, 8}, {1, 8}, {152, 8}, {153, 8}});
    if (post) f.insert(f.end(), {{98, 1}, {55, 1}});
    return f;
}

class Writer {
public:
    explicit Writer(std::vector<uint8_t>& b) : b_(b) {}
    void u8(uint8_t v) { b_.push_back(v); }
    void u16(uint16_t v) {
        u8(static_cast<uint8_t>(v >> 8));
        u8(static_cast<uint8_t>(v));
    }
    void u32(uint32_t v) {
        u16(static_cast<uint16_t>(v >> 16));
        u16(static_cast<uint16_t>(v));
    }
    void u64(uint64_t v) {
        u32(static_cast<uint32_t>(v >> 32));
        u32(static_cast<uint32_t>(v));
    }
    void bytes(const uint8_t* p, size_t n) { b_.insert(b_.end(), p, p + n); }
    void put16(size_t at, uint16_t v) {
        b_[at] = static_cast<uint8_t>(v >> 8);
        b_[at + 1] = static_cast<uint8_t>(v);
    }

private:
    std::vector<uint8_t>& b_;
};

constexpr uint16_t kTemplates[] = {kTemplateV4, kTemplateV4Post, kTemplateV6, kTemplateV6Post};
constexpr size_t kHeader = 16, kSetHeader = 4;

void header(Writer& w, uint32_t export_time, uint32_t seq, uint32_t domain) {
    w.u16(kIpfixVersion);
    w.u16(0);  // length, patched at the end
    w.u32(export_time);
    w.u32(seq);
    w.u32(domain);
}

void template_set(std::vector<uint8_t>& b) {
    Writer w(b);
    const size_t start = b.size();
    w.u16(kIpfixTemplateSet);
    w.u16(0);
    for (uint16_t tid : kTemplates) {
        auto f = fields_of(tid);
        w.u16(tid);
        w.u16(static_cast<uint16_t>(f.size()));
        for (const auto& x : f) {
            w.u16(x.id);
            w.u16(x.len);
        }
    }
    w.put16(start + 2, static_cast<uint16_t>(b.size() - start));
}

void record(Writer& w, const IpfixRecord& r, uint16_t tid) {
    const size_t alen = r.family == 6 ? 16 : 4;
    w.bytes(r.src, alen);
    w.bytes(r.dst, alen);
    w.u16(r.src_port);
    w.u16(r.dst_port);
    w.u8(r.proto);
    w.u8(r.dscp);
    w.u8(static_cast<uint8_t>(r.dscp << 2));  // ipClassOfService: the TOS byte (ECN not kept per flow: 0)
    w.u64(r.packets);
    w.u64(r.bytes);
    w.u64(r.start_ms);
    w.u64(r.end_ms);
    if (tid == kTemplateV4Post || tid == kTemplateV6Post) {
        const uint8_t post = r.post_dscp.value_or(r.dscp);
        w.u8(post);
        w.u8(static_cast<uint8_t>(post << 2));  // postIpClassOfService
    }
}

}  // namespace

size_t ipfix_record_size(uint16_t tid) {
    size_t n = 0;
    for (const auto& f : fields_of(tid)) n += f.len;
    return n;
}

uint16_t ipfix_template_for(const IpfixRecord& r) {
    if (r.family == 6) return r.post_dscp ? kTemplateV6Post : kTemplateV6;
    return r.post_dscp ? kTemplateV4Post : kTemplateV4;
}

std::vector<uint8_t> IpfixEncoder::templates_message(uint32_t export_time) {
    auto msgs = encode({}, true, export_time);
    return msgs.front();
}

std::vector<std::vector<uint8_t>> IpfixEncoder::encode(const std::vector<IpfixRecord>& records, bool with_templates,
                                                       uint32_t export_time) {
    std::vector<std::vector<uint8_t>> out;
    std::vector<uint8_t> msg;
    size_t set_start = 0;
    uint16_t set_tid = 0;
    uint32_t in_msg = 0;  // data records in the current message

    auto close_set = [&] {
        if (set_tid) Writer(msg).put16(set_start + 2, static_cast<uint16_t>(msg.size() - set_start));
        set_tid = 0;
    };
    auto finish = [&] {
        close_set();
        Writer(msg).put16(2, static_cast<uint16_t>(msg.size()));
        sequence_ += in_msg;
        out.push_back(std::move(msg));
        msg.clear();
        in_msg = 0;
    };
    auto begin = [&] {
        Writer w(msg);
        header(w, export_time, sequence_, domain_);
    };

    begin();
    if (with_templates) template_set(msg);
    for (const auto& r : records) {
        const uint16_t tid = ipfix_template_for(r);
        const size_t need = ipfix_record_size(tid) + (set_tid == tid ? 0 : kSetHeader);
        if (msg.size() + need > max_message_ && msg.size() > kHeader) {
            finish();
            begin();
        }
        if (set_tid != tid) {
            close_set();
            set_start = msg.size();
            set_tid = tid;
            Writer w(msg);
            w.u16(tid);
            w.u16(0);
        }
        Writer w(msg);
        record(w, r, tid);
        in_msg++;
    }
    if (msg.size() > kHeader || out.empty()) finish();
    return out;
}

IpfixSender::IpfixSender(const std::string& target) : target_(target) {
    std::string host = target, port;
    const auto colon = target.rfind(':');
    if (colon == std::string::npos || colon + 1 == target.size())
        throw Error("bad IPFIX collector '" + target + "'", "give HOST:PORT, e.g. --ipfix 127.0.0.1:4739");
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0)
        throw Error("cannot resolve IPFIX collector '" + target + "': " + gai_strerror(rc),
                    "give HOST:PORT, e.g. --ipfix 127.0.0.1:4739");
    fd_ = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || connect(fd_, res->ai_addr, res->ai_addrlen) != 0) {
        const int err = errno;
        freeaddrinfo(res);
        throw_errno("cannot set up the IPFIX socket to " + target, err);
    }
    freeaddrinfo(res);
}

IpfixSender::~IpfixSender() {
    if (fd_ >= 0) ::close(fd_);
}

bool IpfixSender::send(const std::vector<uint8_t>& m) {
    ssize_t n = ::send(fd_, m.data(), m.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(m.size())) return true;
    error_ = "IPFIX export to " + target_ + " failed: " + std::strerror(n < 0 ? errno : EMSGSIZE);
    return false;
}

}  // namespace dw
