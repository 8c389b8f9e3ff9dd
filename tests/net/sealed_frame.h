#pragma once
// Seals a frame with any counter, written from the format in net/crypto.h
// rather than through SecureChannel: tests use it to send what an honest
// SecureChannel never would (counters at the very end of the range), as a
// peer holding its own session keys can.
#include <sodium.h>

#include <cstring>

#include "net/crypto.h"

namespace mxr::net::testing {

inline Bytes sealWithCounter(const SecretKey& tx, Channel channel, std::uint64_t counter, ByteSpan plaintext) {
    Bytes out(kSealedCounterBytes);
    for (std::size_t i = 0; i < kSealedCounterBytes; ++i) out[i] = static_cast<std::uint8_t>(counter >> (8 * i));
    std::uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
    for (int i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(counter >> (8 * i));  // little-endian
    nonce[8] = static_cast<std::uint8_t>(channel);
    const std::size_t header = out.size();
    out.resize(header + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + header, &clen, plaintext.data(), plaintext.size(),
                                               out.data(), header, nullptr, nonce, tx.data());
    out.resize(header + clen);
    return out;
}

}  // namespace mxr::net::testing
