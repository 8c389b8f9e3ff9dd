// WAV files as bots and tests give them: common formats read, converted to
// 48 kHz mono with the pitch kept, and bad files refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/audio/wav.h"

namespace mxr::test {
namespace {

using namespace mxr::engine::audio;

std::vector<std::uint8_t> header(std::uint16_t format, std::uint16_t channels, std::uint32_t rate, std::uint16_t bits,
                                 std::uint32_t dataBytes) {
    std::vector<std::uint8_t> b;
    auto u32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) b.push_back(std::uint8_t(v >> (8 * i))); };
    auto u16 = [&](std::uint16_t v) { b.push_back(std::uint8_t(v)); b.push_back(std::uint8_t(v >> 8)); };
    b.insert(b.end(), {'R', 'I', 'F', 'F'});
    u32(36 + dataBytes);
    b.insert(b.end(), {'W', 'A', 'V', 'E', 'f', 'm', 't', ' '});
    u32(16);
    u16(format);
    u16(channels);
    u32(rate);
    u32(rate * channels * bits / 8);
    u16(std::uint16_t(channels * bits / 8));
    u16(bits);
    b.insert(b.end(), {'d', 'a', 't', 'a'});
    u32(dataBytes);
    return b;
}

// Zero crossings per second / 2: the frequency of a pure tone.
double toneFrequency(const std::vector<std::int16_t>& pcm, double rate) {
    int crossings = 0;
    for (std::size_t i = 1; i < pcm.size(); ++i) crossings += (pcm[i - 1] < 0) != (pcm[i] < 0);
    return crossings / 2.0 / (double(pcm.size()) / rate);
}

TEST(Wav, A44kStereoFloatFileBecomes48kMonoAtThePitchItHad) {
    const std::uint32_t rate = 44100;
    const std::size_t frames = rate;  // one second
    auto b = header(3, 2, rate, 32, std::uint32_t(frames * 2 * 4));
    for (std::size_t i = 0; i < frames; ++i) {
        const float v = 0.5f * std::sin(2.0f * float(M_PI) * 440.0f * float(i) / float(rate));
        for (int c = 0; c < 2; ++c) {
            std::uint32_t u;
            std::memcpy(&u, &v, 4);
            for (int k = 0; k < 4; ++k) b.push_back(std::uint8_t(u >> (8 * k)));
        }
    }
    auto audio = parseWav(b, "tone.wav");
    ASSERT_TRUE(audio) << audio.error().message;
    EXPECT_EQ(audio->sampleRate, rate);
    EXPECT_EQ(audio->channels, 2);
    const auto pcm = toMono48k(*audio);
    EXPECT_NEAR(double(pcm.size()), 48000.0, 2.0);
    EXPECT_NEAR(toneFrequency(pcm, 48000.0), 440.0, 2.0);
    const auto peak = *std::max_element(pcm.begin() + 1000, pcm.end() - 1000);
    EXPECT_NEAR(peak, 16384, 400);
}

TEST(Wav, EightSixteenAndTwentyFourBitPcmReadAlike) {
    for (const std::uint16_t bits : {8, 16, 24}) {
        const std::size_t n = 480;
        auto b = header(1, 1, 48000, bits, std::uint32_t(n * bits / 8));
        for (std::size_t i = 0; i < n; ++i) {
            const double v = 0.25 * std::sin(2.0 * M_PI * 1000.0 * double(i) / 48000.0);
            if (bits == 8) b.push_back(std::uint8_t(std::lround(128.0 + v * 127.0)));
            if (bits == 16) {
                const auto s = std::int16_t(std::lround(v * 32767.0));
                b.push_back(std::uint8_t(s));
                b.push_back(std::uint8_t(std::uint16_t(s) >> 8));
            }
            if (bits == 24) {
                const auto s = std::int32_t(std::lround(v * 8388607.0));
                for (int k = 0; k < 3; ++k) b.push_back(std::uint8_t(std::uint32_t(s) >> (8 * k)));
            }
        }
        auto audio = parseWav(b, "x.wav");
        ASSERT_TRUE(audio) << bits << ": " << audio.error().message;
        EXPECT_NEAR(audio->samples[12], 0.25 * std::sin(2.0 * M_PI * 1000.0 * 12 / 48000.0), 0.01) << bits;
    }
}

TEST(Wav, WrittenFilesReadBack) {
    const auto path = std::filesystem::temp_directory_path() / "mxr_wav_test.wav";
    const std::vector<std::int16_t> stereo = {1, -1, 1000, -1000, 32767, -32768};
    ASSERT_TRUE(writeWav(path, stereo, 48000, 2));
    auto back = readWav(path);
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->samples.size(), stereo.size());
    EXPECT_FLOAT_EQ(back->samples[4], 32767.0f / 32768.0f);
    EXPECT_FLOAT_EQ(back->samples[5], -1.0f);
    std::filesystem::remove(path);
}

TEST(Wav, BadFilesAreRefusedSayingWhatIsWrong) {
    auto expectError = [](const std::vector<std::uint8_t>& b, const char* what) {
        auto r = parseWav(b, "voice.wav");
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
        EXPECT_NE(r.error().message.find("voice.wav"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    };
    expectError({'O', 'g', 'g', 'S'}, "not a WAV file");
    expectError(header(2, 1, 48000, 16, 0), "sample format 2");
    expectError(header(1, 0, 48000, 16, 0), "0 channels");
    expectError(header(1, 1, 1000, 16, 0), "sample rate 1000");
    expectError(header(1, 1, 48000, 12, 0), "12-bit PCM");
    expectError(header(1, 1, 48000, 16, 0), "no samples");
    auto noData = header(1, 1, 48000, 16, 0);
    noData.resize(36);
    expectError(noData, "no data chunk");
    auto missing = readWav("/nonexistent/voice.wav");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("/nonexistent/voice.wav"), std::string::npos);
}

}  // namespace
}  // namespace mxr::test
