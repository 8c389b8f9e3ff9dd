// The handshake's decoders (issue 9 point 5): the cookie challenge codec,
// the room host's intercept (CONNECT parsing and the per-peer command
// filter, enet_guard.h) and Hello/HelloAck through the key exchange. Any
// bytes must give a value or an error, never a crash; what decodes
// re-encodes to the same bytes; the filter only shrinks a datagram and is
// idempotent (its decisions are per command).
//
// Input: the whole input is tried as a challenge, a CONNECT datagram and a
// handshake message; for the filter, the first 9 bytes describe the peer
// (flags: open, channel count; 4 x u16 next reliable sequence numbers) and
// the rest is the datagram.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <variant>

#include "enet_guard.h"
#include "net/connect_cookie.h"
#include "net/crypto.h"
#include "net/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mxr::net;
    const ByteSpan in(data, size);
    if (auto c = decodeCookieChallenge(in)) {
        const Bytes again = encodeCookieChallenge(*c);
        if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
    }
    (void)parseConnectDatagram(in);
    if (auto m = decodeMessage(in)) {
        // A fixed host key: the exchange must refuse degenerate keys with an
        // error, never crash.
        static const KeyPair host = KeyPair::generate();
        if (const auto* hello = std::get_if<Hello>(&*m)) (void)serverSessionKeys(host, host, hello->clientPublicKey);
        if (const auto* ack = std::get_if<HelloAck>(&*m)) {
            (void)clientSessionKeys(host, ack->serverStaticKey, ack->serverEphemeralKey);
        }
    }
    if (size >= 9) {
        PeerView view;
        view.open = (data[0] & 1) != 0;
        view.channelCount = (data[0] >> 1) % (kChannelCount + 1);
        for (std::size_t c = 0; c < kChannelCount; ++c) {
            view.incomingReliable[c] = static_cast<std::uint16_t>(data[1 + 2 * c] | (data[2 + 2 * c] << 8));
        }
        Bytes datagram(data + 9, data + size);
        std::uint64_t refused = 0;
        const std::size_t kept = filterPeerDatagram(datagram.data(), datagram.size(), view, GuardPolicy{}, refused);
        if (kept > datagram.size()) std::abort();
        datagram.resize(kept);
        std::uint64_t again = 0;
        if (kept > 0 && filterPeerDatagram(datagram.data(), datagram.size(), view, GuardPolicy{}, again) != kept) std::abort();
        if (again != 0) std::abort();
    }
    return 0;
}
