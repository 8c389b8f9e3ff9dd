#include "vulkan_backend.h"

#include <cassert>

#include "engine/platform/window.h"

namespace mxr::xr {

VulkanGraphics::~VulkanGraphics() {
    uiLayer.reset();
    vulkan.reset();
    gpu.reset();
}

engine::ValidationCounts VulkanGraphics::validation() const {
    const auto& v = gpu->validation();
    return {v.warnings.load(), v.errors.load()};
}

std::string VulkanGraphics::deviceName() const { return gpu->properties().deviceName; }

Result<Graphics*> VulkanXrSystem::createGraphics(const GraphicsOptions& options) {
    assert(!m_graphics && "createGraphics called twice without releaseGraphics");
    auto g = std::make_unique<VulkanGraphics>();
    MXR_TRY_ASSIGN(g->gpu, createGpu(engine::VulkanRenderer::requirements(), options.validation));
    if (options.provokeValidationError) g->gpu->provokeValidationError();
    engine::VulkanRenderer::Options ro;
    ro.msaa = options.msaa ? static_cast<VkSampleCountFlagBits>(options.msaa) : engine::VulkanRenderer::defaultMsaa(*g->gpu);
    ro.overlayExtent = {options.overlayWidth, options.overlayHeight};
    MXR_TRY_ASSIGN(g->vulkan, engine::VulkanRenderer::create(*g->gpu, ro, m_gfxLog.child("render")));
    m_graphics = std::move(g);
    if (auto a = attach(*m_graphics->vulkan); !a) {
        releaseGraphics();
        return tl::unexpected(a.error());
    }
    if (options.overlayWidth && options.overlayHeight) {
        auto ui = engine::createImGuiLayer(*m_graphics->vulkan, window(), options.overlayWidth, options.overlayHeight);
        if (!ui) {
            releaseGraphics();
            return tl::unexpected(ui.error());
        }
        m_graphics->uiLayer = std::move(*ui);
    }
    return m_graphics.get();
}

void VulkanXrSystem::releaseGraphics() {
    if (!m_graphics) {
        releaseGpu();  // what a failed createGraphics() may have left
        return;
    }
    m_graphics->uiLayer.reset();
    // After device loss this fails at once; everything below only destroys.
    (void)m_graphics->vulkan->waitIdle();
    detach();
    m_graphics.reset();
    releaseGpu();
}

}  // namespace mxr::xr
