#pragma once
// Receiver-side smoothing of one remote avatar: an adaptive playout buffer,
// brief extrapolation when samples go missing, smooth correction when they
// come back, and a fade when the avatar goes silent or leaves.
//
// Samples carry the sender's clock (ms modulo 2^16), unwrapped here. The
// offset between the sender's clock and ours is the smallest recent
// (arrival - send) difference. The playout delay targets the 97th
// percentile of how stale the newest sample had become whenever a newer one
// arrived (which covers jitter, loss bursts and the relay rate at once),
// bounded by the config, less a short lead when samples carry velocities;
// it grows quickly and shrinks slowly, and playout never runs backwards, so
// motion never jumps.
//
// Thread: one thread (the main thread in the client, the bot's thread).
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "engine/core/clock.h"
#include "net/avatar_codec.h"

namespace mxr::net {

struct InterpolationConfig {
    Nanos minDelay = msToNanos(40);
    Nanos maxDelay = msToNanos(400);
    Nanos maxExtrapolation = msToNanos(250);
    Nanos correctionTime = msToNanos(120);  // time constant of the smooth correction
    Nanos fadeAfter = msToNanos(1500);      // silence before fading starts
    Nanos fadeDuration = msToNanos(500);
    // With the host's velocities the playout may run this far ahead of the
    // newest sample, extrapolating along them: at 9 Hz on a clean link the
    // delay falls from about 117 to 77 ms while hands' p95 error goes from
    // 3 to 5 mm (net_sim_test).
    Nanos velocityLead = msToNanos(40);
    double delaySlew = 0.05;      // the delay may shrink by this fraction of elapsed time
    double delayGrowSlew = 0.5;   // and grow by this one
};

struct DisplayedAvatar {
    AvatarState state;
    double senderTimeMs = 0;  // the sender's (unwrapped) clock the pose stands for
    Nanos delay = 0;          // current playout delay
    float alpha = 1.0f;       // 1 visible .. 0 faded out
    bool extrapolating = false;
};

class AvatarInterpolator {
public:
    explicit AvatarInterpolator(InterpolationConfig config = {}) : m_config(config) {}

    // A sample as received at local time `arrival`. Duplicates and samples
    // older than what is already displayed are ignored.
    void push(std::uint16_t senderTimeMs, const AvatarState& state, Nanos arrival);
    // The pose to draw at local time `now`; nullopt before the first sample.
    std::optional<DisplayedAvatar> sample(Nanos now);
    // The avatar left or dropped: fade out from `now` on.
    void markGone(Nanos now) { m_goneAt = now; }
    bool faded(Nanos now) const;

    std::size_t bufferedSamples() const { return m_samples.size(); }

private:
    struct Sample {
        double timeMs;
        AvatarState state;
    };
    AvatarState evaluate(double t, bool* extrapolating) const;
    Nanos targetDelay() const;

    InterpolationConfig m_config;
    std::deque<Sample> m_samples;          // sorted by timeMs
    std::deque<double> m_transit;          // recent (arrival - send) in ms
    std::deque<double> m_intervals;        // recent sender intervals in ms
    std::deque<double> m_staleness;        // age of the newest sample when a newer one arrived, ms
    std::optional<std::int64_t> m_lastUnwrapped;
    std::optional<double> m_lastPlayout;
    Nanos m_lastArrival = 0;
    std::optional<Nanos> m_lastSampleCall;
    std::optional<Nanos> m_goneAt;
    double m_delayMs = -1;
    Vec3 m_correction[3] = {Vec3(0.0f), Vec3(0.0f), Vec3(0.0f)};
};

}  // namespace mxr::net
