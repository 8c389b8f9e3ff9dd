#pragma once
// A window's swapchain as a source of borrowed render targets.
//
// acquire() hands out the next image as a TargetHandle registered with the
// renderer (and sets the renderer's frame semaphores); present() shows it.
// VK_SUBOPTIMAL_KHR / VK_ERROR_OUT_OF_DATE_KHR and size changes recreate the
// swapchain; a minimised window (zero size) yields no target until restored.
//
// Thread: main thread. Ownership: owns the VkSwapchainKHR and semaphores;
// the surface belongs to the GpuContext; images belong to the swapchain.
#include <vulkan/vulkan.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/render/vulkan_renderer.h"

namespace mxr::engine {

class VulkanSwapchain {
public:
    // framebufferSize returns the window's current size in pixels.
    static Result<std::unique_ptr<VulkanSwapchain>> create(VulkanRenderer& renderer,
                                                           std::function<VkExtent2D()> framebufferSize, bool vsync);
    ~VulkanSwapchain();

    // nullopt: nothing to draw this frame (minimised, or recreated).
    Result<std::optional<TargetHandle>> acquire();
    Result<void> present();
    // Copies the acquired image after drawFrame and before present().
    Result<Image> readbackAcquired();

    VkExtent2D extent() const { return m_extent; }
    VkFormat format() const { return m_format; }
    std::uint32_t recreations() const { return m_recreations; }

private:
    VulkanSwapchain(VulkanRenderer& renderer, std::function<VkExtent2D()> size, bool vsync);
    Result<void> recreate();
    void release();

    VulkanRenderer& m_renderer;
    std::function<VkExtent2D()> m_size;
    bool m_vsync;
    VkSwapchainKHR m_swapchain = VK_NULL_HANDLE;
    VkFormat m_format = VK_FORMAT_UNDEFINED;
    VkExtent2D m_extent{};
    std::vector<VkImage> m_images;
    std::vector<TargetHandle> m_targets;
    std::vector<VkSemaphore> m_renderDone;   // one per image
    std::vector<VkSemaphore> m_acquired;     // ring
    std::uint32_t m_acquireIndex = 0;
    std::optional<std::uint32_t> m_current;
    bool m_needsRecreate = false;
    std::uint32_t m_recreations = 0;
};

}  // namespace mxr::engine
