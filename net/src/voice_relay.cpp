#include "voice_relay.h"

#include <algorithm>

namespace mxr::net {

namespace {
constexpr double kMaxRisePerFrame = 2.0;
constexpr double kMaxRankedLevel = 110.0;  // -17 dBFS RMS: loud speech; claims above count as this
constexpr double kFallPerFrame = 0.1;       // falls with a time constant of 10 frames
}  // namespace

bool VoiceRelay::admit(std::uint16_t talker, const voice::VoiceHeader& h, Nanos now) {
    Talker& t = m_talkers[talker];
    if (t.lastFrame < 0) t.tokensAt = now;
    t.tokens = std::min(m_config.burst, t.tokens + nanosToSeconds(now - t.tokensAt) * m_config.framesPerSecond);
    t.tokensAt = now;
    if (t.tokens < 1.0) {
        ++m_dropped;
        return false;
    }
    t.tokens -= 1.0;
    t.lastFrame = now;
    const double claimed = std::min<double>(h.level, kMaxRankedLevel);
    if (claimed > t.level) t.level = std::min(claimed, t.level + kMaxRisePerFrame);
    else t.level += (claimed - t.level) * kFallPerFrame;
    return true;
}

double VoiceRelay::smoothedLevel(std::uint16_t talker) const {
    auto it = m_talkers.find(talker);
    return it == m_talkers.end() ? 0.0 : it->second.level;
}

void VoiceRelay::reportLoss(std::uint16_t talker, std::uint8_t percent) {
    auto& worst = m_worstLoss[talker];
    worst = std::max(worst, percent);
}

std::vector<std::pair<std::uint16_t, std::uint8_t>> VoiceRelay::takeLossReports(Nanos now) {
    if (m_lossReportedAt >= 0 && now - m_lossReportedAt < m_config.lossReportEvery) return {};
    m_lossReportedAt = now;
    std::vector<std::pair<std::uint16_t, std::uint8_t>> out(m_worstLoss.begin(), m_worstLoss.end());
    m_worstLoss.clear();
    return out;
}

void VoiceRelay::forget(std::uint16_t member) {
    m_worstLoss.erase(member);
    m_talkers.erase(member);
    m_hears.erase(member);
    m_considered.erase(member);
    for (auto& [listener, talkers] : m_hears) talkers.erase(member);
    m_heardBy.erase(member);
    for (auto& [talker, listeners] : m_heardBy) std::erase(listeners, member);
}

std::uint16_t VoiceRelay::privatePartner(std::uint16_t id, const std::vector<VoicePeer>& members) {
    auto find = [&](std::uint16_t x) -> const VoicePeer* {
        for (const VoicePeer& p : members) {
            if (p.id == x) return &p;
        }
        return nullptr;
    };
    const VoicePeer* me = find(id);
    if (!me || me->asksPrivateWith == 0) return 0;
    const VoicePeer* other = find(me->asksPrivateWith);
    return other && other->asksPrivateWith == id ? other->id : 0;
}

void VoiceRelay::reselect(const std::vector<VoicePeer>& members, Nanos now) {
    m_selectedAt = now;
    m_hears.clear();
    for (auto& [talker, listeners] : m_heardBy) listeners.clear();  // keeps their memory
    m_considered.clear();
    std::vector<const VoicePeer*> talking;
    for (const VoicePeer& p : members) {
        auto it = m_talkers.find(p.id);
        if (!p.muted && it != m_talkers.end() && it->second.lastFrame >= 0 &&
            now - it->second.lastFrame <= m_config.activeFor) {
            talking.push_back(&p);
            m_considered.insert(p.id);
        }
    }
    const std::size_t k = m_config.streamsPerListener;
    for (const VoicePeer& listener : members) {
        const std::uint16_t partner = privatePartner(listener.id, members);
        std::vector<const VoicePeer*> candidates;
        for (const VoicePeer* t : talking) {
            if (t->id == listener.id) continue;
            const std::uint16_t theirPartner = privatePartner(t->id, members);
            // A private pair hears only each other; nobody else hears them.
            if (partner != 0 ? t->id != partner : theirPartner != 0) continue;
            candidates.push_back(t);
        }
        auto& hears = m_hears[listener.id];
        if (candidates.size() > k) {
            // Keys computed once per candidate, not per comparison.
            std::vector<std::pair<float, const VoicePeer*>> byDistance;
            byDistance.reserve(candidates.size());
            for (const VoicePeer* t : candidates) byDistance.emplace_back(glm::length(t->head - listener.head), t);
            std::stable_sort(byDistance.begin(), byDistance.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            const std::size_t nearest = k / 2;
            std::vector<std::pair<double, const VoicePeer*>> byLevel;
            byLevel.reserve(byDistance.size() - nearest);
            for (std::size_t i = nearest; i < byDistance.size(); ++i) {
                byLevel.emplace_back(m_talkers[byDistance[i].second->id].level, byDistance[i].second);
            }
            std::stable_sort(byLevel.begin(), byLevel.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
            candidates.clear();
            for (std::size_t i = 0; i < nearest; ++i) candidates.push_back(byDistance[i].second);
            for (std::size_t i = 0; candidates.size() < k; ++i) candidates.push_back(byLevel[i].second);
        }
        for (const VoicePeer* t : candidates) {
            hears.insert(t->id);
            m_heardBy[t->id].push_back(listener.id);
        }
    }
}

bool VoiceRelay::needsReselect(std::uint16_t talker, Nanos now) const {
    // A talker who just started is placed at once; the rest every 100 ms.
    return m_selectedAt < 0 || now - m_selectedAt >= m_config.reselectEvery || m_considered.count(talker) == 0;
}

const std::vector<std::uint16_t>& VoiceRelay::listenersOf(std::uint16_t talker, const std::vector<VoicePeer>& members,
                                                          Nanos now) {
    if (needsReselect(talker, now)) reselect(members, now);
    auto it = m_heardBy.find(talker);
    return it == m_heardBy.end() ? m_nobody : it->second;
}

}  // namespace mxr::net
