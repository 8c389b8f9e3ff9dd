#pragma once
// XrSystem: the one frame-loop contract for every mode (OpenXR headset,
// desktop window, headless). The client's loop knows no other.
//
//   auto gfx = xr.createGraphics(options);    // device + renderer + UI, one bundle
//   while (xr.pollEvents()) {
//       auto frame = xr.beginFrame();          // waits, hands out views + target
//       if (frame->shouldRender) (*gfx)->renderer().drawFrame(scene, frame->views, frame->target);
//       xr.endFrame(*frame);                    // submits layers / presents
//   }
//   xr.releaseGraphics();
//
// This header names no Vulkan type and includes no Vulkan header: scenes/
// sees the GPU only through engine::Renderer and engine::UiLayer
// (tests/xr/header_scan_test.cpp enforces it). The backends build the
// Vulkan device, the renderer and the UI layer behind it.
//
// Thread: main thread only. Ownership: the XrSystem owns its window, its
// swapchains, its offscreen images and the graphics bundle; targets it
// hands out are borrowed by the renderer for one frame.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/clock.h"
#include "engine/core/log.h"
#include "engine/render/renderer.h"

namespace mxr::engine {
class UiLayer;
class Window;
}  // namespace mxr::engine

namespace mxr::xr {

enum class Mode { kAuto, kVr, kAr, kDesktop, kHeadless };
// How the drawn image meets the real world. kAdditive and kAlphaBlend are
// OpenXR's see-through environment blend modes; kPassthrough is an opaque
// display showing the cameras' image under the app's (XR_FB_passthrough),
// which composites like kAlphaBlend.
enum class BlendMode { kOpaque, kAdditive, kAlphaBlend, kPassthrough };
// The real world is visible behind what is drawn: the room is not drawn
// and the clear is transparent (ARCHITECTURE.md, AR).
inline bool isSeeThrough(BlendMode m) { return m != BlendMode::kOpaque; }
const char* toString(BlendMode mode);

const char* toString(Mode mode);
Result<Mode> parseMode(const std::string& text);

// Tracked input in room space. Desktop: simulated from mouse and keyboard.
struct HandInput {
    Pose grip;
    Pose aim;
    bool tracked = false;
    bool select = false;
    bool squeeze = false;
    Vec2 thumbstick{0.0f};
};

// XR_EXT_hand_tracking's 26 joints (palm, wrist, then thumb to little
// finger, tip last), in room space; valid only while the runtime tracks it.
constexpr std::size_t kHandJointCount = 26;
struct HandJoints {
    bool valid = false;
    std::array<Pose, kHandJointCount> poses{};
    std::array<float, kHandJointCount> radii{};  // metres
};

struct InputState {
    Pose head;
    std::array<HandInput, 2> hands;  // 0 left, 1 right
    std::array<HandJoints, 2> joints;  // empty unless hand tracking runs
    bool menu = false;
    // Voice: push-to-talk held (desktop V; left X on Touch, left A on
    // Index, left trackpad or thumbstick click on Vive and Windows Mixed
    // Reality) and the mute button down (desktop M, left Y on Touch; it
    // toggles on press).
    bool talk = false;
    bool mute = false;
    // The application has input focus (OpenXR: the session is FOCUSED).
    // While false (a system menu or dashboard is open) the OpenXR backend
    // reports both hands untracked, no joints and every button and stick
    // released; the head keeps being tracked.
    bool focused = true;
};

struct FrameState {
    bool shouldRender = true;
    // Nobody sees this frame and none may be drawn (OpenXR: the session is
    // not running, or not VISIBLE: the headset is off or asleep). The
    // client then skips the scene and the UI, does not count the frame,
    // and tells the room it is away; pollEvents() has already slept.
    bool idle = false;
    Nanos predictedDisplayTime = 0;
    double deltaSeconds = 0.0;  // since the previous frame's display time
    std::vector<engine::ViewInfo> views;  // one per target layer
    engine::TargetHandle target;
};

// What the graphics bundle is made with.
struct GraphicsOptions {
    // VK_LAYER_KHRONOS_validation with a debug messenger on the instance, in
    // every mode (the OpenXR backends install it on the instance made with
    // or for the runtime); messages are counted in Graphics::validation().
    bool validation = false;
    std::uint32_t msaa = 0;  // samples per pixel; 0: 4 on GPUs, 1 on software rasterizers
    // The UI layer's image in pixels; 0 x 0: no UI layer (Graphics::ui() null).
    std::uint32_t overlayWidth = 0;
    std::uint32_t overlayHeight = 0;
    // Tests only: after creation, make one call that breaks a known valid
    // usage rule (a buffer created with no usage bits; its VUID is in the tests), proving the
    // messenger sees this mode's instance.
    bool provokeValidationError = false;
};

// The GPU device, the renderer and the UI layer, made together by a backend.
// Owned by the XrSystem that made it; valid until releaseGraphics().
class Graphics {
public:
    virtual ~Graphics() = default;
    virtual engine::Renderer& renderer() = 0;
    virtual engine::UiLayer* ui() = 0;  // null without an overlay
    virtual engine::ValidationCounts validation() const = 0;
    virtual std::string deviceName() const = 0;
};

class XrSystem {
public:
    virtual ~XrSystem() = default;
    virtual const char* name() const = 0;

    // Makes the GPU device from the renderer's declared needs (itself, or
    // through the XR runtime which picks the physical device), the renderer
    // and the UI layer, and creates the targets (swapchains or offscreen
    // images). Errors: kUnavailable (no driver, no suitable device, no
    // validation layer), kGpu/kXr. Call once; again only after
    // releaseGraphics().
    virtual Result<Graphics*> createGraphics(const GraphicsOptions& options) = 0;
    // Waits for the GPU, releases the targets, then the UI layer, the
    // renderer and the device (in that order). Safe to call without a bundle
    // and after the device was lost.
    virtual void releaseGraphics() = 0;
    virtual Graphics* graphics() = 0;  // null when none

    // Handles window/runtime events; false once the program should end.
    virtual bool pollEvents() = 0;
    // Why pollEvents() said to end when that is a failure rather than a
    // quit (OpenXR: the instance was lost, xrBeginSession or xrEndSession
    // failed): the client leaves the room and exits 1 with this message.
    virtual std::optional<Error> failure() const { return std::nullopt; }
    // The graphics bundle no longer fits the device (OpenXR: after a session
    // loss the headset came back on another GPU): the client releases it
    // and calls createGraphics() again, which also makes the new session.
    // The room connection and the components go on meanwhile.
    virtual bool graphicsInvalid() const { return false; }
    virtual Result<FrameState> beginFrame() = 0;
    virtual Result<void> endFrame(const FrameState& frame) = 0;

    virtual const InputState& input() const = 0;
    virtual BlendMode blendMode() const { return BlendMode::kOpaque; }
    // World anchors: a pose the runtime keeps fixed in the real world
    // (OpenXR: XR_MSFT_spatial_anchor; persisted under its name with
    // XR_MSFT_spatial_anchor_persistence, and found again at the next
    // session's start). Poses are in the tracking space, like input().
    virtual bool anchorsSupported() const { return false; }
    // Replaces the named anchor with one at `pose`, now; `persisted` says
    // whether it will be there next run. Errors: kUnavailable without
    // anchors or a running session, kXr.
    virtual Result<void> placeAnchor(const std::string& /*name*/, const Pose& /*pose*/, bool& persisted) {
        persisted = false;
        return makeError(ErrorCode::kUnavailable, "this XR system has no world anchors");
    }
    // Where the named anchor is at the current frame; nullopt when there is
    // none or the runtime cannot locate it now.
    virtual std::optional<Pose> anchorPose(const std::string& /*name*/) const { return std::nullopt; }
    // Ends the session cleanly (OpenXR: xrRequestExitSession, then frames
    // continue until the runtime says EXITING).
    virtual void requestQuit() = 0;
    // A haptic pulse on a hand (0 left, 1 right); no-op where unsupported.
    virtual void haptic(int /*hand*/, float /*amplitude*/, float /*seconds*/) {}
    virtual engine::Window* window() { return nullptr; }  // desktop only
    // Image of the frame just drawn (before endFrame), for screenshots.
    virtual Result<engine::Image> captureFrame(const FrameState& frame, std::uint32_t view) = 0;
};

// A simulated head on the desktop and in headless runs: eye height, yaw and
// pitch, moved by keyboard/mouse or a script.
struct CameraRig {
    Vec3 position{0.0f, 1.6f, 2.0f};
    float yaw = 0.0f;    // radians, 0 looks down -Z
    float pitch = 0.0f;  // radians, positive looks up
    float verticalFov = 1.0f;  // radians
    Pose pose() const { return Pose{position, quatFromYawPitch(yaw, pitch)}; }
    // Two eyes 63 mm apart around the head pose.
    std::vector<engine::ViewInfo> views(std::uint32_t count, float aspect) const;
};

struct HeadlessOptions {
    std::uint32_t width = 1280;
    std::uint32_t height = 720;
    bool stereo = false;
    CameraRig camera;
    double frameRate = 90.0;  // virtual time step, no sleeping
    // Renders the AR view (--see-through): blendMode() reports this, so the
    // client draws what a see-through headset would show (screenshots).
    BlendMode blend = BlendMode::kOpaque;
};

struct DesktopOptions {
    std::uint32_t width = 1280;
    std::uint32_t height = 720;
    bool vsync = true;
    CameraRig camera;
};

// Which OpenXR Vulkan binding to use: enable2 where offered (the runtime
// takes part in creating instance and device), else XR_KHR_vulkan_enable
// (the runtime lists extensions, we create them); forcing one is for
// runtimes whose enable2 is broken, and for tests.
enum class VulkanBinding { kAuto, kEnable2, kEnable };

struct OpenXrOptions {
    // AR (--mode ar): the runtime's first see-through environment blend mode
    // (ALPHA_BLEND or ADDITIVE), else XR_FB_passthrough; neither fails with
    // kUnavailable. Without it a system that offers only see-through blend
    // modes still runs see-through (blendMode() says so: auto picks AR).
    bool ar = false;
    VulkanBinding vulkanBinding = VulkanBinding::kAuto;
    std::string appName = "MentorXR";
    // Without a STAGE space the floor is put this far below where LOCAL
    // starts (the eyes at start or at the last recentring): the user's
    // stated eye height (1.2 m is typical seated).
    float eyeHeight = 1.6f;
};

// Swapchain format negotiation for the OpenXR backend. `offered` is the
// runtime's xrEnumerateSwapchainFormats list (the graphics API's format values, in the
// runtime's order of preference); returns the first the renderer can draw
// into, any sRGB one before any UNORM one, or 0 (VK_FORMAT_UNDEFINED).
std::int64_t chooseSwapchainFormat(std::span<const std::int64_t> offered);

// Fails with kUnavailable and the reason when there is no runtime
// (XR_ERROR_RUNTIME_UNAVAILABLE) or no headset (XR_ERROR_FORM_FACTOR_UNAVAILABLE).
Result<std::unique_ptr<XrSystem>> makeOpenXrSystem(const OpenXrOptions& options, Logger logger);

std::unique_ptr<XrSystem> makeHeadlessSystem(const HeadlessOptions& options, Logger logger);
// Fails with kUnavailable (and what to do) when no window can be opened.
Result<void> probeDesktop();
// Fails with kUnavailable (and what to do) when no window can be opened.
Result<std::unique_ptr<XrSystem>> makeDesktopSystem(const DesktopOptions& options, Logger logger);

}  // namespace mxr::xr
