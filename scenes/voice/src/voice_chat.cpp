#include "scenes/voice/voice_chat.h"

#include <algorithm>
#include <chrono>

#include "net/voice_frame.h"

namespace mxr::scenes::voice {

using engine::audio::kFrameSamples;

namespace {
// What the echo canceller may wait for: played blocks that no captured frame
// has met yet (a microphone that stalls must not grow this without bound).
constexpr std::size_t kMaxFarEndSamples = 20 * kFrameSamples;
}  // namespace

double unixMs() {
    return double(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()) /
           1000.0;
}

Result<std::unique_ptr<VoiceTalk>> VoiceTalk::create(std::unique_ptr<engine::audio::CaptureSource> source,
                                                     const TalkConfig& config) {
    std::unique_ptr<VoiceTalk> t(new VoiceTalk());
    t->m_config = config;
    t->m_source = std::move(source);
    if (config.process) {
        MXR_TRY_ASSIGN(t->m_processor, engine::audio::VoiceProcessor::create(config.processor));
    }
    MXR_TRY_ASSIGN(auto enc, net::voice::VoiceEncoder::create(config.encoder));
    t->m_encoder = std::make_unique<net::voice::VoiceEncoder>(std::move(enc));
    t->m_block.resize(kFrameSamples);
    return t;
}

void VoiceTalk::onLoss(std::uint8_t lossPercent) { (void)m_encoder->setReportedLoss(lossPercent / 100.0); }

void VoiceTalk::played(std::span<const std::int16_t> block) {
    if (!m_processor) return;
    m_farEnd.insert(m_farEnd.end(), block.begin(), block.end());
    while (m_farEnd.size() > kMaxFarEndSamples) m_farEnd.pop_front();
}

bool VoiceTalk::readFrame(Nanos now, std::span<std::int16_t> frame) {
    if (!m_failed.empty() || m_source->ended()) return false;
    if (m_config.paced) {
        // Frames due by the clock, and one ahead (so a late tick never starves the encoder).
        const std::int64_t due = (now - m_start) * 48 / 1'000'000;
        if (m_read + std::int64_t(kFrameSamples) > due + std::int64_t(kFrameSamples)) return false;
    }
    auto r = m_source->read(frame);
    if (!r) {
        m_failed = r.error().message;
        return false;
    }
    if (!*r) return false;
    m_read += std::int64_t(kFrameSamples);
    return true;
}

void VoiceTalk::pump(Nanos now, bool transmit, const Send& send) {
    if (m_start < 0) m_start = now;
    for (;;) {
        const std::size_t n = m_encoder->frameSamples();
        while (m_pcm.size() < n) {
            if (!readFrame(now, m_block)) return;
            bool speech = true;
            if (m_processor) {
                std::array<std::int16_t, kFrameSamples> far{};
                const std::size_t have = std::min(m_farEnd.size(), kFrameSamples);
                std::copy_n(m_farEnd.begin(), have, far.begin());
                m_farEnd.erase(m_farEnd.begin(), m_farEnd.begin() + std::ptrdiff_t(have));
                m_processor->farEnd(far);
                speech = m_processor->process(m_block);
            }
            m_speech = m_speech || speech;
            m_pcm.insert(m_pcm.end(), m_block.begin(), m_block.end());
        }
        m_level = 0;
        if (transmit && m_speech) {
            auto packet = m_encoder->encode(m_pcm);
            if (packet && packet->has_value()) {
                net::voice::VoiceFrame f;
                f.sequence = m_seq++;
                f.timestamp = std::uint32_t(m_coded);
                f.durationMs = std::uint8_t(m_encoder->frameMs());
                f.speech = true;
                f.level = net::voice::levelOf(m_pcm);
                f.payload = std::move(**packet);
                m_level = f.level;
                send(net::voice::encodeVoiceFrame(f));
                if (m_sent++ == 0) m_firstSentUnixMs = unixMs();
            }
        }
        m_coded += std::int64_t(n);
        m_pcm.clear();
        m_speech = false;
    }
}

Result<std::unique_ptr<VoiceListen>> VoiceListen::create(const ListenConfig& config) {
    std::unique_ptr<VoiceListen> l(new VoiceListen());
    l->m_config = config;
    MXR_TRY_ASSIGN(l->m_mixer, engine::audio::SpatialMixer::create(config.mixer));
    l->m_stereo.resize(2 * kFrameSamples);
    l->m_sum.resize(kFrameSamples);
    l->m_mono.resize(kFrameSamples);
    return l;
}

void VoiceListen::onVoice(std::uint16_t speaker, net::ByteSpan frame, Nanos arrival) {
    auto it = m_talkers.find(speaker);
    if (it == m_talkers.end()) {
        auto rx = net::voice::VoiceReceiver::create(m_config.receiver);
        if (!rx) return;
        Talker t;
        t.receiver = std::make_unique<net::voice::VoiceReceiver>(std::move(*rx));
        // Silence queued ahead, so the talker's source never runs dry
        // between one block and the next (a stopped source restarts with a
        // click and its filters reset): one block for the loopback device,
        // which renders exactly what is due; `lead` for a playback device,
        // which plays on its own clock while this thread may be late.
        t.fifo.assign(kFrameSamples, 0);
        it = m_talkers.emplace(speaker, std::move(t)).first;
        const auto known = m_volumes.find(speaker);  // so a source never starts louder than asked
        (void)m_mixer->setSpeaker(speaker, Vec3(0.0f), known == m_volumes.end() ? 1.0f : known->second);
        const Nanos ahead = m_config.mixer.loopback ? kBlock : std::max(kBlock, m_config.lead);
        for (Nanos q = 0; q < ahead; q += kBlock) {
            (void)m_mixer->queue(speaker, std::span<const std::int16_t>(it->second.fifo.data(), kFrameSamples));
        }
    }
    (void)it->second.receiver->push(frame, arrival);
    if (m_framesHeard++ == 0) m_start = -1;  // playout (and the recording) starts with the first voice packet
}

void VoiceListen::forget(std::uint16_t speaker) {
    m_volumes.erase(speaker);
    if (m_talkers.erase(speaker)) m_mixer->removeSpeaker(speaker);
}

void VoiceListen::pump(Nanos now, std::span<const TalkerPlace> places, const Pose& listener,
                       const std::function<void(std::span<const std::int16_t>)>& played) {
    if (m_framesHeard == 0) return;
    if (m_start < 0) {
        m_start = now;
        m_firstSampleUnixMs = unixMs();
    }
    m_mixer->setListener(listener.position, listener.orientation);
    // The jitter buffer is asked on the receiver's clock; what the device
    // holds queued (the silence queued at the start) is the lead.
    for (; m_start + m_blocks * kBlock <= now; ++m_blocks) {
        const Nanos at = m_start + m_blocks * kBlock;
        std::fill(m_sum.begin(), m_sum.end(), 0);
        for (auto& [id, t] : m_talkers) {
            while (t.fifo.size() < kFrameSamples) {
                t.receiver->pull(at, m_pcm);
                t.fifo.insert(t.fifo.end(), m_pcm.begin(), m_pcm.end());
            }
            const std::span<const std::int16_t> block(t.fifo.data(), kFrameSamples);
            t.level = net::voice::levelOf(block);
            Vec3 head = listener.position;
            float volume = 1.0f;
            for (const auto& p : places) {
                if (p.id == id) head = p.head, volume = p.volume;
            }
            m_volumes[id] = volume;
            (void)m_mixer->setSpeaker(id, head, volume);
            (void)m_mixer->queue(id, block);
            for (std::size_t i = 0; i < kFrameSamples; ++i) m_sum[i] += std::int32_t(float(block[i]) * volume);
            t.fifo.erase(t.fifo.begin(), t.fifo.begin() + std::ptrdiff_t(kFrameSamples));
        }
        if (m_config.mixer.loopback) {
            (void)m_mixer->render(m_stereo);
            if (m_config.record) m_recording.insert(m_recording.end(), m_stereo.begin(), m_stereo.end());
        }
        if (played) {
            for (std::size_t i = 0; i < kFrameSamples; ++i)
                m_mono[i] = std::int16_t(std::clamp(m_sum[i], -32768, 32767));
            played(m_mono);
        }
    }
}

void VoiceListen::lossReports(Nanos now, const std::function<void(std::uint16_t, std::uint8_t)>& report) {
    if (now - m_lastLossReport < 1'000'000'000) return;
    m_lastLossReport = now;
    for (auto& [id, t] : m_talkers) {
        report(id, std::uint8_t(std::min(100.0, t.receiver->buffer().loss() * 100.0)));
    }
}

std::uint8_t VoiceListen::level(std::uint16_t speaker) const {
    auto it = m_talkers.find(speaker);
    return it == m_talkers.end() ? 0 : it->second.level;
}

std::vector<std::uint16_t> VoiceListen::talkers() const {
    std::vector<std::uint16_t> out;
    for (const auto& [id, t] : m_talkers) out.push_back(id);
    return out;
}

std::string VoiceListen::jitterSummary() const {
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

}  // namespace mxr::scenes::voice
