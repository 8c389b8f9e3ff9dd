#include "net/velocity.h"

#include <cmath>

namespace mxr::net {

AvatarState VelocityEstimator::add(std::uint16_t timeMs, AvatarState state) {
    std::int64_t t = timeMs;
    if (!m_past.empty()) {
        const std::int64_t newest = m_past.back().timeMs;
        const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(timeMs - newest));
        if (delta <= 0 && delta > -1000) return state;
        // Far behind: the sender's clock started over (a new process took
        // the avatar over); what came before says nothing now.
        if (delta <= 0) m_past.clear();
        else t = newest + delta;
    }
    while (!m_past.empty() && static_cast<double>(t - m_past.front().timeMs) > kVelocitySpanMs) m_past.pop_front();

    Vec3* pos[3] = {&state.head.position, &state.leftHand.position, &state.rightHand.position};
    Vec3* vel[3] = {&state.headVelocity, &state.leftVelocity, &state.rightVelocity};
    const bool tracked[3] = {true, state.leftTracked, state.rightTracked};
    state.hasVelocity = !m_past.empty();
    if (state.hasVelocity) {
        const double t2 = static_cast<double>(t) * 1e-3;
        // The newest two before this one.
        const Past* first = m_past.size() >= 2 ? &m_past[m_past.size() - 2] : nullptr;
        const Past* middle = first ? &m_past.back() : nullptr;
        const Past& last = m_past.back();
        bool usedTracked[3] = {last.tracked[0], last.tracked[1], last.tracked[2]};
        if (first && middle) {
            // d/dt of the Lagrange parabola through (t0,p0), (t1,p1), (t2,p2), at t2.
            const double t0 = static_cast<double>(first->timeMs) * 1e-3;
            const double t1 = static_cast<double>(middle->timeMs) * 1e-3;
            const auto c0 = static_cast<float>((t2 - t1) / ((t0 - t1) * (t0 - t2)));
            const auto c1 = static_cast<float>((t2 - t0) / ((t1 - t0) * (t1 - t2)));
            const auto c2 = static_cast<float>((2 * t2 - t0 - t1) / ((t2 - t0) * (t2 - t1)));
            for (int i = 0; i < 3; ++i) {
                *vel[i] = c0 * first->position[i] + c1 * middle->position[i] + c2 * *pos[i];
                usedTracked[i] = first->tracked[i] && middle->tracked[i];
            }
        } else {
            const auto inv = static_cast<float>(1.0 / (t2 - static_cast<double>(last.timeMs) * 1e-3));
            for (int i = 0; i < 3; ++i) *vel[i] = (*pos[i] - last.position[i]) * inv;
        }
        // A hand untracked in any of the samples used sat at the head there:
        // no motion to tell (and untracked hands' velocities are not sent).
        for (int i = 1; i < 3; ++i) {
            if (!tracked[i] || !usedTracked[i]) *vel[i] = Vec3(0.0f);
        }
    }
    if (m_past.size() == 2) m_past.pop_front();
    m_past.push_back(Past{t, {*pos[0], *pos[1], *pos[2]}, {tracked[0], tracked[1], tracked[2]}});
    return state;
}

}  // namespace mxr::net
