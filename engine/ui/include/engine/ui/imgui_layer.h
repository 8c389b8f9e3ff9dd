#pragma once
// Dear ImGui (Debian's 1.86) drawn into the renderer's overlay image: the
// Vulkan backend needs a VkRenderPass, so UI goes into its own image with
// one, and the renderer composites that image (desktop: over the view; VR,
// later: on a world-space quad).
//
// Thread: main thread. Lifetime: one ImGuiLayer per process at a time (the
// ImGui backends keep process-wide state); create after the renderer, destroy
// before it. With a window, mouse and keyboard go to ImGui through its GLFW
// backend; without one (headless), the UI is still laid out and drawn.
#include <functional>
#include <memory>

#include "engine/core/result.h"
#include "engine/platform/window.h"
#include "engine/render/vulkan_renderer.h"

namespace mxr::engine {

class ImGuiLayer final : public OverlaySource {
public:
    // window may be null (headless). extent must match the renderer's
    // Options::overlayExtent.
    static Result<std::unique_ptr<ImGuiLayer>> create(VulkanRenderer& renderer, Window* window, VkExtent2D extent);
    ~ImGuiLayer() override;

    // Builds this frame's UI with `build` (ImGui calls) and prepares it for
    // drawing by the next drawFrame.
    void frame(float deltaSeconds, const std::function<void()>& build);
    bool wantsMouse() const;
    void recordOverlay(VkCommandBuffer cmd) override;

private:
    ImGuiLayer(VulkanRenderer& renderer, Window* window, VkExtent2D extent);
    VulkanRenderer& m_renderer;
    Window* m_window;
    VkExtent2D m_extent;
    VkDescriptorPool m_pool = VK_NULL_HANDLE;
    bool m_glfwBackend = false;
    bool m_vulkanBackend = false;
    bool m_haveFrame = false;
};

}  // namespace mxr::engine
