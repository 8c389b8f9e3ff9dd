#pragma once
// Runs the real mentorxr-server binary (MXR_SERVER_BINARY) on 127.0.0.1 with
// --http-port 0 --port 0 and reads both ports from its
// "listening http=PORT udp=PORT" line.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mxr::server::test {

class ServerProcess {
public:
    ServerProcess() = default;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess() { kill9(); }

    // Starts the server; false (with why()) if it does not print its
    // listening line within 30 s or exits first. stderr goes to stderrPath.
    bool start(const std::filesystem::path& dataDir, std::vector<std::string> extra = {}) {
        m_stderrPath = dataDir / "server-stderr.log";
        std::filesystem::create_directories(dataDir);
        int out[2];
        if (pipe(out) != 0) return fail("pipe failed");
        std::vector<std::string> args = {MXR_SERVER_BINARY, "--data", dataDir.string(), "--http-port", "0",
                                         "--password-hash-cost", "test", "--http-workers", "64"};
        // A restart may keep the UDP port it had (extra "--port N"); otherwise a free one.
        if (std::find(extra.begin(), extra.end(), "--port") == extra.end()) args.insert(args.end(), {"--port", "0"});
        for (auto& e : extra) args.push_back(std::move(e));
        m_pid = fork();
        if (m_pid < 0) return fail("fork failed");
        if (m_pid == 0) {
            // If the test process dies (a crash, a timeout kill), so does
            // its server, instead of living on and holding the machine.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() == 1) _exit(127);  // the parent is already gone
            dup2(out[1], STDOUT_FILENO);
            const int err = open(m_stderrPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (err >= 0) dup2(err, STDERR_FILENO);
            close(out[0]);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(out[1]);
        m_stdout = out[0];
        std::string line;
        while (true) {
            pollfd p{m_stdout, POLLIN, 0};
            if (poll(&p, 1, 30000) <= 0) return fail("no listening line within 30 s");
            char c = 0;
            if (read(m_stdout, &c, 1) != 1) return fail("the server exited before listening: " + stderrText());
            if (c != '\n') {
                line += c;
                continue;
            }
            m_firstLine = line;
            if (line.rfind("listening http=", 0) == 0) {
                m_port = std::stoi(line.substr(15));
                const auto udp = line.find(" udp=");
                if (udp == std::string::npos) return fail("no udp= in the listening line: " + line);
                m_udpPort = std::stoi(line.substr(udp + 5));
                return true;
            }
            line.clear();
        }
    }

    int port() const { return m_port; }
    int udpPort() const { return m_udpPort; }
    pid_t pid() const { return m_pid; }
    const std::string& firstLine() const { return m_firstLine; }
    const std::string& why() const { return m_why; }
    std::string stderrText() const {
        std::ifstream f(m_stderrPath);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }

    // SIGKILL: no chance to flush or close anything.
    void kill9() {
        if (m_pid <= 0) return;
        ::kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
        closeStdout();
    }

    // SIGTERM, then the exit status (-1 when killed by a signal).
    int terminate() {
        if (m_pid <= 0) return -1;
        ::kill(m_pid, SIGTERM);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        closeStdout();
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

private:
    bool fail(std::string why) {
        m_why = std::move(why);
        return false;
    }
    void closeStdout() {
        if (m_stdout >= 0) close(m_stdout);
        m_stdout = -1;
    }

    pid_t m_pid = -1;
    int m_stdout = -1;
    int m_port = 0;
    int m_udpPort = 0;
    std::string m_firstLine;
    std::string m_why;
    std::filesystem::path m_stderrPath;
};

}  // namespace mxr::server::test
