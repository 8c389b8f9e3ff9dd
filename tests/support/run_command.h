#pragma once
// Runs a shell command the way a user would type it and returns its exit
// code and everything it printed (stdout and stderr together). For tests
// of the real binaries.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace mxr::test {

struct CommandResult {
    int exitCode = -1;  // -1: did not exit normally (signal) or could not start
    std::string output;
};

inline CommandResult runCommand(const std::string& command) {
    CommandResult r;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace mxr::test
