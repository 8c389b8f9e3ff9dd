#include "net/velocity.h"

namespace mxr::net {

AvatarState VelocityEstimator::add(std::uint16_t timeMs, AvatarState state) {
    std::int64_t t = timeMs;
    if (m_newer) {
        t = unwrapTimeMs(timeMs, m_newer->timeMs);
        if (t <= m_newer->timeMs && t > m_newer->timeMs - 1000) return state;
        // Far behind: the sender's clock started over (a new process took
        // the avatar over); what came before says nothing now.
        if (t <= m_newer->timeMs) {
            m_older.reset();
            m_newer.reset();
            t = timeMs;
        }
    }
    auto recent = [&](const std::optional<Past>& p) {
        return p && static_cast<double>(t - p->timeMs) <= kVelocitySpanMs;
    };
    if (!recent(m_older)) m_older.reset();
    if (!recent(m_newer)) m_newer.reset();

    Vec3* pos[3] = {&state.head.position, &state.leftHand.position, &state.rightHand.position};
    Vec3* vel[3] = {&state.headVelocity, &state.leftVelocity, &state.rightVelocity};
    const bool tracked[3] = {true, state.leftTracked, state.rightTracked};
    state.hasVelocity = m_newer.has_value();
    if (m_newer) {
        const double t2 = static_cast<double>(t) * 1e-3;
        const double t1 = static_cast<double>(m_newer->timeMs) * 1e-3;
        bool usedTracked[3] = {true, m_newer->tracked[1], m_newer->tracked[2]};
        if (m_older) {
            // d/dt of the Lagrange parabola through (t0,p0), (t1,p1), (t2,p2), at t2.
            const double t0 = static_cast<double>(m_older->timeMs) * 1e-3;
            const auto c0 = static_cast<float>((t2 - t1) / ((t0 - t1) * (t0 - t2)));
            const auto c1 = static_cast<float>((t2 - t0) / ((t1 - t0) * (t1 - t2)));
            const auto c2 = static_cast<float>((2 * t2 - t0 - t1) / ((t2 - t0) * (t2 - t1)));
            for (int i = 0; i < 3; ++i) {
                *vel[i] = c0 * m_older->position[i] + c1 * m_newer->position[i] + c2 * *pos[i];
                usedTracked[i] = usedTracked[i] && m_older->tracked[i];
            }
        } else {
            const auto inv = static_cast<float>(1.0 / (t2 - t1));
            for (int i = 0; i < 3; ++i) *vel[i] = (*pos[i] - m_newer->position[i]) * inv;
        }
        // A hand untracked in any of the samples used sat at the head there:
        // no motion to tell (and untracked hands' velocities are not sent).
        for (int i = 1; i < 3; ++i) {
            if (!tracked[i] || !usedTracked[i]) *vel[i] = Vec3(0.0f);
        }
    }
    m_older = m_newer;
    m_newer = Past{t, {*pos[0], *pos[1], *pos[2]}, {tracked[0], tracked[1], tracked[2]}};
    return state;
}

}  // namespace mxr::net
