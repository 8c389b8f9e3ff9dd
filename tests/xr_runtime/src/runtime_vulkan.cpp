// XR_KHR_vulkan_enable2 and XR_KHR_vulkan_enable: the application's Vulkan
// instance and device, made by the runtime or by the application.
#include "runtime.h"

#include <engine/core/log.h>

#include <cstring>

namespace mxr::xrrt {
namespace {

constexpr const char* kEnable2 = XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME;
constexpr const char* kEnable1 = XR_KHR_VULKAN_ENABLE_EXTENSION_NAME;

Instance* instanceFor(XrInstance instance, XrSystemId systemId, XrResult& error) {
    Instance* inst = registry().get<Instance>(instance);
    error = XR_SUCCESS;
    if (inst == nullptr) {
        error = XR_ERROR_HANDLE_INVALID;
    } else if (systemId != kSystemId) {
        error = XR_ERROR_SYSTEM_INVALID;
    }
    return inst;
}

XrResult fillRequirements(Instance& inst, XrGraphicsRequirementsVulkanKHR* req) {
    // XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR is an alias of the enable1 type.
    if (req == nullptr || req->type != XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN_KHR) return XR_ERROR_VALIDATION_FAILURE;
    req->minApiVersionSupported = XR_MAKE_VERSION(1, 0, 0);
    req->maxApiVersionSupported = XR_MAKE_VERSION(1, 3, 0);
    inst.graphicsRequirementsQueried = true;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getVulkanGraphicsRequirements2(XrInstance instance, XrSystemId systemId,
                                                              XrGraphicsRequirementsVulkanKHR* req) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Instance* inst = instanceFor(instance, systemId, r);
    return r != XR_SUCCESS ? r : fillRequirements(*inst, req);
}

XRAPI_ATTR XrResult XRAPI_CALL createVulkanInstance(XrInstance instance, const XrVulkanInstanceCreateInfoKHR* info,
                                                    VkInstance* vkInstance, VkResult* vkResult) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    instanceFor(instance, info != nullptr ? info->systemId : 0, r);
    if (r != XR_SUCCESS) return r;
    if (info->type != XR_TYPE_VULKAN_INSTANCE_CREATE_INFO_KHR || info->createFlags != 0 ||
        info->pfnGetInstanceProcAddr == nullptr || info->vulkanCreateInfo == nullptr || vkInstance == nullptr ||
        vkResult == nullptr) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    // The runtime needs nothing beyond Vulkan 1.0 core on the instance: it
    // only creates images and copies them on the application's own device.
    auto create = reinterpret_cast<PFN_vkCreateInstance>(info->pfnGetInstanceProcAddr(VK_NULL_HANDLE, "vkCreateInstance"));
    if (create == nullptr) return XR_ERROR_RUNTIME_FAILURE;
    *vkResult = create(info->vulkanCreateInfo, info->vulkanAllocator, vkInstance);
    // A Vulkan failure travels in vkResult; the OpenXR call itself succeeded.
    return XR_SUCCESS;
}

XrResult pickPhysicalDevice(Instance& inst, VkInstance vkInstance, VkPhysicalDevice* out) {
    if (vkInstance == VK_NULL_HANDLE || out == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    uint32_t count = 0;
    if (vkEnumeratePhysicalDevices(vkInstance, &count, nullptr) != VK_SUCCESS || count == 0) {
        writeRuntimeMessage("no Vulkan physical device (is VK_ICD_FILENAMES set?)");
        return XR_ERROR_RUNTIME_FAILURE;
    }
    std::vector<VkPhysicalDevice> devices(count);
    VkResult vr = vkEnumeratePhysicalDevices(vkInstance, &count, devices.data());
    if (vr != VK_SUCCESS && vr != VK_INCOMPLETE) return XR_ERROR_RUNTIME_FAILURE;
    // After a session loss the headset may come back on another GPU
    // (physical_device_after_loss): the index into this instance's list.
    std::size_t index = 0;
    if (inst.sessionLost && inst.config.physicalDeviceAfterLoss >= 0) {
        index = std::min<std::size_t>(static_cast<std::size_t>(inst.config.physicalDeviceAfterLoss), count - 1);
    }
    *out = devices[index];
    inst.vulkanInstance = vkInstance;
    inst.physicalDeviceIndex = static_cast<int>(index);
    inst.reportedDevice = *out;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getVulkanGraphicsDevice2(XrInstance instance, const XrVulkanGraphicsDeviceGetInfoKHR* info,
                                                        VkPhysicalDevice* device) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Instance* inst = instanceFor(instance, info != nullptr ? info->systemId : 0, r);
    if (r != XR_SUCCESS) return r;
    if (info->type != XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR) return XR_ERROR_VALIDATION_FAILURE;
    return pickPhysicalDevice(*inst, info->vulkanInstance, device);
}

XRAPI_ATTR XrResult XRAPI_CALL createVulkanDevice(XrInstance instance, const XrVulkanDeviceCreateInfoKHR* info,
                                                  VkDevice* vkDevice, VkResult* vkResult) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Instance* inst = instanceFor(instance, info != nullptr ? info->systemId : 0, r);
    if (r != XR_SUCCESS) return r;
    if (info->type != XR_TYPE_VULKAN_DEVICE_CREATE_INFO_KHR || info->createFlags != 0 ||
        info->pfnGetInstanceProcAddr == nullptr || info->vulkanCreateInfo == nullptr ||
        info->vulkanPhysicalDevice == VK_NULL_HANDLE || vkDevice == nullptr || vkResult == nullptr) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (inst->vulkanInstance == VK_NULL_HANDLE) return XR_ERROR_CALL_ORDER_INVALID;  // xrGetVulkanGraphicsDevice2KHR first
    auto create = reinterpret_cast<PFN_vkCreateDevice>(info->pfnGetInstanceProcAddr(inst->vulkanInstance, "vkCreateDevice"));
    if (create == nullptr) return XR_ERROR_RUNTIME_FAILURE;
    *vkResult = create(info->vulkanPhysicalDevice, info->vulkanCreateInfo, info->vulkanAllocator, vkDevice);
    return XR_SUCCESS;
}

// ---- XR_KHR_vulkan_enable (the application creates instance and device) ----

XRAPI_ATTR XrResult XRAPI_CALL getVulkanInstanceExtensions(XrInstance instance, XrSystemId systemId, uint32_t capacity,
                                                           uint32_t* count, char* buffer) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    instanceFor(instance, systemId, r);
    // Space-separated list; the runtime needs no instance extension.
    return r != XR_SUCCESS ? r : fillString(capacity, count, buffer, "");
}

XRAPI_ATTR XrResult XRAPI_CALL getVulkanDeviceExtensions(XrInstance instance, XrSystemId systemId, uint32_t capacity,
                                                         uint32_t* count, char* buffer) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    instanceFor(instance, systemId, r);
    return r != XR_SUCCESS ? r : fillString(capacity, count, buffer, "");
}

XRAPI_ATTR XrResult XRAPI_CALL getVulkanGraphicsDevice(XrInstance instance, XrSystemId systemId, VkInstance vkInstance,
                                                       VkPhysicalDevice* device) {
    auto lock = registry().lock();
    XrResult r = XR_SUCCESS;
    Instance* inst = instanceFor(instance, systemId, r);
    return r != XR_SUCCESS ? r : pickPhysicalDevice(*inst, vkInstance, device);
}

XRAPI_ATTR XrResult XRAPI_CALL getVulkanGraphicsRequirements(XrInstance instance, XrSystemId systemId,
                                                             XrGraphicsRequirementsVulkanKHR* req) {
    return getVulkanGraphicsRequirements2(instance, systemId, req);
}

}  // namespace

void addVulkanProcs(std::vector<ProcEntry>& t) {
    t.push_back({"xrGetVulkanGraphicsRequirements2KHR", MXR_XR_FN(getVulkanGraphicsRequirements2), kEnable2});
    t.push_back({"xrCreateVulkanInstanceKHR", MXR_XR_FN(createVulkanInstance), kEnable2});
    t.push_back({"xrGetVulkanGraphicsDevice2KHR", MXR_XR_FN(getVulkanGraphicsDevice2), kEnable2});
    t.push_back({"xrCreateVulkanDeviceKHR", MXR_XR_FN(createVulkanDevice), kEnable2});
    t.push_back({"xrGetVulkanGraphicsRequirementsKHR", MXR_XR_FN(getVulkanGraphicsRequirements), kEnable1});
    t.push_back({"xrGetVulkanInstanceExtensionsKHR", MXR_XR_FN(getVulkanInstanceExtensions), kEnable1});
    t.push_back({"xrGetVulkanDeviceExtensionsKHR", MXR_XR_FN(getVulkanDeviceExtensions), kEnable1});
    t.push_back({"xrGetVulkanGraphicsDeviceKHR", MXR_XR_FN(getVulkanGraphicsDevice), kEnable1});
}

}  // namespace mxr::xrrt
