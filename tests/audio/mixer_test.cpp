// Voices placed in the room, heard through OpenAL Soft's loopback device
// (48 kHz stereo, rendered into memory) with HRTF: which ear is louder,
// how much quieter a farther talker is, per-person volume, bounded queues.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/audio/spatial_mixer.h"
#include "voice_signal.h"

namespace mxr::test {
namespace {

using namespace mxr::engine::audio;

struct Ears {
    double left = 0.0;
    double right = 0.0;
    double db(double e) const { return 10.0 * std::log10(std::max(e, 1.0)); }
    double rightOverLeftDb() const { return db(right) - db(left); }
    double levelDb() const { return db(left + right); }
};

// One talker at `where` (the listener at the origin looking down -Z), 2 s
// of speech, rendered in 10 ms steps.
Ears hear(const Vec3& where, float volume = 1.0f) {
    auto mixer = SpatialMixer::create({.loopback = true});
    EXPECT_TRUE(mixer) << mixer.error().message;
    if (!mixer) return {};
    (*mixer)->setListener(Vec3(0.0f), Quat(1, 0, 0, 0));
    EXPECT_TRUE((*mixer)->setSpeaker(1, where, volume));
    const auto speech = speechLike(2.0, 10.0, 10.0);
    std::vector<std::int16_t> out(960);
    Ears ears;
    for (std::size_t i = 0; i + 480 <= speech.size(); i += 480) {
        EXPECT_TRUE((*mixer)->queue(1, std::span<const std::int16_t>(speech).subspan(i, 480)));
        if (i < 480 * 2) continue;  // two blocks ahead of the output
        EXPECT_TRUE((*mixer)->render(out));
        for (std::size_t k = 0; k < out.size(); k += 2) {
            ears.left += double(out[k]) * out[k];
            ears.right += double(out[k + 1]) * out[k + 1];
        }
    }
    return ears;
}

TEST(SpatialVoice, TheLoopbackOutputHasHrtf) {
    auto mixer = SpatialMixer::create({.loopback = true});
    ASSERT_TRUE(mixer) << mixer.error().message;
    EXPECT_TRUE((*mixer)->hrtfEnabled()) << "OpenAL Soft's HRTF data (libopenal-data) is missing";
}

TEST(SpatialVoice, TheEarOnTheTalkersSideIsLouder) {
    const Ears right = hear(Vec3(1.0f, 0.0f, 0.0f));
    const Ears left = hear(Vec3(-1.0f, 0.0f, 0.0f));
    const Ears ahead = hear(Vec3(0.0f, 0.0f, -1.0f));
    std::printf("right ear over left: talker right %.1f dB, left %.1f dB, ahead %.1f dB\n", right.rightOverLeftDb(),
                left.rightOverLeftDb(), ahead.rightOverLeftDb());
    EXPECT_GT(right.rightOverLeftDb(), 3.0);
    EXPECT_LT(left.rightOverLeftDb(), -3.0);
    EXPECT_LT(std::abs(ahead.rightOverLeftDb()), 1.5);
}

TEST(SpatialVoice, FartherTalkersAreQuieterAndVolumeIsPerPerson) {
    const Ears near = hear(Vec3(0.0f, 0.0f, -1.0f));
    const Ears far = hear(Vec3(0.0f, 0.0f, -4.0f));
    const Ears halved = hear(Vec3(0.0f, 0.0f, -1.0f), 0.5f);
    // Inverse distance from 1 m, roll-off 1: a quarter of the amplitude.
    EXPECT_NEAR(near.levelDb() - far.levelDb(), 12.0, 1.5);
    EXPECT_NEAR(near.levelDb() - halved.levelDb(), 6.0, 0.5);
}

TEST(SpatialVoice, AQueueThatIsNotPlayedIsBounded) {
    auto mixer = SpatialMixer::create({.loopback = true});
    ASSERT_TRUE(mixer);
    ASSERT_TRUE((*mixer)->setSpeaker(7, Vec3(0.0f), 1.0f));
    const std::vector<std::int16_t> block(480, 100);
    for (int i = 0; i < 32; ++i) ASSERT_TRUE((*mixer)->queue(7, block)) << i;
    auto full = (*mixer)->queue(7, block);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().code, ErrorCode::kLimit);
    EXPECT_FALSE((*mixer)->queue(8, block)) << "an unknown talker";
    (*mixer)->removeSpeaker(7);
    EXPECT_EQ((*mixer)->speakers(), 0u);
}

}  // namespace
}  // namespace mxr::test
