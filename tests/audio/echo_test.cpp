// The microphone's processing on a simulated echo path: speech played from
// the speakers reaches the microphone through a known room impulse response
// (direct path, early reflections, a decaying tail), with a little noise.
// Echo return loss enhancement after convergence, for both cancellers; the
// default is the better one and reaches 20 dB. Then voice activity and noise
// suppression.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/audio/voice_processor.h"
#include "voice_signal.h"

namespace mxr::test {
namespace {

using namespace mxr::engine::audio;

struct Tap {
    std::size_t delay;
    double gain;
};

// A small room at 48 kHz: the direct path at 3 ms, 24 early reflections
// within 30 ms, then 300 taps of a tail decaying 60 dB in 250 ms, to 90 ms.
std::vector<Tap> roomImpulseResponse() {
    std::mt19937 rng(42);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Tap> h{{144, 0.6}};
    for (int i = 0; i < 24; ++i) {
        const auto d = std::size_t(240 + u(rng) * 1200);
        h.push_back({d, (u(rng) < 0.5 ? -1 : 1) * 0.3 * std::exp(-double(d) / 48000.0 * 6.9 / 0.25)});
    }
    for (int i = 0; i < 300; ++i) {
        const auto d = std::size_t(1440 + u(rng) * 2880);
        h.push_back({d, (u(rng) - 0.5) * 0.15 * std::exp(-double(d) / 48000.0 * 6.9 / 0.25)});
    }
    return h;
}

std::vector<std::int16_t> throughRoom(const std::vector<std::int16_t>& far, double noiseRms) {
    const auto h = roomImpulseResponse();
    std::vector<double> acc(far.size(), 0.0);
    for (const Tap& t : h) {
        for (std::size_t i = t.delay; i < far.size(); ++i) acc[i] += t.gain * far[i - t.delay];
    }
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, noiseRms);
    std::vector<std::int16_t> mic(far.size());
    for (std::size_t i = 0; i < mic.size(); ++i) mic[i] = std::int16_t(std::clamp(acc[i] + noise(rng), -32768.0, 32767.0));
    return mic;
}

double energy(const std::vector<std::int16_t>& x, std::size_t from, std::size_t to) {
    double e = 0.0;
    for (std::size_t i = from; i < to; ++i) e += double(x[i]) * double(x[i]);
    return e;
}

// ERLE in dB over the last 4 s of 16 s of far-end speech alone.
double erle(EchoKind kind) {
    const auto far = speechLike(16.0, 16.0, 16.0);
    const auto mic = throughRoom(far, 3.0);
    auto canceller = makeEchoCanceller(kind);
    EXPECT_TRUE(canceller) << canceller.error().message;
    if (!canceller || !*canceller) return 0.0;
    std::vector<std::int16_t> out(mic);
    for (std::size_t i = 0; i + kFrameSamples <= far.size(); i += kFrameSamples) {
        (*canceller)->farEnd(std::span<const std::int16_t>(far).subspan(i, kFrameSamples));
        (*canceller)->process(std::span<std::int16_t>(out).subspan(i, kFrameSamples));
    }
    const std::size_t from = 12 * 48000, to = out.size() / kFrameSamples * kFrameSamples;
    return 10.0 * std::log10(energy(mic, from, to) / std::max(energy(out, from, to), 1.0));
}

TEST(EchoCancellation, TheDefaultCancellerIsTheBetterOneAndReaches20dB) {
    const double speex = erle(EchoKind::kSpeex);
    const double webrtc = erle(EchoKind::kWebRtc);
    std::printf("ERLE after convergence: speexdsp %.1f dB, webrtc-audio-processing %.1f dB\n", speex, webrtc);
    const EchoKind chosen = ProcessorConfig{}.echo;
    const double best = std::max(speex, webrtc);
    EXPECT_EQ(chosen, speex > webrtc ? EchoKind::kSpeex : EchoKind::kWebRtc) << "the default must be the better one";
    EXPECT_GE(best, 20.0);
}

TEST(VoiceProcessing, SpeechIsDetectedAndSilenceIsNot) {
    auto p = VoiceProcessor::create({EchoKind::kNone, true, true, true});
    ASSERT_TRUE(p) << p.error().message;
    auto talk = speechLike(8.0, 4.0, 2.0);  // 2 s talking, 2 s quiet
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 30.0);  // a quiet room
    for (auto& s : talk) s = std::int16_t(std::clamp(double(s) + noise(rng), -32768.0, 32767.0));
    int speechInTalk = 0, speechInQuiet = 0, talkFrames = 0, quietFrames = 0;
    for (std::size_t i = 0; i + kFrameSamples <= talk.size(); i += kFrameSamples) {
        const double t = double(i) / 48000.0;
        std::span<std::int16_t> frame(talk.data() + i, kFrameSamples);
        const bool speech = (*p)->process(frame);
        if (t < 1.0) continue;  // the detector's warm-up
        const double inSpurt = std::fmod(t, 4.0);
        if (inSpurt > 0.1 && inSpurt < 1.9) {
            ++talkFrames;
            speechInTalk += speech;
        } else if (inSpurt > 2.3 && inSpurt < 3.9) {
            ++quietFrames;
            speechInQuiet += speech;
        }
    }
    EXPECT_GT(speechInTalk, talkFrames * 8 / 10) << speechInTalk << " of " << talkFrames;
    EXPECT_LT(speechInQuiet, quietFrames / 10) << speechInQuiet << " of " << quietFrames;
}

TEST(VoiceProcessing, SteadyNoiseIsSuppressed) {
    auto p = VoiceProcessor::create({EchoKind::kNone, true, false, false});
    ASSERT_TRUE(p);
    std::mt19937 rng(5);
    std::normal_distribution<double> noise(0.0, 300.0);  // a fan
    std::vector<std::int16_t> in(48000 * 3);
    for (auto& s : in) s = std::int16_t(noise(rng));
    std::vector<std::int16_t> out(in);
    for (std::size_t i = 0; i + kFrameSamples <= out.size(); i += kFrameSamples) {
        (*p)->process(std::span<std::int16_t>(out).subspan(i, kFrameSamples));
    }
    const std::size_t from = 2 * 48000;
    const double reduction = 10.0 * std::log10(energy(in, from, in.size()) / energy(out, from, out.size()));
    std::printf("noise suppression: %.1f dB\n", reduction);
    EXPECT_GT(reduction, 10.0);
}

}  // namespace
}  // namespace mxr::test
