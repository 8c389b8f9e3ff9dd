#pragma once
// The client: ClientApp builds the XR system (with its graphics bundle),
// the room and the components from ClientOptions (main parses them), then
// runs a frame loop over the components (client_component.h). It returns a
// process exit code and prints what a user needs to know.
//
// Thread: main thread (the presence's network thread is RoomPresence's).
// Exit codes: 0 ok, 1 runtime failure (device lost, screenshot unwritable),
// 2 bad input or missing hardware, 3 Vulkan validation messages under
// --validation.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/log.h"
#include "scenes/avatar.h"
#include "scenes/procedure.h"
#include "scenes/client_component.h"
#include "scenes/records_panel.h"
#include "scenes/room.h"
#include "scenes/room_presence.h"
#include "scenes/voice_component.h"

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
    // Headless: render the AR view as a see-through headset would show it
    // (--see-through: "alpha_blend" or "additive"; "" draws the room).
    std::string seeThrough;
    // The job-shadowing workspace (scenes/workspace.h): this file, else in
    // AR offline `defaultWorkspacePath` (the demo bench); "" = none.
    std::string workspacePath;
    std::string defaultWorkspacePath;
    // The job-shadowing procedure shown on the step card (--procedure FILE,
    // read by main), else in AR offline the one at `defaultProcedurePath`
    // (the demo bench's); in a mentorship room one the room follows is
    // fetched from the server.
    std::optional<ProcedureDef> procedure;
    std::string defaultProcedurePath;
    // Scripted step card actions (tests): save, next, back, done, done-all,
    // await-finished, run in order once each can be (procedure_card.h).
    std::vector<std::string> procedureScript;
    std::size_t avatars = 4;
    bool validation = false;      // Vulkan validation; any message fails the run
    bool provokeValidationError = false;  // tests only: one known VUID (xr::GraphicsOptions)
    bool vsync = true;
    std::uint32_t msaa = 0;       // 0: 4x on GPUs, 1x on software rasterizers
    bool ui = true;
    std::string xrVulkan = "auto";  // OpenXR Vulkan binding: auto, enable2, enable
    float eyeHeight = 1.6f;         // VR without STAGE: the eyes above the floor (--eye-height)
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
    // Agrees to be recorded from the start (others see it on the avatar).
    bool recordingConsent = false;
    // Voice in the shared room (nullopt: none, --no-voice).
    std::optional<VoiceOptions> voice;
    // Set from a signal handler (SIGINT/SIGTERM): the session ends cleanly.
    const std::atomic<bool>* stopRequested = nullptr;
};

// Parses "x,y,z,yaw_deg,pitch_deg" or a preset name.
Result<CameraChoice> parseCamera(const std::string& text);

class ClientApp {
public:
    // Errors are what the user must fix (exit code 2): bad options, room
    // file or camera, no XR system, no GPU, no server address.
    static Result<std::unique_ptr<ClientApp>> create(const ClientOptions& options, Logger logger);
    ~ClientApp();
    ClientApp(const ClientApp&) = delete;
    ClientApp& operator=(const ClientApp&) = delete;

    // Components run in the order added (update, UI, scene, shutdown).
    void add(std::unique_ptr<ClientComponent> component);
    // The frame loop, until --frames, a quit request or a failure.
    int run();

    struct State;

private:
    explicit ClientApp(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

// create() and run(), with create's errors printed: main's one call.
int runClient(const ClientOptions& options, Logger logger);

}  // namespace mxr::scenes
