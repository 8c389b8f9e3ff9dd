#include "engine/render/vulkan_swapchain.h"

#include <algorithm>

namespace mxr::engine {

VulkanSwapchain::VulkanSwapchain(VulkanRenderer& renderer, std::function<VkExtent2D()> size, bool vsync)
    : m_renderer(renderer), m_size(std::move(size)), m_vsync(vsync) {}

Result<std::unique_ptr<VulkanSwapchain>> VulkanSwapchain::create(VulkanRenderer& renderer,
                                                                 std::function<VkExtent2D()> framebufferSize,
                                                                 bool vsync) {
    std::unique_ptr<VulkanSwapchain> s(new VulkanSwapchain(renderer, std::move(framebufferSize), vsync));
    MXR_TRY(s->recreate());
    return s;
}

VulkanSwapchain::~VulkanSwapchain() {
    release();
    VkDevice device = m_renderer.gpu().device();
    if (m_swapchain) vkDestroySwapchainKHR(device, m_swapchain, nullptr);
}

void VulkanSwapchain::release() {
    VkDevice device = m_renderer.gpu().device();
    vkDeviceWaitIdle(device);
    for (TargetHandle t : m_targets) m_renderer.unregisterTarget(t);
    m_targets.clear();
    for (VkSemaphore s : m_renderDone) vkDestroySemaphore(device, s, nullptr);
    for (VkSemaphore s : m_acquired) vkDestroySemaphore(device, s, nullptr);
    m_renderDone.clear();
    m_acquired.clear();
    m_images.clear();
    m_current.reset();
}

Result<void> VulkanSwapchain::recreate() {
    GpuContext& gpu = m_renderer.gpu();
    VkDevice device = gpu.device();
    const VkExtent2D want = m_size();
    if (want.width == 0 || want.height == 0) return {};  // minimised: try again later
    VkSurfaceCapabilitiesKHR caps;
    MXR_TRY_VK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu.physicalDevice(), gpu.surface(), &caps));
    std::uint32_t n = 0;
    vkGetPhysicalDeviceSurfaceFormatsKHR(gpu.physicalDevice(), gpu.surface(), &n, nullptr);
    std::vector<VkSurfaceFormatKHR> formats(n);
    vkGetPhysicalDeviceSurfaceFormatsKHR(gpu.physicalDevice(), gpu.surface(), &n, formats.data());
    if (formats.empty()) return makeError(ErrorCode::kGpu, "the window surface offers no formats");
    VkSurfaceFormatKHR chosen = formats[0];
    for (const auto& f : formats) {
        if ((f.format == VK_FORMAT_B8G8R8A8_SRGB || f.format == VK_FORMAT_R8G8B8A8_SRGB) &&
            f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) {
            chosen = f;
            break;
        }
    }
    VkExtent2D extent = caps.currentExtent;
    if (extent.width == UINT32_MAX) {
        extent.width = std::clamp(want.width, caps.minImageExtent.width, caps.maxImageExtent.width);
        extent.height = std::clamp(want.height, caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    if (extent.width == 0 || extent.height == 0) return {};
    std::uint32_t pm = 0;
    vkGetPhysicalDeviceSurfacePresentModesKHR(gpu.physicalDevice(), gpu.surface(), &pm, nullptr);
    std::vector<VkPresentModeKHR> modes(pm);
    vkGetPhysicalDeviceSurfacePresentModesKHR(gpu.physicalDevice(), gpu.surface(), &pm, modes.data());
    VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR;  // always available
    if (!m_vsync) {
        for (VkPresentModeKHR m : modes) {
            if (m == VK_PRESENT_MODE_MAILBOX_KHR || m == VK_PRESENT_MODE_IMMEDIATE_KHR) mode = m;
        }
    }
    std::uint32_t imageCount = std::max(caps.minImageCount + 1, 3u);
    if (caps.maxImageCount) imageCount = std::min(imageCount, caps.maxImageCount);

    release();
    VkSwapchainCreateInfoKHR ci{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    ci.surface = gpu.surface();
    ci.minImageCount = imageCount;
    ci.imageFormat = chosen.format;
    ci.imageColorSpace = chosen.colorSpace;
    ci.imageExtent = extent;
    ci.imageArrayLayers = 1;
    const bool canCopy = caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    ci.imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | (canCopy ? VK_IMAGE_USAGE_TRANSFER_SRC_BIT : 0);
    ci.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    ci.preTransform = caps.currentTransform;
    ci.compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR;
    ci.presentMode = mode;
    ci.clipped = VK_TRUE;
    ci.oldSwapchain = m_swapchain;
    VkSwapchainKHR fresh = VK_NULL_HANDLE;
    MXR_TRY_VK(vkCreateSwapchainKHR(device, &ci, nullptr, &fresh));
    if (m_swapchain) vkDestroySwapchainKHR(device, m_swapchain, nullptr);
    m_swapchain = fresh;
    m_format = chosen.format;
    m_extent = extent;
    std::uint32_t count = 0;
    vkGetSwapchainImagesKHR(device, m_swapchain, &count, nullptr);
    m_images.resize(count);
    vkGetSwapchainImagesKHR(device, m_swapchain, &count, m_images.data());
    VkSemaphoreCreateInfo si{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    for (VkImage image : m_images) {
        MXR_TRY_ASSIGN(TargetHandle t, m_renderer.registerTarget(TargetDesc{
                                           image, m_format, m_extent, 1, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, canCopy}));
        m_targets.push_back(t);
        VkSemaphore done = VK_NULL_HANDLE, acquired = VK_NULL_HANDLE;
        MXR_TRY_VK(vkCreateSemaphore(device, &si, nullptr, &done));
        m_renderDone.push_back(done);
        MXR_TRY_VK(vkCreateSemaphore(device, &si, nullptr, &acquired));
        m_acquired.push_back(acquired);
    }
    m_needsRecreate = false;
    ++m_recreations;
    return {};
}

Result<std::optional<TargetHandle>> VulkanSwapchain::acquire() {
    const VkExtent2D want = m_size();
    if (want.width == 0 || want.height == 0) return std::optional<TargetHandle>{};  // minimised
    if (!m_swapchain || m_needsRecreate || want.width != m_extent.width || want.height != m_extent.height) {
        MXR_TRY(recreate());
        if (!m_swapchain || m_images.empty()) return std::optional<TargetHandle>{};
    }
    VkSemaphore acquired = m_acquired[m_acquireIndex];
    m_acquireIndex = (m_acquireIndex + 1) % static_cast<std::uint32_t>(m_acquired.size());
    std::uint32_t index = 0;
    const VkResult r =
        vkAcquireNextImageKHR(m_renderer.gpu().device(), m_swapchain, UINT64_MAX, acquired, VK_NULL_HANDLE, &index);
    if (r == VK_ERROR_OUT_OF_DATE_KHR) {
        m_needsRecreate = true;
        return std::optional<TargetHandle>{};
    }
    if (r == VK_SUBOPTIMAL_KHR) m_needsRecreate = true;  // draw this one, recreate after
    else MXR_TRY_VK(r);
    m_current = index;
    m_renderer.setNextFrameSync(FrameSync{acquired, m_renderDone[index]});
    return std::optional<TargetHandle>{m_targets[index]};
}

Result<Image> VulkanSwapchain::readbackAcquired() {
    if (!m_current) return makeError(ErrorCode::kInvalidArgument, "no swapchain image is acquired");
    return m_renderer.readback(m_targets[*m_current]);
}

Result<void> VulkanSwapchain::present() {
    if (!m_current) return {};
    const std::uint32_t index = *m_current;
    m_current.reset();
    VkPresentInfoKHR pi{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    pi.waitSemaphoreCount = 1;
    pi.pWaitSemaphores = &m_renderDone[index];
    pi.swapchainCount = 1;
    pi.pSwapchains = &m_swapchain;
    pi.pImageIndices = &index;
    const VkResult r = vkQueuePresentKHR(m_renderer.gpu().queue(), &pi);
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR) {
        m_needsRecreate = true;
        return {};
    }
    MXR_TRY_VK(r);
    return {};
}

}  // namespace mxr::engine
