#include "bot_voice.h"

#include <algorithm>

#include "engine/audio/wav.h"
#include "net/voice_frame.h"

namespace mxr::bot {

using engine::audio::kFrameSamples;
constexpr Nanos kBlock = 10'000'000;

double unixMs() {
    return double(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) /
           1000.0;
}

Result<std::unique_ptr<BotSpeaker>> BotSpeaker::create(const std::filesystem::path& wav) {
    auto s = std::make_unique<BotSpeaker>();
    MXR_TRY_ASSIGN(s->m_source, engine::audio::WavCaptureSource::open(wav, true));
    MXR_TRY_ASSIGN(auto enc, net::voice::VoiceEncoder::create());
    s->m_encoder = std::make_unique<net::voice::VoiceEncoder>(std::move(enc));
    return s;
}

void BotSpeaker::onLoss(std::uint8_t lossPercent) { (void)m_encoder->setReportedLoss(lossPercent / 100.0); }

void BotSpeaker::pump(net::ClientSession& session, Nanos now) {
    if (session.state() != net::ClientState::kJoined) return;
    if (m_start < 0) m_start = now;
    const std::int64_t due = (now - m_start) * 48 / 1'000'000;  // samples of the talker's clock
    while (m_samples + std::int64_t(m_encoder->frameSamples()) <= due + std::int64_t(kFrameSamples)) {
        const std::size_t n = m_encoder->frameSamples();
        m_pcm.resize(n);
        for (std::size_t at = 0; at < n; at += kFrameSamples) {
            (void)m_source->read(std::span<std::int16_t>(m_pcm).subspan(at, kFrameSamples));
        }
        auto packet = m_encoder->encode(m_pcm);
        if (packet && packet->has_value()) {
            net::voice::VoiceFrame f;
            f.sequence = m_seq++;
            f.timestamp = std::uint32_t(m_samples);
            f.durationMs = std::uint8_t(m_encoder->frameMs());
            f.level = net::voice::levelOf(m_pcm);
            f.payload = std::move(**packet);
            if (session.sendVoice(net::voice::encodeVoiceFrame(f))) {
                if (m_sent++ == 0) m_firstSentUnixMs = unixMs();
            }
        }
        m_samples += std::int64_t(n);
    }
}

Result<std::unique_ptr<BotListener>> BotListener::create(const ListenerOptions& options) {
    auto l = std::make_unique<BotListener>();
    l->m_options = options;
    MXR_TRY_ASSIGN(l->m_mixer, engine::audio::SpatialMixer::create({.loopback = true}));
    return l;
}

void BotListener::onVoice(const net::VoiceEvent& e) {
    auto it = m_talkers.find(e.speaker);
    if (it == m_talkers.end()) {
        net::voice::ReceiverConfig rc;
        rc.useFec = m_options.fec;
        rc.useConcealment = m_options.concealment;
        auto rx = net::voice::VoiceReceiver::create(rc);
        if (!rx) return;
        Talker t;
        t.receiver = std::make_unique<net::voice::VoiceReceiver>(std::move(*rx));
        // Two blocks of silence ahead, so the talker's source never runs
        // dry between one block and the next (a stopped source restarts
        // with a click and its filters reset).
        t.fifo.assign(2 * kFrameSamples, 0);
        it = m_talkers.emplace(e.speaker, std::move(t)).first;
        (void)m_mixer->setSpeaker(e.speaker, Vec3(0.0f));
        (void)m_mixer->queue(e.speaker, std::span<const std::int16_t>(it->second.fifo.data(), kFrameSamples));
        it->second.fifo.erase(it->second.fifo.begin(), it->second.fifo.begin() + std::ptrdiff_t(kFrameSamples));
    }
    (void)it->second.receiver->push(e.frame, e.arrival);
    if (m_framesHeard++ == 0) m_start = -1;  // the recording starts with the first voice packet
}

void BotListener::pump(net::ClientSession& session, Nanos now, const std::map<std::uint16_t, Vec3>& heads,
                       const Pose& self) {
    if (m_framesHeard == 0) return;
    if (m_start < 0) {
        m_start = now;
        m_firstSampleUnixMs = unixMs();
    }
    m_mixer->setListener(self.position, self.orientation);
    std::vector<std::int16_t> pcm, stereo(2 * kFrameSamples);
    for (; m_start + m_blocks * kBlock <= now; ++m_blocks) {
        const Nanos at = m_start + m_blocks * kBlock;
        for (auto& [id, t] : m_talkers) {
            while (t.fifo.size() < kFrameSamples) {
                t.receiver->pull(at, pcm);
                t.fifo.insert(t.fifo.end(), pcm.begin(), pcm.end());
            }
            auto head = heads.find(id);
            (void)m_mixer->setSpeaker(id, head != heads.end() ? head->second : self.position);
            (void)m_mixer->queue(id, std::span<const std::int16_t>(t.fifo.data(), kFrameSamples));
            t.fifo.erase(t.fifo.begin(), t.fifo.begin() + std::ptrdiff_t(kFrameSamples));
        }
        (void)m_mixer->render(stereo);
        m_recording.insert(m_recording.end(), stereo.begin(), stereo.end());
    }
    // Once a second, each talker hears how much of its voice we lost.
    if (now - m_lastLossReport >= 1'000'000'000) {
        m_lastLossReport = now;
        for (auto& [id, t] : m_talkers) {
            session.reportVoiceLoss(id, std::uint8_t(std::min(100.0, t.receiver->buffer().loss() * 100.0)));
        }
    }
}

std::string BotListener::jitterSummary() const {
    net::voice::JitterStats sum;
    double delayMs = 0.0;
    for (const auto& [id, t] : m_talkers) {
        const auto& s = t.receiver->buffer().stats();
        sum.played += s.played;
        sum.recovered += s.recovered;
        sum.concealed += s.concealed;
        sum.late += s.late;
        sum.skipped += s.skipped;
        sum.inserted += s.inserted;
        delayMs = std::max(delayMs, double(t.receiver->buffer().targetDelay()) / 1e6);
    }
    return strCat("played=", sum.played, " recovered=", sum.recovered, " concealed=", sum.concealed, " late=", sum.late,
                  " skipped=", sum.skipped, " inserted=", sum.inserted, " target_delay_ms=", delayMs);
}

Result<void> BotListener::finish() {
    return engine::audio::writeWav(m_options.out, m_recording, 48000, 2);
}

}  // namespace mxr::bot
