#pragma once
// Configuration and input script of the headless OpenXR runtime
// (tests/xr_runtime/README.md documents the JSON format).
//
// Thread: a Config is built once per XrInstance and only read afterwards.
#include <engine/core/result.h>

#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mxr::xrrt {

struct Pose {
    glm::quat orientation{1.0F, 0.0F, 0.0F, 0.0F};  // glm order: w, x, y, z
    glm::vec3 position{0.0F};
};

Pose compose(const Pose& a, const Pose& b);  // a * b: b expressed in a's frame
Pose inverse(const Pose& p);
Pose interpolate(const Pose& a, const Pose& b, float t);

enum class Hand : std::uint8_t { kLeft = 0, kRight = 1 };

// What one hand's controller reports at one instant.
struct HandInput {
    bool tracked = true;
    Pose grip;
    Pose aim;
    bool select = false;
    float squeeze = 0.0F;
    bool menu = false;
    glm::vec2 thumbstick{0.0F};
    bool click = false;  // thumbstick/click, trackpad/click (a thumb resting on a trackpad is not a click)
    bool pinch = false;  // hand tracking: the thumb tip on the index tip
};

// How much of the head the runtime tracks (xrLocateViews' view state
// flags, and the VIEW space's location flags).
enum class HeadTracking : std::uint8_t { kNone = 0, kOrientation = 1, kFull = 2 };

struct InputState {
    Pose head;
    std::array<HandInput, 2> hands;
    HeadTracking headTracking = HeadTracking::kFull;
};

// One keyframe: every field is optional; an absent field keeps its track
// unchanged. Poses and analog values (squeeze, thumbstick) interpolate
// linearly between the keyframes that set them; booleans step.
struct Keyframe {
    std::int64_t frame = 0;
    std::optional<Pose> head;
    std::optional<HeadTracking> headTracking;  // "full", "orientation" (position lost), "none"
    struct HandKey {
        std::optional<bool> tracked;
        std::optional<Pose> grip;
        std::optional<Pose> aim;
        std::optional<bool> select;
        std::optional<float> squeeze;
        std::optional<bool> menu;
        std::optional<glm::vec2> thumbstick;
        std::optional<bool> click;
        std::optional<bool> pinch;
    };
    std::array<HandKey, 2> hands;
};

class Script {
public:
    Script() = default;
    explicit Script(std::vector<Keyframe> keyframes);  // sorted by frame

    // Input at a (possibly fractional) frame index.
    InputState sample(double frame) const;
    bool empty() const { return m_keys.empty(); }

private:
    std::vector<Keyframe> m_keys;
};

InputState defaultInputState();

struct Config {
    std::string sourcePath;  // "" when built from defaults
    std::string systemName = "MentorXR Headless Runtime";
    bool headsetPresent = true;
    std::vector<std::string> blendModes{"opaque"};  // "opaque", "additive", "alpha_blend"
    bool handTracking = false;
    bool passthrough = false;  // offer XR_FB_passthrough (a camera test pattern under its layer in captures)
    bool spatialAnchors = false;  // offer XR_MSFT_spatial_anchor and XR_MSFT_spatial_anchor_persistence
    std::string anchorStore;      // persisted anchors (JSON file); "" = in memory, gone with the instance
    std::uint32_t viewWidth = 1024;
    std::uint32_t viewHeight = 1024;
    std::uint32_t maxSwapchainSamples = 1;
    float fovLeftDeg = -45.0F, fovRightDeg = 45.0F, fovUpDeg = 45.0F, fovDownDeg = -45.0F;
    float ipdMeters = 0.063F;
    float localOriginHeight = 1.6F;  // LOCAL's origin above STAGE's floor
    double frameRateHz = 90.0;       // 0 = unpaced (nominal period 1/90 s)
    std::string interactionProfile = "/interaction_profiles/khr/simple_controller";
    std::int64_t lossPendingAtFrame = -1;  // -1: never
    std::int64_t exitAtFrame = -1;         // runtime-initiated exit, -1: never
    // A system menu takes input focus (FOCUSED -> VISIBLE) at this frame
    // and gives it back (VISIBLE -> FOCUSED) at the second; -1: never.
    std::int64_t focusLossAtFrame = -1;
    std::int64_t focusRegainAtFrame = -1;
    std::int64_t idleAtFrame = -1;             // the first session walks down to IDLE and stays there
    std::int64_t instanceLossAfterPolls = -1;  // xrPollEvent fails with XR_ERROR_INSTANCE_LOST after N calls
    bool beginSessionFails = false;            // xrBeginSession answers XR_ERROR_RUNTIME_FAILURE
    bool exitRequestIgnored = false;           // xrRequestExitSession succeeds and nothing follows
    // After the loss: xrGetSystem fails this many times, and the system,
    // graphics requirements and device must be got again (-1: off).
    std::int64_t systemLostPolls = -1;
    std::int64_t physicalDeviceAfterLoss = -1;  // the graphics device index reported after a loss
    bool withholdStage = false;                 // no STAGE space (a seated or standalone headset)
    std::int64_t recenterAtFrame = -1;          // LOCAL is recentred at this frame (-1: never)
    float recenterToHeight = 1.6F;              // ... to this height above the floor
    std::string captureDir;
    std::vector<std::int64_t> captureFrames;
    std::string eventLog;  // "" = none
    Script script;
};

// Reads the file named by the environment variable MXR_XRRT_CONFIG, or
// returns the defaults when it is unset or empty. Errors name the file and
// the offending key ("config.json: script.keyframes[2].head.position: ...").
Result<Config> loadConfigFromEnvironment();
Result<Config> loadConfigFile(const std::string& path);
Result<Config> parseConfig(const std::string& text, const std::string& path);

}  // namespace mxr::xrrt
