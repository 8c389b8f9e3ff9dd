// Voice in the client, as people use it, through real processes on
// 127.0.0.1: mentorxr-roomhost, mentorxr-bot talking or recording, and the
// headless mentorxr with its voice component (OpenAL Soft's null backend
// has no microphone, so the client's voice comes from --voice-file, and
// --record-audio gives what it would play). Asserted on what people hear:
// - the client hears a talking bot from where the bot stands (the ear on
//   its side louder, the speech's 10 ms envelope in the recording), counts
//   the bot's talk time, and says once that it has no microphone;
// - a bot hears the client's open microphone;
// - with push-to-talk and nothing held, nobody hears the client;
// - --list-audio-devices and --no-voice;
// - --recording-consent is seen by others in the room.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <thread>

#include "engine/audio/wav.h"
#include "net/room_client.h"
#include "process_util.h"
#include "run_command.h"
#include "voice_signal.h"

namespace {

using mxr::net::testing::ChildProcess;
using mxr::net::testing::field;
namespace audio = mxr::engine::audio;

std::string strOf(int n) { return std::to_string(n); }

class ClientVoice : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = std::filesystem::path(MXR_TEST_OUT) / "client_voice";
        std::filesystem::create_directories(s_dir);
        for (const auto& [name, text] :
             {std::pair<std::string, std::string>{"bot", "Welcome to the workshop. Today we learn to weld two plates."},
              {"client", "Hello mentor, I have a question about the second plate."}}) {
            const auto wav = s_dir / (name + ".wav");
            const auto r = mxr::test::runCommand("espeak-ng -w " + wav.string() + " '" + text + "' 2>&1");
            ASSERT_EQ(r.exitCode, 0) << "espeak-ng (tools/dev.sh installs it): " << r.output;
        }
    }

    // A room host with an open demo room.
    void startHost() {
        m_host = std::make_unique<ChildProcess>(std::vector<std::string>{
            MXR_ROOMHOST, "--port", "0", "--bind", "127.0.0.1", "--allow-guests", "--room", "demo", "--open-demo"});
        auto l = m_host->lineStartingWith("listening udp=", 20.0);
        ASSERT_TRUE(l) << m_host->output();
        m_port = std::stoi(l->substr(14));
        auto k = m_host->lineStartingWith("server-key ", 5.0);
        ASSERT_TRUE(k);
        m_key = k->substr(11);
    }
    std::string address() const { return "127.0.0.1:" + strOf(m_port); }

    // The headless client as guest "Ana" at the origin looking down -Z.
    std::unique_ptr<ChildProcess> startClient(std::vector<std::string> extra) {
        std::vector<std::string> args{
            MXR_CLIENT, "--mode",    "headless", "--size",          "96x64",
            "--frames", "100000000", "--camera", "0,1.6,0,0,0",     "--server",
            address(),  "--guest",   "Ana",      "--known-servers", (s_dir / strCat("known_", m_port)).string()};
        args.insert(args.end(), extra.begin(), extra.end());
        auto c = std::make_unique<ChildProcess>(args);
        EXPECT_TRUE(c->lineStartingWith("connection: in room", 60.0)) << c->output();
        return c;
    }

    std::unique_ptr<ChildProcess> startBot(std::vector<std::string> extra) {
        std::vector<std::string> args{MXR_BOT, "--server-key", m_key, "--server",  address(), "--room",
                                      "demo",  "--bots",       "1",   "--seconds", "7"};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<ChildProcess>(args);
    }

    static std::string strCat(const std::string& a, int n) { return a + std::to_string(n); }

    // The envelope correlation of a stereo recording with a looped source,
    // and the right ear over the left in dB.
    static std::pair<double, double> heard(const std::filesystem::path& recording, const std::filesystem::path& said) {
        auto rec = audio::readWav(recording);
        auto src = audio::readWav(said);
        EXPECT_TRUE(rec && src);
        if (!rec || !src || rec->channels != 2) return {0.0, 0.0};
        const auto stereo = mxr::test::downmix(rec->samples);
        auto got = mxr::test::envelope(stereo.mono);
        // The talker's 7 s at most (the recording goes on in silence after).
        got.resize(std::min<std::size_t>(got.size(), 600));
        const double c = mxr::test::loopedCorrelation(mxr::test::envelope(audio::toMono48k(*src)), got);
        return {c, stereo.rightOverLeftDb};
    }

    static inline std::filesystem::path s_dir;
    std::unique_ptr<ChildProcess> m_host;
    int m_port = 0;
    std::string m_key;
};

TEST_F(ClientVoice, HearsATalkerFromWhereItStandsAndSaysOnceThatThereIsNoMicrophone) {
    startHost();
    const auto out = s_dir / "client_heard.wav";
    std::filesystem::remove(out);
    auto client = startClient({"--record-audio", out.string()});
    // A metre to Ana's right.
    auto talker = startBot(
        {"--name", "Talker", "--speak", (s_dir / "bot.wav").string(), "--position", "1,1.6,0", "--observers", "0"});
    EXPECT_EQ(talker->wait(), 0) << talker->output();
    client->terminate();
    EXPECT_EQ(client->wait(), 0) << client->output();
    const std::string log = client->output();
    // The null backend has no microphone: said once, and the client goes on.
    const auto said = log.find("voice: no microphone");
    EXPECT_NE(said, std::string::npos) << log;
    EXPECT_EQ(log.find("voice: no microphone", said + 1), std::string::npos) << "said more than once:\n" << log;
    auto summary = client->lineStartingWith("voice frames_sent=", 1.0);
    ASSERT_TRUE(summary) << log;
    EXPECT_GT(field(*summary, "frames_heard").value_or(0), 300.0) << *summary;
    EXPECT_EQ(field(*summary, "talk_seconds_sent").value_or(-1), 0.0) << *summary;
    // espeak-ng talks about 4 of the bot's 7 s; the pauses do not count.
    const double talked = field(*summary, "talk_seconds_heard").value_or(0);
    EXPECT_GT(talked, 2.0) << *summary;
    EXPECT_LT(talked, 7.5) << *summary;
    EXPECT_NE(log.find("voice talk time: you 0.0 s, Talker-0"), std::string::npos) << log;
    const auto [correlation, rightOverLeft] = heard(out, s_dir / "bot.wav");
    std::printf("client hears the bot: envelope correlation %.3f, right ear %+.1f dB, talk time %.1f s\n", correlation,
                rightOverLeft, talked);
    EXPECT_GE(correlation, 0.8);
    EXPECT_GE(rightOverLeft, 3.0) << "the talker stands to the right";
}

TEST_F(ClientVoice, AnOpenMicrophoneIsHeardAndPushToTalkSendsNothingUntilHeld) {
    startHost();
    for (const bool pushToTalk : {false, true}) {
        SCOPED_TRACE(pushToTalk ? "push-to-talk, nothing held" : "open microphone");
        std::vector<std::string> extra{"--voice-file", (s_dir / "client.wav").string()};
        if (pushToTalk) extra.push_back("--push-to-talk");
        auto client = startClient(extra);
        const auto out = s_dir / (pushToTalk ? "bot_heard_ptt.wav" : "bot_heard_open.wav");
        std::filesystem::remove(out);
        // Two metres in front of Ana, listening.
        auto ear = startBot({"--name", "Ear", "--record-audio", out.string(), "--position", "0,1.6,-2"});
        EXPECT_EQ(ear->wait(), 0) << ear->output();
        client->terminate();
        EXPECT_EQ(client->wait(), 0) << client->output();
        auto earSummary = ear->lineStartingWith("voice ", 1.0);
        auto clientSummary = client->lineStartingWith("voice frames_sent=", 1.0);
        ASSERT_TRUE(earSummary && clientSummary) << ear->output() << client->output();
        if (pushToTalk) {
            EXPECT_EQ(field(*clientSummary, "frames_sent").value_or(-1), 0.0) << *clientSummary;
            EXPECT_EQ(field(*earSummary, "frames_heard").value_or(-1), 0.0) << *earSummary;
            continue;
        }
        EXPECT_GT(field(*clientSummary, "frames_sent").value_or(0), 300.0) << *clientSummary;
        EXPECT_GT(field(*clientSummary, "talk_seconds_sent").value_or(0), 2.0) << *clientSummary;
        const auto [correlation, rightOverLeft] = heard(out, s_dir / "client.wav");
        std::printf("a bot hears the client: envelope correlation %.3f, right ear %+.1f dB\n", correlation,
                    rightOverLeft);
        EXPECT_GE(correlation, 0.8);
        EXPECT_LT(std::abs(rightOverLeft), 2.0) << "Ana stands straight ahead of the bot";
    }
}

TEST_F(ClientVoice, ListsAudioDevicesAndJoinsWithoutVoiceWhenAsked) {
    const auto list = mxr::test::runCommand(std::string(MXR_CLIENT) + " --list-audio-devices 2>&1");
    EXPECT_EQ(list.exitCode, 0) << list.output;
    EXPECT_NE(list.output.find("microphones:"), std::string::npos) << list.output;
    EXPECT_NE(list.output.find("speakers:"), std::string::npos) << list.output;
    startHost();
    auto client = startClient({"--no-voice"});
    client->terminate();
    EXPECT_EQ(client->wait(), 0) << client->output();
    EXPECT_EQ(client->output().find("voice"), std::string::npos) << client->output();
}

TEST_F(ClientVoice, RecordingConsentIsSeenByOthers) {
    startHost();
    auto client = startClient({"--no-voice", "--recording-consent"});
    mxr::SteadyClock clock;
    mxr::net::ClientConfig cfg;
    cfg.serverPort = static_cast<std::uint16_t>(m_port);
    cfg.room = "demo";
    cfg.credentials = mxr::net::GuestLogin{"Ben"};
    cfg.pinFile = (s_dir / strCat("known_ben_", m_port)).string();
    auto ben = mxr::net::RoomClient::start(cfg, clock,
                                           mxr::Logger(std::make_shared<mxr::StderrSink>(mxr::LogLevel::kWarn), "ben"));
    ASSERT_TRUE(ben) << ben.error().message;
    bool seen = false;
    for (int i = 0; i < 1000 && !seen; ++i) {
        while (auto e = (*ben)->poll()) {
            if (const auto* p = std::get_if<mxr::net::PresenceEvent>(&*e)) {
                for (const auto& m : p->members) seen = seen || (m.displayName == "Ana" && m.recordingConsent);
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(seen) << "Ben never saw Ana's consent";
    client->terminate();
    EXPECT_EQ(client->wait(), 0) << client->output();
}

}  // namespace
