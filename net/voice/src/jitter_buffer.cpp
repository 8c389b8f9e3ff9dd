#include "net/voice/jitter_buffer.h"

#include <algorithm>
#include <vector>

namespace mxr::net::voice {

namespace {

constexpr std::int64_t kResyncSamples = 10 * std::int64_t(kSampleRate);  // 10 s away: a new stream
constexpr int kConcealAfterSpeech = 3;  // frames of PLC when a talker stops without DTX
constexpr double kFecLossThreshold = 0.02;

Nanos samplesToNanos(std::int64_t samples) { return samples * 1'000'000'000 / std::int64_t(kSampleRate); }

}  // namespace

JitterBuffer::JitterBuffer(const JitterConfig& config) : m_config(config), m_target(config.minDelay) {}

std::int64_t JitterBuffer::extendTimestamp(std::uint32_t ts) const {
    return m_refTs + std::int32_t(ts - std::uint32_t(m_refTs));
}

std::int64_t JitterBuffer::extendSequence(std::uint16_t seq) const {
    return m_refSeq + std::int16_t(std::uint16_t(seq - std::uint16_t(m_refSeq)));
}

void JitterBuffer::reset() {
    m_frames.clear();
    m_transits.clear();
    m_seqs.clear();
    m_haveStream = false;
    m_started = false;
    m_playedBits = 0;
    m_lastSeq = -1;
    m_concealRun = kConcealAfterSpeech;
    m_speechRun = 0;
    m_target = m_config.minDelay;
}

bool JitterBuffer::wasPlayed(std::int64_t seq) const {
    const std::int64_t d = m_lastSeq - seq;
    return d >= 0 && d < 64 && ((m_playedBits >> d) & 1u) != 0;
}

void JitterBuffer::markPlayed(std::int64_t seq) {
    if (seq > m_lastSeq) {
        const std::int64_t d = seq - m_lastSeq;
        m_playedBits = d >= 64 ? 0 : m_playedBits << d;
        m_lastSeq = seq;
    }
    const std::int64_t d = m_lastSeq - seq;
    if (d < 64) m_playedBits |= std::uint64_t(1) << d;
}

void JitterBuffer::observeTransit(Nanos transit, std::int64_t seq) {
    m_transits.push_back(transit);
    m_seqs.push_back(seq);
    while (m_transits.size() > m_config.window) {
        m_transits.pop_front();
        m_seqs.pop_front();
    }
    const Nanos base = *std::min_element(m_transits.begin(), m_transits.end());
    // The scratch vector keeps its capacity: no allocation per frame.
    std::vector<Nanos>& jitter = m_scratch;
    jitter.resize(m_transits.size());
    std::transform(m_transits.begin(), m_transits.end(), jitter.begin(), [&](Nanos t) { return t - base; });
    const auto k = static_cast<std::size_t>(double(jitter.size() - 1) * (1.0 - m_config.lateTarget));
    std::nth_element(jitter.begin(), jitter.begin() + std::ptrdiff_t(k), jitter.end());
    Nanos target = jitter[k];
    // With frames lost, a frame more: the one after a lost frame carries its
    // FEC copy, and must be here when the lost one is due.
    const auto [lo, hi] = std::minmax_element(m_seqs.begin(), m_seqs.end());
    const double expected = double(*hi - *lo + 1);
    m_loss = 1.0 - double(m_seqs.size()) / expected;
    if (m_loss >= kFecLossThreshold) target += samplesToNanos(m_frameSamples);
    m_target = std::clamp(target, m_config.minDelay, m_config.maxDelay);
}

void JitterBuffer::push(VoiceFrame frame, Nanos now) {
    if (m_haveStream) {
        const std::int64_t ts = extendTimestamp(frame.timestamp);
        if (std::abs(ts - m_next) > kResyncSamples) reset();  // the talker's stream started over
    }
    if (!m_haveStream) {
        m_haveStream = true;
        m_refTs = frame.timestamp;
        m_refSeq = frame.sequence;
        m_next = m_refTs;
        m_lastSeq = m_refSeq - 1;
        m_frameSamples = frame.samples();
    }
    const std::int64_t ts = extendTimestamp(frame.timestamp);
    const std::int64_t seq = extendSequence(frame.sequence);
    if (wasPlayed(seq) || m_frames.count(ts) != 0) {
        ++m_stats.duplicates;
        return;
    }
    ++m_stats.received;
    m_refTs = std::max(m_refTs, ts);
    m_refSeq = std::max(m_refSeq, seq);
    observeTransit(now - samplesToNanos(ts), seq);
    if (ts < m_next) {
        ++m_stats.late;
        return;
    }
    m_frames.emplace(ts, std::move(frame));
    while (m_frames.size() > m_config.capacity) {
        m_frames.erase(m_frames.begin());
        ++m_stats.overflow;
    }
}

Playout JitterBuffer::take(std::map<std::int64_t, VoiceFrame>::iterator it) {
    Playout p;
    p.kind = PlayKind::kFrame;
    p.samples = it->second.samples();
    markPlayed(extendSequence(it->second.sequence));
    m_frameSamples = p.samples;
    m_next = it->first + p.samples;
    p.frame = std::move(it->second);
    m_frames.erase(it);
    ++m_stats.played;
    m_concealRun = 0;
    ++m_speechRun;
    return p;
}

Playout JitterBuffer::pull(Nanos now) {
    Playout p;
    p.samples = m_frameSamples;
    if (!m_haveStream) return p;
    const Nanos base = *std::min_element(m_transits.begin(), m_transits.end());
    const Nanos frameNs = samplesToNanos(m_frameSamples);
    std::map<std::int64_t, VoiceFrame>::iterator it;
    bool due = false;
    bool silent = false;
    for (;;) {
        m_current = now - samplesToNanos(m_next) - base;
        if (!m_started) {
            if (m_current < m_target) return p;
            m_started = true;
        }
        it = m_frames.lower_bound(m_next);
        due = it != m_frames.end() && it->first == m_next;
        // Silence now: the next frame follows the last one played without
        // a sequence gap (DTX), or nothing is buffered after a pause.
        silent = !due && (it == m_frames.end() ? m_concealRun >= kConcealAfterSpeech
                                               : extendSequence(it->second.sequence) == m_lastSeq + 1);
        // Too much delay: in silence, a frame of it is skipped once the delay
        // is 1.5 frames over the target; in speech, the due frame is dropped
        // once it is two frames over.
        if (silent && m_current > m_target + frameNs + frameNs / 2) {
            m_next += m_frameSamples;
            ++m_stats.skipped;
            continue;
        }
        if (due && m_current > m_target + 2 * frameNs) {
            markPlayed(extendSequence(it->second.sequence));
            m_next = it->first + it->second.samples();
            m_frames.erase(it);
            ++m_stats.skipped;
            continue;
        }
        break;
    }
    // Below the target, frames arrive after their turn: in speech a frame
    // of concealment is inserted; in silence, where it costs nothing, a frame
    // of silence already when the margin is under half a frame.
    if (m_current < m_target + (silent ? frameNs / 2 : 0)) {
        ++m_stats.inserted;
        if (!silent) {
            ++m_stats.concealed;
            ++m_concealRun;
            p.kind = PlayKind::kConceal;
        }
        return p;
    }
    if (due) return take(it);
    // Frames between the last played and the next buffered never came: the
    // one right before a buffered frame is rebuilt from its FEC.
    m_next += m_frameSamples;
    if (silent) {
        m_speechRun = 0;
        return p;
    }
    if (it != m_frames.end() && it->first == m_next && extendSequence(it->second.sequence) == m_lastSeq + 2) {
        p.kind = PlayKind::kRecover;
        p.frame = it->second;
        ++m_stats.recovered;
        ++m_lastSeq;
        m_playedBits <<= 1;  // rebuilt, not received: a late copy counts as late
        return p;
    }
    if (it != m_frames.end()) {
        ++m_lastSeq;  // that frame is known lost: the next one's FEC can follow
        m_playedBits <<= 1;
    }
    p.kind = PlayKind::kConceal;
    ++m_stats.concealed;
    ++m_concealRun;
    return p;
}

}  // namespace mxr::net::voice
