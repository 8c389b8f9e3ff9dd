#pragma once
// The Vulkan implementation of Renderer, for engine/ and xr/ (which may see
// Vulkan types). scenes/ sees only renderer.h.
//
// Shape: one forward pass with dynamic rendering and multiview (one view per
// target layer: 1 for a window, 2 for a stereo array image), 4x MSAA colour
// and depth in transient images, resolved into the borrowed target. Frames
// in flight: 2, each with its own command buffer, fence, uniforms and
// per-frame vertex data.
//
// Thread: main thread only. Ownership: targets registered with
// registerTarget() are borrowed (never destroyed here); offscreen targets
// made by createOffscreenTarget() are owned. Resources are freed only after
// the GPU has retired every frame that used them (unregisterTarget and the
// destructor wait for idle).
#include <vulkan/vulkan.h>

#include <functional>
#include <optional>
#include <memory>

#include "engine/core/log.h"
#include "engine/render/gpu_allocator.h"
#include "engine/render/renderer.h"
#include "engine/render/vulkan_context.h"
#include "engine/text/shaper.h"

namespace mxr::engine {

// An image the renderer draws into but does not own.
struct TargetDesc {
    VkImage image = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    std::uint32_t layers = 1;  // views drawn: one per layer
    VkImageLayout finalLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;  // left in this layout
    bool transferSrc = false;  // created with TRANSFER_SRC usage (readback possible)
    // Optional borrowed depth image (VK_FORMAT_D32_SFLOAT, same extent and
    // layers, DEPTH_STENCIL_ATTACHMENT usage): the frame's depth is written
    // into it (sample 0 with MSAA) and left in
    // DEPTH_STENCIL_ATTACHMENT_OPTIMAL, e.g. for an OpenXR depth swapchain.
    VkImage depthImage = VK_NULL_HANDLE;
};

// Records the UI into the overlay image; implemented by engine/ui.
class OverlaySource {
public:
    virtual ~OverlaySource() = default;
    // Called inside the overlay render pass (renderer's overlayRenderPass()).
    virtual void recordOverlay(VkCommandBuffer cmd) = 0;
    // The part of the overlay image this frame's overlay draws into (pixels
    // of the overlay image); nullopt: unknown, the whole image; empty:
    // nothing. Composited over the view, only this part is drawn and
    // blended (the rest of the image is transparent, so the picture is the
    // same): on a software rasterizer that is most of the overlay's cost.
    virtual std::optional<PixelRect> overlayArea() const { return std::nullopt; }
};

// Semaphores for one frame drawn into a swapchain image.
struct FrameSync {
    VkSemaphore wait = VK_NULL_HANDLE;    // image acquired
    VkSemaphore signal = VK_NULL_HANDLE;  // rendering finished, may present
};

// How a two-view frame is drawn: one multiview pass (the normal path), or
// one pass per view (same pipelines and attachments, a one-bit view mask
// each), which kAuto picks on Mesa 22.3's lavapipe: its multiview draws the
// first primitives of the second view into the first view's layer.
enum class StereoPath { kAuto, kMultiview, kPassPerView };

class VulkanRenderer final : public Renderer {
public:
    struct Options {
        StereoPath stereo = StereoPath::kAuto;
        VkSampleCountFlagBits msaa = VK_SAMPLE_COUNT_4_BIT;
        VkExtent2D overlayExtent{0, 0};  // 0: no UI overlay
        // Label fonts per script (engine/text/shaper.h); fontPath is the
        // Latin one (required), the others are optional.
        std::string fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        text::FontFiles fonts = text::debianFontFiles();
    };

    // Instance/device extensions and features the renderer needs; used to
    // create the device here or outside (OpenXR runtime, tests).
    static GpuRequirements requirements();
    // 4x on GPUs; 1x on software rasterizers, where 4x costs about three
    // times the frame time (see the closing figures in README.md).
    static VkSampleCountFlagBits defaultMsaa(const GpuContext& gpu);
    static Result<std::unique_ptr<VulkanRenderer>> create(GpuContext& gpu, const Options& options, Logger logger);
    ~VulkanRenderer() override;

    Result<MeshHandle> upload(const MeshData& mesh) override;
    Result<void> drawFrame(const FrameScene& scene, std::span<const ViewInfo> views, TargetHandle target) override;
    Result<Image> readback(TargetHandle target, std::uint32_t layer = 0) override;
    double lastGpuFrameMs() const override;

    Result<TargetHandle> registerTarget(const TargetDesc& desc);
    void unregisterTarget(TargetHandle target);  // waits for the GPU first
    Result<TargetHandle> createOffscreenTarget(VkExtent2D extent, std::uint32_t layers,
                                               VkFormat format = VK_FORMAT_R8G8B8A8_SRGB);
    // Semaphores for the next drawFrame only (swapchain acquire/present).
    void setNextFrameSync(const FrameSync& sync);

    void setOverlaySource(OverlaySource* source);  // borrowed; null to stop
    VkRenderPass overlayRenderPass() const;
    // Runs commands once and waits for them (uploads, font textures).
    Result<void> immediateSubmit(const std::function<void(VkCommandBuffer)>& record);
    Result<void> waitIdle() override;

    double lastCpuSubmitMs() const override;

    GpuContext& gpu();
    GpuAllocator& allocator();
    std::uint32_t framesInFlight() const;

    struct Impl;

private:
    explicit VulkanRenderer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace mxr::engine
