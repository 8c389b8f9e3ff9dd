// mentorxr-bot: headless clients on scripted paths.
//
//   mentorxr-bot --server 127.0.0.1:7777 --room demo --bots 16 --seconds 30
//
// Bots join as guests ("bot-N"), or with --login EMAIL (password from
// MENTORXR_PASSWORD). A few observer bots (--observers) interpolate what
// they receive exactly as the client does and compare the displayed pose
// with the sender's true pose at the displayed sample's timestamp: that is
// the interpolation error reported (p95, mm); the interpolation delay is
// reported separately. Exit code 1 when any bot failed to join or was
// disconnected (even if it resumed), 2 for bad arguments.
//
// Voice (bot_voice.h): --speak FILE.wav makes every bot talk with that
// file's audio, looped; --record-audio FILE.wav makes bot 0 write the stereo
// it hears (HRTF, loopback device) from its first voice packet on;
// --position X,Y,Z[,YAW_DEG] holds the (one) bot still there, facing yaw
// (0 looks down -Z). The summary line gives the CLOCK_REALTIME unix
// milliseconds of the first voice frame sent and the first sample written.
// --speak-preencoded FILE.wav replays one second of it, encoded once, from
// every talking bot (load tests, bot_preencoded.h); --talkers N: only the
// first N bots talk.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "bot_preencoded.h"
#include "bot_voice.h"
#include "net/client_session.h"
#include "net/room_client.h"
#include "net/scripted_motion.h"

namespace {

using namespace mxr;
using namespace mxr::net;

// Time since the bot started: small numbers keep the scripted motion's
// float arithmetic exact to well under a millimetre.
class SinceStartClock final : public Clock {
public:
    SinceStartClock() : m_start(m_steady.now()) {}
    Nanos now() const override { return m_steady.now() - m_start; }

private:
    SteadyClock m_steady;
    Nanos m_start;
};

struct Bot {
    std::unique_ptr<ClientSession> session;
    MotionScript script;
    bool observer = false;
    RemoteAvatars remotes;
    bool joined = false;
    double joinSeconds = 0;  // since the start, when first joined
    double lostSeconds = 0;  // since the start, when the connection was first lost
    bool failed = false;
    bool disconnected = false;
    bool resumed = false;
    bool rejoined = false;  // the host no longer knew its resume token (it restarted): joined again as new
    ClientConfig config;
    std::uint64_t entriesIn = 0;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

struct Window {
    std::vector<double> headMm, handMm, delayMs;
    std::uint64_t entries = 0, bytesIn = 0, bytesOut = 0, voiceIn = 0, datagramsIn = 0;  // voiceIn: of bytesIn
    double viewerAvatarSeconds = 0;  // sum over viewers of visible avatars x seconds
};

int run(int argc, char** argv) {
    CLI::App app{"MentorXR load generator: headless bots in a room"};
    std::string server, room, login, motion = "walking", serverKeyHex, knownServers, namePrefix = "bot";
    unsigned bots = 4, observers = 4, rate = 45;
    double seconds = 10, warmup = 3;
    app.add_option("--server", server, "HOST:PORT of the room host")->required();
    app.add_option("--room", room, "room to join")->required();
    app.add_option("--bots", bots, "number of bots")->check(CLI::Range(1, 1000))->capture_default_str();
    app.add_option("--seconds", seconds, "how long to run")->check(CLI::Range(1.0, 86400.0))->capture_default_str();
    app.add_option("--login", login,
                   "join with this account (password from MENTORXR_PASSWORD); one bot, since an account has one "
                   "place per room");
    app.add_option("--name", namePrefix, "guest name prefix")->capture_default_str();
    app.add_option("--motion", motion, "walking, gesturing or mixed")->check(CLI::IsMember({"walking", "gesturing", "mixed"}))->capture_default_str();
    app.add_option("--rate", rate, "avatar updates per second per bot")->check(CLI::Range(1, 90))->capture_default_str();
    app.add_option("--observers", observers, "bots that interpolate and measure error")->capture_default_str();
    app.add_option("--warmup", warmup, "seconds excluded from the summary")->capture_default_str();
    app.add_option("--server-key", serverKeyHex, "expected server X25519 key (hex)");
    std::string speakWav, recordWav, position, preencodedWav;
    bool noFec = false, noPlc = false;
    unsigned talkers = 1000;
    app.add_option("--speak", speakWav, "talk with this WAV file's audio (any common format), looped");
    app.add_option("--speak-preencoded", preencodedWav,
                   "talk with one second of this WAV file, Opus-encoded once and replayed (load tests)");
    app.add_option("--talkers", talkers, "how many bots talk (the first N; default all)");
    app.add_option("--record-audio", recordWav, "bot 0 writes what it hears (48 kHz stereo 16-bit WAV)");
    app.add_option("--position", position, "X,Y,Z[,YAW_DEG]: stand still there (one bot)");
    app.add_flag("--no-fec", noFec, "the recording bot does not use FEC (for comparisons)");
    app.add_flag("--no-plc", noPlc, "the recording bot plays silence for lost voice (for comparisons)");
    app.add_option("--known-servers", knownServers,
                   "file of pinned server keys, trust on first use (default: the client's, "
                   "$XDG_CONFIG_HOME/mentorxr/known_servers, else ~/.config/mentorxr/known_servers)");
    CLI11_PARSE(app, argc, argv);

    const auto colon = server.rfind(':');
    if (colon == std::string::npos) {
        std::cerr << "mentorxr-bot: --server must be HOST:PORT\n";
        return 2;
    }
    ClientConfig base;
    base.serverHost = server.substr(0, colon);
    try {
        base.serverPort = static_cast<std::uint16_t>(std::stoul(server.substr(colon + 1)));
    } catch (const std::exception&) {
        std::cerr << "mentorxr-bot: --server port is not a number\n";
        return 2;
    }
    base.room = room;
    if (!serverKeyHex.empty()) {
        auto k = fromHex(serverKeyHex);
        if (!k || k->size() != 32) {
            std::cerr << "mentorxr-bot: --server-key must be 64 hex digits\n";
            return 2;
        }
        Key key{};
        std::copy(k->begin(), k->end(), key.begin());
        base.expectedServerKey = key;
    }
    // Every bot checks the server's key like the client does: a password,
    // token or ticket never goes to a key that is neither pinned nor given.
    // An explicit --server-key is the pin; the default file is for the rest.
    if (!knownServers.empty()) {
        base.pinFile = knownServers;
    } else if (!base.expectedServerKey) {
        base.pinFile = defaultKnownServersPath();
    }
    if (base.pinFile.empty() && !base.expectedServerKey) {
        std::cerr << "mentorxr-bot: no known-servers file (HOME and XDG_CONFIG_HOME are unset): pass "
                     "--known-servers FILE or --server-key HEX\n";
        return 2;
    }
    std::string password;
    if (!login.empty()) {
        // A second join of the same account replaces the first (net/README).
        if (app.count("--bots") && bots != 1) {
            std::cerr << "mentorxr-bot: --login joins one bot (an account has one place per room)\n";
            return 2;
        }
        bots = 1;
        const char* pw = std::getenv("MENTORXR_PASSWORD");
        if (!pw) {
            std::cerr << "mentorxr-bot: --login needs the password in MENTORXR_PASSWORD\n";
            return 2;
        }
        password = pw;
    }

    std::optional<Pose> still;
    if (!position.empty()) {
        float v[4] = {0, 0, 0, 0};
        const int n = std::sscanf(position.c_str(), "%f,%f,%f,%f", &v[0], &v[1], &v[2], &v[3]);
        if (n < 3 || !std::isfinite(v[0]) || !std::isfinite(v[1]) || !std::isfinite(v[2]) || !std::isfinite(v[3])) {
            std::cerr << "mentorxr-bot: --position must be X,Y,Z or X,Y,Z,YAW_DEG\n";
            return 2;
        }
        if (bots != 1) {
            std::cerr << "mentorxr-bot: --position holds one bot still (use --bots 1)\n";
            return 2;
        }
        still = Pose{Vec3(v[0], v[1], v[2]), glm::angleAxis(glm::radians(v[3]), Vec3(0, 1, 0))};
    }
    std::vector<std::unique_ptr<bot::BotSpeaker>> speakers;
    std::unique_ptr<bot::BotListener> listener;
    std::vector<bot::PreencodedSpeaker> replayers;
    if (!preencodedWav.empty()) {
        auto v = bot::PreencodedVoice::create(preencodedWav);
        if (!v) {
            std::cerr << "mentorxr-bot: --speak-preencoded: " << v.error().message << "\n";
            return 2;
        }
        for (unsigned i = 0; i < std::min(bots, talkers); ++i) replayers.emplace_back(*v);
    }
    if (!speakWav.empty()) {
        for (unsigned i = 0; i < std::min(bots, talkers); ++i) {
            auto s = bot::BotSpeaker::create(speakWav);
            if (!s) {
                std::cerr << "mentorxr-bot: --speak: " << s.error().message << "\n";
                return 2;
            }
            speakers.push_back(std::move(*s));
        }
    }
    if (!recordWav.empty()) {
        auto l = bot::BotListener::create({recordWav, !noFec, !noPlc});
        if (!l) {
            std::cerr << "mentorxr-bot: --record-audio: " << l.error().message << "\n";
            return 2;
        }
        listener = std::move(*l);
        observers = std::max(observers, 1u);  // it needs the talkers' positions
    }

    SinceStartClock clock;
    auto sink = std::make_shared<StderrSink>(LogLevel::kWarn);
    std::vector<Bot> fleet(bots);
    const RoomBounds bounds;
    for (unsigned i = 0; i < bots; ++i) {
        ClientConfig cfg = base;
        if (login.empty()) {
            cfg.credentials = GuestLogin{strCat(namePrefix, "-", i)};
        } else {
            cfg.credentials = AccountLogin{login, password};
        }
        auto s = ClientSession::create(cfg, clock, Logger(sink, strCat("bot-", i)));
        if (!s) {
            std::cerr << "mentorxr-bot: " << s.error().describe() << "\n";
            return 2;
        }
        const MotionKind kind = motion == "walking"     ? MotionKind::kWalking
                                : motion == "gesturing" ? MotionKind::kGesturing
                                : (i % 2 ? MotionKind::kGesturing : MotionKind::kWalking);
        fleet[i].session = std::move(*s);
        fleet[i].config = cfg;
        fleet[i].script = MotionScript::forBot(i, bots, kind, bounds);
        fleet[i].observer = i < observers;
    }

    std::map<std::uint16_t, std::size_t> botByAvatar;
    // Voice needs its 10 ms frames on time; avatars still go at `rate`.
    const bool voice = !speakers.empty() || !replayers.empty() || listener;
    const Nanos tick = voice ? std::min<Nanos>(10'000'000, 1'000'000'000 / rate) : 1'000'000'000 / rate;
    const Nanos avatarEvery = 1'000'000'000 / rate;
    Nanos nextAvatar = 0;
    const Nanos end = static_cast<Nanos>(seconds * 1e9);
    Nanos next = clock.now();
    Nanos secondStart = clock.now();
    Nanos summaryStart = -1;
    Window second, summary;
    std::vector<std::uint64_t> lastIn(bots, 0), lastOut(bots, 0), lastVoiceIn(bots, 0), lastDatagrams(bots, 0);

    std::size_t joinedAtEnd = 0;  // in the room at the last round (after any reconnects)
    while (clock.now() < end) {
        const Nanos now = clock.now();
        const double nowMs = static_cast<double>(now) * 1e-6;
        std::size_t joinedNow = 0;
        for (std::size_t i = 0; i < fleet.size(); ++i) {
            Bot& b = fleet[i];
            b.session->service(0);
            for (auto& e : b.session->takeEvents()) {
                if (auto* j = std::get_if<JoinedEvent>(&e)) {
                    if (!b.joined) b.joinSeconds = nanosToSeconds(now);
                    b.joined = true;
                    b.resumed = b.resumed || j->resumed;
                    if (j->resumed) std::fprintf(stderr, "bot-%zu resumed avatar %u\n", i, j->avatarId);
                    botByAvatar[j->avatarId] = i;
                } else if (auto* f = std::get_if<FailedEvent>(&e);
                           f && f->error.message.find("resume expired") != std::string::npos) {
                    // The host restarted (or kept us away past the resume
                    // window): do what the host says, join again as new.
                    std::fprintf(stderr, "bot-%zu joins again: %s\n", i, f->error.message.c_str());
                    if (auto again = ClientSession::create(b.config, clock, Logger(sink, strCat("bot-", i)))) {
                        b.session = std::move(*again);
                        b.rejoined = true;
                    } else {
                        b.failed = true;
                    }
                } else if (auto* f = std::get_if<FailedEvent>(&e)) {
                    b.failed = true;
                    std::fprintf(stderr, "bot-%zu failed: %s\n", i, f->error.message.c_str());
                } else if (std::holds_alternative<ConnectionLostEvent>(e)) {
                    if (!b.disconnected) b.lostSeconds = nanosToSeconds(now);
                    b.disconnected = true;
                    std::fprintf(stderr, "bot-%zu lost its connection at %.2f s\n", i, nanosToSeconds(now));
                } else if (auto* r = std::get_if<RemovedEvent>(&e)) {
                    b.failed = true;
                    std::fprintf(stderr, "bot-%zu removed: %s\n", i, r->reason.c_str());
                } else if (auto* a = std::get_if<AvatarsEvent>(&e)) {
                    b.entriesIn += a->entries.size();
                    second.entries += a->entries.size();
                } else if (auto* v = std::get_if<VoiceEvent>(&e); v && listener && i == 0) {
                    listener->onVoice(*v);
                } else if (auto* l = std::get_if<VoiceLossEvent>(&e); l && i < speakers.size()) {
                    speakers[i]->onLoss(l->lossPercent);
                }
                if (b.observer) b.remotes.apply(e, now);
            }
            if (b.session->state() == ClientState::kJoined) {
                ++joinedNow;
                joinedAtEnd = joinedNow;
                // Pose at the whole millisecond the session will stamp.
                const double ms = std::floor(nowMs);
                if (!voice || now >= nextAvatar) {
                    if (still) {
                        AvatarState st;
                        st.head = *still;
                        (void)b.session->sendAvatar(st);
                    } else {
                        (void)b.session->sendAvatar(b.script.at(ms / 1000.0));
                    }
                }
                if (i < speakers.size()) speakers[i]->pump(*b.session, now);
                if (i < replayers.size()) replayers[i].pump(*b.session, now);
                if (i == 0 && listener) {
                    std::map<std::uint16_t, Vec3> heads;
                    for (const auto& v : b.remotes.sample(now)) heads[v.avatarId] = v.shown.state.head.position;
                    listener->pump(*b.session, now, heads, still ? *still : b.script.at(ms / 1000.0).head);
                }
            }
            if (b.observer && b.session->state() == ClientState::kJoined) {
                for (const auto& v : b.remotes.sample(now)) {
                    auto it = botByAvatar.find(v.avatarId);
                    if (it == botByAvatar.end() || v.shown.alpha < 1.0f) continue;
                    // Undo the 16-bit wrap of the sender's clock.
                    const double t = v.shown.senderTimeMs + 65536.0 * std::round((nowMs - v.shown.senderTimeMs) / 65536.0);
                    const AvatarState truth = fleet[it->second].script.at(t / 1000.0);
                    second.headMm.push_back(1000.0 * glm::length(v.shown.state.head.position - truth.head.position));
                    second.handMm.push_back(1000.0 * glm::length(v.shown.state.leftHand.position - truth.leftHand.position));
                    second.handMm.push_back(1000.0 * glm::length(v.shown.state.rightHand.position - truth.rightHand.position));
                    second.delayMs.push_back(static_cast<double>(v.shown.delay) * 1e-6);
                }
            }
        }
        if (now >= nextAvatar) nextAvatar += avatarEvery;
        if (summaryStart < 0 && joinedNow == fleet.size() && now >= static_cast<Nanos>(warmup * 1e9)) {
            summaryStart = now;
            summary = Window{};
        }
        if (now - secondStart >= 1'000'000'000) {
            const double dt = nanosToSeconds(now - secondStart);
            std::uint64_t in = 0, out = 0, voiceIn = 0, datagrams = 0;
            double visible = 0;
            for (std::size_t i = 0; i < fleet.size(); ++i) {
                const ClientStats s = fleet[i].session->stats();
                in += s.bytesIn - lastIn[i];
                out += s.bytesOut - lastOut[i];
                lastIn[i] = s.bytesIn;
                lastOut[i] = s.bytesOut;
                voiceIn += s.voiceBytesIn - lastVoiceIn[i];
                lastVoiceIn[i] = s.voiceBytesIn;
                datagrams += s.datagramsIn - lastDatagrams[i];
                lastDatagrams[i] = s.datagramsIn;
                if (fleet[i].joined) visible += static_cast<double>(joinedNow > 0 ? joinedNow - 1 : 0);
            }
            second.bytesIn = in;
            second.bytesOut = out;
            second.voiceIn = voiceIn;
            second.datagramsIn = datagrams;
            second.viewerAvatarSeconds = visible * dt;
            const double perBot = static_cast<double>(bots);
            std::printf("t=%.0f joined=%zu/%u updates_per_s=%.1f in=%.2fkB/s out=%.2fkB/s per bot, "
                        "%.2f kbit/s per avatar per viewer, p95 error head %.1f mm hands %.1f mm, delay %.0f ms\n",
                        nanosToSeconds(now), joinedNow, bots, static_cast<double>(second.entries) / dt / perBot,
                        static_cast<double>(in) / dt / perBot / 1000.0, static_cast<double>(out) / dt / perBot / 1000.0,
                        second.viewerAvatarSeconds > 0 ? static_cast<double>(in - voiceIn) * 8.0 / 1000.0 / second.viewerAvatarSeconds : 0.0,
                        percentile(second.headMm, 0.95), percentile(second.handMm, 0.95),
                        second.delayMs.empty() ? 0.0 : percentile(second.delayMs, 0.5));
            std::fflush(stdout);
            if (summaryStart >= 0) {
                summary.headMm.insert(summary.headMm.end(), second.headMm.begin(), second.headMm.end());
                summary.handMm.insert(summary.handMm.end(), second.handMm.begin(), second.handMm.end());
                summary.delayMs.insert(summary.delayMs.end(), second.delayMs.begin(), second.delayMs.end());
                summary.entries += second.entries;
                summary.bytesIn += second.bytesIn;
                summary.bytesOut += second.bytesOut;
                summary.voiceIn += second.voiceIn;
                summary.datagramsIn += second.datagramsIn;
                summary.viewerAvatarSeconds += second.viewerAvatarSeconds;
            }
            second = Window{};
            secondStart = now;
        }
        next += tick;
        const Nanos sleepFor = next - clock.now();
        if (sleepFor > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(sleepFor));
        else next = clock.now();  // overloaded: do not try to catch up
    }

    std::size_t joined = 0, failed = 0, disconnected = 0, resumed = 0;
    std::vector<double> joinTimes, lossTimes;
    for (auto& b : fleet) {
        joined += b.joined;
        if (b.joined) joinTimes.push_back(b.joinSeconds);
        if (b.disconnected) lossTimes.push_back(b.lostSeconds);
        resumed += b.resumed && b.session->state() == ClientState::kJoined;
        failed += b.failed || !b.joined;
        disconnected += b.disconnected;
        b.session->leave();
    }
    for (int i = 0; i < 20; ++i) {
        for (auto& b : fleet) b.session->service(0);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (listener) {
        if (auto w = listener->finish(); !w) {
            std::cerr << "mentorxr-bot: " << w.error().message << "\n";
            return 2;
        }
    }
    std::uint64_t voiceSent = 0;
    for (const auto& s : speakers) voiceSent += s->framesSent();
    for (const auto& s : replayers) voiceSent += s.framesSent();
    if (voice) {
        std::printf("voice frames_sent=%llu first_voice_sent_unix_ms=%.3f frames_heard=%llu "
                    "first_sample_unix_ms=%.3f %s\n",
                    static_cast<unsigned long long>(voiceSent), !speakers.empty() ? speakers[0]->firstSentUnixMs() : !replayers.empty() ? replayers[0].firstSentUnixMs() : 0.0,
                    static_cast<unsigned long long>(listener ? listener->framesHeard() : 0),
                    listener ? listener->firstSampleUnixMs() : 0.0, listener ? listener->jitterSummary().c_str() : "");
    }
    const double span = summaryStart >= 0 ? nanosToSeconds(clock.now() - summaryStart) : 0.0;
    std::vector<double> all = summary.headMm;
    all.insert(all.end(), summary.handMm.begin(), summary.handMm.end());
    std::printf("summary bots=%u joined=%zu failed=%zu disconnected=%zu resumed=%zu seconds=%.1f updates_per_s=%.1f "
                "bytes_in_per_client_s=%.0f bytes_out_per_client_s=%.0f voice_bytes_in_per_client_s=%.0f datagrams_in_per_client_s=%.1f kbit_per_avatar_per_viewer=%.2f "
                "p95_error_mm=%.1f p95_head_mm=%.1f p95_hands_mm=%.1f interp_delay_ms=%.0f samples=%zu join_s_median=%.2f join_s_max=%.2f "
                "first_loss_s_min=%.2f first_loss_s_max=%.2f updates=%zu joined_at_end=%zu rejoined=%zu\n",
                bots, joined, failed, disconnected, resumed, span,
                span > 0 ? static_cast<double>(summary.entries) / span / bots : 0.0,
                span > 0 ? static_cast<double>(summary.bytesIn) / span / bots : 0.0,
                span > 0 ? static_cast<double>(summary.bytesOut) / span / bots : 0.0,
                span > 0 ? static_cast<double>(summary.voiceIn) / span / bots : 0.0,
                span > 0 ? static_cast<double>(summary.datagramsIn) / span / bots : 0.0,
                // Avatars' share: what the voice received would have cost alone is left out.
                summary.viewerAvatarSeconds > 0
                    ? static_cast<double>(summary.bytesIn - summary.voiceIn) * 8.0 / 1000.0 / summary.viewerAvatarSeconds
                    : 0.0,
                percentile(all, 0.95), percentile(summary.headMm, 0.95), percentile(summary.handMm, 0.95),
                percentile(summary.delayMs, 0.5), summary.headMm.size(), percentile(joinTimes, 0.5),
                joinTimes.empty() ? 0.0 : *std::max_element(joinTimes.begin(), joinTimes.end()),
                lossTimes.empty() ? 0.0 : *std::min_element(lossTimes.begin(), lossTimes.end()),
                lossTimes.empty() ? 0.0 : *std::max_element(lossTimes.begin(), lossTimes.end()),
                static_cast<std::size_t>(summary.entries), joinedAtEnd,
                static_cast<std::size_t>(std::count_if(fleet.begin(), fleet.end(), [](const Bot& b) { return b.rejoined; })));
    return (failed || disconnected) ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mentorxr-bot: " << e.what() << "\n";
        return 2;
    }
}
