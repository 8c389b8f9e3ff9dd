#pragma once
// The renderer as scenes/ sees it: typed handles and plain data, no Vulkan.
//
// Thread: main thread only. Targets are images the renderer does not own
// (window swapchain images, offscreen images, OpenXR swapchain layers); it
// draws into them and never frees them. Errors: every call returns Result;
// ErrorCode::kDeviceLost means rendering is over for this device (callers stop
// drawing and keep networking and voice going).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/mesh_data.h"
#include "engine/core/result.h"

namespace mxr::engine {

struct MeshHandle {
    std::uint32_t id = 0;  // 0 is "no mesh"
    explicit operator bool() const { return id != 0; }
};

struct TargetHandle {
    std::uint32_t id = 0;
    explicit operator bool() const { return id != 0; }
};

// One drawn copy of a mesh. Colour is linear RGB with alpha (alpha < 1 is
// drawn blended, after the opaque pass).
struct Instance {
    MeshHandle mesh;
    Mat4 transform{1.0f};
    Vec4 color{1.0f};
};

// A point light with a soft range.
struct PointLight {
    Vec3 position{0.0f};
    Vec3 color{1.0f};
    float intensity = 1.0f;
    float range = 10.0f;
};

// A text label in the world centred on `anchor`: facing the viewer, or
// fixed on a surface when `facing` (the direction it is read from) is set.
// Text is UTF-8 (invalid sequences drawn as U+FFFD), shaped per script and
// direction; a name inside composed text should be wrapped in U+2068/U+2069
// (isolates) so a right-to-left name does not reorder what follows it.
// Wider than `maxWidth` metres (0: no limit), it is cut with "…" at a
// grapheme boundary.
struct Label {
    std::string text;
    Vec3 anchor{0.0f};
    Vec3 facing{0.0f};
    float height = 0.08f;  // metres per line
    Vec4 color{1.0f};
    Vec4 background{0.0f, 0.0f, 0.0f, 0.55f};  // alpha 0: no plate
    float maxWidth = 0.0f;
};

// A thick line (annotation strokes, pointers). Width in metres, constant
// on screen-facing ribbons. `arrow` adds a head at `to`.
struct Line {
    Vec3 from{0.0f};
    Vec3 to{0.0f};
    float width = 0.01f;
    Vec4 color{1.0f};
    bool arrow = false;
};

struct FrameScene {
    Vec4 clearColor{0.0f, 0.0f, 0.0f, 1.0f};  // AR: alpha 0, transparent
    Vec3 ambient{0.15f};
    std::vector<PointLight> lights;  // at most kMaxLights are used
    std::vector<Instance> instances;
    std::vector<Label> labels;
    std::vector<Line> lines;
    bool drawOverlay = false;  // composite the UI overlay (desktop, mono)
    // With drawOverlay: show the overlay on this quad in the world instead
    // of over the view (VR panels), in every view. The quad is the unit
    // square (-0.5..0.5 in x and y, image top at +y) transformed by this
    // matrix, read from +z; depth-tested like any surface.
    std::optional<Mat4> overlayQuad;
};

// A rectangle of pixels, origin top left.
struct PixelRect {
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    bool empty() const { return width == 0 || height == 0; }
};

// One eye or one window view.
struct ViewInfo {
    Pose pose;  // eye pose in the room (world) space
    Fov fov;
};

// RGBA8 pixels, rows top to bottom, as the eye saw them (sRGB-encoded
// when the target was sRGB).
struct Image {
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::vector<std::uint8_t> rgba;
};

// Vulkan validation-layer messages counted on one device (all zero when
// validation is off). The one count the client reads for exit code 3.
struct ValidationCounts {
    std::uint32_t warnings = 0;
    std::uint32_t errors = 0;
};

constexpr std::uint32_t kMaxLights = 8;
// The projection's depth range (standard 0 near .. 1 far), which OpenXR's
// XR_KHR_composition_layer_depth needs alongside a submitted depth image.
constexpr float kNearZ = 0.05f;
constexpr float kFarZ = 100.0f;
constexpr std::uint32_t kMaxViews = 2;

class Renderer {
public:
    virtual ~Renderer() = default;
    virtual Result<MeshHandle> upload(const MeshData& mesh) = 0;
    // Draws one frame: one view per layer of the target (multiview; 1 or 2
    // views). The target was handed out by the XR system for this frame.
    virtual Result<void> drawFrame(const FrameScene& scene, std::span<const ViewInfo> views,
                                   TargetHandle target) = 0;
    // Reads back one layer of a target that was drawn (blocks until the GPU
    // is done with it). For screenshots and golden tests.
    virtual Result<Image> readback(TargetHandle target, std::uint32_t layer = 0) = 0;
    // GPU time of the last completed frame in milliseconds, 0 when unknown.
    virtual double lastGpuFrameMs() const = 0;
    // CPU time of the last drawFrame from the fence wait to the submit
    // (recording and submission only), in milliseconds.
    virtual double lastCpuSubmitMs() const = 0;
    // Blocks until the GPU has finished every frame submitted so far.
    virtual Result<void> waitIdle() = 0;
};

}  // namespace mxr::engine
