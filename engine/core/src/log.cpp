#include "engine/core/log.h"

#include <cstdio>

namespace mxr {

const char* toString(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
    }
    return "?";
}

void StderrSink::write(LogLevel level, std::string_view module, std::string_view message) {
    if (level < m_minimum) return;
    std::string line;
    line.reserve(module.size() + message.size() + 16);
    line += '[';
    line += toString(level);
    line += "] ";
    line += module;
    line += ": ";
    line += message;
    line += '\n';
    std::lock_guard lock(m_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

void MemorySink::write(LogLevel level, std::string_view module, std::string_view message) {
    std::lock_guard lock(m_mutex);
    m_lines.push_back({level, std::string(module), std::string(message)});
}

std::vector<MemorySink::Line> MemorySink::lines() const {
    std::lock_guard lock(m_mutex);
    return m_lines;
}

bool MemorySink::contains(std::string_view needle) const {
    std::lock_guard lock(m_mutex);
    for (const auto& l : m_lines) {
        if (l.message.find(needle) != std::string::npos) return true;
    }
    return false;
}

}  // namespace mxr
