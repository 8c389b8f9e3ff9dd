// The jitter buffer in virtual time: a talker sends 10 ms frames (none in
// its pauses: DTX) through a simulated link with delay, jitter (which
// reorders), loss, duplication and outages, from a clock that may run
// 0.1% fast or slow; the listener asks for a frame every 10 ms of its own
// clock. What the listener plays is checked: order, late loss, delay.
#include <gtest/gtest.h>

#include <algorithm>

#include "net/impairment.h"
#include "net/voice/voice_codec.h"
#include "net/voice/voice_receiver.h"
#include "voice_signal.h"  // tests/support

namespace mxr::test {
namespace {

using namespace mxr::net;
using namespace mxr::net::voice;

constexpr Nanos kMs = 1'000'000;

struct Talk {
    ImpairmentConfig link;
    ImpairmentConfig laterLink;  // from `switchAt` on, when set
    Nanos switchAt = 0;
    double drift = 0.0;  // the talker's clock runs this much faster
    double seconds = 60.0;
    double spurt = 4.0;
    double silenceFrom = 3.0;
};

struct Heard {
    JitterStats stats;
    std::uint64_t sent = 0;
    std::vector<std::int64_t> played;  // sequences, in the order played (recovered ones too)
    std::vector<std::pair<Nanos, Nanos>> delays;  // (time, current delay) at each pull while playing
    std::vector<Nanos> targets;
    bool inOrder() const { return std::is_sorted(played.begin(), played.end()) &&
                                  std::adjacent_find(played.begin(), played.end()) == played.end(); }
    double lateFraction() const { return double(stats.late) / double(sent); }
    Nanos medianDelay(Nanos from, Nanos to) const {
        std::vector<Nanos> d;
        for (auto [t, v] : delays) if (t >= from && t < to) d.push_back(v);
        if (d.empty()) return -1;
        std::nth_element(d.begin(), d.begin() + std::ptrdiff_t(d.size() / 2), d.end());
        return d[d.size() / 2];
    }
};

Heard listen(const Talk& talk, const JitterConfig& config = {}) {
    SimulatedLink first(talk.link, false);
    SimulatedLink later(talk.laterLink, false);
    JitterBuffer buffer(config);
    Heard heard;
    const Nanos end = Nanos(talk.seconds * 1e9);
    std::uint16_t seq = 0;
    std::int64_t n = 0;  // frames of the talker's clock
    Nanos nextPull = 3 * kMs;
    for (Nanos now = 0; now < end; now += kMs) {
        // Frame n leaves when the talker's clock reads n * 10 ms.
        for (; Nanos(double(n) * 10.0 * kMs / (1.0 + talk.drift)) <= now; ++n) {
            const double t = double(n) * 0.01;
            if (std::fmod(t, talk.spurt) >= talk.silenceFrom) continue;  // DTX
            VoiceFrame f;
            f.sequence = seq++;
            f.timestamp = std::uint32_t(n * 480);
            f.level = 60;
            f.payload = {1, 2, 3};
            SimulatedLink& link = talk.switchAt > 0 && now >= talk.switchAt ? later : first;
            link.send(encodeVoiceFrame(f), now);
            ++heard.sent;
        }
        for (SimulatedLink* link : {&first, &later}) {
            for (Bytes& d : link->receive(now)) buffer.push(*decodeVoiceFrame(d), now);
        }
        if (now >= nextPull) {
            const Playout p = buffer.pull(now);
            if (p.kind == PlayKind::kFrame) heard.played.push_back(p.frame->sequence);
            if (p.kind == PlayKind::kRecover) heard.played.push_back(std::int64_t(p.frame->sequence) - 1);
            if (p.kind == PlayKind::kFrame) heard.delays.emplace_back(now, buffer.currentDelay());
            heard.targets.push_back(buffer.targetDelay());
            nextPull += Nanos(p.samples) * 1'000'000'000 / 48000;
        }
    }
    heard.stats = buffer.stats();
    const JitterStats& st = heard.stats;
    std::printf("sent %llu: played %llu, recovered %llu, concealed %llu, late %llu (%.2f%%), duplicates %llu, "
                "skipped %llu, inserted %llu; median delay %.1f ms\n",
                (unsigned long long)heard.sent, (unsigned long long)st.played, (unsigned long long)st.recovered,
                (unsigned long long)st.concealed, (unsigned long long)st.late, 100.0 * heard.lateFraction(),
                (unsigned long long)st.duplicates, (unsigned long long)st.skipped, (unsigned long long)st.inserted,
                double(heard.medianDelay(0, end)) / 1e6);
    return heard;
}

TEST(JitterBuffer, ReorderedFramesPlayInOrderWithUnderOnePercentLate) {
    Talk talk;
    talk.link.delay = 40 * kMs;
    talk.link.jitter = 30 * kMs;  // arrivals spread over 60 ms: many overtake each other
    const Heard h = listen(talk);
    EXPECT_TRUE(h.inOrder());
    EXPECT_LT(h.lateFraction(), 0.015) << h.stats.late << " of " << h.sent;
    EXPECT_GT(h.stats.played, h.sent * 97 / 100);
    const Nanos d = h.medianDelay(10'000 * kMs, 60'000 * kMs);
    EXPECT_GT(d, 45 * kMs);
    EXPECT_LT(d, 75 * kMs) << "about the 99th percentile of the 60 ms spread, no more";
}

TEST(JitterBuffer, ALostFrameIsRebuiltFromTheNextOrConcealed) {
    Talk talk;
    talk.link.delay = 30 * kMs;
    talk.link.jitter = 5 * kMs;
    talk.link.loss = 0.1;
    const Heard h = listen(talk);
    EXPECT_TRUE(h.inOrder());
    const std::uint64_t lost = h.sent - h.stats.received;
    EXPECT_GT(lost, h.sent / 20);
    // About 90% of losses are single: the next frame carries their FEC.
    EXPECT_GT(h.stats.recovered, lost * 7 / 10) << lost << " lost";
    EXPECT_GE(h.stats.recovered + h.stats.concealed, lost);
    EXPECT_LT(h.lateFraction(), 0.015);
}

TEST(JitterBuffer, DuplicatesPlayOnce) {
    Talk talk;
    talk.link.delay = 30 * kMs;
    talk.link.jitter = 10 * kMs;
    talk.link.duplicate = 0.3;
    const Heard h = listen(talk);
    EXPECT_TRUE(h.inOrder()) << "no sequence is played twice";
    EXPECT_GT(h.stats.duplicates, h.sent / 5);
    EXPECT_GT(h.stats.played, h.sent * 97 / 100);
}

TEST(JitterBuffer, OutagesLeaveNoLastingLag) {
    Talk talk;
    talk.link.delay = 30 * kMs;
    talk.link.jitter = 5 * kMs;
    talk.link.outageEvery = 5'000 * kMs;
    talk.link.outageLength = 300 * kMs;
    talk.link.outageFirstAt = 2'000 * kMs;
    const Heard h = listen(talk);
    EXPECT_TRUE(h.inOrder());
    const Nanos early = h.medianDelay(1'000 * kMs, 10'000 * kMs);
    const Nanos late = h.medianDelay(50'000 * kMs, 60'000 * kMs);
    EXPECT_LT(late, early + 10 * kMs) << "early " << early << " ns, late " << late << " ns";
    EXPECT_GT(h.stats.played, h.sent * 90 / 100);
}

// A talker whose clock runs 0.1% fast or slow, talking for 10 minutes:
// the delay neither creeps up nor runs dry.
TEST(JitterBuffer, ClockDriftIsAbsorbed) {
    for (const double drift : {0.001, -0.001}) {
        Talk talk;
        talk.seconds = 600.0;
        talk.drift = drift;
        talk.link.delay = 30 * kMs;
        talk.link.jitter = 10 * kMs;
        const Heard h = listen(talk);
        EXPECT_TRUE(h.inOrder()) << drift;
        EXPECT_LT(h.lateFraction(), 0.015) << drift;
        Nanos lo = INT64_MAX, hi = 0;
        for (auto [t, d] : h.delays) {
            if (t < 10'000 * kMs) continue;
            lo = std::min(lo, d);
            hi = std::max(hi, d);
        }
        EXPECT_GT(lo, -5 * kMs) << drift;
        EXPECT_LT(hi, 60 * kMs) << drift << ": the delay crept up";
        // 0.1% of 600 s is 0.6 s: about 60 frames to skip or insert.
        EXPECT_GT(drift > 0 ? h.stats.skipped : h.stats.inserted, 40u) << drift;
    }
}

TEST(JitterBuffer, DelayFallsWhenJitterDoes) {
    Talk talk;
    talk.seconds = 40.0;
    talk.link.delay = 60 * kMs;
    talk.link.jitter = 50 * kMs;
    talk.laterLink.delay = 20 * kMs;
    talk.laterLink.jitter = 2 * kMs;
    talk.switchAt = 20'000 * kMs;
    const Heard h = listen(talk);
    EXPECT_TRUE(h.inOrder());
    EXPECT_GT(h.medianDelay(10'000 * kMs, 20'000 * kMs), 60 * kMs);
    EXPECT_LT(h.medianDelay(33'000 * kMs, 40'000 * kMs), 20 * kMs);
}

// Speech through Opus, the link and the receiver, in virtual time: the
// 10 ms energy envelopes of what was said and what was heard.
double heardCorrelation(double loss, bool fecAndPlc) {
    const auto speech = speechLike(20.0);
    auto enc = VoiceEncoder::create();
    ReceiverConfig rc;
    rc.useFec = fecAndPlc;
    rc.useConcealment = fecAndPlc;
    auto rx = VoiceReceiver::create(rc);
    EXPECT_TRUE(enc && rx);
    if (!enc || !rx) return 0.0;
    if (loss > 0) (void)enc->setReportedLoss(loss);
    ImpairmentConfig cfg;
    cfg.delay = 30 * kMs;
    cfg.jitter = 5 * kMs;
    cfg.loss = loss;
    cfg.seed = 7;
    SimulatedLink link(cfg, false);
    std::vector<std::int16_t> heard, out;
    std::uint16_t seq = 0;
    std::size_t at = 0;
    Nanos nextPull = 3 * kMs;
    for (Nanos now = 0; now < 21'000 * kMs; now += kMs) {
        if (now % (10 * kMs) == 0 && at + enc->frameSamples() <= speech.size()) {
            const auto pcm = std::span<const std::int16_t>(speech).subspan(at, enc->frameSamples());
            auto packet = enc->encode(pcm);
            if (packet && packet->has_value()) {
                VoiceFrame f;
                f.sequence = seq++;
                f.timestamp = std::uint32_t(at);
                f.durationMs = std::uint8_t(enc->frameMs());
                f.level = levelOf(pcm);
                f.payload = std::move(**packet);
                link.send(encodeVoiceFrame(f), now);
            }
            at += enc->frameSamples();
        }
        for (Bytes& d : link.receive(now)) EXPECT_TRUE(rx->push(d, now));
        if (now >= nextPull) {
            rx->pull(now, out);
            heard.insert(heard.end(), out.begin(), out.end());
            nextPull += Nanos(out.size()) * 1'000'000'000 / 48000;
        }
    }
    EXPECT_EQ(rx->malformed(), 0u);
    EXPECT_EQ(rx->undecodable(), 0u);
    return bestCorrelation(envelope(speech), envelope(heard), 40);
}

TEST(VoiceReceiver, SpeechIsHeardThroughLossWithFecAndConcealment) {
    const double clean = heardCorrelation(0.0, true);
    const double lossy = heardCorrelation(0.1, true);
    const double bare = heardCorrelation(0.1, false);
    std::printf("envelope correlation: clean %.3f, 10%% loss %.3f, without FEC and PLC %.3f\n", clean, lossy, bare);
    EXPECT_GT(clean, 0.9);
    EXPECT_GT(lossy, 0.8);
    EXPECT_GT(lossy, bare + 0.02) << "FEC and PLC must measurably help";
}

TEST(VoiceReceiver, MalformedFramesAreCountedAndNeverPlayed) {
    auto rx = VoiceReceiver::create();
    ASSERT_TRUE(rx);
    EXPECT_FALSE(rx->push(Bytes{1, 2}, 0));
    VoiceFrame f;
    f.payload = {0xFF, 0xFF, 0xFF, 0xFF};  // framed well, but not Opus
    EXPECT_TRUE(rx->push(encodeVoiceFrame(f), 0));
    std::vector<std::int16_t> out;
    bool heardSomething = false;
    for (Nanos t = 0; t < 200 * kMs; t += 10 * kMs) {
        rx->pull(t, out);
        heardSomething |= std::any_of(out.begin(), out.end(), [](std::int16_t s) { return std::abs(s) > 64; });
    }
    EXPECT_EQ(rx->malformed(), 1u);
    EXPECT_EQ(rx->undecodable(), 1u);
    EXPECT_FALSE(heardSomething) << "a bad packet is concealment over silence, not noise";
}

}  // namespace
}  // namespace mxr::test
