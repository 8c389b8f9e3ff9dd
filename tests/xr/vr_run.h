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

#include <glm/gtc/quaternion.hpp>

#include "engine/core/math.h"
#include "engine/render/renderer.h"
#include "run_command.h"

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
    const auto run = runCommand("cd " + r.dir.string() + " && " + wrapper + " env " + env + " MXR_XRRT_CONFIG=" +
                                (r.dir / "config.json").string() + " " + MXR_CLIENT + " " + args);
    r.exitCode = run.exitCode;
    r.output = run.output;
    r.events = readText(r.dir / "events.log");
    return r;
}

// The default VR start in the demo room (its "table" preset: floor point
// (-0.2, 0, 2.2), facing -Z) with the runtime's default head (0, 1.6, 0),
// eyes 63 mm apart, 90 degree FOV: where each eye is in the room.
inline Pose eyeWorld(int view) {
    return Pose{Vec3(-0.2f + (view == 0 ? -0.0315f : 0.0315f), 1.6f, 2.2f), Quat(1, 0, 0, 0)};
}

// Where a world point lands in an eye's square image of `size` pixels.
inline Vec2 projectToEye(const Vec3& world, int view, std::uint32_t size) {
    const Mat4 clip = projectionFromFov(Fov{}, 0.05f, 100.0f) * viewFromPose(eyeWorld(view));
    const Vec4 c = clip * Vec4(world, 1.0f);
    return Vec2((c.x / c.w + 1.0f) * 0.5f * float(size), (c.y / c.w + 1.0f) * 0.5f * float(size));
}

// Mean RGB of the 3x3 pixels around `at`.
inline Vec3 averageRgb(const engine::Image& img, Vec2 at) {
    Vec3 sum(0.0f);
    int n = 0;
    for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
            const int x = int(at.x) + dx, y = int(at.y) + dy;
            if (x < 0 || y < 0 || x >= int(img.width) || y >= int(img.height)) continue;
            const std::uint8_t* p = &img.rgba[(std::size_t(y) * img.width + std::size_t(x)) * 4];
            sum += Vec3(p[0], p[1], p[2]);
            ++n;
        }
    }
    return n ? sum / float(n) : sum;
}

// The right controller's scripted aim (tests/xr_runtime keyframe JSON)
// from its default grip, turned by `q`.
inline const Vec3 kRightAimFrom(0.2f, 1.3f, -0.3f);
inline nlohmann::json rightAim(const Quat& q) {
    return {{"aim", {{"position", {kRightAimFrom.x, kRightAimFrom.y, kRightAimFrom.z}},
                     {"orientation", {q.x, q.y, q.z, q.w}}}}};
}

// The aim orientation that points from kRightAimFrom at `target` (stage).
inline Quat aimAt(const Vec3& target) {
    const Vec3 d = glm::normalize(target - kRightAimFrom);
    return glm::angleAxis(std::atan2(-d.x, -d.z), Vec3(0, 1, 0)) * glm::angleAxis(std::asin(d.y), Vec3(1, 0, 0));
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
