#include "net/crypto.h"

#include <sodium.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <fstream>
#include <sstream>

#include "engine/core/log.h"
#include "key_file.h"

namespace mxr::net {
namespace {

void ensureSodium() {
    // sodium_init is thread-safe and idempotent; -1 only when the system has
    // no usable randomness, which nothing here can recover from.
    [[maybe_unused]] const int rc = sodium_init();
    assert(rc >= 0);
}

constexpr std::size_t kHeaderBytes = kSealedCounterBytes;

// The full counter, little-endian, then the channel: a frame moved to
// another channel, or whose counter rebuilds to another one, fails.
using Nonce = std::array<std::uint8_t, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>;
Nonce nonceFor(std::uint64_t counter, std::size_t channel) {
    Nonce nonce{};
    for (std::size_t b = 0; b < 8; ++b) nonce[b] = static_cast<std::uint8_t>(counter >> (8 * b));
    nonce[8] = static_cast<std::uint8_t>(channel);
    return nonce;
}

SecretKey mix(const std::uint8_t* key, const std::uint8_t* dh, const char* label) {
    SecretKey out{};
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, 32, out.size());
    crypto_generichash_update(&st, dh, 32);
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(label), std::strlen(label));
    crypto_generichash_final(&st, out.data(), out.size());
    return out;
}

}  // namespace

KeyPair KeyPair::generate() {
    ensureSodium();
    KeyPair kp;
    crypto_kx_keypair(kp.publicKey.data(), kp.secretKey.data());
    return kp;
}

Result<SessionKeys> clientSessionKeys(const KeyPair& c, const Key& serverStatic, const Key& serverEphemeral) {
    ensureSodium();
    SecretKey rx1, tx1;
    if (crypto_kx_client_session_keys(rx1.data(), tx1.data(), c.publicKey.data(), c.secretKey.data(),
                                      serverStatic.data()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "server's static key is not acceptable");
    }
    std::uint8_t dh[32];
    if (crypto_scalarmult(dh, c.secretKey.data(), serverEphemeral.data()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "server's ephemeral key is not acceptable");
    }
    SessionKeys k;
    k.rx = mix(rx1.data(), dh, "mentorxr s2c");
    k.tx = mix(tx1.data(), dh, "mentorxr c2s");
    sodium_memzero(dh, sizeof dh);
    return k;
}

Result<SessionKeys> serverSessionKeys(const KeyPair& s, const KeyPair& e, const Key& clientEphemeral) {
    ensureSodium();
    SecretKey rx1, tx1;
    if (crypto_kx_server_session_keys(rx1.data(), tx1.data(), s.publicKey.data(), s.secretKey.data(),
                                      clientEphemeral.data()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "client's key is not acceptable");
    }
    std::uint8_t dh[32];
    if (crypto_scalarmult(dh, e.secretKey.data(), clientEphemeral.data()) != 0) {
        return makeError(ErrorCode::kPermissionDenied, "client's key is not acceptable");
    }
    SessionKeys k;
    k.rx = mix(rx1.data(), dh, "mentorxr c2s");
    k.tx = mix(tx1.data(), dh, "mentorxr s2c");
    sodium_memzero(dh, sizeof dh);
    return k;
}

ReplayWindow::ReplayWindow(std::size_t size) : m_bits((std::max<std::size_t>(size, 1024) + 63) / 64, 0) {}

bool ReplayWindow::testBit(std::uint64_t counter) const {
    const std::uint64_t bit = counter % size();
    return (m_bits[bit / 64] >> (bit % 64)) & 1u;
}

bool ReplayWindow::wouldAccept(std::uint64_t counter) const {
    if (!m_any || counter > m_highest) return true;
    if (m_highest - counter >= size()) return false;
    return !testBit(counter);
}

void ReplayWindow::startAt(std::uint64_t next) {
    assert(next > 0);
    std::fill(m_bits.begin(), m_bits.end(), 0);
    m_any = true;
    m_highest = next - 1;
    // The bit of next - 1 stays clear: nothing was really seen.
}

void ReplayWindow::accept(std::uint64_t counter) {
    const std::size_t n = size();
    if (!m_any) {
        m_any = true;
        m_highest = counter;
    } else if (counter > m_highest) {
        // Clear the bits of the counters the window slides over. Walk the
        // offset, never the counter itself: a loop on `c <= counter` never
        // ends for counter 2^64-1, where `++c` wraps to 0.
        const std::uint64_t step = counter - m_highest;
        if (step >= n) {
            std::fill(m_bits.begin(), m_bits.end(), 0);
        } else {
            for (std::uint64_t offset = 1; offset <= step; ++offset) {
                const std::uint64_t bit = (m_highest + offset) % n;
                m_bits[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
            }
        }
        m_highest = counter;
    }
    const std::uint64_t bit = counter % n;
    m_bits[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

std::uint64_t reconstructCounter(std::uint32_t low, std::uint64_t expected) {
    constexpr std::uint64_t kWin = std::uint64_t{1} << 32;
    constexpr std::uint64_t kHalf = kWin / 2;
    const std::uint64_t candidate = (expected & ~(kWin - 1)) | low;
    // Written without sums that could wrap near 2^64.
    if (candidate < expected && expected - candidate >= kHalf && candidate <= ~std::uint64_t{0} - kWin) {
        return candidate + kWin;
    }
    if (candidate > expected && candidate - expected > kHalf && candidate >= kWin) return candidate - kWin;
    return candidate;
}

KeyPair::~KeyPair() { sodium_memzero(secretKey.data(), secretKey.size()); }

SessionKeys::~SessionKeys() {
    sodium_memzero(rx.data(), rx.size());
    sodium_memzero(tx.data(), tx.size());
}

SecureChannel::SecureChannel(const SessionKeys& keys, std::size_t replayWindow, std::uint64_t frameLimit)
    : m_keys(keys), m_frameLimit(std::min(frameLimit, kMaxFramesPerChannel)) {
    ensureSodium();
    m_rx.assign(kChannelCount, ReplayWindow(replayWindow));
}

bool SecureChannel::exhausted() const {
    return std::any_of(m_txCounter.begin(), m_txCounter.end(), [&](std::uint64_t c) { return c >= m_frameLimit; });
}

Bytes SecureChannel::seal(Channel channel, ByteSpan plaintext) {
    Bytes out(plaintext.size() + kSealOverhead);
    sealInto(channel, plaintext, out);
    return out;
}

void SecureChannel::sealInto(Channel channel, ByteSpan plaintext, std::span<std::uint8_t> out) {
    const auto ch = static_cast<std::size_t>(channel);
    assert(ch < kChannelCount);
    assert(out.size() == plaintext.size() + kSealOverhead);
    // Sealing past the limit would reuse a nonce once the counter wraps:
    // the owner must have closed the connection when exhausted() said so.
    assert(m_txCounter[ch] < m_frameLimit);
    const std::uint64_t counter = m_txCounter[ch]++;
    for (std::size_t b = 0; b < kSealedCounterBytes; ++b) out[b] = static_cast<std::uint8_t>(counter >> (8 * b));
    const Nonce nonce = nonceFor(counter, ch);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kHeaderBytes, &clen, plaintext.data(),
                                               plaintext.size(), out.data(), kHeaderBytes, nullptr,
                                               nonce.data(), m_keys.tx.data());
    assert(clen == plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    ++m_stats.sealed;
}

Result<Bytes> SecureChannel::open(Channel channel, ByteSpan frame) {
    const auto ch = static_cast<std::size_t>(channel);
    if (ch >= kChannelCount || frame.size() < kSealOverhead ||
        frame.size() > kMaxMessageBytes + kSealOverhead) {
        ++m_stats.malformed;
        return tl::unexpected(protocolError(strCat("sealed frame of ", frame.size(), " bytes has a bad size")));
    }
    ReplayWindow& window = m_rx[ch];
    ByteReader r(frame);
    const auto counter = reconstructCounter(*r.u32("counter"), window.expected());
    if (counter >= kMaxFramesPerChannel) {
        // No honest sender reaches 2^64-1 (it closes the connection first),
        // and accepting it would leave the window no room above it.
        ++m_stats.replayed;
        return tl::unexpected(protocolError(strCat("frame counter ", counter, " is past the last one a sender may use")));
    }
    if (!window.wouldAccept(counter)) {
        ++m_stats.replayed;
        return tl::unexpected(protocolError(strCat("replayed or too old frame (counter ", counter, ")")));
    }
    const Nonce nonce = nonceFor(counter, ch);
    Bytes plain(frame.size() - kHeaderBytes - crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plen, nullptr, frame.data() + kHeaderBytes,
                                                   frame.size() - kHeaderBytes, frame.data(), kHeaderBytes,
                                                   nonce.data(), m_keys.rx.data()) != 0) {
        ++m_stats.forged;
        return tl::unexpected(protocolError("sealed frame failed authentication"));
    }
    window.accept(counter);
    plain.resize(plen);
    ++m_stats.opened;
    return plain;
}

std::string toHex(ByteSpan b) {
    std::string out(b.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), b.data(), b.size());
    out.pop_back();
    return out;
}

Result<Bytes> fromHex(std::string_view hex) {
    Bytes out(hex.size() / 2 + 1);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
        end != hex.data() + hex.size()) {
        return makeError(ErrorCode::kInvalidArgument, "not a hexadecimal string");
    }
    out.resize(len);
    return out;
}

std::string toBase64(ByteSpan b) {
    ensureSodium();
    const auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    std::string out(sodium_base64_encoded_len(b.size(), variant), '\0');
    sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), variant);
    out.resize(std::strlen(out.c_str()));
    return out;
}

Result<Bytes> fromBase64(std::string_view text) {
    ensureSodium();
    Bytes out(text.size() * 3 / 4 + 3);
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        end != text.data() + text.size()) {
        return makeError(ErrorCode::kInvalidArgument, "not URL-safe base64 without padding");
    }
    out.resize(len);
    return out;
}

Result<KeyPinStore::Outcome> KeyPinStore::check(const std::string& server, const Key& key) {
    const std::string hex = toHex(key);
    {
        std::ifstream in(m_file);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string name, pinned;
            if (!(ls >> name >> pinned) || name != server) continue;
            if (pinned == hex) return Outcome::kMatched;
            return makeError(ErrorCode::kPermissionDenied,
                             strCat("the key of server ", server, " changed: pinned ", pinned,
                                    ", offered ", hex, "; refusing to connect (if the server's key was "
                                    "replaced on purpose, delete its line from ", m_file.string(), ")"));
        }
    }
    std::error_code ec;
    if (m_file.has_parent_path()) std::filesystem::create_directories(m_file.parent_path(), ec);
    std::ofstream out(m_file, std::ios::app);
    out << server << ' ' << hex << '\n';
    if (!out) return makeError(ErrorCode::kIo, strCat("cannot write the key pin file ", m_file.string()));
    return Outcome::kPinnedNow;
}

Result<KeyPair> loadOrCreateServerKey(const std::filesystem::path& file) {
    ensureSodium();
    MXR_TRY_ASSIGN(auto stored, detail::readKeyFile(file, "server key file", 32, 32, "two 32-byte hex keys"));
    if (stored) {
        KeyPair kp;
        std::copy(stored->first.begin(), stored->first.end(), kp.publicKey.begin());
        std::copy(stored->second.begin(), stored->second.end(), kp.secretKey.begin());
        Key derived{};
        crypto_scalarmult_base(derived.data(), kp.secretKey.data());
        if (derived != kp.publicKey) {
            return makeError(ErrorCode::kInvalidArgument,
                             strCat("server key file ", file.string(), ": public key does not match secret key"));
        }
        return kp;
    }
    KeyPair kp = KeyPair::generate();
    MXR_TRY(detail::writeKeyFile(file, "server key file", toHex(kp.publicKey), toHex(kp.secretKey)));
    return kp;
}

}  // namespace mxr::net
