// A loader shim that loses the Vulkan device, for tests: LD_PRELOADed into
// the client, it sits between the client and the Vulkan loader. It strikes
// at a frame submission (vkQueueSubmit2) when MXR_LOSE_DEVICE_WHEN names a
// file that exists (the file is removed, so a test loses the device once per
// file it writes), or at the MXR_LOSE_DEVICE_AFTER_SUBMITS-th submission of
// the run (once). From then on every submission, wait, present and acquire
// answers VK_ERROR_DEVICE_LOST, as a driver does after a GPU hang, until the
// lost device is destroyed: a device made after that is healthy (a
// recreated renderer works). Everything else (destroying objects) goes on
// to the real loader; nothing is submitted after the loss, so no fence or
// semaphore is left pending. Prints one line on stderr when it strikes.
#include <dlfcn.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

// A test shim: process-wide by nature.
std::atomic<bool> g_lost{false};
std::atomic<long> g_submits{0};

bool triggered() {
    static const char* path = std::getenv("MXR_LOSE_DEVICE_WHEN");
    static const char* after = std::getenv("MXR_LOSE_DEVICE_AFTER_SUBMITS");
    if (after && g_submits.fetch_add(1) + 1 == std::atol(after)) return true;
    return path && ::unlink(path) == 0;
}

template <typename Fn>
Fn next(const char* name) {
    return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

bool lost() { return g_lost.load(); }

}  // namespace

extern "C" {

VKAPI_ATTR VkResult VKAPI_CALL vkQueueSubmit2(VkQueue queue, uint32_t count, const VkSubmitInfo2* submits,
                                              VkFence fence) {
    if (!lost() && triggered()) {
        g_lost.store(true);
        std::fprintf(stderr, "device_loss_shim: VK_ERROR_DEVICE_LOST until this device is destroyed\n");
    }
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkQueueSubmit2>("vkQueueSubmit2");
    return real(queue, count, submits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkQueueSubmit(VkQueue queue, uint32_t count, const VkSubmitInfo* submits, VkFence fence) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkQueueSubmit>("vkQueueSubmit");
    return real(queue, count, submits, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL vkWaitForFences(VkDevice device, uint32_t count, const VkFence* fences, VkBool32 all,
                                               uint64_t timeout) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkWaitForFences>("vkWaitForFences");
    return real(device, count, fences, all, timeout);
}

VKAPI_ATTR VkResult VKAPI_CALL vkDeviceWaitIdle(VkDevice device) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkDeviceWaitIdle>("vkDeviceWaitIdle");
    return real(device);
}

VKAPI_ATTR VkResult VKAPI_CALL vkQueueWaitIdle(VkQueue queue) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkQueueWaitIdle>("vkQueueWaitIdle");
    return real(queue);
}

VKAPI_ATTR VkResult VKAPI_CALL vkQueuePresentKHR(VkQueue queue, const VkPresentInfoKHR* info) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkQueuePresentKHR>("vkQueuePresentKHR");
    return real(queue, info);
}

VKAPI_ATTR VkResult VKAPI_CALL vkAcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain, uint64_t timeout,
                                                     VkSemaphore semaphore, VkFence fence, uint32_t* index) {
    if (lost()) return VK_ERROR_DEVICE_LOST;
    static auto real = next<PFN_vkAcquireNextImageKHR>("vkAcquireNextImageKHR");
    return real(device, swapchain, timeout, semaphore, fence, index);
}

// The lost device goes: the next one is healthy.
VKAPI_ATTR void VKAPI_CALL vkDestroyDevice(VkDevice device, const VkAllocationCallbacks* allocator) {
    static auto real = next<PFN_vkDestroyDevice>("vkDestroyDevice");
    real(device, allocator);
    g_lost.store(false);
}

}  // extern "C"
