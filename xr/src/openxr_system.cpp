// The OpenXR backend: XR_KHR_vulkan_enable2 (the runtime picks the physical
// device and takes part in creating instance and device) or, where only it
// is offered, XR_KHR_vulkan_enable; a two-layer array swapchain drawn with
// multiview plus a depth one for XR_KHR_composition_layer_depth; STAGE space
// (LOCAL fallback); the session state machine with restart after loss.
// Input (actions, bindings, hand tracking, haptics) is openxr_input.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <span>
#include <sstream>
#include <thread>

#include "openxr_anchors.h"
#include "openxr_input.h"
#include "openxr_see_through.h"
#include "openxr_util.h"
#include "vulkan_backend.h"

namespace mxr::xr {

// Walk the runtime's list (its order of preference) and take the first
// format the renderer can draw into, preferring sRGB so the compositor sees
// linear-light values; else the first renderable 8-bit UNORM one.
std::int64_t chooseSwapchainFormat(std::span<const std::int64_t> offered) {
    constexpr VkFormat kSrgb[] = {VK_FORMAT_R8G8B8A8_SRGB, VK_FORMAT_B8G8R8A8_SRGB};
    constexpr VkFormat kUnorm[] = {VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_UNORM};
    for (const auto& set : {std::span<const VkFormat>(kSrgb), std::span<const VkFormat>(kUnorm)}) {
        for (std::int64_t f : offered) {
            if (std::find(set.begin(), set.end(), static_cast<VkFormat>(f)) != set.end()) return f;
        }
    }
    return VK_FORMAT_UNDEFINED;
}

const char* xrResultName(XrInstance instance, XrResult r) {
    static thread_local char buf[XR_MAX_RESULT_STRING_SIZE];
    if (instance && xrResultToString(instance, r, buf) == XR_SUCCESS) return buf;
    switch (r) {
        case XR_ERROR_RUNTIME_UNAVAILABLE: return "XR_ERROR_RUNTIME_UNAVAILABLE";
        case XR_ERROR_RUNTIME_FAILURE: return "XR_ERROR_RUNTIME_FAILURE";
        case XR_ERROR_FORM_FACTOR_UNAVAILABLE: return "XR_ERROR_FORM_FACTOR_UNAVAILABLE";
        case XR_ERROR_EXTENSION_NOT_PRESENT: return "XR_ERROR_EXTENSION_NOT_PRESENT";
        case XR_ERROR_INSTANCE_LOST: return "XR_ERROR_INSTANCE_LOST";
        case XR_ERROR_SESSION_LOST: return "XR_ERROR_SESSION_LOST";
        default: return "XrResult";
    }
}

namespace {

#define MXR_TRY_XR(call) MXR_TRY_XR_AT(m_instance, "openxr_system.cpp", call)

const char* stateName(XrSessionState s) {
    switch (s) {
        case XR_SESSION_STATE_IDLE: return "IDLE";
        case XR_SESSION_STATE_READY: return "READY";
        case XR_SESSION_STATE_SYNCHRONIZED: return "SYNCHRONIZED";
        case XR_SESSION_STATE_VISIBLE: return "VISIBLE";
        case XR_SESSION_STATE_FOCUSED: return "FOCUSED";
        case XR_SESSION_STATE_STOPPING: return "STOPPING";
        case XR_SESSION_STATE_LOSS_PENDING: return "LOSS_PENDING";
        case XR_SESSION_STATE_EXITING: return "EXITING";
        default: return "UNKNOWN";
    }
}

const char* formatName(VkFormat f) {
    switch (f) {
        case VK_FORMAT_R8G8B8A8_SRGB: return "R8G8B8A8_SRGB";
        case VK_FORMAT_B8G8R8A8_SRGB: return "B8G8R8A8_SRGB";
        case VK_FORMAT_R8G8B8A8_UNORM: return "R8G8B8A8_UNORM";
        case VK_FORMAT_B8G8R8A8_UNORM: return "B8G8R8A8_UNORM";
        default: return "other";
    }
}

class OpenXrSystem final : public VulkanXrSystem {
public:
    OpenXrSystem(const OpenXrOptions& options, Logger logger)
        : VulkanXrSystem(logger), m_options(options), m_log(std::move(logger)) {}
    ~OpenXrSystem() override {
        releaseGraphics();
        destroySession();
        m_inputs.reset();  // the action set goes before the instance
        if (m_instance) xrDestroyInstance(m_instance);
    }

    // "ar" whenever the real world shows through (asked for, or the only
    // thing the headset can do), else "vr".
    const char* name() const override { return isSeeThrough(blendMode()) ? "ar" : "vr"; }

    Result<void> init() {
        std::uint32_t count = 0;
        MXR_TRY_XR(xrEnumerateInstanceExtensionProperties(nullptr, 0, &count, nullptr));
        std::vector<XrExtensionProperties> exts(count, {XR_TYPE_EXTENSION_PROPERTIES});
        MXR_TRY_XR(xrEnumerateInstanceExtensionProperties(nullptr, count, &count, exts.data()));
        auto has = [&](const char* n) {
            return std::any_of(exts.begin(), exts.end(), [&](auto& e) { return std::strcmp(e.extensionName, n) == 0; });
        };
        // XR_KHR_vulkan_enable2 where offered (unless told otherwise), else
        // the older XR_KHR_vulkan_enable.
        const bool v2 = has(XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME), v1 = has(XR_KHR_VULKAN_ENABLE_EXTENSION_NAME);
        if (!v1 && !v2) {
            return makeError(ErrorCode::kUnavailable, "the OpenXR runtime offers no Vulkan binding (XR_KHR_vulkan_enable2 or "
                                                      "XR_KHR_vulkan_enable)");
        }
        if (m_options.vulkanBinding == VulkanBinding::kEnable && !v1) {
            return makeError(ErrorCode::kUnavailable, "the OpenXR runtime does not offer XR_KHR_vulkan_enable");
        }
        if (m_options.vulkanBinding == VulkanBinding::kEnable2 && !v2) {
            return makeError(ErrorCode::kUnavailable, "the OpenXR runtime does not offer XR_KHR_vulkan_enable2");
        }
        m_enable2 = m_options.vulkanBinding == VulkanBinding::kEnable2 || (m_options.vulkanBinding == VulkanBinding::kAuto && v2);
        const char* binding = m_enable2 ? XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME : XR_KHR_VULKAN_ENABLE_EXTENSION_NAME;
        std::vector<const char*> enabled{binding};
        // Hand tracking drives the avatar's hands where the runtime has it.
        const bool handExt = has(XR_EXT_HAND_TRACKING_EXTENSION_NAME);
        if (handExt) enabled.push_back(XR_EXT_HAND_TRACKING_EXTENSION_NAME);
        // Depth helps the compositor reproject; submitted when offered.
        m_depthLayer = has(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
        if (m_depthLayer) enabled.push_back(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME);
        // Passthrough is for AR asked for explicitly: a Quest in auto or VR
        // mode shows the room, not the cameras.
        const bool passthroughExt = m_options.ar && has(XR_FB_PASSTHROUGH_EXTENSION_NAME);
        if (passthroughExt) enabled.push_back(XR_FB_PASSTHROUGH_EXTENSION_NAME);
        // World anchors for the workspace, persisted where offered.
        m_anchorExt = has(XR_MSFT_SPATIAL_ANCHOR_EXTENSION_NAME);
        m_anchorPersistence = m_anchorExt && has(XR_MSFT_SPATIAL_ANCHOR_PERSISTENCE_EXTENSION_NAME);
        if (m_anchorExt) enabled.push_back(XR_MSFT_SPATIAL_ANCHOR_EXTENSION_NAME);
        if (m_anchorPersistence) enabled.push_back(XR_MSFT_SPATIAL_ANCHOR_PERSISTENCE_EXTENSION_NAME);
        XrInstanceCreateInfo ci{XR_TYPE_INSTANCE_CREATE_INFO};
        std::strncpy(ci.applicationInfo.applicationName, m_options.appName.c_str(), XR_MAX_APPLICATION_NAME_SIZE - 1);
        std::strncpy(ci.applicationInfo.engineName, "MentorXR", XR_MAX_ENGINE_NAME_SIZE - 1);
        ci.applicationInfo.apiVersion = XR_MAKE_VERSION(1, 0, 20);
        ci.enabledExtensionCount = static_cast<std::uint32_t>(enabled.size());
        ci.enabledExtensionNames = enabled.data();
        MXR_TRY_XR(xrCreateInstance(&ci, &m_instance));
        XrSystemGetInfo si{XR_TYPE_SYSTEM_GET_INFO};
        si.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
        const XrResult sr = xrGetSystem(m_instance, &si, &m_system);
        if (sr == XR_ERROR_FORM_FACTOR_UNAVAILABLE || sr == XR_ERROR_FORM_FACTOR_UNSUPPORTED) {
            return makeError(ErrorCode::kUnavailable, "no headset is connected (XR_ERROR_FORM_FACTOR_UNAVAILABLE)", sr);
        }
        MXR_TRY_XR(sr);
        XrSystemProperties props{XR_TYPE_SYSTEM_PROPERTIES};
        XrSystemHandTrackingPropertiesEXT handProps{XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT};
        XrSystemPassthroughPropertiesFB passProps{XR_TYPE_SYSTEM_PASSTHROUGH_PROPERTIES_FB};
        if (handExt) props.next = &handProps;
        if (passthroughExt) {
            passProps.next = props.next;
            props.next = &passProps;
        }
        MXR_TRY_XR(xrGetSystemProperties(m_instance, m_system, &props));
        const bool handTracking = handExt && handProps.supportsHandTracking;
        m_log.info(strCat("OpenXR system: ", props.systemName, "; graphics binding ", binding,
                          handTracking ? "; hand tracking" : ""));

        std::uint32_t n = 0;
        MXR_TRY_XR(xrEnumerateEnvironmentBlendModes(m_instance, m_system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0,
                                                    &n, nullptr));
        std::vector<XrEnvironmentBlendMode> modes(n);
        MXR_TRY_XR(xrEnumerateEnvironmentBlendModes(m_instance, m_system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, n,
                                                    &n, modes.data()));
        MXR_TRY(chooseBlendMode(modes, props.systemName, passthroughExt && passProps.supportsPassthrough));
        m_inputs = std::make_unique<OpenXrInput>();
        MXR_TRY(m_inputs->create(m_instance, handTracking));
        return {};
    }

    // AR: the choice is openxr_see_through.cpp's; said once.
    Result<void> chooseBlendMode(const std::vector<XrEnvironmentBlendMode>& modes, const char* systemName,
                                 bool passthrough) {
        MXR_TRY_ASSIGN(const SeeThroughChoice c, chooseSeeThrough(modes, systemName, passthrough, m_options.ar));
        m_blend = c.blend;
        m_passthrough = c.passthrough;
        if (isSeeThrough(blendMode())) {
            m_log.info(strCat("AR: ", m_passthrough ? "passthrough (XR_FB_passthrough) under the projection layer"
                                                     : strCat(toString(blendMode()), " environment blend mode"),
                              m_options.ar ? "" : " (the headset offers only see-through blend modes)"));
        }
        return {};
    }

    Result<std::unique_ptr<engine::GpuContext>> createGpu(const engine::GpuRequirements& needsIn,
                                                          bool validation) override {
        engine::GpuRequirements needs = needsIn;
        std::vector<const char*> layers;
        std::vector<const char*> instanceExts = needs.instanceExtensions;
        // Validation sees this instance like any other: the layer, debug
        // utils, and a messenger counted by the context (chained into the
        // create info too, so creation itself is checked).
        std::unique_ptr<engine::ValidationReport> report;
        VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
        if (validation) {
            MXR_TRY(engine::ValidationReport::checkLayerPresent());
            layers.push_back("VK_LAYER_KHRONOS_validation");
            instanceExts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
            report = std::make_unique<engine::ValidationReport>();
            report->logger = m_log.child("gpu").child("vulkan");
            dbg = engine::ValidationReport::messengerInfo(report.get());
        }
        VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
        app.pApplicationName = m_options.appName.c_str();
        app.apiVersion = needs.apiVersion;
        VkInstanceCreateInfo vci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
        vci.pNext = validation ? &dbg : nullptr;
        vci.pApplicationInfo = &app;
        vci.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
        vci.ppEnabledLayerNames = layers.data();
        if (m_enable2) {
            MXR_TRY(createInstanceThroughRuntime(vci, instanceExts));
        } else {
            MXR_TRY(createInstanceForRuntime(vci, instanceExts));
        }
        MXR_TRY(needs.checkDevice(m_vkPhysical));
        std::uint32_t qn = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(m_vkPhysical, &qn, nullptr);
        std::vector<VkQueueFamilyProperties> qprops(qn);
        vkGetPhysicalDeviceQueueFamilyProperties(m_vkPhysical, &qn, qprops.data());
        m_queueFamily = UINT32_MAX;
        for (std::uint32_t i = 0; i < qn; ++i) {
            if (qprops[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
                m_queueFamily = i;
                break;
            }
        }
        if (m_queueFamily == UINT32_MAX) return makeError(ErrorCode::kUnavailable, "the headset's GPU has no graphics queue");
        const float prio = 1.0f;
        VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
        q.queueFamilyIndex = m_queueFamily;
        q.queueCount = 1;
        q.pQueuePriorities = &prio;
        std::vector<const char*> deviceExts = needs.deviceExtensions;
        VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
        dci.pNext = needs.featureChain();
        dci.queueCreateInfoCount = 1;
        dci.pQueueCreateInfos = &q;
        if (m_enable2) {
            MXR_TRY(createDeviceThroughRuntime(dci, deviceExts));
        } else {
            MXR_TRY(createDeviceForRuntime(dci, deviceExts));
        }
        return engine::GpuContext::adopt({m_vkInstance, m_vkPhysical, m_vkDevice, m_queueFamily, 0}, m_log.child("gpu"),
                                         std::move(report));
    }

    template <typename Fn>
    Result<Fn> proc(const char* name) {
        Fn fn = nullptr;
        MXR_TRY_XR(xrGetInstanceProcAddr(m_instance, name, reinterpret_cast<PFN_xrVoidFunction*>(&fn)));
        return fn;
    }

    static Result<void> checkVulkanVersion(XrVersion minVersion, XrVersion maxVersion) {
        if (XR_VERSION_MAJOR(minVersion) > 1 || XR_VERSION_MAJOR(maxVersion) < 1) {
            return makeError(ErrorCode::kUnavailable, "the OpenXR runtime needs an unsupported Vulkan version");
        }
        return {};
    }

    // XR_KHR_vulkan_enable2: the runtime creates instance and device from
    // our create infos, adding what it needs, and picks the physical device.
    Result<void> createInstanceThroughRuntime(VkInstanceCreateInfo& vci, std::vector<const char*>& exts) {
        MXR_TRY_ASSIGN(auto getReq, proc<PFN_xrGetVulkanGraphicsRequirements2KHR>("xrGetVulkanGraphicsRequirements2KHR"));
        MXR_TRY_ASSIGN(auto create, proc<PFN_xrCreateVulkanInstanceKHR>("xrCreateVulkanInstanceKHR"));
        MXR_TRY_ASSIGN(auto getDevice, proc<PFN_xrGetVulkanGraphicsDevice2KHR>("xrGetVulkanGraphicsDevice2KHR"));
        XrGraphicsRequirementsVulkan2KHR req{XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR};
        MXR_TRY_XR(getReq(m_instance, m_system, &req));
        MXR_TRY(checkVulkanVersion(req.minApiVersionSupported, req.maxApiVersionSupported));
        vci.enabledExtensionCount = static_cast<std::uint32_t>(exts.size());
        vci.ppEnabledExtensionNames = exts.data();
        XrVulkanInstanceCreateInfoKHR xci{XR_TYPE_VULKAN_INSTANCE_CREATE_INFO_KHR};
        xci.systemId = m_system;
        xci.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
        xci.vulkanCreateInfo = &vci;
        VkResult vr = VK_SUCCESS;
        MXR_TRY_XR(create(m_instance, &xci, &m_vkInstance, &vr));
        if (vr != VK_SUCCESS) return engine::vkError(vr, "vkCreateInstance (through OpenXR)", __FILE__, __LINE__);
        XrVulkanGraphicsDeviceGetInfoKHR gi{XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR};
        gi.systemId = m_system;
        gi.vulkanInstance = m_vkInstance;
        MXR_TRY_XR(getDevice(m_instance, &gi, &m_vkPhysical));
        return {};
    }

    Result<void> createDeviceThroughRuntime(VkDeviceCreateInfo& dci, std::vector<const char*>& exts) {
        MXR_TRY_ASSIGN(auto create, proc<PFN_xrCreateVulkanDeviceKHR>("xrCreateVulkanDeviceKHR"));
        dci.enabledExtensionCount = static_cast<std::uint32_t>(exts.size());
        dci.ppEnabledExtensionNames = exts.data();
        XrVulkanDeviceCreateInfoKHR xdi{XR_TYPE_VULKAN_DEVICE_CREATE_INFO_KHR};
        xdi.systemId = m_system;
        xdi.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
        xdi.vulkanPhysicalDevice = m_vkPhysical;
        xdi.vulkanCreateInfo = &dci;
        VkResult vr = VK_SUCCESS;
        MXR_TRY_XR(create(m_instance, &xdi, &m_vkDevice, &vr));
        if (vr != VK_SUCCESS) return engine::vkError(vr, "vkCreateDevice (through OpenXR)", __FILE__, __LINE__);
        return {};
    }

    // XR_KHR_vulkan_enable (the older binding): the runtime lists the
    // extensions it needs as one space-separated string; we create instance
    // and device ourselves, on the physical device it names.
    Result<void> appendRuntimeExtensions(PFN_xrGetVulkanInstanceExtensionsKHR list, std::vector<const char*>& exts) {
        std::uint32_t n = 0;
        MXR_TRY_XR(list(m_instance, m_system, 0, &n, nullptr));
        std::string text(n, '\0');
        MXR_TRY_XR(list(m_instance, m_system, n, &n, text.data()));
        std::stringstream ss(text.c_str());
        std::string name;
        while (ss >> name) {
            if (std::none_of(exts.begin(), exts.end(), [&](const char* e) { return name == e; })) {
                m_extensionNames.push_back(name);
                exts.push_back(m_extensionNames.back().c_str());
            }
        }
        return {};
    }

    Result<void> createInstanceForRuntime(VkInstanceCreateInfo& vci, std::vector<const char*>& exts) {
        MXR_TRY_ASSIGN(auto getReq, proc<PFN_xrGetVulkanGraphicsRequirementsKHR>("xrGetVulkanGraphicsRequirementsKHR"));
        MXR_TRY_ASSIGN(auto list, proc<PFN_xrGetVulkanInstanceExtensionsKHR>("xrGetVulkanInstanceExtensionsKHR"));
        MXR_TRY_ASSIGN(auto getDevice, proc<PFN_xrGetVulkanGraphicsDeviceKHR>("xrGetVulkanGraphicsDeviceKHR"));
        XrGraphicsRequirementsVulkanKHR req{XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN_KHR};
        MXR_TRY_XR(getReq(m_instance, m_system, &req));
        MXR_TRY(checkVulkanVersion(req.minApiVersionSupported, req.maxApiVersionSupported));
        MXR_TRY(appendRuntimeExtensions(list, exts));
        vci.enabledExtensionCount = static_cast<std::uint32_t>(exts.size());
        vci.ppEnabledExtensionNames = exts.data();
        if (const VkResult vr = vkCreateInstance(&vci, nullptr, &m_vkInstance); vr != VK_SUCCESS) {
            return engine::vkError(vr, "vkCreateInstance (for OpenXR)", __FILE__, __LINE__);
        }
        MXR_TRY_XR(getDevice(m_instance, m_system, m_vkInstance, &m_vkPhysical));
        return {};
    }

    Result<void> createDeviceForRuntime(VkDeviceCreateInfo& dci, std::vector<const char*>& exts) {
        MXR_TRY_ASSIGN(auto list, proc<PFN_xrGetVulkanDeviceExtensionsKHR>("xrGetVulkanDeviceExtensionsKHR"));
        MXR_TRY(appendRuntimeExtensions(list, exts));
        dci.enabledExtensionCount = static_cast<std::uint32_t>(exts.size());
        dci.ppEnabledExtensionNames = exts.data();
        if (const VkResult vr = vkCreateDevice(m_vkPhysical, &dci, nullptr, &m_vkDevice); vr != VK_SUCCESS) {
            return engine::vkError(vr, "vkCreateDevice (for OpenXR)", __FILE__, __LINE__);
        }
        return {};
    }

    Result<void> attach(engine::VulkanRenderer& renderer) override {
        m_renderer = &renderer;
        m_graphicsInvalid = false;  // made on the GPU the runtime names now
        m_recovering = false;
        return createSession();
    }

    void detach() override {
        destroySession();
        m_renderer = nullptr;
    }

    // The device and instance were made with the runtime for us (the
    // GpuContext adopted them): they go with the bundle, so a renderer
    // recreated after a lost device gets a new device and a new session.
    void releaseGpu() override {
        if (m_vkDevice) vkDestroyDevice(m_vkDevice, nullptr);
        if (m_vkInstance) vkDestroyInstance(m_vkInstance, nullptr);
        m_vkDevice = VK_NULL_HANDLE;
        m_vkInstance = VK_NULL_HANDLE;
        m_vkPhysical = VK_NULL_HANDLE;
    }

    bool pollEvents() override {
        // While the session is not running (IDLE: the headset is off)
        // nothing paces the loop: sleep here, in steps, until an event
        // comes or about 100 ms have passed, so the client wakes about ten
        // times a second instead of spinning.
        for (int step = 0;; ++step) {
            const std::size_t seen = m_eventsSeen;
            if (!drainEvents()) return false;
            if (m_recovering && !m_graphicsInvalid && std::chrono::steady_clock::now() >= m_nextSystemPoll) {
                recoverSession();
                if (m_exit) return false;
            }
            if (m_running || m_eventsSeen != seen || step >= kIdleSteps) return true;
            std::this_thread::sleep_for(kIdleStep);
        }
    }

    bool graphicsInvalid() const override { return m_graphicsInvalid; }

    // After a session loss: is the headset back (xrGetSystem)? Then the
    // graphics requirements and the runtime's GPU are asked again; on the
    // same GPU a new session is made here, on another one the client
    // rebuilds the graphics bundle (graphicsInvalid(); createGraphics then
    // attaches a new session). Not back: asked again in a second.
    void recoverSession() {
        XrSystemGetInfo si{XR_TYPE_SYSTEM_GET_INFO};
        si.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
        XrSystemId system = XR_NULL_SYSTEM_ID;
        const XrResult r = xrGetSystem(m_instance, &si, &system);
        if (r == XR_ERROR_FORM_FACTOR_UNAVAILABLE) {
            if (!m_toldWaiting) m_log.info("waiting for the headset to come back (checking every second)");
            m_toldWaiting = true;
            m_nextSystemPoll = std::chrono::steady_clock::now() + std::chrono::seconds(1);
            return;
        }
        if (XR_FAILED(r)) return fatal(r, "the headset cannot be found again after a session loss (xrGetSystem)");
        m_system = system;
        m_toldWaiting = false;
        auto device = queryRuntimeDevice();
        if (!device) {
            return fatal(static_cast<XrResult>(device.error().native), strCat("after a session loss: ", device.error().message));
        }
        m_recovering = false;
        if (*device != m_vkPhysical) {
            m_log.warn("the headset is back on another GPU; the renderer is rebuilt for it");
            m_graphicsInvalid = true;
            return;
        }
        if (auto made = createSession(); !made) {
            fatal(static_cast<XrResult>(made.error().native), strCat("cannot restart the OpenXR session: ", made.error().message));
        }
    }

    // The graphics requirements (must be asked before each xrCreateSession
    // of a newly got system) and the physical device the runtime names for
    // our Vulkan instance.
    Result<VkPhysicalDevice> queryRuntimeDevice() {
        VkPhysicalDevice device = VK_NULL_HANDLE;
        if (m_enable2) {
            MXR_TRY_ASSIGN(auto getReq, proc<PFN_xrGetVulkanGraphicsRequirements2KHR>("xrGetVulkanGraphicsRequirements2KHR"));
            MXR_TRY_ASSIGN(auto getDevice, proc<PFN_xrGetVulkanGraphicsDevice2KHR>("xrGetVulkanGraphicsDevice2KHR"));
            XrGraphicsRequirementsVulkan2KHR req{XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR};
            MXR_TRY_XR(getReq(m_instance, m_system, &req));
            MXR_TRY(checkVulkanVersion(req.minApiVersionSupported, req.maxApiVersionSupported));
            XrVulkanGraphicsDeviceGetInfoKHR gi{XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR};
            gi.systemId = m_system;
            gi.vulkanInstance = m_vkInstance;
            MXR_TRY_XR(getDevice(m_instance, &gi, &device));
        } else {
            MXR_TRY_ASSIGN(auto getReq, proc<PFN_xrGetVulkanGraphicsRequirementsKHR>("xrGetVulkanGraphicsRequirementsKHR"));
            MXR_TRY_ASSIGN(auto getDevice, proc<PFN_xrGetVulkanGraphicsDeviceKHR>("xrGetVulkanGraphicsDeviceKHR"));
            XrGraphicsRequirementsVulkanKHR req{XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN_KHR};
            MXR_TRY_XR(getReq(m_instance, m_system, &req));
            MXR_TRY(checkVulkanVersion(req.minApiVersionSupported, req.maxApiVersionSupported));
            MXR_TRY_XR(getDevice(m_instance, m_system, m_vkInstance, &device));
        }
        return device;
    }

    static constexpr int kIdleSteps = 10;
    static constexpr std::chrono::milliseconds kIdleStep{10};

    bool drainEvents() {
        XrEventDataBuffer ev{XR_TYPE_EVENT_DATA_BUFFER};
        XrResult polled = XR_SUCCESS;
        while (!m_failure && (polled = xrPollEvent(m_instance, &ev)) == XR_SUCCESS) {
            ++m_eventsSeen;
            switch (ev.type) {
                case XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED: {
                    const auto& e = reinterpret_cast<const XrEventDataSessionStateChanged&>(ev);
                    // A destroyed session's late events are not ours.
                    if (e.session == m_session && m_session) onState(e.state);
                    break;
                }
                case XR_TYPE_EVENT_DATA_REFERENCE_SPACE_CHANGE_PENDING:
                    onSpaceChange(reinterpret_cast<const XrEventDataReferenceSpaceChangePending&>(ev));
                    break;
                case XR_TYPE_EVENT_DATA_INSTANCE_LOSS_PENDING:
                    fatal(XR_ERROR_INSTANCE_LOST, "the OpenXR runtime is going away (instance loss pending)");
                    break;
                default:
                    break;
            }
            ev = XrEventDataBuffer{XR_TYPE_EVENT_DATA_BUFFER};
        }
        // A runtime that crashed or restarted fails here, with no event
        // first, whatever state the session is in (idle included).
        if (!m_failure && XR_FAILED(polled)) {
            fatal(polled, polled == XR_ERROR_INSTANCE_LOST
                              ? "the OpenXR runtime was lost (it crashed or was restarted)"
                              : "the OpenXR runtime's event queue failed");
        }
        return !m_exit;
    }

    std::optional<Error> failure() const override { return m_failure; }

    Result<FrameState> beginFrame() override {
        FrameState f;
        f.shouldRender = false;
        if (!m_running) {
            f.idle = true;  // pollEvents() slept; no frame to wait for
            return f;
        }
        // Back to SYNCHRONIZED after being visible (the display slept, the
        // headset is off): the frame loop must go on (xrWaitFrame paces
        // it), but nobody sees what would be drawn. The SYNCHRONIZED of a
        // starting session is not idleness: it lasts a frame.
        f.idle = m_wasVisible && m_state == XR_SESSION_STATE_SYNCHRONIZED;
        XrFrameState fs{XR_TYPE_FRAME_STATE};
        XrFrameWaitInfo wi{XR_TYPE_FRAME_WAIT_INFO};
        // XR_ERROR_SESSION_LOST: the LOSS_PENDING event that follows makes
        // pollEvents() restart the session; until then, draw nothing.
        if (lost(xrWaitFrame(m_session, &wi, &fs))) return f;
        MXR_TRY_XR(m_lastResult);
        XrFrameBeginInfo bi{XR_TYPE_FRAME_BEGIN_INFO};
        if (lost(xrBeginFrame(m_session, &bi))) return f;
        MXR_TRY_XR(m_lastResult);
        m_frameBegun = true;
        f.predictedDisplayTime = fs.predictedDisplayTime;
        f.deltaSeconds = m_lastDisplayTime ? nanosToSeconds(fs.predictedDisplayTime - m_lastDisplayTime) : 0.0;
        m_lastDisplayTime = fs.predictedDisplayTime;
        m_displayTime = fs.predictedDisplayTime;
        m_inputs->sync(fs.predictedDisplayTime, m_focused);
        m_anchors.locate(fs.predictedDisplayTime);
        if (!fs.shouldRender) return f;

        XrViewLocateInfo li{XR_TYPE_VIEW_LOCATE_INFO};
        li.viewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        li.displayTime = fs.predictedDisplayTime;
        li.space = m_appSpace;
        XrViewState vs{XR_TYPE_VIEW_STATE};
        std::uint32_t n = 2;
        m_views.fill(XrView{XR_TYPE_VIEW});
        if (lost(xrLocateViews(m_session, &li, &vs, 2, &n, m_views.data()))) return f;
        MXR_TRY_XR(m_lastResult);
        if (!(vs.viewStateFlags & XR_VIEW_STATE_ORIENTATION_VALID_BIT)) {
            return f;  // no valid orientation: nothing can be shown the right way round, no layers
        }
        if (vs.viewStateFlags & XR_VIEW_STATE_POSITION_VALID_BIT) {
            for (int v = 0; v < 2; ++v) m_lastEyes[v] = toPose(m_views[v].pose);
            m_haveLastEyes = true;
        } else if (!holdLastPosition()) {
            return f;  // position lost before it was ever known: no layers
        }
        std::uint32_t index = 0;
        XrSwapchainImageAcquireInfo ai{XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO};
        if (lost(xrAcquireSwapchainImage(m_swapchain, &ai, &index))) return f;
        MXR_TRY_XR(m_lastResult);
        XrSwapchainImageWaitInfo wait{XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO};
        wait.timeout = XR_INFINITE_DURATION;
        if (lost(xrWaitSwapchainImage(m_swapchain, &wait))) return f;
        MXR_TRY_XR(m_lastResult);
        m_acquired = true;
        std::uint32_t depthIndex = kNoDepth;
        if (m_depthSwapchain) {
            if (lost(xrAcquireSwapchainImage(m_depthSwapchain, &ai, &depthIndex))) return f;
            MXR_TRY_XR(m_lastResult);
            if (lost(xrWaitSwapchainImage(m_depthSwapchain, &wait))) return f;
            MXR_TRY_XR(m_lastResult);
            m_depthAcquired = true;
        }
        MXR_TRY_ASSIGN(f.target, targetFor(index, depthIndex));
        for (int v = 0; v < 2; ++v) {
            const auto& fov = m_views[v].fov;
            f.views.push_back({toPose(m_views[v].pose), Fov{fov.angleLeft, fov.angleRight, fov.angleUp, fov.angleDown}});
        }
        f.shouldRender = true;
        return f;
    }

    Result<void> endFrame(const FrameState& frame) override {
        if (!m_frameBegun) return {};
        m_frameBegun = false;
        if (m_acquired) {
            XrSwapchainImageReleaseInfo ri{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
            if (lost(xrReleaseSwapchainImage(m_swapchain, &ri))) return {};
            MXR_TRY_XR(m_lastResult);
            m_acquired = false;
        }
        if (m_depthAcquired) {
            XrSwapchainImageReleaseInfo ri{XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO};
            if (lost(xrReleaseSwapchainImage(m_depthSwapchain, &ri))) return {};
            MXR_TRY_XR(m_lastResult);
            m_depthAcquired = false;
        }
        XrCompositionLayerDepthInfoKHR depth[2]{{XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR},
                                                {XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR}};
        XrCompositionLayerProjectionView pv[2]{{XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW},
                                               {XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW}};
        XrCompositionLayerProjection layer{XR_TYPE_COMPOSITION_LAYER_PROJECTION};
        // With passthrough the cameras' layer goes first, under ours.
        XrCompositionLayerPassthroughFB camera{XR_TYPE_COMPOSITION_LAYER_PASSTHROUGH_FB};
        camera.layerHandle = m_camera.layer();
        const XrCompositionLayerBaseHeader* layers[2] = {reinterpret_cast<XrCompositionLayerBaseHeader*>(&camera),
                                                         reinterpret_cast<XrCompositionLayerBaseHeader*>(&layer)};
        XrFrameEndInfo ei{XR_TYPE_FRAME_END_INFO};
        ei.displayTime = m_displayTime;
        ei.environmentBlendMode = m_blend;
        if (frame.shouldRender) {
            for (std::uint32_t v = 0; v < 2; ++v) {
                pv[v].pose = m_views[v].pose;
                pv[v].fov = m_views[v].fov;
                pv[v].subImage.swapchain = m_swapchain;
                pv[v].subImage.imageRect = {{0, 0}, {std::int32_t(m_extent.width), std::int32_t(m_extent.height)}};
                pv[v].subImage.imageArrayIndex = v;
                if (m_depthSwapchain) {
                    depth[v].subImage = pv[v].subImage;
                    depth[v].subImage.swapchain = m_depthSwapchain;
                    depth[v].minDepth = 0.0f;
                    depth[v].maxDepth = 1.0f;
                    depth[v].nearZ = engine::kNearZ;
                    depth[v].farZ = engine::kFarZ;
                    pv[v].next = &depth[v];
                }
            }
            layer.space = m_appSpace;
            // See-through: our alpha (0 where nothing is drawn) lets the
            // world show; the image is premultiplied (blending over a
            // transparent black clear), the default the bit assumes.
            if (isSeeThrough(blendMode())) layer.layerFlags = XR_COMPOSITION_LAYER_BLEND_TEXTURE_SOURCE_ALPHA_BIT;
            layer.viewCount = 2;
            layer.views = pv;
            const bool underlay = m_camera.layer() != XR_NULL_HANDLE;
            ei.layerCount = underlay ? 2 : 1;
            ei.layers = underlay ? layers : layers + 1;
        }
        if (lost(xrEndFrame(m_session, &ei))) return {};
        MXR_TRY_XR(m_lastResult);
        return {};
    }

    const InputState& input() const override { return m_inputs ? m_inputs->state() : m_noInput; }
    BlendMode blendMode() const override {
        switch (m_blend) {
            case XR_ENVIRONMENT_BLEND_MODE_ADDITIVE: return BlendMode::kAdditive;
            case XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND: return BlendMode::kAlphaBlend;
            default: return m_passthrough ? BlendMode::kPassthrough : BlendMode::kOpaque;
        }
    }

    bool anchorsSupported() const override { return m_anchorExt; }
    Result<void> placeAnchor(const std::string& name, const Pose& pose, bool& persisted) override {
        persisted = false;
        if (!m_anchorExt) return makeError(ErrorCode::kUnavailable, "the OpenXR runtime has no XR_MSFT_spatial_anchor");
        if (!m_running || !m_displayTime) return makeError(ErrorCode::kUnavailable, "no running OpenXR session");
        return m_anchors.place(name, pose, m_displayTime, persisted);
    }
    std::optional<Pose> anchorPose(const std::string& name) const override { return m_anchors.pose(name); }

    void requestQuit() override {
        m_quitRequested = true;
        if (m_session && m_running) {
            // The runtime answers with STOPPING; if it refuses, nothing
            // will walk the session down: leave now.
            if (const XrResult r = xrRequestExitSession(m_session); XR_FAILED(r)) {
                m_log.warn(strCat("xrRequestExitSession failed (", xrResultName(m_instance, r), "); leaving now"));
                m_exit = true;
            }
        } else {
            m_exit = true;
        }
    }

    void haptic(int hand, float amplitude, float seconds) override {
        if (m_session && m_focused) m_inputs->haptic(hand, amplitude, seconds);
    }

    Result<engine::Image> captureFrame(const FrameState& frame, std::uint32_t view) override {
        if (!frame.shouldRender) return makeError(ErrorCode::kUnavailable, "the runtime asked for no frame");
        return m_renderer->readback(frame.target, view);
    }

    std::uint32_t sessionsCreated() const { return m_sessions; }

private:
    Result<void> createSession() {
        XrGraphicsBindingVulkan2KHR binding{XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR};
        binding.instance = m_vkInstance;
        binding.physicalDevice = m_vkPhysical;
        binding.device = m_vkDevice;
        binding.queueFamilyIndex = m_queueFamily;
        binding.queueIndex = 0;
        XrSessionCreateInfo sci{XR_TYPE_SESSION_CREATE_INFO};
        sci.next = &binding;
        sci.systemId = m_system;
        MXR_TRY_XR(xrCreateSession(m_instance, &sci, &m_session));
        ++m_sessions;

        // STAGE (floor-level, room-scale) when the runtime has it, else LOCAL.
        std::uint32_t n = 0;
        MXR_TRY_XR(xrEnumerateReferenceSpaces(m_session, 0, &n, nullptr));
        std::vector<XrReferenceSpaceType> spaces(n);
        MXR_TRY_XR(xrEnumerateReferenceSpaces(m_session, n, &n, spaces.data()));
        const bool stage = std::find(spaces.begin(), spaces.end(), XR_REFERENCE_SPACE_TYPE_STAGE) != spaces.end();
        m_appSpaceType = stage ? XR_REFERENCE_SPACE_TYPE_STAGE : XR_REFERENCE_SPACE_TYPE_LOCAL;
        m_floorBelowLocal = m_options.eyeHeight;
        MXR_TRY(createAppSpace());
        XrReferenceSpaceCreateInfo rsi{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
        rsi.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_VIEW;
        rsi.poseInReferenceSpace = kIdentity;
        MXR_TRY_XR(xrCreateReferenceSpace(m_session, &rsi, &m_viewSpace));
        MXR_TRY(m_inputs->attach(m_session, m_appSpace, m_viewSpace));
        if (m_passthrough) MXR_TRY(m_camera.start(m_instance, m_session));
        if (m_anchorExt) MXR_TRY(m_anchors.attach(m_instance, m_session, m_appSpace, m_anchorPersistence));

        // Colour swapchain: two array layers (one per eye) for multiview.
        XrViewConfigurationView vcv[2]{{XR_TYPE_VIEW_CONFIGURATION_VIEW}, {XR_TYPE_VIEW_CONFIGURATION_VIEW}};
        MXR_TRY_XR(xrEnumerateViewConfigurationViews(m_instance, m_system, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 2,
                                                     &n, vcv));
        m_extent = {vcv[0].recommendedImageRectWidth, vcv[0].recommendedImageRectHeight};
        MXR_TRY_XR(xrEnumerateSwapchainFormats(m_session, 0, &n, nullptr));
        std::vector<std::int64_t> formats(n);
        MXR_TRY_XR(xrEnumerateSwapchainFormats(m_session, n, &n, formats.data()));
        const auto chosen = static_cast<VkFormat>(chooseSwapchainFormat(formats));
        if (chosen == VK_FORMAT_UNDEFINED) {
            return makeError(ErrorCode::kUnavailable, "the OpenXR runtime offers no 8-bit RGBA swapchain format");
        }
        m_format = chosen;
        XrSwapchainCreateInfo sw{XR_TYPE_SWAPCHAIN_CREATE_INFO};
        sw.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_TRANSFER_SRC_BIT |
                        XR_SWAPCHAIN_USAGE_SAMPLED_BIT;
        sw.format = chosen;
        sw.sampleCount = 1;
        sw.width = m_extent.width;
        sw.height = m_extent.height;
        sw.faceCount = 1;
        sw.arraySize = 2;
        sw.mipCount = 1;
        MXR_TRY_XR(xrCreateSwapchain(m_session, &sw, &m_swapchain));
        MXR_TRY_XR(xrEnumerateSwapchainImages(m_swapchain, 0, &n, nullptr));
        std::vector<XrSwapchainImageVulkan2KHR> images(n, {XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR});
        MXR_TRY_XR(xrEnumerateSwapchainImages(m_swapchain, n, &n,
                                              reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())));
        // Borrowed: the runtime owns these images; the renderer gets them
        // as targets when first acquired (targetFor).
        for (const auto& img : images) m_colorImages.push_back(img.image);

        // Depth: a D32 array swapchain beside the colour one, when the
        // runtime has the extension and the renderer's depth format.
        const bool d32 = std::find(formats.begin(), formats.end(), std::int64_t(VK_FORMAT_D32_SFLOAT)) != formats.end();
        if (m_depthLayer && d32) {
            sw.usageFlags = XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;
            sw.format = VK_FORMAT_D32_SFLOAT;
            MXR_TRY_XR(xrCreateSwapchain(m_session, &sw, &m_depthSwapchain));
            MXR_TRY_XR(xrEnumerateSwapchainImages(m_depthSwapchain, 0, &n, nullptr));
            std::vector<XrSwapchainImageVulkan2KHR> depthImages(n, {XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR});
            MXR_TRY_XR(xrEnumerateSwapchainImages(m_depthSwapchain, n, &n,
                                                  reinterpret_cast<XrSwapchainImageBaseHeader*>(depthImages.data())));
            for (const auto& img : depthImages) m_depthImages.push_back(img.image);
        }
        m_log.info(strCat("OpenXR session: ", m_extent.width, "x", m_extent.height, " per eye, ",
                          stage ? "STAGE" : "LOCAL", " space, swapchain format ", formatName(chosen), " (",
                          int(chosen), ")", m_depthSwapchain ? ", depth submitted (D32_SFLOAT)" : ", no depth layer"));
        return {};
    }

    void destroySession() {
        if (m_renderer) {
            for (const auto& [key, t] : m_targets) m_renderer->unregisterTarget(t);
        }
        m_targets.clear();
        m_colorImages.clear();
        m_depthImages.clear();
        if (m_swapchain) xrDestroySwapchain(m_swapchain);
        if (m_depthSwapchain) xrDestroySwapchain(m_depthSwapchain);
        m_depthSwapchain = XR_NULL_HANDLE;
        m_depthAcquired = false;
        m_haveLastEyes = false;  // a new session may track from elsewhere
        m_wasVisible = false;
        if (m_inputs) m_inputs->detach();
        m_camera.stop();
        m_anchors.detach();
        if (m_viewSpace) xrDestroySpace(m_viewSpace);
        if (m_appSpace) xrDestroySpace(m_appSpace);
        if (m_session) xrDestroySession(m_session);
        m_swapchain = XR_NULL_HANDLE;
        m_viewSpace = m_appSpace = XR_NULL_HANDLE;
        m_session = XR_NULL_HANDLE;
        m_running = m_focused = m_frameBegun = m_acquired = false;
    }

    void onState(XrSessionState state) {
        m_state = state;
        m_log.debug(strCat("OpenXR session state ", stateName(state)));
        // Out of FOCUSED nothing of the controllers may go on acting, also
        // on paths where no frame syncs the actions (STOPPING, IDLE).
        if (state != XR_SESSION_STATE_FOCUSED) m_inputs->clearFocusedInput();
        switch (state) {
            case XR_SESSION_STATE_READY: {
                XrSessionBeginInfo bi{XR_TYPE_SESSION_BEGIN_INFO};
                bi.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
                const XrResult r = xrBeginSession(m_session, &bi);
                if (XR_SUCCEEDED(r)) {
                    m_running = true;
                } else {
                    fatal(r, "the OpenXR session cannot begin (xrBeginSession)");
                }
                break;
            }
            case XR_SESSION_STATE_FOCUSED: m_focused = m_wasVisible = true; break;
            case XR_SESSION_STATE_VISIBLE:
                m_focused = false;
                m_wasVisible = true;
                break;
            case XR_SESSION_STATE_STOPPING: {
                const XrResult r = xrEndSession(m_session);
                m_running = m_focused = false;
                if (XR_FAILED(r)) fatal(r, "the OpenXR session cannot end (xrEndSession)");
                break;
            }
            case XR_SESSION_STATE_LOSS_PENDING:
                // The runtime lost the session (e.g. the headset went away):
                // start over with a new one unless we were quitting.
                // A real loss (headset unplugged, link dropped, runtime
                // service restarted) usually outlasts this moment: the
                // system is got again (xrGetSystem, about once a second)
                // before a new session, on whatever GPU the runtime then
                // names (pollEvents, recoverSession).
                m_log.warn("OpenXR session lost; restarting it once the headset is back");
                destroySession();
                if (m_quitRequested) {
                    m_exit = true;
                } else {
                    m_recovering = true;
                    m_nextSystemPoll = std::chrono::steady_clock::now();
                }
                break;
            case XR_SESSION_STATE_EXITING: m_exit = true; break;
            default: break;
        }
    }

    // The renderer target for a colour image and (optionally) a depth image
    // of the swapchains; the two swapchains' indices need not move together,
    // so each pair seen gets its own target (normally as many as images).
    Result<engine::TargetHandle> targetFor(std::uint32_t color, std::uint32_t depth) {
        const std::uint64_t key = (std::uint64_t(color) << 32) | depth;
        if (auto it = m_targets.find(key); it != m_targets.end()) return it->second;
        if (color >= m_colorImages.size() || (depth != kNoDepth && depth >= m_depthImages.size())) {
            return makeError(ErrorCode::kXr, "the OpenXR runtime acquired an image index it never enumerated");
        }
        engine::TargetDesc desc{m_colorImages[color], m_format, m_extent, 2, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, true};
        if (depth != kNoDepth) desc.depthImage = m_depthImages[depth];
        MXR_TRY_ASSIGN(engine::TargetHandle t, m_renderer->registerTarget(desc));
        m_targets.emplace(key, t);
        return t;
    }

    // Only the position is lost (a tracking camera covered, out of the
    // base stations' view): the eyes stay where they last were and turn
    // with the still valid orientation, so the wearer sees a steady room
    // instead of a black frame. The views submitted are the ones drawn.
    bool holdLastPosition() {
        if (!m_haveLastEyes) return false;
        const Vec3 centre = 0.5f * (m_lastEyes[0].position + m_lastEyes[1].position);
        for (int v = 0; v < 2; ++v) {
            const Vec3 eyeInHead = glm::inverse(m_lastEyes[v].orientation) * (m_lastEyes[v].position - centre);
            const Quat now = toPose(m_views[v].pose).orientation;
            const Vec3 p = centre + now * eyeInHead;
            m_views[v].pose.position = {p.x, p.y, p.z};
        }
        return true;
    }

    // The room's tracking space: STAGE (its origin is on the floor), else
    // LOCAL lowered by the floor's depth below LOCAL's origin (the eyes).
    Result<void> createAppSpace() {
        XrReferenceSpaceCreateInfo rsi{XR_TYPE_REFERENCE_SPACE_CREATE_INFO};
        rsi.referenceSpaceType = m_appSpaceType;
        rsi.poseInReferenceSpace = kIdentity;
        if (m_appSpaceType == XR_REFERENCE_SPACE_TYPE_LOCAL) rsi.poseInReferenceSpace.position.y = -m_floorBelowLocal;
        MXR_TRY_XR(xrCreateReferenceSpace(m_session, &rsi, &m_appSpace));
        return {};
    }

    // The runtime recentred (or moved) a reference space. With the LOCAL
    // fallback its origin moved to where the eyes now are, so the floor is
    // re-derived from how far the origin moved (the event's pose in the
    // previous space), or from the stated eye height when the runtime does
    // not say; then the room space is made anew.
    void onSpaceChange(const XrEventDataReferenceSpaceChangePending& e) {
        if (e.session != m_session || !m_session || e.referenceSpaceType != m_appSpaceType) return;
        if (m_appSpaceType != XR_REFERENCE_SPACE_TYPE_LOCAL) {
            m_log.info("the runtime moved the STAGE space; the floor stays its origin");
            return;
        }
        m_floorBelowLocal = e.poseValid ? m_floorBelowLocal + e.poseInPreviousSpace.position.y : m_options.eyeHeight;
        m_log.info(strCat("the runtime recentred LOCAL; the floor is now ", m_floorBelowLocal, " m below it"));
        if (m_appSpace) xrDestroySpace(m_appSpace);
        m_appSpace = XR_NULL_HANDLE;
        if (auto r = createAppSpace(); !r) return fatal(static_cast<XrResult>(r.error().native), r.error().message);
        m_inputs->setAppSpace(m_appSpace);
        m_anchors.setAppSpace(m_appSpace);
    }

    // Ends the run as a failure (ClientApp exits 1 with the message); the
    // first failure is the one reported.
    void fatal(XrResult r, const std::string& what) {
        if (!m_failure) {
            const std::string message = strCat(what, " (", xrResultName(m_instance, r), ")");
            m_log.error(message);
            m_failure = Error{ErrorCode::kXr, static_cast<std::int64_t>(r), message};
        }
        m_exit = true;
    }

    // Remembers `r`; true when the session is lost (stop using it and wait
    // for LOSS_PENDING).
    bool lost(XrResult r) {
        m_lastResult = r;
        if (r != XR_ERROR_SESSION_LOST) return false;
        if (m_running) m_log.warn("OpenXR session lost (XR_ERROR_SESSION_LOST)");
        m_running = m_focused = m_frameBegun = false;
        return true;
    }

    OpenXrOptions m_options;
    Logger m_log;
    XrInstance m_instance = XR_NULL_HANDLE;
    XrSystemId m_system = XR_NULL_SYSTEM_ID;
    XrEnvironmentBlendMode m_blend = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    bool m_passthrough = false;  // AR through XR_FB_passthrough (m_blend stays OPAQUE)
    bool m_anchorExt = false;          // XR_MSFT_spatial_anchor enabled
    bool m_anchorPersistence = false;  // ... and XR_MSFT_spatial_anchor_persistence
    OpenXrAnchors m_anchors;           // per session (attach/detach)
    OpenXrPassthrough m_camera;  // per session (start/stop)
    VkInstance m_vkInstance = VK_NULL_HANDLE;
    VkPhysicalDevice m_vkPhysical = VK_NULL_HANDLE;
    VkDevice m_vkDevice = VK_NULL_HANDLE;
    std::uint32_t m_queueFamily = 0;
    engine::VulkanRenderer* m_renderer = nullptr;
    XrSession m_session = XR_NULL_HANDLE;
    XrSessionState m_state = XR_SESSION_STATE_UNKNOWN;
    XrSpace m_appSpace = XR_NULL_HANDLE;
    XrSpace m_viewSpace = XR_NULL_HANDLE;
    XrSwapchain m_swapchain = XR_NULL_HANDLE;
    VkFormat m_format = VK_FORMAT_UNDEFINED;
    VkExtent2D m_extent{};
    static constexpr std::uint32_t kNoDepth = 0xffffffffu;
    std::map<std::uint64_t, engine::TargetHandle> m_targets;  // (colour << 32 | depth) -> target
    std::vector<VkImage> m_colorImages;  // borrowed from the runtime
    std::vector<VkImage> m_depthImages;  // borrowed from the runtime
    XrSwapchain m_depthSwapchain = XR_NULL_HANDLE;
    bool m_depthLayer = false;  // XR_KHR_composition_layer_depth enabled
    bool m_depthAcquired = false;
    std::array<XrView, 2> m_views{};
    std::array<Pose, 2> m_lastEyes{};  // the eyes when the position was last valid
    bool m_haveLastEyes = false;
    std::unique_ptr<OpenXrInput> m_inputs;  // made in init()
    InputState m_noInput;
    XrTime m_displayTime = 0;
    XrTime m_lastDisplayTime = 0;
    std::uint32_t m_sessions = 0;
    XrResult m_lastResult = XR_SUCCESS;
    bool m_enable2 = true;
    std::deque<std::string> m_extensionNames;  // XR_KHR_vulkan_enable's list, kept alive for create infos
    bool m_running = false;
    bool m_focused = false;
    bool m_frameBegun = false;
    bool m_acquired = false;
    bool m_exit = false;
    bool m_quitRequested = false;
    std::optional<Error> m_failure;
    std::size_t m_eventsSeen = 0;
    bool m_wasVisible = false;
    XrReferenceSpaceType m_appSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
    float m_floorBelowLocal = 1.6f;  // LOCAL fallback: metres from LOCAL's origin down to the floor
    bool m_recovering = false;       // a session was lost; the headset is polled for
    bool m_toldWaiting = false;
    bool m_graphicsInvalid = false;  // back on another GPU: the client rebuilds the bundle
    std::chrono::steady_clock::time_point m_nextSystemPoll{};  // this session has been VISIBLE (its SYNCHRONIZED after that is idleness)
};

}  // namespace

Result<std::unique_ptr<XrSystem>> makeOpenXrSystem(const OpenXrOptions& options, Logger logger) {
    auto system = std::make_unique<OpenXrSystem>(options, std::move(logger));
    if (auto r = system->init(); !r) {
        Error e = r.error();
        if (e.native == XR_ERROR_RUNTIME_UNAVAILABLE || e.native == XR_ERROR_RUNTIME_FAILURE) {
            e.code = ErrorCode::kUnavailable;
            e.message = strCat("no OpenXR runtime is available (", xrResultName(XR_NULL_HANDLE, XrResult(e.native)),
                               "); install and start one (Monado, SteamVR), or set XR_RUNTIME_JSON");
        }
        return tl::unexpected(e);
    }
    return std::unique_ptr<XrSystem>(std::move(system));
}

}  // namespace mxr::xr
