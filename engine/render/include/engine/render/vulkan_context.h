#pragma once
// How the GPU device comes to be. The renderer declares what it needs
// (GpuRequirements); the device is then either created here (desktop,
// headless) or created outside from those needs, e.g. by the OpenXR runtime
// through XR_KHR_vulkan_enable2, and adopted as borrowed handles.
//
// Thread: main thread. Ownership: an owned context destroys its device and
// instance; an adopted one never does (the creator owns them).
#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/log.h"
#include "engine/core/result.h"

namespace mxr::engine {

// Returns from a Vulkan call with an Error carrying the VkResult, the call's
// text and its place.
#define MXR_TRY_VK(call)                                                                   \
    do {                                                                                   \
        const VkResult mxr_vk_r_ = (call);                                                 \
        if (mxr_vk_r_ < 0) return ::mxr::engine::vkError(mxr_vk_r_, #call, __FILE__, __LINE__); \
    } while (false)

tl::unexpected<Error> vkError(VkResult r, const char* what, const char* file, int line);
const char* vkResultName(VkResult r);

// What the renderer needs from an instance and a device.
struct GpuRequirements {
    std::uint32_t apiVersion = VK_API_VERSION_1_3;
    std::vector<const char*> instanceExtensions;
    std::vector<const char*> deviceExtensions;
    // Chain these into VkDeviceCreateInfo::pNext (already linked together).
    VkPhysicalDeviceVulkan11Features features11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan13Features features13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};

    GpuRequirements();
    GpuRequirements(const GpuRequirements& other);
    GpuRequirements& operator=(const GpuRequirements& other);
    // Returns the head of the feature chain, linked fresh (safe after copies).
    VkPhysicalDeviceFeatures2* featureChain();
    // Whether a physical device offers everything required (reason if not).
    Result<void> checkDevice(VkPhysicalDevice device) const;
};

// Validation-layer messages, counted. Tests fail on any warning or error.
// Suppressions are by message ID only and live in one list (gpu_context.cpp)
// with their upstream causes.
struct ValidationReport {
    std::atomic<std::uint32_t> warnings{0};
    std::atomic<std::uint32_t> errors{0};
    Logger logger;
    static VKAPI_ATTR VkBool32 VKAPI_CALL callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT types,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                   void* user);
    static VkDebugUtilsMessengerCreateInfoEXT messengerInfo(ValidationReport* report);
    // kUnavailable (naming the package) when VK_LAYER_KHRONOS_validation is
    // not installed.
    static Result<void> checkLayerPresent();
};

struct GpuCreateInfo {
    std::string appName = "MentorXR";
    bool validation = false;  // VK_LAYER_KHRONOS_validation; error if missing
    std::vector<const char*> extraInstanceExtensions;  // e.g. the window system's
    // Called after the instance exists, to make a presentation surface; the
    // device chosen must present to it. Empty: headless.
    std::function<Result<VkSurfaceKHR>(VkInstance)> makeSurface;
};

// Handles created outside the renderer (OpenXR runtime, tests).
struct ExternalGpu {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    std::uint32_t queueFamily = 0;
    std::uint32_t queueIndex = 0;
};

class GpuContext {
public:
    static Result<std::unique_ptr<GpuContext>> create(const GpuRequirements& req, const GpuCreateInfo& info,
                                                      Logger logger);
    // With `validation` (a report whose messenger info was chained into the
    // instance's create info, for messages during creation), a debug
    // messenger is installed on the adopted instance and destroyed with this
    // context, though the instance and device are not ours.
    static Result<std::unique_ptr<GpuContext>> adopt(const ExternalGpu& external, Logger logger,
                                                     std::unique_ptr<ValidationReport> validation = nullptr);
    ~GpuContext();
    GpuContext(const GpuContext&) = delete;
    GpuContext& operator=(const GpuContext&) = delete;

    VkInstance instance() const { return m_instance; }
    VkPhysicalDevice physicalDevice() const { return m_physicalDevice; }
    VkDevice device() const { return m_device; }
    VkQueue queue() const { return m_queue; }
    std::uint32_t queueFamily() const { return m_queueFamily; }
    VkSurfaceKHR surface() const { return m_surface; }
    const VkPhysicalDeviceProperties& properties() const { return m_properties; }
    const ValidationReport& validation() const { return *m_validation; }
    const Logger& logger() const { return m_logger; }
    bool owned() const { return m_owned; }
    // Tests only: creates and destroys a buffer with no usage bits, which
    // breaks VUID-VkBufferCreateInfo-usage-requiredbitmask (harmless to the
    // driver), so a test can prove the messenger sees this instance.
    void provokeValidationError() const;

private:
    GpuContext() = default;
    bool m_owned = false;
    VkInstance m_instance = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT m_messenger = VK_NULL_HANDLE;
    VkSurfaceKHR m_surface = VK_NULL_HANDLE;
    VkPhysicalDevice m_physicalDevice = VK_NULL_HANDLE;
    VkDevice m_device = VK_NULL_HANDLE;
    VkQueue m_queue = VK_NULL_HANDLE;
    std::uint32_t m_queueFamily = 0;
    VkPhysicalDeviceProperties m_properties{};
    std::unique_ptr<ValidationReport> m_validation = std::make_unique<ValidationReport>();
    Logger m_logger;
};

}  // namespace mxr::engine
