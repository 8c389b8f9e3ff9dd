#include <algorithm>
#include <cstring>

#include "engine/render/vulkan_context.h"

namespace mxr::engine {

const char* vkResultName(VkResult r) {
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_SUBOPTIMAL_KHR: return "VK_SUBOPTIMAL_KHR";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_SURFACE_LOST_KHR: return "VK_ERROR_SURFACE_LOST_KHR";
        case VK_ERROR_OUT_OF_DATE_KHR: return "VK_ERROR_OUT_OF_DATE_KHR";
        case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
        default: return "VkResult";
    }
}

tl::unexpected<Error> vkError(VkResult r, const char* what, const char* file, int line) {
    ErrorCode code = ErrorCode::kGpu;
    if (r == VK_ERROR_DEVICE_LOST) code = ErrorCode::kDeviceLost;
    if (r == VK_ERROR_OUT_OF_DATE_KHR) code = ErrorCode::kOutOfDate;
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) code = ErrorCode::kUnavailable;
    const char* base = std::strrchr(file, '/');
    return makeError(code, strCat(what, " failed with ", vkResultName(r), " at ", base ? base + 1 : file, ":", line),
                     r);
}

GpuRequirements::GpuRequirements() {
    features11.multiview = VK_TRUE;
    features13.dynamicRendering = VK_TRUE;
    features13.synchronization2 = VK_TRUE;
    featureChain();
}

GpuRequirements::GpuRequirements(const GpuRequirements& other) { *this = other; }

GpuRequirements& GpuRequirements::operator=(const GpuRequirements& other) {
    apiVersion = other.apiVersion;
    instanceExtensions = other.instanceExtensions;
    deviceExtensions = other.deviceExtensions;
    features11 = other.features11;
    features13 = other.features13;
    features = other.features;
    featureChain();
    return *this;
}

VkPhysicalDeviceFeatures2* GpuRequirements::featureChain() {
    features.pNext = &features11;
    features11.pNext = &features13;
    features13.pNext = nullptr;
    return &features;
}

Result<void> GpuRequirements::checkDevice(VkPhysicalDevice device) const {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(device, &props);
    if (props.apiVersion < apiVersion) {
        return makeError(ErrorCode::kUnavailable, strCat(props.deviceName, " supports Vulkan ",
                                                         VK_API_VERSION_MAJOR(props.apiVersion), ".",
                                                         VK_API_VERSION_MINOR(props.apiVersion), ", 1.3 is needed"));
    }
    VkPhysicalDeviceVulkan11Features f11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
    VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    f.pNext = &f11;
    f11.pNext = &f13;
    vkGetPhysicalDeviceFeatures2(device, &f);
    if (!f11.multiview || !f13.dynamicRendering || !f13.synchronization2) {
        return makeError(ErrorCode::kUnavailable,
                         strCat(props.deviceName, " lacks multiview, dynamic rendering or synchronization2"));
    }
    std::uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> exts(count);
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, exts.data());
    for (const char* want : deviceExtensions) {
        const bool found = std::any_of(exts.begin(), exts.end(),
                                       [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, want) == 0; });
        if (!found) return makeError(ErrorCode::kUnavailable, strCat(props.deviceName, " lacks ", want));
    }
    return {};
}

namespace {

// Validation messages we knowingly ignore, by message ID number, each with
// its upstream cause. Keep this the only list.
constexpr std::int32_t kSuppressedMessageIds[] = {
    // (empty: no known false positives yet)
    0,
};

}  // namespace

VKAPI_ATTR VkBool32 VKAPI_CALL ValidationReport::callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                          VkDebugUtilsMessageTypeFlagsEXT,
                                                          const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                          void* user) {
    auto* report = static_cast<ValidationReport*>(user);
    for (std::int32_t id : kSuppressedMessageIds) {
        if (id != 0 && data->messageIdNumber == id) return VK_FALSE;
    }
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        report->errors.fetch_add(1);
        report->logger.error(strCat("validation: ", data->pMessage));
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        report->warnings.fetch_add(1);
        report->logger.warn(strCat("validation: ", data->pMessage));
    }
    return VK_FALSE;
}

VkDebugUtilsMessengerCreateInfoEXT ValidationReport::messengerInfo(ValidationReport* report) {
    VkDebugUtilsMessengerCreateInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    info.pfnUserCallback = &ValidationReport::callback;
    info.pUserData = report;
    return info;
}

Result<void> ValidationReport::checkLayerPresent() {
    std::uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, nullptr);
    std::vector<VkLayerProperties> props(n);
    vkEnumerateInstanceLayerProperties(&n, props.data());
    const bool have = std::any_of(props.begin(), props.end(), [](const VkLayerProperties& p) {
        return std::strcmp(p.layerName, "VK_LAYER_KHRONOS_validation") == 0;
    });
    if (!have) {
        return makeError(ErrorCode::kUnavailable,
                         "validation requested but VK_LAYER_KHRONOS_validation is missing "
                         "(install vulkan-validationlayers)");
    }
    return {};
}

namespace {

Result<VkDebugUtilsMessengerEXT> installMessenger(VkInstance instance, ValidationReport* report) {
    auto fn = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT"));
    if (!fn) {
        return makeError(ErrorCode::kUnavailable,
                         "validation requested but the instance lacks VK_EXT_debug_utils (vkCreateDebugUtilsMessengerEXT)");
    }
    const VkDebugUtilsMessengerCreateInfoEXT info = ValidationReport::messengerInfo(report);
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    MXR_TRY_VK(fn(instance, &info, nullptr, &messenger));
    return messenger;
}

}  // namespace

void GpuContext::provokeValidationError() const {
    VkBufferCreateInfo bi{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bi.size = 256;
    bi.usage = 0;  // VUID-VkBufferCreateInfo-usage-requiredbitmask
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (vkCreateBuffer(m_device, &bi, nullptr, &buffer) == VK_SUCCESS) vkDestroyBuffer(m_device, buffer, nullptr);
}

Result<std::unique_ptr<GpuContext>> GpuContext::create(const GpuRequirements& reqIn, const GpuCreateInfo& info,
                                                       Logger logger) {
    std::unique_ptr<GpuContext> ctx(new GpuContext());
    ctx->m_owned = true;
    ctx->m_logger = logger;
    ctx->m_validation->logger = logger.child("vulkan");
    GpuRequirements req = reqIn;

    std::vector<const char*> instanceExts = req.instanceExtensions;
    instanceExts.insert(instanceExts.end(), info.extraInstanceExtensions.begin(), info.extraInstanceExtensions.end());
    std::vector<const char*> layers;
    if (info.validation) {
        MXR_TRY(ValidationReport::checkLayerPresent());
        layers.push_back("VK_LAYER_KHRONOS_validation");
        instanceExts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }

    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = info.appName.c_str();
    app.pEngineName = "MentorXR";
    app.apiVersion = req.apiVersion;
    VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pApplicationInfo = &app;
    ici.enabledExtensionCount = static_cast<std::uint32_t>(instanceExts.size());
    ici.ppEnabledExtensionNames = instanceExts.data();
    ici.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
    ici.ppEnabledLayerNames = layers.data();
    VkDebugUtilsMessengerCreateInfoEXT dbg = ValidationReport::messengerInfo(ctx->m_validation.get());
    if (info.validation) ici.pNext = &dbg;
    const VkResult ir = vkCreateInstance(&ici, nullptr, &ctx->m_instance);
    if (ir == VK_ERROR_INCOMPATIBLE_DRIVER || ir == VK_ERROR_INITIALIZATION_FAILED) {
        return makeError(ErrorCode::kUnavailable,
                         strCat("no Vulkan driver found (vkCreateInstance: ", vkResultName(ir),
                                "); install a GPU driver, or mesa-vulkan-drivers for the software rasterizer"),
                         ir);
    }
    MXR_TRY_VK(ir);
    if (info.validation) {
        MXR_TRY_ASSIGN(ctx->m_messenger, installMessenger(ctx->m_instance, ctx->m_validation.get()));
    }
    if (info.makeSurface) {
        MXR_TRY_ASSIGN(ctx->m_surface, info.makeSurface(ctx->m_instance));
    }

    std::uint32_t count = 0;
    vkEnumeratePhysicalDevices(ctx->m_instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    vkEnumeratePhysicalDevices(ctx->m_instance, &count, devices.data());
    if (devices.empty()) {
        return makeError(ErrorCode::kUnavailable,
                         "no Vulkan device found; install a GPU driver, or mesa-vulkan-drivers for the software rasterizer");
    }
    // Prefer a discrete GPU, then integrated, then anything (lavapipe last).
    auto rank = [](VkPhysicalDevice d) {
        VkPhysicalDeviceProperties p;
        vkGetPhysicalDeviceProperties(d, &p);
        switch (p.deviceType) {
            case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
            case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
            case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
            case VK_PHYSICAL_DEVICE_TYPE_CPU: return 4;
            default: return 3;
        }
    };
    std::stable_sort(devices.begin(), devices.end(), [&](auto a, auto b) { return rank(a) < rank(b); });
    std::string reasons;
    for (VkPhysicalDevice d : devices) {
        if (auto ok = req.checkDevice(d); !ok) {
            reasons += ok.error().message + "; ";
            continue;
        }
        std::uint32_t qn = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(d, &qn, nullptr);
        std::vector<VkQueueFamilyProperties> qprops(qn);
        vkGetPhysicalDeviceQueueFamilyProperties(d, &qn, qprops.data());
        for (std::uint32_t q = 0; q < qn; ++q) {
            if (!(qprops[q].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
            if (ctx->m_surface) {
                VkBool32 present = VK_FALSE;
                vkGetPhysicalDeviceSurfaceSupportKHR(d, q, ctx->m_surface, &present);
                if (!present) continue;
            }
            ctx->m_physicalDevice = d;
            ctx->m_queueFamily = q;
            break;
        }
        if (ctx->m_physicalDevice) break;
        reasons += "no graphics queue that can present; ";
    }
    if (!ctx->m_physicalDevice) {
        return makeError(ErrorCode::kUnavailable, "no suitable Vulkan device: " + reasons);
    }
    vkGetPhysicalDeviceProperties(ctx->m_physicalDevice, &ctx->m_properties);

    std::vector<const char*> deviceExts = req.deviceExtensions;
    if (ctx->m_surface) deviceExts.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo qci{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qci.queueFamilyIndex = ctx->m_queueFamily;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.pNext = req.featureChain();
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    dci.enabledExtensionCount = static_cast<std::uint32_t>(deviceExts.size());
    dci.ppEnabledExtensionNames = deviceExts.data();
    MXR_TRY_VK(vkCreateDevice(ctx->m_physicalDevice, &dci, nullptr, &ctx->m_device));
    vkGetDeviceQueue(ctx->m_device, ctx->m_queueFamily, 0, &ctx->m_queue);
    logger.info(strCat("Vulkan device: ", ctx->m_properties.deviceName));
    return ctx;
}

Result<std::unique_ptr<GpuContext>> GpuContext::adopt(const ExternalGpu& external, Logger logger,
                                                      std::unique_ptr<ValidationReport> validation) {
    std::unique_ptr<GpuContext> ctx(new GpuContext());
    ctx->m_owned = false;
    ctx->m_logger = logger;
    if (validation) {
        ctx->m_validation = std::move(validation);
        if (!ctx->m_validation->logger.sink()) ctx->m_validation->logger = logger.child("vulkan");
        MXR_TRY_ASSIGN(ctx->m_messenger, installMessenger(external.instance, ctx->m_validation.get()));
    }
    ctx->m_instance = external.instance;
    ctx->m_physicalDevice = external.physicalDevice;
    ctx->m_device = external.device;
    ctx->m_queueFamily = external.queueFamily;
    vkGetDeviceQueue(external.device, external.queueFamily, external.queueIndex, &ctx->m_queue);
    vkGetPhysicalDeviceProperties(external.physicalDevice, &ctx->m_properties);
    return ctx;
}

GpuContext::~GpuContext() {
    if (m_owned && m_device) vkDestroyDevice(m_device, nullptr);
    if (m_owned && m_surface) vkDestroySurfaceKHR(m_instance, m_surface, nullptr);
    // The messenger is ours even on an adopted instance.
    if (m_messenger) {
        auto fn = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(m_instance, "vkDestroyDebugUtilsMessengerEXT"));
        if (fn) fn(m_instance, m_messenger, nullptr);
    }
    if (m_owned && m_instance) vkDestroyInstance(m_instance, nullptr);
}

}  // namespace mxr::engine
