#pragma once
// What the three backends share on the Vulkan side: each makes the device
// its own way (createGpu: itself, or with the OpenXR runtime) and its
// targets (attach/detach); the bundle of device, renderer and UI layer is
// put together here, once for all of them.
//
// Thread: main thread. Ownership: the backend owns the bundle. A backend's
// destructor calls releaseGraphics() first, so its targets and the bundle
// go while the backend's own objects (window, swapchains, the device made
// through the runtime) still exist.
#include <memory>

#include "engine/render/vulkan_renderer.h"
#include "engine/ui/imgui_layer.h"
#include "xr/xr_system.h"

namespace mxr::xr {

class VulkanGraphics final : public Graphics {
public:
    ~VulkanGraphics() override;
    engine::Renderer& renderer() override { return *vulkan; }
    engine::UiLayer* ui() override { return uiLayer.get(); }
    engine::ValidationCounts validation() const override;
    std::string deviceName() const override;

    // Destroyed in the opposite order: UI, renderer, device.
    std::unique_ptr<engine::GpuContext> gpu;
    std::unique_ptr<engine::VulkanRenderer> vulkan;
    std::unique_ptr<engine::UiLayer> uiLayer;
};

class VulkanXrSystem : public XrSystem {
public:
    explicit VulkanXrSystem(Logger logger) : m_gfxLog(std::move(logger)) {}
    Result<Graphics*> createGraphics(const GraphicsOptions& options) final;
    void releaseGraphics() final;
    Graphics* graphics() final { return m_graphics.get(); }

protected:
    // The device, from the renderer's needs; with validation, the debug
    // messenger is installed on its instance (GpuContext counts).
    virtual Result<std::unique_ptr<engine::GpuContext>> createGpu(const engine::GpuRequirements& needs,
                                                                  bool validation) = 0;
    // Creates the targets (swapchains or offscreen images) for `renderer`.
    virtual Result<void> attach(engine::VulkanRenderer& renderer) = 0;
    // Releases what attach() made; the renderer is idle when it is called.
    virtual void detach() = 0;
    // Destroys what createGpu() made that the GpuContext does not own (the
    // OpenXR backend's instance and device, made with the runtime); called
    // last, after the bundle is gone, so a later createGraphics() starts anew.
    virtual void releaseGpu() {}

private:
    Logger m_gfxLog;
    std::unique_ptr<VulkanGraphics> m_graphics;
};

}  // namespace mxr::xr
