#pragma once
// Runs the real mentorxr binary in VR mode against tests/xr_runtime, each
// test in its own folder with its own runtime config (MXR_XRRT_CONFIG).
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace mxr::test {

struct VrRun {
    int exitCode = -1;
    std::string output;  // stdout and stderr together
    std::string events;  // the runtime's event log
    std::filesystem::path dir;
};

inline std::string readText(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::filesystem::path testDir(const std::string& name) {
    const auto dir = std::filesystem::path(MXR_TEST_OUT) / "xr" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// `config` is the runtime's JSON config; "event_log" is added. `env` is
// given to env(1): options (-u NAME) first, then NAME=VALUE assignments.
// `wrapper` goes before everything (e.g. xvfb-run).
inline VrRun runVr(const std::string& name, nlohmann::json config, const std::string& args,
                   const std::string& env = "", const std::string& wrapper = "") {
    VrRun r;
    r.dir = testDir(name);
    config["event_log"] = "events.log";
    std::ofstream(r.dir / "config.json") << config.dump(2);
    const std::string cmd = "cd " + r.dir.string() + " && " + wrapper + " env " + env + " MXR_XRRT_CONFIG=" +
                            (r.dir / "config.json").string() + " " + MXR_CLIENT + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.events = readText(r.dir / "events.log");
    return r;
}

inline int countOf(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

inline nlohmann::json readJson(const std::filesystem::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in, nullptr, false);
}

}  // namespace mxr::test
