#pragma once
// Transport encryption: key exchange, sealing with counter nonces, replay
// windows, and trust-on-first-use pinning of the server's key.
//
// Handshake (see README.md): the client sends an ephemeral X25519 key; the
// host answers with its long-term X25519 key and a fresh ephemeral key. Both
// sides derive one key per direction from crypto_kx over (host long-term,
// client ephemeral) mixed with X25519(host ephemeral, client ephemeral), so
// only the holder of the host's secret key can talk, and recorded traffic
// stays secret if that key later leaks (forward secrecy).
//
// Sealed frame (protocol 8): [counter's low 32 bits u32][ciphertext +
// 16-byte tag], 20 bytes on top of the plaintext; XChaCha20-Poly1305 with
// nonce = the full 64-bit counter || channel, the 4 header bytes as
// associated data. Each (direction, channel) has its own counter and its
// own sliding replay window. The receiver rebuilds the full counter as the
// one nearest above its window's highest with those low bits (as QUIC does
// with packet numbers): right unless 2^31 frames in a row went missing.
// Nothing else is needed on the wire: after the handshake every datagram
// is sealed (both sides know it from their state), the channel is ENet's
// own and in the nonce, and the plaintext's own header carries the
// protocol version, authenticated. (Protocol 7 sent version, type, channel
// and the full counter: 27 bytes.)
//
// Thread: SecureChannel is used by the one thread that owns the connection.
// Everything here calls sodium_init() itself (it is idempotent).
#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "net/messages.h"
#include "net/wire.h"

namespace mxr::net {

using SecretKey = std::array<std::uint8_t, 32>;

// Secrets are wiped (sodium_memzero) when a key object is destroyed, so an
// ended connection leaves no ephemeral or session key in freed memory.
struct KeyPair {
    Key publicKey{};
    SecretKey secretKey{};
    static KeyPair generate();
    KeyPair() = default;
    KeyPair(const KeyPair&) = default;
    KeyPair& operator=(const KeyPair&) = default;
    ~KeyPair();
};

struct SessionKeys {
    SecretKey rx{};  // decrypts what the other side sends
    SecretKey tx{};  // encrypts what this side sends
    SessionKeys() = default;
    SessionKeys(const SessionKeys&) = default;
    SessionKeys& operator=(const SessionKeys&) = default;
    ~SessionKeys();
};

// Fails (kPermissionDenied) for degenerate peer keys.
Result<SessionKeys> clientSessionKeys(const KeyPair& clientEphemeral, const Key& serverStatic,
                                      const Key& serverEphemeral);
Result<SessionKeys> serverSessionKeys(const KeyPair& serverStatic, const KeyPair& serverEphemeral,
                                      const Key& clientEphemeral);

// Sliding window of the highest counter seen and a bitmap of the `size`
// counters below it (rounded up to a multiple of 64, at least 1,024).
class ReplayWindow {
public:
    explicit ReplayWindow(std::size_t size = 1024);
    // True when `counter` is new and not older than the window.
    bool wouldAccept(std::uint64_t counter) const;
    // The counter expected next: one above the highest seen (0 before any).
    std::uint64_t expected() const { return m_any ? m_highest + 1 : 0; }
    // Forgets what was seen and expects `next` (> 0) from now on.
    void startAt(std::uint64_t next);
    // Records `counter` as seen; call only after authentication succeeded.
    void accept(std::uint64_t counter);
    std::size_t size() const { return m_bits.size() * 64; }

private:
    bool testBit(std::uint64_t counter) const;
    std::vector<std::uint64_t> m_bits;
    std::uint64_t m_highest = 0;
    bool m_any = false;
};

struct ChannelStats {
    std::uint64_t sealed = 0;
    std::uint64_t opened = 0;
    std::uint64_t forged = 0;     // authentication failed
    std::uint64_t replayed = 0;   // counter seen already or older than the window
    std::uint64_t malformed = 0;  // not a sealed frame at all
};

inline constexpr std::size_t kSealedCounterBytes = 4;
inline constexpr std::size_t kSealOverhead = kSealedCounterBytes + 16;

// The full counter whose low 32 bits are `low`, nearest to `expected`
// (within 2^31 either way; never below 0 or above 2^64-1).
std::uint64_t reconstructCounter(std::uint32_t low, std::uint64_t expected);

// Counters 0 .. 2^64-2 may be sent on a (direction, channel); a frame with
// counter 2^64-1 is refused when opening.
inline constexpr std::uint64_t kMaxFramesPerChannel = ~std::uint64_t{0};

class SecureChannel {
public:
    // `frameLimit` (at most kMaxFramesPerChannel) is how many frames this
    // side may seal on one channel; tests lower it to reach the end.
    SecureChannel(const SessionKeys& keys, std::size_t replayWindow = 1024,
                  std::uint64_t frameLimit = kMaxFramesPerChannel);

    // True once some channel has sealed `frameLimit` frames: its counter
    // would wrap (reusing a nonce) on the next one. The owner closes the
    // connection; sealing more is a caller error (asserted).
    bool exhausted() const;
    Bytes seal(Channel channel, ByteSpan plaintext);
    // The same frame written into `out`, which must be exactly
    // plaintext.size() + kSealOverhead bytes (e.g. an ENet packet's own
    // buffer, so the host copies nothing after the one encryption).
    void sealInto(Channel channel, ByteSpan plaintext, std::span<std::uint8_t> out);
    // The plaintext, or an Error saying why the frame was dropped (counted
    // in stats()). `channel` is the ENet channel the frame arrived on: a
    // frame moved to another channel fails authentication.
    Result<Bytes> open(Channel channel, ByteSpan frame);

    const ChannelStats& stats() const { return m_stats; }

    // Receiving on `channel` starts as if frames up to `next` - 1 had come.
    // For tests only: a receiver follows its sender's counter one frame at
    // a time (truncated counters are rebuilt near the window), so nothing
    // else brings it to the end of the range.
    void expectNextForTest(Channel channel, std::uint64_t next) { m_rx[static_cast<std::size_t>(channel)].startAt(next); }

private:
    SessionKeys m_keys;
    std::uint64_t m_frameLimit;
    std::array<std::uint64_t, kChannelCount> m_txCounter{};
    std::vector<ReplayWindow> m_rx;
    ChannelStats m_stats;
};

// Trust on first use: a text file of "HOST:PORT HEX-KEY" lines beside the
// client's config. check() records an unknown server, accepts the recorded
// key and refuses (kPermissionDenied, naming the file) a changed one.
class KeyPinStore {
public:
    explicit KeyPinStore(std::filesystem::path file) : m_file(std::move(file)) {}
    enum class Outcome { kPinnedNow, kMatched };
    Result<Outcome> check(const std::string& server, const Key& key);

private:
    std::filesystem::path m_file;
};

std::string toHex(ByteSpan b);
Result<Bytes> fromHex(std::string_view hex);
std::string toBase64(ByteSpan b);
Result<Bytes> fromBase64(std::string_view text);

// The host's long-term X25519 key pair, kept as hex in a file with mode
// 0600; created when absent.
Result<KeyPair> loadOrCreateServerKey(const std::filesystem::path& file);

}  // namespace mxr::net
