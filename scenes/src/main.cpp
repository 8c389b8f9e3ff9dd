// mentorxr: the client. Thin: parse arguments, run.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "scenes/client_app.h"

#ifndef MXR_DEFAULT_ROOM
#define MXR_DEFAULT_ROOM "scenes/rooms/demo.json"
#endif

namespace {
// Written by the signal handler, read by the frame loop: the one global a
// signal handler needs.
std::atomic<bool> g_stop{false};
extern "C" void onSignal(int) { g_stop.store(true); }
}  // namespace

int main(int argc, char** argv) {
    try {
        mxr::scenes::ClientOptions o;
        o.scenePath = MXR_DEFAULT_ROOM;
        std::string camera, size;
        std::uint64_t frames = 0;
        bool verbose = false;
        CLI::App app{"MentorXR: immersive mentoring client. Shows the demo room in a window (desktop), "
                     "or renders it offscreen (headless) and writes a screenshot."};
        app.add_option("--mode", o.mode,
                       "auto (VR if an OpenXR runtime has a headset, else a window if there is a display, "
                       "else headless), vr, desktop, headless; ar is reserved (not available yet)")
            ->capture_default_str();
        app.add_option("--scene", o.scenePath, "room file (JSON, see scenes/rooms/)")->capture_default_str();
        app.add_option("--frames", frames, "stop after N frames, in any mode (headless default: 90)");
        app.add_option("--screenshot", o.screenshotPath,
                       "write the last frame to this PNG (headless default: mentorxr-screenshot.png; "
                       "stereo also writes NAME-right.png)");
        app.add_option("--camera", camera,
                       "start camera: a preset from the room file (overview, table, closeup in the demo) "
                       "or x,y,z,yaw_deg,pitch_deg");
        app.add_option("--size", size, "window or image size WIDTHxHEIGHT (default 1280x720)");
        app.add_flag("--stereo", o.stereo, "headless: render both eyes with multiview (writes two PNGs)");
        app.add_option("--avatars", o.avatars, "demo participants in the room (0..256)")->capture_default_str();
        app.add_option("--time", o.animationTime, "fix the demo participants' animation time in seconds (tests)");
        app.add_option("--xr-vulkan", o.xrVulkan,
                       "OpenXR Vulkan binding: auto (XR_KHR_vulkan_enable2 where offered, else "
                       "XR_KHR_vulkan_enable), enable2 or enable")
            ->check(CLI::IsMember({"auto", "enable2", "enable"}))
            ->capture_default_str();
        app.add_option("--dump-state", o.dumpStatePath,
                       "at exit, write JSON: frames, mode, and in VR the local avatar's head and hands, the play "
                       "space (after snap turns and teleports) and the panel's state");
        app.add_flag("--validation", o.validation,
                     "enable the Vulkan validation layer; any warning or error makes the exit code 3");
        app.add_option("--msaa", o.msaa, "samples per pixel: 1, 2, 4 or 8 (default: 4 on a GPU, 1 on a software rasterizer)")
            ->check(CLI::IsMember({1u, 2u, 4u, 8u}));
        app.add_flag("!--no-vsync", o.vsync, "desktop: present without waiting for vertical sync");
        app.add_flag("!--no-ui", o.ui, "hide the ImGui overlay");
        app.add_flag("-v,--verbose", verbose, "log debug messages");
        CLI11_PARSE(app, argc, argv);
        if (app.count("--frames")) {
            if (frames == 0) {
                std::fprintf(stderr, "mentorxr: --frames must be at least 1\n");
                return 2;
            }
            o.frames = frames;
        }
        if (!camera.empty()) {
            auto c = mxr::scenes::parseCamera(camera);
            if (!c) {
                std::fprintf(stderr, "mentorxr: %s\n", c.error().message.c_str());
                return 2;
            }
            o.camera = *c;
        }
        if (!size.empty()) {
            unsigned w = 0, h = 0;
            char x = 0, extra = 0;
            if (std::sscanf(size.c_str(), "%u%c%u%c", &w, &x, &h, &extra) != 3 || x != 'x' || w < 16 || h < 16 ||
                w > 8192 || h > 8192) {
                std::fprintf(stderr, "mentorxr: --size %s: expected WIDTHxHEIGHT between 16 and 8192\n", size.c_str());
                return 2;
            }
            o.width = w;
            o.height = h;
        }
        o.stopRequested = &g_stop;
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
        auto sink = std::make_shared<mxr::StderrSink>(verbose ? mxr::LogLevel::kDebug : mxr::LogLevel::kInfo);
        return mxr::scenes::runClient(o, mxr::Logger(sink, "mentorxr"));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mentorxr: unexpected error: %s\n", e.what());
        return 1;
    }
}
