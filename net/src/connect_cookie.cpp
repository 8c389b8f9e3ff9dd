#include "net/connect_cookie.h"

#include <sodium.h>

#include <cstring>

namespace mxr::net {
namespace {

constexpr std::uint8_t kMagic[5] = {0xFF, 0xFF, 'M', 'X', 'C'};

std::uint64_t epochOf(Nanos now) { return static_cast<std::uint64_t>(now < 0 ? 0 : now / kCookieEpoch); }

}  // namespace

Bytes encodeCookieChallenge(const CookieChallenge& c) {
    ByteWriter w(kCookieChallengeBytes);
    w.bytes(ByteSpan(kMagic, sizeof kMagic));
    w.u8(c.hostVersion);
    std::uint8_t id[4];
    std::memcpy(id, &c.connectId, 4);  // as it came: ENet never byte-swaps connectID
    w.bytes(ByteSpan(id, 4));
    w.u32(c.cookie);
    return w.take();
}

Result<CookieChallenge> decodeCookieChallenge(ByteSpan datagram) {
    if (datagram.size() != kCookieChallengeBytes) {
        return tl::unexpected(protocolError(strCat("cookie challenge: ", datagram.size(), " bytes, expected ", kCookieChallengeBytes)));
    }
    if (std::memcmp(datagram.data(), kMagic, sizeof kMagic) != 0) return tl::unexpected(protocolError("cookie challenge: bad magic"));
    ByteReader r(datagram.subspan(sizeof kMagic));
    CookieChallenge c;
    MXR_TRY_ASSIGN(c.hostVersion, r.u8("host version"));
    MXR_TRY_ASSIGN(auto id, r.bytes(4, "connect id"));
    std::memcpy(&c.connectId, id.data(), 4);
    MXR_TRY_ASSIGN(c.cookie, r.u32("cookie"));
    if (c.cookie == 0) return tl::unexpected(protocolError("cookie challenge: cookie 0 (means no cookie)"));
    return c;
}

ConnectCookies::ConnectCookies() {
    if (sodium_init() < 0) std::memset(m_secret.data(), 0, m_secret.size());  // unreachable on supported systems
    randombytes_buf(m_secret.data(), m_secret.size());
}

std::uint32_t ConnectCookies::compute(std::uint64_t epoch, std::uint32_t ipv4, std::uint16_t port) const {
    static_assert(crypto_shorthash_KEYBYTES == 16 && crypto_shorthash_BYTES == 8);
    std::uint8_t in[14];
    std::memcpy(in, &epoch, 8);
    std::memcpy(in + 8, &ipv4, 4);
    std::memcpy(in + 12, &port, 2);
    std::uint8_t out[8];
    crypto_shorthash(out, in, sizeof in, m_secret.data());
    std::uint32_t v;
    std::memcpy(&v, out, 4);
    return v == 0 ? 1 : v;
}

std::uint32_t ConnectCookies::mint(std::uint32_t ipv4, std::uint16_t port, Nanos now) const {
    return compute(epochOf(now), ipv4, port);
}

bool ConnectCookies::verify(std::uint32_t cookie, std::uint32_t ipv4, std::uint16_t port, Nanos now) const {
    if (cookie == 0) return false;
    const std::uint64_t e = epochOf(now);
    if (cookie == compute(e, ipv4, port)) return true;
    return e > 0 && cookie == compute(e - 1, ipv4, port);
}

std::uint64_t ConnectCookies::addressHash(std::uint32_t ipv4) const {
    const std::uint8_t in[5] = {'a', static_cast<std::uint8_t>(ipv4), static_cast<std::uint8_t>(ipv4 >> 8),
                                static_cast<std::uint8_t>(ipv4 >> 16), static_cast<std::uint8_t>(ipv4 >> 24)};
    std::uint8_t out[8];
    crypto_shorthash(out, in, sizeof in, m_secret.data());
    std::uint64_t v;
    std::memcpy(&v, out, 8);
    return v;
}

}  // namespace mxr::net
