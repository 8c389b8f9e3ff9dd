#pragma once
// The UI layer: Dear ImGui (Debian's 1.86) drawn into the renderer's overlay
// image. The Vulkan backend needs a VkRenderPass, so UI goes into its own
// image with one, and the renderer composites that image (desktop: over the
// view; VR: on a world-space quad). This header names no Vulkan type:
// scenes/ sees the layer only through UiLayer, and the XR backends make it
// (with the GPU device and the renderer) as one bundle.
//
// Thread: main thread. Lifetime: one UI layer per process at a time (the
// ImGui backends keep process-wide state); create after the renderer,
// destroy before it. With a window, mouse and keyboard go to ImGui through
// its GLFW backend; without one (headless, VR), the UI is still laid out and
// drawn, and the caller feeds ImGui's mouse itself.
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "engine/core/result.h"
#include "engine/render/renderer.h"

namespace mxr::engine {

class VulkanRenderer;
class Window;

class UiLayer {
public:
    virtual ~UiLayer() = default;
    // Builds this frame's UI with `build` (ImGui calls) and prepares it for
    // drawing by the next drawFrame.
    virtual void frame(float deltaSeconds, const std::function<void()>& build) = 0;
    virtual bool wantsMouse() const = 0;
    // The pixels of the overlay image the last frame() draws into (the
    // union of its clip rectangles; empty when it draws nothing). Over the
    // view, the renderer draws and composites only these.
    virtual PixelRect drawnArea() const = 0;
    // Text panels may show (UTF-8; names, typically every label's text).
    // ImGui's atlas holds ASCII and the characters noted so far: a new one
    // rebuilds it at the start of the next frame(), once the frames in
    // flight have retired (a wait on the GPU, only when new characters
    // appear). Panel text is not shaped (ImGui 1.86 draws one glyph per
    // code point, left to right): see engine/README.md.
    virtual void noteText(std::string_view utf8) = 0;
    // Characters in the atlas beyond ASCII, and how often it was rebuilt.
    virtual std::size_t extraGlyphs() const = 0;
    virtual std::size_t fontRebuilds() const = 0;
};

// The ImGui layer on `renderer` (which must have been created with an
// overlay of width x height). window may be null (headless, VR). Errors:
// kInvalidArgument without an overlay, kGpu when the backend fails.
Result<std::unique_ptr<UiLayer>> createImGuiLayer(VulkanRenderer& renderer, Window* window, std::uint32_t width,
                                                  std::uint32_t height);

}  // namespace mxr::engine
