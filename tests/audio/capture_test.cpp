// Capture sources: a WAV file played once or looped in 10 ms frames, and a
// microphone that cannot be opened (OpenAL Soft's null backend cannot
// capture) failing with a message instead of stopping anything.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/audio/capture.h"
#include "engine/audio/wav.h"

namespace mxr::test {
namespace {

using namespace mxr::engine::audio;

TEST(Capture, AWavFileIsReadInFramesOnceOrLooped) {
    const auto path = std::filesystem::temp_directory_path() / "mxr_capture_test.wav";
    std::vector<std::int16_t> pcm(1200);  // 25 ms: two frames and a half
    for (std::size_t i = 0; i < pcm.size(); ++i) pcm[i] = std::int16_t(i);
    ASSERT_TRUE(writeWav(path, pcm, 48000, 1));
    std::vector<std::int16_t> frame(kFrameSamples);

    auto once = WavCaptureSource::open(path, false);
    ASSERT_TRUE(once) << once.error().message;
    int frames = 0;
    while (*(*once)->read(frame)) ++frames;
    EXPECT_EQ(frames, 3);
    EXPECT_EQ(frame[239], 1199) << "the last frame is the file's end";
    EXPECT_EQ(frame[240], 0) << "padded with silence";
    EXPECT_TRUE((*once)->ended());

    auto looped = WavCaptureSource::open(path, true);
    ASSERT_TRUE(looped);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(*(*looped)->read(frame));
    EXPECT_EQ(frame[240], 0) << "the loop starts over";
    EXPECT_EQ(frame[241], 1);
    EXPECT_FALSE((*looped)->ended());
    std::filesystem::remove(path);
}

TEST(Capture, AMicrophoneThatCannotOpenIsAnErrorNamingIt) {
    auto mic = OpenAlCaptureSource::open("no such microphone");
    ASSERT_FALSE(mic);
    EXPECT_EQ(mic.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(mic.error().message.find("no such microphone"), std::string::npos) << mic.error().message;
    // Listing devices works without any.
    (void)captureDevices();
    (void)playbackDevices();
}

}  // namespace
}  // namespace mxr::test
