#include "net/crypto.h"
#include "net/ticket.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <random>
#include <string>
#include <vector>

#include "sealed_frame.h"

namespace mxr::net {
namespace {

struct Pair {
    SecureChannel client;
    SecureChannel server;
    SessionKeys clientKeys;  // for frames sealed by hand (sealed_frame.h)
};

Pair makePair(std::size_t window = 1024) {
    const KeyPair serverStatic = KeyPair::generate();
    const KeyPair serverEph = KeyPair::generate();
    const KeyPair clientEph = KeyPair::generate();
    auto ck = clientSessionKeys(clientEph, serverStatic.publicKey, serverEph.publicKey);
    auto sk = serverSessionKeys(serverStatic, serverEph, clientEph.publicKey);
    EXPECT_TRUE(ck && sk);
    EXPECT_EQ(ck->tx, sk->rx);
    EXPECT_EQ(ck->rx, sk->tx);
    EXPECT_NE(ck->rx, ck->tx);
    return Pair{SecureChannel(*ck, window), SecureChannel(*sk, window), *ck};
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(Crypto, SealedPayloadIsUnreadableAndOpensOnTheOtherSide) {
    auto p = makePair();
    const Bytes plain = text("goal: finish the welding course");
    const Bytes frame = p.client.seal(Channel::kControl, plain);
    EXPECT_EQ(frame.size(), plain.size() + kSealOverhead);
    EXPECT_EQ(std::search(frame.begin(), frame.end(), plain.begin(), plain.begin() + 8), frame.end());
    auto opened = p.server.open(Channel::kControl, frame);
    ASSERT_TRUE(opened) << opened.error().message;
    EXPECT_EQ(*opened, plain);
    EXPECT_EQ(p.server.stats().opened, 1u);
}

TEST(Crypto, WrongServerKeyCannotRead) {
    const KeyPair serverStatic = KeyPair::generate();
    const KeyPair impostor = KeyPair::generate();
    const KeyPair serverEph = KeyPair::generate();
    const KeyPair clientEph = KeyPair::generate();
    auto ck = clientSessionKeys(clientEph, serverStatic.publicKey, serverEph.publicKey);
    auto ik = serverSessionKeys(impostor, serverEph, clientEph.publicKey);
    SecureChannel client(*ck), fake(*ik);
    EXPECT_FALSE(fake.open(Channel::kControl, client.seal(Channel::kControl, text("secret"))));
    EXPECT_EQ(fake.stats().forged, 1u);
}

// Keys of small order would make the shared secret predictable (all
// zeros): both sides refuse them instead of deriving session keys.
TEST(Crypto, LowOrderKeysAreRefusedOnBothSides) {
    const KeyPair serverStatic = KeyPair::generate();
    const KeyPair serverEph = KeyPair::generate();
    const KeyPair clientEph = KeyPair::generate();
    Key zero{};
    Key order8{};  // a point of order 8 on Curve25519
    auto hex = fromHex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    ASSERT_TRUE(hex && hex->size() == 32);
    std::copy(hex->begin(), hex->end(), order8.begin());
    for (const Key& bad : {zero, order8}) {
        auto c1 = clientSessionKeys(clientEph, serverStatic.publicKey, bad);
        ASSERT_FALSE(c1);
        EXPECT_EQ(c1.error().code, ErrorCode::kPermissionDenied);
        EXPECT_FALSE(clientSessionKeys(clientEph, bad, serverEph.publicKey));
        auto s1 = serverSessionKeys(serverStatic, serverEph, bad);
        ASSERT_FALSE(s1);
        EXPECT_EQ(s1.error().code, ErrorCode::kPermissionDenied);
    }
}

TEST(Crypto, ForgedFramesAreDroppedAndCounted) {
    auto p = makePair();
    const Bytes frame = p.client.seal(Channel::kAvatar, text("pose"));
    for (std::size_t i = 0; i < frame.size(); ++i) {
        Bytes bad = frame;
        bad[i] ^= 0x01;
        EXPECT_FALSE(p.server.open(Channel::kAvatar, bad)) << "flipped byte " << i;
    }
    // Every flip lands in forged: the counter's bytes are authenticated
    // data and in the nonce, the rest is ciphertext or tag.
    EXPECT_EQ(p.server.stats().forged, frame.size());
    EXPECT_EQ(p.server.stats().malformed, 0u);
    // The genuine frame still opens afterwards: forgeries did not poison the window.
    EXPECT_TRUE(p.server.open(Channel::kAvatar, frame));
}

TEST(Crypto, FrameMovedToAnotherChannelIsRejected) {
    auto p = makePair();
    const Bytes frame = p.client.seal(Channel::kAvatar, text("pose"));
    EXPECT_FALSE(p.server.open(Channel::kControl, frame));
    EXPECT_EQ(p.server.stats().forged, 1u);
}

TEST(Crypto, ReplaysAreDroppedAndCounted) {
    auto p = makePair();
    const Bytes a = p.client.seal(Channel::kControl, text("a"));
    const Bytes b = p.client.seal(Channel::kControl, text("b"));
    ASSERT_TRUE(p.server.open(Channel::kControl, a));
    ASSERT_TRUE(p.server.open(Channel::kControl, b));
    EXPECT_FALSE(p.server.open(Channel::kControl, a));
    EXPECT_FALSE(p.server.open(Channel::kControl, b));
    EXPECT_EQ(p.server.stats().replayed, 2u);
    EXPECT_EQ(p.server.stats().opened, 2u);
}

TEST(Crypto, ReorderedGenuineFramesWithinTheWindowAreAccepted) {
    auto p = makePair(1024);
    std::vector<Bytes> frames;
    for (int i = 0; i < 1024; ++i) frames.push_back(p.client.seal(Channel::kAvatar, text(std::to_string(i))));
    std::vector<std::size_t> order(frames.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937 rng(42);
    std::shuffle(order.begin(), order.end(), rng);
    // The newest goes first, so every other one arrives up to 1,023 late.
    std::swap(*std::find(order.begin(), order.end(), 1023u), order.front());
    for (std::size_t i : order) {
        auto o = p.server.open(Channel::kAvatar, frames[i]);
        ASSERT_TRUE(o) << "frame " << i << ": " << o.error().message;
        EXPECT_EQ(*o, text(std::to_string(i)));
    }
    EXPECT_EQ(p.server.stats().opened, 1024u);
    // ... and each of them is refused a second time.
    for (std::size_t i : order) EXPECT_FALSE(p.server.open(Channel::kAvatar, frames[i]));
    EXPECT_EQ(p.server.stats().replayed, 1024u);
}

TEST(Crypto, FramesOlderThanTheWindowAreDropped) {
    auto p = makePair(1024);
    const Bytes old = p.client.seal(Channel::kAvatar, text("old"));
    Bytes newest;
    for (int i = 0; i < 1100; ++i) newest = p.client.seal(Channel::kAvatar, text("x"));
    ASSERT_TRUE(p.server.open(Channel::kAvatar, newest));
    EXPECT_FALSE(p.server.open(Channel::kAvatar, old));
    EXPECT_EQ(p.server.stats().replayed, 1u);
}

TEST(Crypto, ChannelsHaveIndependentCountersAndWindows) {
    auto p = makePair();
    const Bytes c0 = p.client.seal(Channel::kControl, text("control"));
    const Bytes c1 = p.client.seal(Channel::kAvatar, text("avatar"));
    EXPECT_TRUE(p.server.open(Channel::kAvatar, c1));
    EXPECT_TRUE(p.server.open(Channel::kControl, c0));
}

TEST(Crypto, ReplayWindowSlidesFarAhead) {
    ReplayWindow w(1024);
    EXPECT_GE(w.size(), 1024u);
    w.accept(5);
    w.accept(100000);
    EXPECT_FALSE(w.wouldAccept(5));
    EXPECT_FALSE(w.wouldAccept(100000));
    EXPECT_TRUE(w.wouldAccept(99999));
    EXPECT_TRUE(w.wouldAccept(100000 - 1023));
    EXPECT_FALSE(w.wouldAccept(100000 - 1024));
}

TEST(Crypto, ShortFramesAreMalformedAndGarbageIsForged) {
    auto p = makePair();
    // Too short for the counter and the tag.
    EXPECT_FALSE(p.server.open(Channel::kControl, Bytes{}));
    EXPECT_FALSE(p.server.open(Channel::kControl, Bytes(kSealOverhead - 1, 0)));
    EXPECT_EQ(p.server.stats().malformed, 2u);
    // Long enough: nothing but the tag can tell garbage from a frame.
    EXPECT_FALSE(p.server.open(Channel::kControl, Bytes(kSealOverhead, 0)));
    EXPECT_FALSE(p.server.open(Channel::kControl, Bytes(100, 0xff)));
    EXPECT_EQ(p.server.stats().forged, 2u);
    EXPECT_EQ(p.server.stats().opened, 0u);
}

// Only the counter's low 32 bits travel (kSealOverhead is 20 bytes, 7 less
// than protocol 7's): the receiver rebuilds the rest from its window.
TEST(Crypto, TheFullCounterIsRebuiltFromItsLow32Bits) {
    constexpr std::uint64_t k32 = std::uint64_t{1} << 32;
    EXPECT_EQ(reconstructCounter(0, 0), 0u);
    EXPECT_EQ(reconstructCounter(7, 5), 7u);
    EXPECT_EQ(reconstructCounter(3, 5), 3u);  // late, within the window
    // Across the 2^32 boundary, either way.
    EXPECT_EQ(reconstructCounter(2, k32 - 3), k32 + 2);
    EXPECT_EQ(reconstructCounter(0xfffffffeu, k32 + 1), k32 - 2);
    EXPECT_EQ(reconstructCounter(5, 7 * k32 + 100), 7 * k32 + 5);
    // Up to 2^31 ahead and behind.
    EXPECT_EQ(reconstructCounter(0x7fffffffu, 0), 0x7fffffffu);
    EXPECT_EQ(reconstructCounter(0x80000001u, 3 * k32), 2 * k32 + 0x80000001u);
    // Never below 0 nor past 2^64-1.
    EXPECT_EQ(reconstructCounter(0xffffffffu, 1), 0xffffffffu);
    EXPECT_EQ(reconstructCounter(0, ~std::uint64_t{0} - 5), ~std::uint64_t{0} - 0xffffffffu);
    EXPECT_EQ(reconstructCounter(0xffffffffu, ~std::uint64_t{0}), ~std::uint64_t{0});
}

TEST(Crypto, FramesAcrossThe32BitBoundaryOpenInAnyOrderAndReplaysStayRefused) {
    auto p = makePair();
    SecureChannel& server = p.server;
    const SecretKey& tx = p.clientKeys.tx;
    constexpr std::uint64_t k32 = std::uint64_t{1} << 32;
    std::vector<std::uint64_t> counters;
    for (std::uint64_t c = k32 - 300; c < k32 + 300; ++c) counters.push_back(c);
    std::mt19937 rng(7);
    std::shuffle(counters.begin() + 1, counters.end(), rng);  // the first one sets the window
    for (std::uint64_t c : counters) {
        const Bytes plain = text(std::to_string(c));
        auto o = server.open(Channel::kAvatar, testing::sealWithCounter(tx, Channel::kAvatar, c, plain));
        ASSERT_TRUE(o) << "counter " << c << ": " << o.error().message;
        EXPECT_EQ(*o, plain);
    }
    // The same low bits one 2^32 later are a new frame, not a replay; an
    // old frame replayed is refused by its full counter.
    EXPECT_FALSE(server.open(Channel::kAvatar, testing::sealWithCounter(tx, Channel::kAvatar, k32 + 5, text("x"))));
    EXPECT_EQ(server.stats().replayed, 1u);
    EXPECT_TRUE(server.open(Channel::kAvatar, testing::sealWithCounter(tx, Channel::kAvatar, k32 + 400, text("y"))));
}

class TempDir : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() /
                ("mxr_net_test_" + std::to_string(::getpid()) + "_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }
    std::filesystem::path m_dir;
};

using KeyPinning = TempDir;

TEST_F(KeyPinning, PinsOnFirstUseAndRefusesAChangedKey) {
    KeyPinStore pins(m_dir / "known_servers");
    const Key a = KeyPair::generate().publicKey;
    const Key b = KeyPair::generate().publicKey;
    EXPECT_EQ(*pins.check("room.example:7777", a), KeyPinStore::Outcome::kPinnedNow);
    EXPECT_EQ(*pins.check("room.example:7777", a), KeyPinStore::Outcome::kMatched);
    auto changed = pins.check("room.example:7777", b);
    ASSERT_FALSE(changed);
    EXPECT_EQ(changed.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(changed.error().message.find("changed"), std::string::npos);
    EXPECT_NE(changed.error().message.find("known_servers"), std::string::npos);
    // Another server is pinned separately; a fresh store reads the same file.
    EXPECT_EQ(*pins.check("other:7777", b), KeyPinStore::Outcome::kPinnedNow);
    KeyPinStore again(m_dir / "known_servers");
    EXPECT_EQ(*again.check("room.example:7777", a), KeyPinStore::Outcome::kMatched);
}

TEST_F(KeyPinning, ServerKeyIsCreatedOnceThenReloaded) {
    auto first = loadOrCreateServerKey(m_dir / "server.key");
    ASSERT_TRUE(first) << first.error().message;
    auto second = loadOrCreateServerKey(m_dir / "server.key");
    ASSERT_TRUE(second);
    EXPECT_EQ(first->publicKey, second->publicKey);
    EXPECT_EQ(first->secretKey, second->secretKey);
    const auto perms = std::filesystem::status(m_dir / "server.key").permissions();
    EXPECT_EQ(perms & std::filesystem::perms::group_all, std::filesystem::perms::none);
    EXPECT_EQ(perms & std::filesystem::perms::others_all, std::filesystem::perms::none);
}

TEST_F(KeyPinning, CorruptServerKeyIsAClearError) {
    std::filesystem::create_directories(m_dir);
    { std::ofstream(m_dir / "server.key") << "nothex\n"; }
    std::filesystem::permissions(m_dir / "server.key", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto k = loadOrCreateServerKey(m_dir / "server.key");
    ASSERT_FALSE(k);
    EXPECT_NE(k.error().message.find("server.key"), std::string::npos);
    EXPECT_NE(k.error().message.find("not two 32-byte hex keys"), std::string::npos) << k.error().message;
    // An empty file (nothing of ours leaves one) is the same clear error, not a new key.
    { std::ofstream(m_dir / "server.key", std::ios::trunc); }
    auto empty = loadOrCreateServerKey(m_dir / "server.key");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("server.key"), std::string::npos);
    EXPECT_EQ(std::filesystem::file_size(m_dir / "server.key"), 0u);
}

TEST_F(KeyPinning, AKeyFileOthersCanReadIsRefusedWithTheFix) {
    ASSERT_TRUE(loadOrCreateServerKey(m_dir / "server.key"));
    std::filesystem::permissions(m_dir / "server.key", std::filesystem::perms::group_read | std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    auto k = loadOrCreateServerKey(m_dir / "server.key");
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code, ErrorCode::kPermissionDenied);
    EXPECT_NE(k.error().message.find("chmod 600 " + (m_dir / "server.key").string()), std::string::npos)
        << k.error().message;
    EXPECT_NE(k.error().message.find("0644"), std::string::npos) << k.error().message;
    // The signing key file follows the same rule.
    ASSERT_TRUE(loadOrCreateSigningKey(m_dir / "ticket.key"));
    std::filesystem::permissions(m_dir / "ticket.key", std::filesystem::perms::group_write, std::filesystem::perm_options::add);
    EXPECT_FALSE(loadOrCreateSigningKey(m_dir / "ticket.key"));
}

TEST_F(KeyPinning, KeyFilesAppearWholeAndLeaveNoTemporaryFileBehind) {
    auto k = loadOrCreateServerKey(m_dir / "keys" / "server.key");
    ASSERT_TRUE(k) << k.error().message;
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(m_dir / "keys")) names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"server.key"});
    std::ifstream in(m_dir / "keys" / "server.key");
    std::string pub, sec, rest;
    in >> pub >> sec >> rest;
    EXPECT_EQ(pub, toHex(k->publicKey));
    EXPECT_EQ(sec.size(), 64u);
    EXPECT_TRUE(rest.empty());
}

TEST(Encoding, HexAndBase64RoundTrip) {
    const Bytes b{0, 1, 2, 0xfe, 0xff};
    EXPECT_EQ(toHex(b), "000102feff");
    EXPECT_EQ(*fromHex("000102feff"), b);
    EXPECT_FALSE(fromHex("zz"));
    EXPECT_EQ(*fromBase64(toBase64(b)), b);
    EXPECT_FALSE(fromBase64("!!!"));
}

}  // namespace
}  // namespace mxr::net
