// scenes/voice's talk and listen sides together, in virtual time, without a
// network: a VoiceTalk speaking a WAV file feeds a VoiceListen playing into
// OpenAL Soft's loopback device. Asserted on what the listener hears: a
// person's volume scales what is heard (a quarter is -12 dB, zero is
// silence), the decoded level drives the speaking indicator, and a muted
// or push-to-talk-released talker sends nothing.
#include "scenes/voice/voice_chat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/audio/wav.h"
#include "voice_signal.h"

namespace {

using namespace mxr;
using namespace mxr::scenes::voice;

std::filesystem::path speechFile() {
    const auto p = std::filesystem::temp_directory_path() / strCat("mxr_voice_chat_", ::getpid(), ".wav");
    EXPECT_TRUE(engine::audio::writeWav(p, mxr::test::speechLike(4.0, 4.0, 4.0), 48000, 1));
    return p;
}

struct Heard {
    double rmsDb = -200.0;
    int peak = 0;
    std::uint8_t loudestLevel = 0;
    std::uint64_t sent = 0;
};

// `seconds` of one talker 1 m ahead of the listener at `volume`.
Heard listen(float volume, bool transmit, double seconds = 3.0) {
    Heard h;
    auto source = engine::audio::WavCaptureSource::open(speechFile(), true);
    EXPECT_TRUE(source);
    TalkConfig tc;
    tc.paced = true;
    tc.process = false;
    auto talk = VoiceTalk::create(std::move(*source), tc);
    ListenConfig lc;
    lc.mixer.loopback = true;
    lc.record = true;
    auto ear = VoiceListen::create(lc);
    EXPECT_TRUE(talk && ear);
    if (!talk || !ear) return h;
    const TalkerPlace place{1, Vec3(0.0f, 1.6f, -1.0f), volume};
    const Pose listener{Vec3(0.0f, 1.6f, 0.0f), Quat(1, 0, 0, 0)};
    for (Nanos now = 0; now < Nanos(seconds * 1e9); now += kBlock) {
        (*talk)->pump(now, transmit, [&](net::Bytes frame) { (*ear)->onVoice(1, frame, now + msToNanos(2)); });
        (*ear)->pump(now + msToNanos(2), std::span(&place, 1), listener,
                     [&](std::span<const std::int16_t> block) { (*talk)->played(block); });
        h.loudestLevel = std::max(h.loudestLevel, (*ear)->level(1));
    }
    h.sent = (*talk)->framesSent();
    const auto& rec = (*ear)->recording();
    double sum = 0.0;
    for (auto s : rec) {
        sum += double(s) * double(s);
        h.peak = std::max(h.peak, std::abs(int(s)));
    }
    if (!rec.empty() && sum > 0.0) h.rmsDb = 10.0 * std::log10(sum / double(rec.size()) / (32768.0 * 32768.0));
    return h;
}

TEST(VoiceChat, APersonsVolumeScalesWhatIsHeard) {
    const Heard full = listen(1.0f, true);
    const Heard quarter = listen(0.25f, true);
    const Heard none = listen(0.0f, true);
    std::printf("heard at volume 1: %.1f dBFS, at 0.25: %.1f dBFS, at 0: peak %d\n", full.rmsDb, quarter.rmsDb,
                none.peak);
    EXPECT_GT(full.rmsDb, -40.0);
    EXPECT_NEAR(quarter.rmsDb - full.rmsDb, -12.04, 0.5);
    // Silence: OpenAL Soft dithers its 16-bit output (1.19's default), so a
    // mixed silent source reads as +-1 LSB, -90 dBFS.
    EXPECT_LE(none.peak, 1) << "volume 0 is silence";
    EXPECT_GT(none.loudestLevel, 0) << "the indicator still shows who speaks";
}

TEST(VoiceChat, TheDecodedLevelDrivesTheSpeakingIndicator) {
    const Heard h = listen(1.0f, true);
    EXPECT_GT(h.sent, 250u);
    // speechLike peaks around -20 dBFS: level byte about 107.
    EXPECT_GT(h.loudestLevel, 90);
}

TEST(VoiceChat, NothingIsSentWhileNotTransmitting) {
    const Heard h = listen(1.0f, false, 1.0);
    EXPECT_EQ(h.sent, 0u);
    EXPECT_EQ(h.peak, 0);
    EXPECT_EQ(h.loudestLevel, 0);
}

}  // namespace
