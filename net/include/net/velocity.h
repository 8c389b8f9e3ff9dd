#pragma once
// The velocities the host relays with each avatar sample (avatar_codec.h),
// estimated from the samples the sender sent it (45 a second, some lost).
//
// The host sees every sample the sender's link delivered; viewers get one
// in 2 to 6 of them (interest.h). With each position's velocity at both
// ends of a gap, a viewer's interpolator follows a cubic Hermite curve that
// keeps swinging hands on their arc across 130 ms and more between samples
// (and across losses), where a straight line cuts the corner by centimetres.
//
// The velocity at the newest sample is the slope of the parabola through
// the newest three (times need not be even: samples go missing on the
// way). A second-order estimate, so a swinging hand's velocity is not half
// an interval late as a plain difference's is. (Tried: a parabola over a
// fixed 50-100 ms base, to dilute the wire's whole-millisecond clock; the
// hands' p95 error in net_sim_test grew by a half to two thirds through
// loss.) With two recent samples, their difference. Samples more than
// kVelocitySpanMs apart tell nothing about the motion between them: then
// there is no velocity (hasVelocity false).
//
// Thread: one owner (the host's network thread, per member).
#include <cstdint>
#include <optional>

#include "engine/core/clock.h"
#include "net/avatar_codec.h"

namespace mxr::net {

inline constexpr double kVelocitySpanMs = 200.0;

class VelocityEstimator {
public:
    // `state` as sent at the sender's clock `timeMs` (ms modulo 2^16),
    // returned with its velocities set (or hasVelocity false, see above).
    // A sample up to a second older than the last one is returned as it
    // came; one further back starts the estimate over (the sender's clock
    // started over).
    AvatarState add(std::uint16_t timeMs, AvatarState state);

private:
    struct Past {
        std::int64_t timeMs = 0;
        Vec3 position[3];
        bool tracked[3];
    };
    // The newest two samples before this one; dropped once more than
    // kVelocitySpanMs older than the newest.
    std::optional<Past> m_older;
    std::optional<Past> m_newer;
};

}  // namespace mxr::net
