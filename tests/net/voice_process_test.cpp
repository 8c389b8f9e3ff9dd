// Voice end to end through real processes on 127.0.0.1: mentorxr-roomhost,
// one mentorxr-bot speaking speech made by espeak-ng (with a pause at the
// end), one recording what it hears, optionally through mentorxr-impair.
// Asserted on what the recording holds: the 10 ms energy envelopes of what
// was said and what was heard correlate, the ear on the talker's side is
// louder, the pause is silent (DTX), and at 10% loss FEC and concealment
// keep the speech and measurably help: without them a lost frame is a hole
// of digital silence in a word, with them there are (almost) none. Latency is printed as a figure.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/audio/wav.h"
#include "process_util.h"
#include "run_command.h"
#include "voice_signal.h"

namespace mxr::net {
namespace {

using testing::ChildProcess;
using testing::field;
namespace audio = mxr::engine::audio;

std::string lineValue(ChildProcess& p, const std::string& prefix) {
    auto line = p.lineStartingWith(prefix);
    return line ? line->substr(prefix.size()) : std::string();
}

constexpr int kTalkerSeconds = 9;

struct Heard {
    double correlation = 0.0;
    double rightOverLeftDb = 0.0;
    double loudestPauseBlockDbfs = 0.0;
    double latencyMs = 0.0;
    double framesSent = 0.0;
    double holes = 0.0;  // holes of digital silence in speech, per speech block
};

class VoiceProcesses : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Speech, then 1.5 s of silence, at 48 kHz.
        const auto dir = std::filesystem::temp_directory_path() / strCat("mxr_voice_", ::getpid());
        std::filesystem::create_directories(dir);
        const auto said = dir / "espeak.wav";
        const auto r = mxr::test::runCommand(strCat(
            "espeak-ng -w ", said.string(),
            " 'Welcome to the workshop. Today we learn to weld two plates together, safely and cleanly.' 2>&1"));
        ASSERT_EQ(r.exitCode, 0) << "espeak-ng (tools/dev.sh installs it): " << r.output;
        auto speech = audio::readWav(said);
        ASSERT_TRUE(speech) << speech.error().message;
        s_source = audio::toMono48k(*speech);
        s_speechSamples = s_source.size();
        s_source.resize(s_source.size() + 72000, 0);
        s_wav = dir / "say.wav";
        ASSERT_TRUE(audio::writeWav(s_wav, s_source, 48000, 1));
        s_dir = dir;
    }
    static void TearDownTestSuite() { std::filesystem::remove_all(s_dir); }

    // The talker stands 1 m to the listener's right (the listener at the
    // origin looks down -Z).
    Heard talk(bool lossy, bool fecAndPlc) {
        Heard h;
        ChildProcess host({MXR_ROOMHOST, "--port", "0", "--bind", "127.0.0.1", "--allow-guests", "--room", "demo",
                           "--open-demo"});
        const std::string hostPort = lineValue(host, "listening udp=");
        const std::string key = lineValue(host, "server-key ");
        EXPECT_FALSE(hostPort.empty()) << host.output();
        std::string listenPort = hostPort;
        std::unique_ptr<ChildProcess> proxy;
        if (lossy) {
            proxy = std::make_unique<ChildProcess>(std::vector<std::string>{
                MXR_IMPAIR, "--listen", "0", "--target", "127.0.0.1:" + hostPort, "--loss", "0.1", "--delay-ms",
                "20", "--jitter-ms", "5", "--seed", "11"});
            listenPort = lineValue(*proxy, "listening udp=");
        }
        const std::string out = (s_dir / strCat("heard_", lossy, fecAndPlc, ".wav")).string();
        std::vector<std::string> ear = {MXR_BOT, "--server-key", key, "--server", "127.0.0.1:" + listenPort,
                                        "--room", "demo", "--bots", "1", "--name", "ear", "--record-audio", out,
                                        "--position", "0,1.6,0", "--seconds", "11"};
        if (!fecAndPlc) ear.insert(ear.end(), {"--no-fec", "--no-plc"});
        ChildProcess listener(ear);
        ChildProcess talker({MXR_BOT, "--server-key", key, "--server", "127.0.0.1:" + hostPort, "--room", "demo",
                             "--bots", "1", "--name", "talker", "--speak", s_wav.string(), "--position", "1,1.6,0",
                             "--seconds", std::to_string(kTalkerSeconds), "--observers", "0"});
        auto said = talker.lineStartingWith("voice ", 60);
        auto heard = listener.lineStartingWith("voice ", 60);
        EXPECT_TRUE(said && heard) << talker.output() << listener.output();
        EXPECT_EQ(listener.wait(), 0) << listener.output();
        EXPECT_EQ(talker.wait(), 0) << talker.output();
        if (!said || !heard) return h;
        h.framesSent = field(*said, "frames_sent").value_or(0);
        auto rec = audio::readWav(out);
        EXPECT_TRUE(rec) << rec.error().message;
        if (!rec || rec->channels != 2) return h;

        // Envelopes: the looped source, and both ears summed.
        const auto [mono, rightOverLeftDb] = mxr::test::downmix(rec->samples);
        h.rightOverLeftDb = rightOverLeftDb;
        // The recording starts with the first voice packet the listener got,
        // wherever in the (looped) file the talker was: block b of the
        // recording is the source's block (b + shift) % period for the
        // shift that correlates best.
        const double firstSent = field(*said, "first_voice_sent_unix_ms").value_or(0);
        const double firstWritten = field(*heard, "first_sample_unix_ms").value_or(0);
        // Only while the talker talked (it stops after its 9 s; the
        // listener records on).
        const auto source = mxr::test::envelope(s_source);
        auto got = mxr::test::envelope(mono);
        const double talkedMs = double(kTalkerSeconds) * 1000.0 - (firstWritten - firstSent);
        got.resize(std::min(got.size(), std::size_t(std::max(0.0, talkedMs / 10.0 - 20.0))));
        const std::size_t period = source.size(), speechEnd = s_speechSamples / 480;
        std::size_t shift = 0;
        h.correlation = mxr::test::loopedCorrelation(source, got, &shift);
        // The pause: blocks of the source's silence, 300 ms after speech
        // ended (Opus's DTX and concealment fade-out) to its end.
        double loudest = -200.0;
        for (std::size_t b = 0; b < got.size(); ++b) {
            const std::size_t inPeriod = (b + shift) % period;
            if (inPeriod < speechEnd + 30 || inPeriod + 5 > period) continue;
            loudest = std::max(loudest, 20.0 * std::log10(std::max(got[b], 1e-3) / 32768.0));
        }
        h.loudestPauseBlockDbfs = loudest;
        // Holes: a lost frame nothing replaced is digital silence in the
        // middle of a word. Counted as runs of at least 5 ms of |sample| <= 2
        // that start and end in speech blocks (within 30 dB of the loudest
        // block said), per speech block heard.
        const double loudestSource = *std::max_element(source.begin(), source.end());
        const auto speaking = [&](std::size_t sample) {
            const std::size_t blk = sample / 480;
            return blk < got.size() && source[(blk + shift) % period] >= loudestSource * 0.0316;
        };
        std::size_t speechBlocks = 0, holes = 0, run = 0;
        for (std::size_t blk = 0; blk < got.size(); ++blk) speechBlocks += speaking(blk * 480) ? 1 : 0;
        for (std::size_t i = 0; i < std::min(mono.size(), got.size() * 480); ++i) {
            if (std::abs(int(mono[i])) <= 2) {
                ++run;
                continue;
            }
            if (run >= 240 && speaking(i - run) && speaking(i - 1)) ++holes;
            run = 0;
        }
        h.holes = speechBlocks ? double(holes) / double(speechBlocks) : 0.0;
        // The first sample written is the source at shift * 10 ms of some
        // loop; the talker sent the source's start at first_voice_sent.
        const double periodMs = double(period) * 10.0;
        h.latencyMs = std::fmod(firstWritten - firstSent - double(shift) * 10.0 + 100.0 * periodMs, periodMs);
        std::printf("voice%s%s: envelope correlation %.3f, right ear %+.1f dB, loudest pause block %.1f dBFS, "
                    "holes in speech %.1f%%, mouth to ear %.0f ms (device buffers excluded), %.0f frames sent\n",
                    lossy ? " at 10% loss" : "", fecAndPlc ? "" : " without FEC and PLC", h.correlation,
                    h.rightOverLeftDb, loudest, 100.0 * h.holes, h.latencyMs, h.framesSent);
        host.terminate();
        if (proxy) proxy->terminate();
        return h;
    }

    static inline std::vector<std::int16_t> s_source;
    static inline std::size_t s_speechSamples = 0;
    static inline std::filesystem::path s_wav, s_dir;
};

TEST_F(VoiceProcesses, SpeechIsHeardFromTheTalkersSideWithSilenceInThePause) {
    const Heard h = talk(false, true);
    EXPECT_GE(h.correlation, 0.8);
    EXPECT_GE(h.rightOverLeftDb, 3.0);
    EXPECT_LT(h.loudestPauseBlockDbfs, -60.0) << "the pause must be silent";
    // 9 s of 10 ms frames, minus the pauses DTX did not send.
    EXPECT_LT(h.framesSent, 880.0);
    EXPECT_GT(h.framesSent, 400.0);
}

TEST_F(VoiceProcesses, TenPercentLossIsCoveredByFecAndConcealment) {
    const Heard covered = talk(true, true);
    const Heard bare = talk(true, false);
    EXPECT_GE(covered.correlation, 0.6);
    // What FEC and concealment fix is the holes: counted directly, since
    // the envelope correlation moves by only a few hundredths with which
    // frames the proxy happens to drop (0.017 apart in one CI run).
    EXPECT_GE(bare.holes, 0.03) << "10% loss with nothing replacing lost frames must leave holes";
    EXPECT_LE(covered.holes, bare.holes / 5.0) << "FEC and PLC must fill the holes";
    EXPECT_GT(covered.correlation, bare.correlation) << "FEC and PLC must help the envelope too";
}

}  // namespace
}  // namespace mxr::net
