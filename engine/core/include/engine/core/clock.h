#pragma once
// Time as the program sees it. Code that needs "now" takes a Clock& so tests
// and simulations can drive time by hand (ManualClock) instead of sleeping.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace mxr {

using Nanos = std::int64_t;  // nanoseconds on a monotonic timeline

class Clock {
public:
    virtual ~Clock() = default;
    virtual Nanos now() const = 0;
};

// std::chrono::steady_clock. Thread-safe.
class SteadyClock final : public Clock {
public:
    Nanos now() const override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }
};

// Advanced only by advance()/set(). Thread-safe.
class ManualClock final : public Clock {
public:
    explicit ManualClock(Nanos start = 0) : m_now(start) {}
    Nanos now() const override { return m_now.load(std::memory_order_acquire); }
    void advance(Nanos delta) { m_now.fetch_add(delta, std::memory_order_acq_rel); }
    void set(Nanos t) { m_now.store(t, std::memory_order_release); }

private:
    std::atomic<Nanos> m_now;
};

// User plus system CPU time this process has used so far, in seconds
// (getrusage); for tools that report their own CPU share.
double processCpuSeconds();

constexpr Nanos msToNanos(double ms) { return static_cast<Nanos>(ms * 1e6); }
constexpr double nanosToSeconds(Nanos n) { return static_cast<double>(n) * 1e-9; }

}  // namespace mxr
