// The room host's voice rules on their own (net/src/voice_relay.h): at most
// K streams per listener (the nearest half, then the loudest), a level that
// cannot be claimed at once, a rate per talker, private pairs.
#include <gtest/gtest.h>

#include <algorithm>

#include "voice_relay.h"

namespace mxr::net {
namespace {

constexpr Nanos kMs = 1'000'000;

voice::VoiceHeader frameAt(std::uint8_t level) {
    voice::VoiceHeader h;
    h.level = level;
    h.payloadBytes = 40;
    return h;
}

bool has(const std::vector<std::uint16_t>& v, std::uint16_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Everyone but the listener (id 1 at the origin) talks for `frames` frames.
std::vector<VoicePeer> circle(std::size_t talkers) {
    std::vector<VoicePeer> peers{{1, Vec3(0.0f), false, 0}};
    for (std::uint16_t i = 0; i < talkers; ++i) {
        peers.push_back({std::uint16_t(10 + i), Vec3(1.0f + float(i), 0.0f, 0.0f), false, 0});  // 10 nearest
    }
    return peers;
}

TEST(VoiceRelay, AListenerGetsTheNearestHalfThenTheLoudest) {
    VoiceRelay relay;  // K = 8
    const auto peers = circle(12);
    // Talkers 10..21 at 1..12 m; the far ones (18..21) talk loudest.
    for (int f = 0; f < 50; ++f) {
        for (std::uint16_t id = 10; id < 22; ++id) {
            ASSERT_TRUE(relay.admit(id, frameAt(id >= 18 ? 100 : 60), f * 10 * kMs));
        }
    }
    const Nanos now = 500 * kMs;
    std::vector<std::uint16_t> hears;
    for (std::uint16_t id = 10; id < 22; ++id) {
        if (has(relay.listenersOf(id, peers, now), 1)) hears.push_back(id);
    }
    EXPECT_EQ(hears, (std::vector<std::uint16_t>{10, 11, 12, 13, 18, 19, 20, 21}));
    // Nobody hears themselves; with few talkers everyone hears everyone.
    EXPECT_FALSE(has(relay.listenersOf(10, peers, now), 10));
}

TEST(VoiceRelay, ALoudClaimCountsOnlySlowly) {
    VoiceRelay relay;
    relay.admit(5, frameAt(40), 0);
    for (int f = 1; f < 100; ++f) relay.admit(5, frameAt(40), f * 10 * kMs);
    const double steady = relay.smoothedLevel(5);
    EXPECT_NEAR(steady, 40.0, 1.0);
    relay.admit(6, frameAt(127), 0);  // a newcomer claiming full scale
    EXPECT_LE(relay.smoothedLevel(6), 2.0);
    for (int f = 1; f < 10; ++f) relay.admit(6, frameAt(127), f * 10 * kMs);
    EXPECT_LT(relay.smoothedLevel(6), steady) << "ten frames of claims do not outrank a steady talker";
    for (int f = 10; f < 200; ++f) relay.admit(6, frameAt(127), f * 10 * kMs);
    EXPECT_LE(relay.smoothedLevel(6), 110.0) << "claims are clamped to loud speech";
}

TEST(VoiceRelay, ATalkerIsHeldToItsRate) {
    VoiceRelay relay;
    int admitted = 0;
    for (int i = 0; i < 1000; ++i) admitted += relay.admit(3, frameAt(50), i * kMs);  // 1000 frames in 1 s
    EXPECT_LE(admitted, 125);
    EXPECT_GE(admitted, 100);
    EXPECT_EQ(relay.dropped(), std::uint64_t(1000 - admitted));
}

TEST(VoiceRelay, APrivatePairHearsOnlyEachOtherAndNobodyHearsThem) {
    VoiceRelay relay;
    std::vector<VoicePeer> peers{{1, Vec3(0.0f), false, 2}, {2, Vec3(1.0f), false, 1}, {3, Vec3(2.0f), false, 0}};
    for (std::uint16_t id : {1, 2, 3}) relay.admit(id, frameAt(60), 0);
    EXPECT_EQ(VoiceRelay::privatePartner(1, peers), 2);
    EXPECT_EQ(relay.listenersOf(1, peers, 0), (std::vector<std::uint16_t>{2}));
    EXPECT_EQ(relay.listenersOf(2, peers, 0), (std::vector<std::uint16_t>{1}));
    EXPECT_TRUE(relay.listenersOf(3, peers, 0).empty()) << "the pair does not hear the third person";
    // One-sided: no pair.
    peers[1].asksPrivateWith = 0;
    EXPECT_EQ(VoiceRelay::privatePartner(1, peers), 0);
    EXPECT_EQ(relay.listenersOf(3, peers, 200 * kMs).size(), 2u);
}

TEST(VoiceRelay, AMutedMemberIsNotPlaced) {
    VoiceRelay relay;
    std::vector<VoicePeer> peers{{1, Vec3(0.0f), true, 0}, {2, Vec3(1.0f), false, 0}};
    relay.admit(1, frameAt(60), 0);
    EXPECT_TRUE(relay.listenersOf(1, peers, 0).empty());
}

}  // namespace
}  // namespace mxr::net
