#pragma once
// Stateless connect cookies: a room host proves that a connection attempt
// really comes from its source address before it spends an ENet peer slot
// (net/README.md, "Handshake and memory bounds").
//
// A client's first ENet CONNECT carries 0 in its 32-bit data word. The host
// answers it with one small CookieChallenge datagram (14 bytes, a quarter of
// the 52-byte CONNECT: no amplification) and keeps nothing. The client
// connects again from the same address with the cookie in the data word;
// only a CONNECT whose cookie matches its source address (and is at most
// two epochs old) reaches ENet and may take a slot. A spoofed CONNECT thus
// costs the host one SipHash and one 14-byte reply, and its victim 14 bytes.
//
// Cookie: the low 32 bits of SipHash-2-4 (libsodium crypto_shorthash,
// 128-bit secret key) over (epoch, IPv4 address, port), never 0. Epochs are
// kCookieEpoch long; verify() accepts the current and the previous one.
//
// Challenge datagram: [0xFF 0xFF]['M' 'X' 'C'][host protocol version u8]
// [the CONNECT's connectID, u32 as it came][cookie u32 LE]. Its first two
// bytes make an ENet host that does not know cookies ignore it (peer id
// 0xFFF with the compressed flag, and ENet hosts here have no compressor).
//
// Thread: ConnectCookies is immutable after construction (any thread);
// the codec functions are pure.
#include <array>
#include <cstdint>

#include "engine/core/clock.h"
#include "net/wire.h"

namespace mxr::net {

inline constexpr Nanos kCookieEpoch = 10'000'000'000;  // 10 s
inline constexpr std::size_t kCookieChallengeBytes = 14;

struct CookieChallenge {
    std::uint8_t hostVersion = 0;  // the host's kProtocolVersion
    std::uint32_t connectId = 0;   // echoes the CONNECT it answers
    std::uint32_t cookie = 0;
    bool operator==(const CookieChallenge&) const = default;
};

Bytes encodeCookieChallenge(const CookieChallenge& c);
// kProtocol for anything that is not exactly a challenge (wrong length,
// magic or a zero cookie).
Result<CookieChallenge> decodeCookieChallenge(ByteSpan datagram);

class ConnectCookies {
public:
    using Secret = std::array<std::uint8_t, 16>;
    ConnectCookies();  // a fresh random secret
    explicit ConnectCookies(const Secret& secret) : m_secret(secret) {}

    // ipv4 and port as ENet's ENetAddress holds them.
    std::uint32_t mint(std::uint32_t ipv4, std::uint16_t port, Nanos now) const;
    bool verify(std::uint32_t cookie, std::uint32_t ipv4, std::uint16_t port, Nanos now) const;
    // A keyed 64-bit hash of an address, for per-address tables an attacker
    // cannot aim collisions at.
    std::uint64_t addressHash(std::uint32_t ipv4) const;

private:
    std::uint32_t compute(std::uint64_t epoch, std::uint32_t ipv4, std::uint16_t port) const;
    Secret m_secret{};
};

}  // namespace mxr::net
