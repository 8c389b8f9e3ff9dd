#include "net/interpolator.h"

#include <algorithm>
#include <cmath>

namespace mxr::net {
namespace {

constexpr std::size_t kHistory = 64;

Pose lerpPose(const Pose& a, const Pose& b, float t) {
    Pose p;
    p.position = glm::mix(a.position, b.position, t);
    p.orientation = glm::slerp(a.orientation, b.orientation, t);
    return p;
}

AvatarState lerpState(const AvatarState& a, const AvatarState& b, float t) {
    AvatarState s = b;
    s.head = lerpPose(a.head, b.head, t);
    s.leftHand = lerpPose(a.leftHand, b.leftHand, t);
    s.rightHand = lerpPose(a.rightHand, b.rightHand, t);
    return s;
}

double msOf(Nanos n) { return static_cast<double>(n) * 1e-6; }

}  // namespace

void AvatarInterpolator::push(std::uint16_t senderTimeMs, const AvatarState& state, Nanos arrival) {
    const std::int64_t t = m_lastUnwrapped ? unwrapTimeMs(senderTimeMs, *m_lastUnwrapped) : senderTimeMs;
    const double tMs = static_cast<double>(t);
    if (m_lastPlayout && tMs <= *m_lastPlayout - 1000.0) return;  // far too old to matter
    for (const auto& s : m_samples) {
        if (s.timeMs == tMs) return;  // duplicate
    }
    if (!m_lastUnwrapped || t > *m_lastUnwrapped) {
        if (m_lastUnwrapped) m_intervals.push_back(static_cast<double>(t - *m_lastUnwrapped));
        if (m_intervals.size() > kHistory) m_intervals.pop_front();
        m_lastUnwrapped = t;
    }
    m_transit.push_back(msOf(arrival) - tMs);
    if (m_transit.size() > kHistory) m_transit.pop_front();
    // How old the newest sample had become by the time this newer one
    // arrived, on the sender's timeline: the playout delay that would have
    // avoided extrapolating until now. It folds jitter, loss bursts and the
    // relay rate into one figure.
    if (!m_samples.empty() && tMs > m_samples.back().timeMs) {
        const double base = *std::min_element(m_transit.begin(), m_transit.end());
        m_staleness.push_back(msOf(arrival) - base - m_samples.back().timeMs);
        if (m_staleness.size() > kHistory * 2) m_staleness.pop_front();
    }
    m_lastArrival = std::max(m_lastArrival, arrival);
    m_goneAt.reset();

    // If we were showing an extrapolation, keep the displayed pose continuous:
    // the difference between old and new estimates becomes a correction
    // that decays over correctionTime.
    bool wasExtrapolating = false;
    AvatarState before;
    if (m_lastPlayout && !m_samples.empty() && *m_lastPlayout > m_samples.back().timeMs) {
        before = evaluate(*m_lastPlayout, &wasExtrapolating);
    }
    auto it = std::upper_bound(m_samples.begin(), m_samples.end(), tMs,
                               [](double v, const Sample& s) { return v < s.timeMs; });
    m_samples.insert(it, Sample{tMs, state});
    if (wasExtrapolating) {
        bool unused = false;
        const AvatarState after = evaluate(*m_lastPlayout, &unused);
        m_correction[0] += before.head.position - after.head.position;
        m_correction[1] += before.leftHand.position - after.leftHand.position;
        m_correction[2] += before.rightHand.position - after.rightHand.position;
    }
}

Nanos AvatarInterpolator::targetDelay() const {
    if (m_staleness.empty()) return m_config.minDelay;
    std::vector<double> v(m_staleness.begin(), m_staleness.end());
    const auto k = static_cast<std::ptrdiff_t>(std::min(v.size() - 1, static_cast<std::size_t>(v.size() * 0.97)));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    const double lead = m_samples.back().state.hasVelocity ? msOf(m_config.velocityLead) : 0.0;
    return std::clamp(msToNanos(v[static_cast<std::size_t>(k)] + 5.0 - lead), m_config.minDelay, m_config.maxDelay);
}

AvatarState AvatarInterpolator::evaluate(double t, bool* extrapolating) const {
    *extrapolating = false;
    if (t <= m_samples.front().timeMs) return m_samples.front().state;
    if (t >= m_samples.back().timeMs) {
        const Sample& last = m_samples.back();
        const double ahead = std::min(t - last.timeMs, msOf(m_config.maxExtrapolation));
        // Positions continue along their velocity; rotations keep their last
        // value (extrapolated rotations overshoot badly on gestures).
        AvatarState s = last.state;
        if (last.state.hasVelocity) {
            *extrapolating = ahead > 0.0;
            const auto secs = static_cast<float>(ahead * 1e-3);
            s.head.position += last.state.headVelocity * secs;
            s.leftHand.position += last.state.leftVelocity * secs;
            s.rightHand.position += last.state.rightVelocity * secs;
            return s;
        }
        if (m_samples.size() < 2) return last.state;
        const Sample& prev = m_samples[m_samples.size() - 2];
        const double span = last.timeMs - prev.timeMs;
        if (span <= 0.0 || span > 500.0) return last.state;
        *extrapolating = ahead > 0.0;
        const float f = static_cast<float>(1.0 + ahead / span);
        s.head.position = glm::mix(prev.state.head.position, last.state.head.position, f);
        s.leftHand.position = glm::mix(prev.state.leftHand.position, last.state.leftHand.position, f);
        s.rightHand.position = glm::mix(prev.state.rightHand.position, last.state.rightHand.position, f);
        return s;
    }
    auto hi = std::upper_bound(m_samples.begin(), m_samples.end(), t,
                               [](double v, const Sample& s) { return v < s.timeMs; });
    auto lo = hi - 1;
    const double h = hi->timeMs - lo->timeMs;
    const float u = static_cast<float>((t - lo->timeMs) / h);
    AvatarState s = lerpState(lo->state, hi->state, u);
    // Positions follow a cubic Hermite curve, so swinging hands keep their
    // arc instead of cutting corners. Its tangents are the velocities the
    // host sent with both samples; without them (an older host, a gap past
    // kVelocitySpanMs), Catmull-Rom tangents from the neighbouring samples
    // (times need not be uniform: samples go missing), when there are any.
    const float h00 = 2 * u * u * u - 3 * u * u + 1, h10 = u * u * u - 2 * u * u + u;
    const float h01 = -2 * u * u * u + 3 * u * u, h11 = u * u * u - u * u;
    auto hermite = [&](Vec3 a1, Vec3 m1, Vec3 a2, Vec3 m2) { return h00 * a1 + h10 * m1 + h01 * a2 + h11 * m2; };
    if (lo->state.hasVelocity && hi->state.hasVelocity && h < 600) {
        const auto hs = static_cast<float>(h * 1e-3);
        const AvatarState& a = lo->state;
        const AvatarState& b = hi->state;
        s.head.position = hermite(a.head.position, a.headVelocity * hs, b.head.position, b.headVelocity * hs);
        s.leftHand.position =
            hermite(a.leftHand.position, a.leftVelocity * hs, b.leftHand.position, b.leftVelocity * hs);
        s.rightHand.position =
            hermite(a.rightHand.position, a.rightVelocity * hs, b.rightHand.position, b.rightVelocity * hs);
    } else if (lo != m_samples.begin() && hi + 1 != m_samples.end()) {
        const Sample& p0 = *(lo - 1);
        const Sample& p3 = *(hi + 1);
        const double d1 = hi->timeMs - p0.timeMs;
        const double d2 = p3.timeMs - lo->timeMs;
        if (h > 0 && d1 > 0 && d2 > 0 && d1 < 600 && d2 < 600) {
            auto curve = [&](Vec3 a0, Vec3 a1, Vec3 a2, Vec3 a3) {
                return hermite(a1, (a2 - a0) * static_cast<float>(h / d1), a2, (a3 - a1) * static_cast<float>(h / d2));
            };
            s.head.position = curve(p0.state.head.position, lo->state.head.position, hi->state.head.position,
                                    p3.state.head.position);
            s.leftHand.position = curve(p0.state.leftHand.position, lo->state.leftHand.position,
                                        hi->state.leftHand.position, p3.state.leftHand.position);
            s.rightHand.position = curve(p0.state.rightHand.position, lo->state.rightHand.position,
                                         hi->state.rightHand.position, p3.state.rightHand.position);
        }
    }
    return s;
}

std::optional<DisplayedAvatar> AvatarInterpolator::sample(Nanos now) {
    if (m_samples.empty()) return std::nullopt;
    const Nanos target = targetDelay();
    const Nanos elapsed = m_lastSampleCall ? std::max<Nanos>(0, now - *m_lastSampleCall) : 0;
    m_lastSampleCall = now;
    if (m_delayMs < 0) {
        m_delayMs = msOf(target);
    } else {
        // Grow fast (running dry means extrapolating), shrink slowly (so
        // one quiet spell does not undo what a bad one taught).
        const double grow = msOf(elapsed) * m_config.delayGrowSlew;
        const double shrink = msOf(elapsed) * m_config.delaySlew;
        m_delayMs += std::clamp(msOf(target) - m_delayMs, -shrink, grow);
    }
    const double base = *std::min_element(m_transit.begin(), m_transit.end());
    double t = msOf(now) - base - m_delayMs;
    // Playout never runs backwards, even when the delay grows.
    if (m_lastPlayout) t = std::max(t, *m_lastPlayout);
    m_lastPlayout = t;

    DisplayedAvatar out;
    out.state = evaluate(t, &out.extrapolating);
    out.senderTimeMs = t;
    out.delay = msToNanos(m_delayMs);

    const float decay = static_cast<float>(std::exp(-static_cast<double>(elapsed) /
                                                    static_cast<double>(m_config.correctionTime)));
    for (auto& c : m_correction) c *= decay;
    out.state.head.position += m_correction[0];
    out.state.leftHand.position += m_correction[1];
    out.state.rightHand.position += m_correction[2];

    // Forget samples the playout has passed (keep two before it for the
    // curve's tangent).
    while (m_samples.size() > 3 && m_samples[2].timeMs <= t) m_samples.pop_front();

    const Nanos fadeStart = m_goneAt ? *m_goneAt : m_lastArrival + m_config.fadeAfter;
    if (now > fadeStart) {
        const double f = static_cast<double>(now - fadeStart) / static_cast<double>(m_config.fadeDuration);
        out.alpha = static_cast<float>(std::clamp(1.0 - f, 0.0, 1.0));
    }
    return out;
}

bool AvatarInterpolator::faded(Nanos now) const {
    const Nanos fadeStart = m_goneAt ? *m_goneAt : m_lastArrival + m_config.fadeAfter;
    return now >= fadeStart + m_config.fadeDuration;
}

}  // namespace mxr::net
