#include "core/frame.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "core/error.hpp"

namespace dw {

uint32_t csum_add(uint32_t sum, const uint8_t* data, size_t len) {
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
    return sum;
}

uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

namespace {

void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

void ethernet(std::vector<uint8_t>& f, uint16_t type) {
    const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
    f.insert(f.end(), dst, dst + 6);
    f.insert(f.end(), src, src + 6);
    f.push_back(static_cast<uint8_t>(type >> 8));
    f.push_back(static_cast<uint8_t>(type));
}

void address(int family, std::string_view text, uint8_t* out) {
    std::string s(text);
    if (inet_pton(family == 4 ? AF_INET : AF_INET6, s.c_str(), out) != 1)
        throw Error("bad IPv" + std::to_string(family) + " address '" + s + "'");
}

}  // namespace

std::vector<uint8_t> build_frame(const FrameSpec& sp) {
    const size_t l4_hdr = sp.proto == 6 ? 20 : 8;
    const size_t l4_len = l4_hdr + sp.payload;
    std::vector<uint8_t> l4(l4_len, 0);
    put16(&l4[0], sp.sport);
    put16(&l4[2], sp.dport);
    if (sp.proto == 6) {
        put32(&l4[4], 1000);  // seq
        put32(&l4[8], 1);     // ack
        l4[12] = 5 << 4;
        l4[13] = sp.tcp_flags;
        put16(&l4[14], 64240);
    } else {
        put16(&l4[4], static_cast<uint16_t>(l4_len));
    }
    for (size_t i = 0; i < sp.payload; i++) l4[l4_hdr + i] = static_cast<uint8_t>('a' + i % 26);

    uint8_t src[16] = {}, dst[16] = {};
    address(sp.family, sp.src, src);
    address(sp.family, sp.dst, dst);
    const size_t alen = sp.family == 4 ? 4 : 16;
    // Pseudo-header sum (RFC 793 / RFC 8200 8.1).
    uint32_t sum = csum_add(0, src, alen);
    sum = csum_add(sum, dst, alen);
    sum += sp.proto + static_cast<uint32_t>(l4_len);
    sum = csum_add(sum, l4.data(), l4.size());
    uint16_t ck = csum_fold(sum);
    if (sp.proto == 17 && ck == 0) ck = 0xffff;
    put16(&l4[sp.proto == 6 ? 16 : 6], ck);

    std::vector<uint8_t> f;
    const uint8_t tos = static_cast<uint8_t>(sp.dscp << 2 | (sp.ecn & 3));
    if (sp.family == 4) {
        ethernet(f, 0x0800);
        uint8_t ip[20] = {};
        ip[0] = 0x45;
        ip[1] = tos;
        put16(&ip[2], static_cast<uint16_t>(20 + l4_len));
        put16(&ip[4], 1);
        put16(&ip[6], 0x4000);  // DF
        ip[8] = 64;
        ip[9] = sp.proto;
        std::memcpy(&ip[12], src, 4);
        std::memcpy(&ip[16], dst, 4);
        put16(&ip[10], csum_fold(csum_add(0, ip, 20)));
        f.insert(f.end(), ip, ip + 20);
    } else {
        ethernet(f, 0x86dd);
        uint8_t ip[40] = {};
        put32(&ip[0], 6u << 28 | static_cast<uint32_t>(tos) << 20 | 0x12345);
        put16(&ip[4], static_cast<uint16_t>(l4_len));
        ip[6] = sp.proto;
        ip[7] = 64;
        std::memcpy(&ip[8], src, 16);
        std::memcpy(&ip[24], dst, 16);
        f.insert(f.end(), ip, ip + 40);
    }
    f.insert(f.end(), l4.begin(), l4.end());
    return f;
}

std::vector<uint8_t> build_arp_frame() {
    std::vector<uint8_t> f;
    ethernet(f, 0x0806);
    const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 0, 1,
                             0, 0, 0, 0, 0, 0, 198, 18, 0, 2};
    f.insert(f.end(), arp, arp + 28);
    return f;
}

}  // namespace dw
