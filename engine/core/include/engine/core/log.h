#pragma once
// Logging goes to a sink the owner injects; there is no global logger.
//
// Thread: a Logger may be shared between threads when its sink is
// thread-safe (StderrSink and MemorySink are). Sinks must not throw.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"  // strCat

namespace mxr {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
const char* toString(LogLevel level) noexcept;

class LogSink {
public:
    virtual ~LogSink() = default;
    virtual void write(LogLevel level, std::string_view module, std::string_view message) = 0;
};

// Writes "[level] module: message" lines to stderr, one write per line.
class StderrSink final : public LogSink {
public:
    explicit StderrSink(LogLevel minimum = LogLevel::kInfo) : m_minimum(minimum) {}
    void write(LogLevel level, std::string_view module, std::string_view message) override;

private:
    LogLevel m_minimum;
    std::mutex m_mutex;
};

// Keeps every line in memory; for tests that assert on what was logged.
class MemorySink final : public LogSink {
public:
    struct Line {
        LogLevel level;
        std::string module;
        std::string message;
    };
    void write(LogLevel level, std::string_view module, std::string_view message) override;
    std::vector<Line> lines() const;
    bool contains(std::string_view needle) const;

private:
    mutable std::mutex m_mutex;
    std::vector<Line> m_lines;
};

// A named view onto a sink; cheap to copy. A default Logger drops everything.
class Logger {
public:
    Logger() = default;
    Logger(std::shared_ptr<LogSink> sink, std::string module)
        : m_sink(std::move(sink)), m_module(std::move(module)) {}

    Logger child(std::string module) const { return Logger(m_sink, std::move(module)); }
    const std::shared_ptr<LogSink>& sink() const { return m_sink; }

    void log(LogLevel level, std::string_view message) const {
        if (m_sink) m_sink->write(level, m_module, message);
    }
    void debug(std::string_view m) const { log(LogLevel::kDebug, m); }
    void info(std::string_view m) const { log(LogLevel::kInfo, m); }
    void warn(std::string_view m) const { log(LogLevel::kWarn, m); }
    void error(std::string_view m) const { log(LogLevel::kError, m); }

private:
    std::shared_ptr<LogSink> m_sink;
    std::string m_module;
};

}  // namespace mxr
