#pragma once
// The desktop/headless client: parses nothing itself (main does), builds the
// XR system, renderer, room and UI from ClientOptions, and runs the frame
// loop. Returns a process exit code and prints what a user needs to know.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/log.h"
#include "scenes/records_panel.h"
#include "scenes/room.h"
#include "scenes/room_presence.h"

namespace mxr::scenes {

struct CameraChoice {
    std::string preset;                 // a name from the room's "cameras"
    std::optional<CameraPreset> explicitPose;  // x,y,z,yaw,pitch given
};

struct ClientOptions {
    std::string mode = "auto";
    std::string scenePath;
    std::optional<std::uint64_t> frames;
    std::string screenshotPath;
    CameraChoice camera;
    std::uint32_t width = 1280;
    std::uint32_t height = 720;
    bool stereo = false;          // headless: render a stereo pair
    std::size_t avatars = 4;
    bool validation = false;      // Vulkan validation; any message fails the run
    bool vsync = true;
    std::uint32_t msaa = 0;       // 0: 4x on GPUs, 1x on software rasterizers
    bool ui = true;
    std::string xrVulkan = "auto";  // OpenXR Vulkan binding: auto, enable2, enable
    std::string dumpStatePath;    // JSON of the local avatar and play space at exit (VR)
    double animationTime = -1.0;  // fixed time for the demo people (tests); <0 follows frames
    // Shared room (--server): joined at start; the remote people replace
    // the demo participants while connected. nullopt: offline.
    std::optional<RoomPresenceOptions> rooms;
    // With a server: frames (--frames, the screenshot) count only once this
    // many other people are fully visible (tests; 0: from joining on).
    std::size_t awaitPeople = 0;
    // The Mentorship panel scripted (tests, no mouse): once the panel has
    // loaded in the room, each goal's progress is saved and the feedback
    // sent, as the Save and Send buttons do; the answers are printed
    // ("records: goal 3 progress 60 saved") and --frames counts only once
    // every answer is in (bounded by the connect timeout).
    std::vector<std::pair<std::int64_t, int>> setGoalProgress;  // goal id, percent
    std::optional<FeedbackDraft> sendFeedback;
    // Set from a signal handler (SIGINT/SIGTERM): the session ends cleanly.
    const std::atomic<bool>* stopRequested = nullptr;
};

// Parses "x,y,z,yaw_deg,pitch_deg" or a preset name.
Result<CameraChoice> parseCamera(const std::string& text);

int runClient(const ClientOptions& options, Logger logger);

}  // namespace mxr::scenes
