// The replay window at the edges of the counter range, against a simple
// reference model, and the sealed channel's ends: the counter a receiver
// refuses, the sender that stops before its counter wraps, and secrets
// wiped when a connection's keys go away.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <random>
#include <set>

#include "net/crypto.h"
#include "sealed_frame.h"

namespace mxr::net {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// What a replay window must answer, written the obvious way: every counter
// ever accepted, and the highest. Accepted: newer than the highest, or not
// seen and less than `size` below it.
class ReferenceWindow {
public:
    explicit ReferenceWindow(std::uint64_t size) : m_size(size) {}
    bool wouldAccept(std::uint64_t c) const {
        if (m_seen.empty() || c > m_highest) return true;
        return m_highest - c < m_size && !m_seen.count(c);
    }
    void accept(std::uint64_t c) {
        m_highest = m_seen.empty() ? c : std::max(m_highest, c);
        m_seen.insert(c);
    }

private:
    std::uint64_t m_size;
    std::uint64_t m_highest = 0;
    std::set<std::uint64_t> m_seen;
};

TEST(ReplayWindow, EdgesAtTheStart) {
    ReplayWindow w(1024);
    const std::uint64_t n = w.size();
    ASSERT_EQ(n, 1024u);
    EXPECT_TRUE(w.wouldAccept(0));
    w.accept(0);
    EXPECT_FALSE(w.wouldAccept(0));
    EXPECT_TRUE(w.wouldAccept(1));
    w.accept(1);
    EXPECT_FALSE(w.wouldAccept(1));
    // Up to the window's size ahead: everything between is still open.
    w.accept(n - 1);
    EXPECT_TRUE(w.wouldAccept(2));
    EXPECT_TRUE(w.wouldAccept(n - 2));
    EXPECT_FALSE(w.wouldAccept(0));  // seen, and still inside the window
    w.accept(n);
    EXPECT_FALSE(w.wouldAccept(0));  // n below the highest: outside
    EXPECT_FALSE(w.wouldAccept(1));  // seen
    EXPECT_TRUE(w.wouldAccept(2));
    w.accept(n + 1);
    EXPECT_FALSE(w.wouldAccept(1));  // outside now
    EXPECT_TRUE(w.wouldAccept(2));   // n - 1 below the highest, never seen
    EXPECT_FALSE(w.wouldAccept(n - 1));
    EXPECT_FALSE(w.wouldAccept(n));
}

TEST(ReplayWindow, JumpsLargerThanTheWindowForgetEverythingBelow) {
    ReplayWindow w(1024);
    const std::uint64_t n = w.size();
    for (std::uint64_t c = 0; c < 50; ++c) w.accept(c);
    const std::uint64_t far = 49 + 10 * n;
    w.accept(far);
    for (std::uint64_t c = 0; c < 50; ++c) EXPECT_FALSE(w.wouldAccept(c));
    EXPECT_FALSE(w.wouldAccept(far));
    // The bits the old counters left behind must not read as "seen" for
    // the new counters that share their slots.
    for (std::uint64_t c = far - n + 1; c < far; ++c) ASSERT_TRUE(w.wouldAccept(c)) << c;
    EXPECT_FALSE(w.wouldAccept(far - n));
}

// Before the fix the slide's loop ran `for (c = highest + 1; c <= counter;
// ++c)`: with counter 2^64-1, `++c` wrapped to 0 and it never ended. A peer
// holding its own session keys could send that and stop the host's thread.
TEST(ReplayWindow, TheLastCountersOfTheRangeEndTheSlide) {
    ReplayWindow w(1024);
    const std::uint64_t n = w.size();
    w.accept(kMax - 1);
    EXPECT_TRUE(w.wouldAccept(kMax));
    w.accept(kMax);  // returns: the slide walks the offset, not the counter
    EXPECT_FALSE(w.wouldAccept(kMax));
    EXPECT_FALSE(w.wouldAccept(kMax - 1));
    EXPECT_TRUE(w.wouldAccept(kMax - 2));
    EXPECT_TRUE(w.wouldAccept(kMax - (n - 1)));
    EXPECT_FALSE(w.wouldAccept(kMax - n));

    // Straight from a small counter to the top: a jump far larger than the window.
    ReplayWindow v(1024);
    v.accept(3);
    v.accept(kMax);
    EXPECT_FALSE(v.wouldAccept(3));
    EXPECT_TRUE(v.wouldAccept(kMax - 1));
}

TEST(ReplayWindow, AgreesWithTheReferenceModel) {
    for (std::uint32_t seed : {1u, 2u, 3u, 4u}) {
        const std::size_t size = seed % 2 ? 1024 : 2048;
        ReplayWindow w(size);
        ReferenceWindow ref(w.size());
        std::mt19937_64 rng(seed);
        // Start near 0 or near the end of the range, where wrapping bites.
        std::uint64_t base = seed <= 2 ? 0 : kMax - (std::uint64_t{1} << 26);
        // base + x, stopping at the end of the range instead of wrapping.
        auto ahead = [](std::uint64_t from, std::uint64_t x) { return kMax - from < x ? kMax : from + x; };
        std::uint64_t accepted = 0;
        for (int i = 0; i < 40'000; ++i) {
            const std::uint64_t r = rng() % 100;
            std::uint64_t c;
            if (r < 50) {
                c = ahead(base, rng() % 8);                // in order, with small gaps
            } else if (r < 80) {
                const std::uint64_t back = rng() % (2 * w.size() + 4);  // late, or replayed
                c = base >= back ? base - back : 0;
            } else if (r < 95) {
                c = ahead(base, rng() % (3 * w.size()));  // a jump, sometimes past the window
            } else if (i > 36'000) {
                c = kMax - rng() % 4;                      // the very end of the range, late in the run
            } else {
                c = ahead(base, rng() % 2);
            }
            ASSERT_EQ(w.wouldAccept(c), ref.wouldAccept(c)) << "seed " << seed << " step " << i << " counter " << c;
            if (ref.wouldAccept(c)) {
                w.accept(c);
                ref.accept(c);
                ++accepted;
                base = std::max(base, c);
            }
        }
        EXPECT_GT(accepted, 10'000u) << "seed " << seed;
    }
}

struct Keys {
    SessionKeys client;
    SessionKeys server;
};

Keys makeKeys() {
    const KeyPair serverStatic = KeyPair::generate();
    const KeyPair serverEph = KeyPair::generate();
    const KeyPair clientEph = KeyPair::generate();
    auto ck = clientSessionKeys(clientEph, serverStatic.publicKey, serverEph.publicKey);
    auto sk = serverSessionKeys(serverStatic, serverEph, clientEph.publicKey);
    EXPECT_TRUE(ck && sk);
    return Keys{*ck, *sk};
}

Bytes bytesOf(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(SecureChannelEnds, TheLastCounterIsRefusedAndTheChannelKeepsWorking) {
    const Keys k = makeKeys();
    SecureChannel server(k.server);
    using testing::sealWithCounter;
    // The reference sealer agrees with SecureChannel on an ordinary frame.
    SecureChannel client(k.client);
    EXPECT_EQ(sealWithCounter(k.client.tx, Channel::kControl, 0, bytesOf("hi")), client.seal(Channel::kControl, bytesOf("hi")));

    // Only the counter's low 32 bits travel: the receiver must already be
    // near the end to rebuild counters there (an honest sender gets there
    // one frame at a time).
    server.expectNextForTest(Channel::kControl, kMax - 2);
    auto nearEnd = server.open(Channel::kControl, sealWithCounter(k.client.tx, Channel::kControl, kMax - 1, bytesOf("a")));
    ASSERT_TRUE(nearEnd) << nearEnd.error().message;
    auto last = server.open(Channel::kControl, sealWithCounter(k.client.tx, Channel::kControl, kMax, bytesOf("b")));
    ASSERT_FALSE(last);
    EXPECT_NE(last.error().message.find("past the last"), std::string::npos) << last.error().message;
    EXPECT_EQ(server.stats().replayed, 1u);
    // Genuine frames inside the window still open.
    EXPECT_TRUE(server.open(Channel::kControl, sealWithCounter(k.client.tx, Channel::kControl, kMax - 2, bytesOf("c"))));
    EXPECT_EQ(server.stats().opened, 2u);
}

TEST(SecureChannelEnds, ASenderSaysWhenItsCountersAreUsedUp) {
    const Keys k = makeKeys();
    SecureChannel client(k.client, 1024, 3);
    SecureChannel server(k.server);
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(client.exhausted()) << i;
        ASSERT_TRUE(server.open(Channel::kEvents, client.seal(Channel::kEvents, bytesOf("x"))));
    }
    EXPECT_TRUE(client.exhausted());
    // The default limit leaves room for 2^64 - 1 frames: never reached.
    SecureChannel normal(k.client);
    EXPECT_FALSE(normal.exhausted());
}

// Whatever held a session key or an ephemeral secret leaves zeros behind.
template <typename T, typename Make>
bool leavesSecretBehind(Make make, const SecretKey& secret) {
    alignas(T) unsigned char storage[sizeof(T)];
    T* object = new (storage) T(make());
    object->~T();
    return std::search(storage, storage + sizeof storage, secret.begin(), secret.end()) != storage + sizeof storage;
}

TEST(SecureChannelEnds, SecretsAreWipedWhenTheirOwnerGoesAway) {
    const Keys k = makeKeys();
    EXPECT_FALSE(leavesSecretBehind<SecureChannel>([&] { return SecureChannel(k.client); }, k.client.tx));
    EXPECT_FALSE(leavesSecretBehind<SecureChannel>([&] { return SecureChannel(k.client); }, k.client.rx));
    const KeyPair eph = KeyPair::generate();
    EXPECT_FALSE(leavesSecretBehind<KeyPair>([&] { return eph; }, eph.secretKey));
    EXPECT_FALSE(leavesSecretBehind<SessionKeys>([&] { return k.server; }, k.server.rx));
}

}  // namespace
}  // namespace mxr::net
