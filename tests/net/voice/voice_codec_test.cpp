// The voice frame format and Opus as voice uses it: round trips, DTX in
// silence, FEC that beats concealment, bitrate that follows reported loss,
// and clear errors for bad frames.
#include <gtest/gtest.h>

#include "net/voice/voice_codec.h"
#include "net/voice_frame.h"
#include "voice_signal.h"  // tests/support

namespace mxr::test {
namespace {

using namespace mxr::net;
using namespace mxr::net::voice;

std::span<const std::int16_t> block(const std::vector<std::int16_t>& pcm, std::size_t i, std::size_t n) {
    return std::span<const std::int16_t>(pcm).subspan(i * n, n);
}

TEST(VoiceFrame, RoundTripsAtTheEdgesOfItsFields) {
    for (const std::uint16_t seq : {std::uint16_t(0), std::uint16_t(65535)}) {
        VoiceFrame f;
        f.sequence = seq;
        f.timestamp = 0xFFFFFFF0u;
        f.durationMs = 20;
        f.speech = false;
        f.level = kMaxLevel;
        f.payload = Bytes(kMaxVoicePayload, 0xAB);
        const Bytes wire = encodeVoiceFrame(f);
        EXPECT_EQ(wire.size(), kHeaderBytes + kMaxVoicePayload);
        auto back = decodeVoiceFrame(wire);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, f);
        EXPECT_EQ(back->samples(), 960u);
    }
}

TEST(VoiceFrame, BadFramesAreRefusedNamingTheField) {
    VoiceFrame f;
    f.payload = Bytes(20, 1);
    const Bytes good = encodeVoiceFrame(f);
    auto expectError = [](Bytes wire, const char* field) {
        auto r = decodeVoiceFrame(wire);
        ASSERT_FALSE(r) << field;
        EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
        EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
    };
    Bytes w = good;
    w[0] |= 0x80;
    expectError(w, "voice flags");
    w = good;
    w[0] = (w[0] & ~0x03) | 0x02;
    expectError(w, "voice duration");
    w = good;
    w[7] = 200;
    expectError(w, "voice level");
    expectError(Bytes(good.begin(), good.begin() + 5), "voice timestamp");
    expectError(Bytes(good.begin(), good.begin() + kHeaderBytes + 2), "voice payload");
    w = good;
    w.resize(kHeaderBytes + kMaxVoicePayload + 1, 0);
    expectError(w, "voice payload");
    expectError(Bytes{}, "voice flags");
}

TEST(VoiceFrame, LevelFollowsLoudness) {
    std::vector<std::int16_t> quiet(480, 0), loud(480);
    for (std::size_t i = 0; i < loud.size(); ++i) loud[i] = std::int16_t(i % 2 ? 16000 : -16000);
    EXPECT_EQ(levelOf(quiet), 0);
    EXPECT_NEAR(levelOf(loud), 127 - 6, 1);  // half of full scale: -6 dBFS
}

TEST(VoiceCodec, SpeechSurvivesTheRoundTrip) {
    const auto speech = speechLike(3.0, 4.0, 3.0);
    auto enc = VoiceEncoder::create();
    auto dec = VoiceDecoder::create();
    ASSERT_TRUE(enc && dec);
    std::vector<std::int16_t> heard;
    std::vector<std::int16_t> frame(480);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < speech.size() / 480; ++i) {
        auto packet = enc->encode(block(speech, i, 480));
        ASSERT_TRUE(packet) << packet.error().message;
        ASSERT_TRUE(packet->has_value()) << "speech is never DTX";
        bytes += (*packet)->size();
        ASSERT_TRUE(dec->decode(**packet, frame));
        heard.insert(heard.end(), frame.begin(), frame.end());
    }
    // The decoder's output lags the input by the encoder's look-ahead.
    EXPECT_GT(enc->lookahead(), 0);
    const std::vector<std::int16_t> aligned(heard.begin() + enc->lookahead(), heard.end());
    EXPECT_GT(correlation(envelope(speech), envelope(aligned)), 0.95);
    const double kbps = double(bytes) * 8.0 / 3.0 / 1000.0;
    EXPECT_LT(kbps, 30.0);
    EXPECT_GT(kbps, 12.0);
}

TEST(VoiceCodec, SilenceIsNotSent) {
    auto enc = VoiceEncoder::create();
    ASSERT_TRUE(enc);
    const auto speech = speechLike(1.0, 10.0, 1.0);
    for (std::size_t i = 0; i < 100; ++i) ASSERT_TRUE(enc->encode(block(speech, i, 480)));
    const std::vector<std::int16_t> silence(48000, 0);
    int sent = 0;
    for (std::size_t i = 0; i < 100; ++i) {
        auto p = enc->encode(block(silence, i, 480));
        ASSERT_TRUE(p);
        sent += p->has_value() ? 1 : 0;
    }
    EXPECT_LT(sent, 30) << "DTX: at most the first 200 ms of a pause and its comfort-noise updates";
    auto noDtx = VoiceEncoder::create({.fec = true, .dtx = false, .allow20ms = true});
    ASSERT_TRUE(noDtx);
    int sentWithout = 0;
    for (std::size_t i = 0; i < 100; ++i) sentWithout += (*noDtx->encode(block(silence, i, 480))).has_value() ? 1 : 0;
    EXPECT_EQ(sentWithout, 100);
}

TEST(VoiceCodec, BitrateFrameLengthAndFecFollowReportedLoss) {
    EXPECT_EQ(settingsForLoss(0.0, 10, true).bitrate, 24000);
    EXPECT_EQ(settingsForLoss(0.0, 10, true).frameMs, 10);
    EXPECT_EQ(settingsForLoss(0.05, 10, true).bitrate, 28000);
    EXPECT_EQ(settingsForLoss(0.05, 10, true).expectedLossPercent, 5);
    EXPECT_EQ(settingsForLoss(0.2, 10, true).frameMs, 20);
    EXPECT_EQ(settingsForLoss(0.2, 10, false).frameMs, 10);
    EXPECT_EQ(settingsForLoss(0.1, 20, true).frameMs, 20) << "hysteresis: 20 ms stays until loss falls below 8%";
    EXPECT_EQ(settingsForLoss(0.05, 20, true).frameMs, 10);
    EXPECT_EQ(settingsForLoss(std::nan(""), 10, true).bitrate, 24000);

    auto enc = VoiceEncoder::create();
    ASSERT_TRUE(enc);
    ASSERT_TRUE(enc->setReportedLoss(0.2));
    EXPECT_EQ(enc->frameSamples(), 960u);
    const auto speech = speechLike(1.0, 10.0, 1.0);
    auto p = enc->encode(block(speech, 0, 960));
    ASSERT_TRUE(p && p->has_value());
    EXPECT_FALSE(enc->encode(block(speech, 0, 480))) << "a 10 ms block for a 20 ms frame is refused";
}

// Loses one frame in the middle of speech and rebuilds it from the next
// frame's FEC copy, and separately by concealment: FEC is closer to what
// was decoded without the loss.
TEST(VoiceCodec, FecRebuildsALostFrameBetterThanConcealment) {
    const auto speech = speechLike(2.0, 10.0, 2.0);
    auto enc = VoiceEncoder::create();
    ASSERT_TRUE(enc);
    ASSERT_TRUE(enc->setReportedLoss(0.1));
    std::vector<Bytes> packets;
    for (std::size_t i = 0; i < speech.size() / 480; ++i) packets.push_back(**enc->encode(block(speech, i, 480)));
    double fecError = 0.0, plcError = 0.0;
    for (std::size_t lost = 40; lost < 190; lost += 10) {
        auto clean = VoiceDecoder::create();
        auto fec = VoiceDecoder::create();
        auto plc = VoiceDecoder::create();
        std::vector<std::int16_t> a(480), b(480), c(480);
        for (std::size_t i = 0; i < lost; ++i) {
            ASSERT_TRUE(clean->decode(packets[i], a));
            ASSERT_TRUE(fec->decode(packets[i], b));
            ASSERT_TRUE(plc->decode(packets[i], c));
        }
        ASSERT_TRUE(clean->decode(packets[lost], a));
        ASSERT_TRUE(fec->recover(packets[lost + 1], b));
        ASSERT_TRUE(plc->conceal(c));
        for (std::size_t k = 0; k < 480; ++k) {
            fecError += std::pow(double(a[k]) - double(b[k]), 2.0);
            plcError += std::pow(double(a[k]) - double(c[k]), 2.0);
        }
    }
    EXPECT_LT(fecError, 0.5 * plcError) << "FEC error " << fecError << ", PLC error " << plcError;
}

TEST(VoiceCodec, GarbageIsAnErrorNotNoise) {
    auto dec = VoiceDecoder::create();
    ASSERT_TRUE(dec);
    std::vector<std::int16_t> out(480);
    const Bytes junk = {0xFF, 0xFF, 0xFF, 0xFF, 0x00};
    EXPECT_FALSE(dec->decode(junk, out));
    std::vector<std::int16_t> odd(100);
    EXPECT_FALSE(dec->conceal(odd));
}

}  // namespace
}  // namespace mxr::test
