#pragma once
// Starting the real tools as child processes for tests: stdout is read
// line by line (to learn bound ports and summaries), stderr passes through.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace mxr::net::testing {

class ChildProcess {
public:
    explicit ChildProcess(std::vector<std::string> args) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return;
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) m_pid = -1;
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        m_out = fds[0];
    }
    ~ChildProcess() {
        if (m_pid > 0 && !m_exit) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
        if (m_out >= 0) ::close(m_out);
    }
    bool started() const { return m_pid > 0; }
    pid_t pid() const { return m_pid; }

    // The next stdout line, or nullopt at end of output or after `seconds`.
    std::optional<std::string> readLine(double seconds = 30.0) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        for (;;) {
            const auto nl = m_buffer.find('\n');
            if (nl != std::string::npos) {
                std::string line = m_buffer.substr(0, nl);
                m_buffer.erase(0, nl + 1);
                m_lines.push_back(line);
                return line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{m_out, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char buf[4096];
            const ssize_t n = ::read(m_out, buf, sizeof buf);
            if (n <= 0) return std::nullopt;
            m_buffer.append(buf, static_cast<std::size_t>(n));
        }
    }
    // The first line starting with `prefix`.
    std::optional<std::string> lineStartingWith(const std::string& prefix, double seconds = 30.0) {
        while (auto l = readLine(seconds)) {
            if (l->rfind(prefix, 0) == 0) return l;
        }
        return std::nullopt;
    }
    void terminate() {
        if (m_pid > 0) ::kill(m_pid, SIGTERM);
    }
    // Exit status (or 128 + signal); -1 when it did not end within `seconds`.
    int wait(double seconds = 60.0) {
        if (m_exit) return *m_exit;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            int status = 0;
            const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
            if (r == m_pid) {
                m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return *m_exit;
            }
            // Keep draining stdout so the child never blocks on a full pipe.
            pollfd p{m_out, POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) {
                char buf[4096];
                const ssize_t n = ::read(m_out, buf, sizeof buf);
                if (n > 0) m_buffer.append(buf, static_cast<std::size_t>(n));
            }
        }
        return -1;
    }
    // Everything read so far plus what is buffered.
    std::string output() const {
        std::string all;
        for (const auto& l : m_lines) all += l + "\n";
        return all + m_buffer;
    }

private:
    pid_t m_pid = -1;
    int m_out = -1;
    std::string m_buffer;
    std::vector<std::string> m_lines;
    std::optional<int> m_exit;
};

// "key=value" from a summary line; nullopt when absent.
inline std::optional<double> field(const std::string& line, const std::string& key) {
    const auto at = line.find(" " + key + "=");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(line.substr(at + key.size() + 2));
}

}  // namespace mxr::net::testing
