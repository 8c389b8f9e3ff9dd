#pragma once
// Calendar dates and UTC timestamps as the API writes them, and the wall
// clock the server reads "now" from (injected so tests can set it).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxr::server {

// "YYYY-MM-DD" -> days since 1970-01-01; nullopt for malformed or impossible
// dates (2026-02-30).
std::optional<std::int64_t> parseDate(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ" -> seconds since the Unix epoch; nullopt otherwise.
std::optional<std::int64_t> parseTimestamp(std::string_view text);
std::string formatTimestamp(std::int64_t unixSeconds);
std::string formatDate(std::int64_t days);

// Seconds since the Unix epoch. Thread-safe implementations only.
class WallClock {
public:
    virtual ~WallClock() = default;
    virtual std::int64_t nowUnix() const = 0;
};

class SystemWallClock final : public WallClock {
public:
    std::int64_t nowUnix() const override {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

class ManualWallClock final : public WallClock {
public:
    explicit ManualWallClock(std::int64_t start) : m_now(start) {}
    std::int64_t nowUnix() const override { return m_now.load(); }
    void set(std::int64_t t) { m_now.store(t); }
    void advance(std::int64_t seconds) { m_now.fetch_add(seconds); }

private:
    std::atomic<std::int64_t> m_now;
};

}  // namespace mxr::server
