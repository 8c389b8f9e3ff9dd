// Loader negotiation, instance, system, paths and events.
#include "runtime.h"
#include "runtime_anchor.h"
#include "runtime_passthrough.h"

#include <engine/core/log.h>

#include <openxr/openxr_reflection.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>

// OpenXR-SDK 1.0.20 ships no openxr_loader_negotiation.h, so the runtime
// declares the loader's negotiation ABI itself (same layout as the loader's
// loader_interfaces.h).
extern "C" {
enum XrLoaderInterfaceStructs {
    XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
    XR_LOADER_INTERFACE_STRUCT_LOADER_INFO,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST,
    XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_CREATE_INFO,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_NEXT_INFO,
};
struct XrNegotiateLoaderInfo {
    XrLoaderInterfaceStructs structType;
    uint32_t structVersion;
    size_t structSize;
    uint32_t minInterfaceVersion;
    uint32_t maxInterfaceVersion;
    XrVersion minApiVersion;
    XrVersion maxApiVersion;
};
struct XrNegotiateRuntimeRequest {
    XrLoaderInterfaceStructs structType;
    uint32_t structVersion;
    size_t structSize;
    uint32_t runtimeInterfaceVersion;
    XrVersion runtimeApiVersion;
    PFN_xrGetInstanceProcAddr getInstanceProcAddr;
};
__attribute__((visibility("default"))) XrResult XRAPI_CALL
xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo* loaderInfo, XrNegotiateRuntimeRequest* runtimeRequest);
}

namespace mxr::xrrt {

namespace {
constexpr std::uint32_t kLoaderInfoStructVersion = 1;
constexpr std::uint32_t kRuntimeInfoStructVersion = 1;
constexpr std::uint32_t kRuntimeInterfaceVersion = 1;
}  // namespace

// ---- shared helpers -------------------------------------------------------

void EventLog::open(const std::string& path) {
    if (path.empty()) return;
    m_out.open(path, std::ios::app);
    if (!m_out) writeRuntimeMessage(strCat("cannot open event log '", path, "'"));
}

void EventLog::line(const std::string& text) {
    if (m_out.is_open()) {
        m_out << text << '\n';
        m_out.flush();
    }
}

std::uint64_t Registry::add(std::unique_ptr<Object> object, std::uint64_t parent) {
    const std::uint64_t h = m_next++;
    object->handle = h;
    object->parent = parent;
    m_objects.emplace(h, std::move(object));
    return h;
}

void Registry::destroy(std::uint64_t handle) {
    std::vector<std::uint64_t> children;
    for (const auto& [h, o] : m_objects) {
        if (o->parent == handle) children.push_back(h);
    }
    // Newest first, so swapchains and spaces go before what they refer to.
    std::sort(children.rbegin(), children.rend());
    for (std::uint64_t c : children) destroy(c);
    m_objects.erase(handle);
}

Registry::~Registry() {
    // Objects the application never destroyed may refer to a VkDevice that is
    // already gone at unload or exit: leak them rather than touch it.
    for (auto& [h, o] : m_objects) static_cast<void>(o.release());
}

Registry& registry() {
    static Registry r;  // destroyed when the loader unloads the runtime
    return r;
}

XrTime monotonicNow() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<XrTime>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void writeRuntimeMessage(const std::string& text) { std::cerr << "mxr_xr_runtime: " << text << std::endl; }

XrPath Instance::path(const std::string& s) {
    auto it = pathIds.find(s);
    if (it != pathIds.end()) return it->second;
    pathStrings.push_back(s);
    const XrPath id = pathStrings.size();
    pathIds.emplace(s, id);
    return id;
}

const std::string* Instance::pathString(XrPath p) const {
    if (p == XR_NULL_PATH || p > pathStrings.size()) return nullptr;
    return &pathStrings[p - 1];
}

void pushEvent(Instance& instance, const XrEventDataBuffer& event) {
    constexpr std::size_t kMaxQueued = 256;
    if (instance.events.size() >= kMaxQueued) {
        instance.events.pop_front();
        ++instance.lostEvents;
    }
    instance.events.push_back(event);
}

void setSessionState(Session& session, XrSessionState state) {
    if (session.state == state) return;
    session.state = state;
    XrEventDataBuffer buffer{};
    buffer.type = XR_TYPE_EVENT_DATA_BUFFER;
    auto* e = reinterpret_cast<XrEventDataSessionStateChanged*>(&buffer);
    e->type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
    e->next = nullptr;
    e->session = toHandle<XrSession>(session.handle);
    e->state = state;
    e->time = monotonicNow();
    pushEvent(*session.instance, buffer);
}

XrResult fillString(std::uint32_t capacity, std::uint32_t* countOutput, char* out, const std::string& value) {
    if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *countOutput = static_cast<std::uint32_t>(value.size() + 1);
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < value.size() + 1 || out == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    std::memcpy(out, value.c_str(), value.size() + 1);
    return XR_SUCCESS;
}

XrPosef toXr(const Pose& p) {
    XrPosef x{};
    x.orientation = {p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w};
    x.position = {p.position.x, p.position.y, p.position.z};
    return x;
}

Pose fromXr(const XrPosef& p) {
    Pose out;
    out.orientation = glm::quat(p.orientation.w, p.orientation.x, p.orientation.y, p.orientation.z);
    out.position = {p.position.x, p.position.y, p.position.z};
    return out;
}

bool isValidPose(const XrPosef& p) {
    const auto& q = p.orientation;
    const float len = std::sqrt(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w);
    return std::abs(len - 1.0F) < 0.01F;
}

// ---- entry points ---------------------------------------------------------

namespace {

struct ExtensionInfo {
    const char* name;
    std::uint32_t version;
};

// Optional extensions follow the config (hand tracking, passthrough).
std::vector<ExtensionInfo> supportedExtensions(const Config& config) {
    std::vector<ExtensionInfo> list{
        {XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME, XR_KHR_vulkan_enable2_SPEC_VERSION},
        {XR_KHR_VULKAN_ENABLE_EXTENSION_NAME, XR_KHR_vulkan_enable_SPEC_VERSION},
        {XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME, XR_KHR_composition_layer_depth_SPEC_VERSION},
        {XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME, XR_KHR_convert_timespec_time_SPEC_VERSION},
    };
    if (config.handTracking) list.push_back({XR_EXT_HAND_TRACKING_EXTENSION_NAME, XR_EXT_hand_tracking_SPEC_VERSION});
    if (config.passthrough) list.push_back({XR_FB_PASSTHROUGH_EXTENSION_NAME, XR_FB_passthrough_SPEC_VERSION});
    if (config.spatialAnchors) {
        list.push_back({XR_MSFT_SPATIAL_ANCHOR_EXTENSION_NAME, XR_MSFT_spatial_anchor_SPEC_VERSION});
        list.push_back({XR_MSFT_SPATIAL_ANCHOR_PERSISTENCE_EXTENSION_NAME, XR_MSFT_spatial_anchor_persistence_SPEC_VERSION});
    }
    return list;
}

// The extension list depends on the config; an unreadable config offers the
// full list and fails later in xrCreateInstance.
Config configForExtensions() {
    auto config = loadConfigFromEnvironment();
    if (config) return *config;
    Config all;
    all.handTracking = all.passthrough = all.spatialAnchors = true;
    return all;
}

const std::vector<ProcEntry>& procTable() {
    static const std::vector<ProcEntry> table = [] {
        std::vector<ProcEntry> t;
        addInstanceProcs(t);
        addVulkanProcs(t);
        addSessionProcs(t);
        addSwapchainProcs(t);
        addInputProcs(t);
        addPassthroughProcs(t);
        addAnchorProcs(t);
        return t;
    }();
    return table;
}

XRAPI_ATTR XrResult XRAPI_CALL getInstanceProcAddr(XrInstance instance, const char* name, PFN_xrVoidFunction* function) {
    if (name == nullptr || function == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *function = nullptr;
    const std::string_view n(name);
    if (n == "xrGetInstanceProcAddr") {
        *function = MXR_XR_FN(getInstanceProcAddr);
        return XR_SUCCESS;
    }
    const auto& table = procTable();
    const auto it = std::find_if(table.begin(), table.end(), [&](const ProcEntry& e) { return n == e.name; });
    if (instance == XR_NULL_HANDLE) {
        // Only these may be fetched without an instance (spec 3.2).
        if (it != table.end() && (n == "xrEnumerateInstanceExtensionProperties" || n == "xrEnumerateApiLayerProperties" ||
                                  n == "xrCreateInstance")) {
            *function = it->function;
            return XR_SUCCESS;
        }
        return XR_ERROR_HANDLE_INVALID;
    }
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (it == table.end()) return XR_ERROR_FUNCTION_UNSUPPORTED;
    if (it->extension != nullptr && !inst->has(it->extension)) return XR_ERROR_FUNCTION_UNSUPPORTED;
    *function = it->function;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateApiLayerProperties(uint32_t capacity, uint32_t* count, XrApiLayerProperties* props) {
    return fillArray<XrApiLayerProperties>(capacity, count, props, {});
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateInstanceExtensionProperties(const char* layerName, uint32_t capacity,
                                                                    uint32_t* count, XrExtensionProperties* props) {
    if (layerName != nullptr && *layerName != '\0') return XR_ERROR_API_LAYER_NOT_PRESENT;
    std::vector<XrExtensionProperties> out;
    for (const auto& e : supportedExtensions(configForExtensions())) {
        XrExtensionProperties p{};
    p.type = XR_TYPE_EXTENSION_PROPERTIES;
        std::snprintf(p.extensionName, sizeof(p.extensionName), "%s", e.name);
        p.extensionVersion = e.version;
        out.push_back(p);
    }
    if (count == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *count = static_cast<uint32_t>(out.size());
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < out.size() || props == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (props[i].type != XR_TYPE_EXTENSION_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
        std::memcpy(props[i].extensionName, out[i].extensionName, sizeof(out[i].extensionName));
        props[i].extensionVersion = out[i].extensionVersion;
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL createInstance(const XrInstanceCreateInfo* info, XrInstance* instance) {
    if (info == nullptr || instance == nullptr || info->type != XR_TYPE_INSTANCE_CREATE_INFO) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    const XrVersion requested = info->applicationInfo.apiVersion;
    if (XR_VERSION_MAJOR(requested) != 1 || requested > XR_CURRENT_API_VERSION) return XR_ERROR_API_VERSION_UNSUPPORTED;
    if (info->applicationInfo.applicationName[0] == '\0') return XR_ERROR_NAME_INVALID;

    auto config = loadConfigFromEnvironment();
    if (!config) {
        writeRuntimeMessage(strCat("invalid configuration (MXR_XRRT_CONFIG): ", config.error().message));
        return XR_ERROR_RUNTIME_FAILURE;
    }
    auto inst = std::make_unique<Instance>();
    inst->config = std::move(*config);
    const auto supported = supportedExtensions(inst->config);
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
        const std::string_view name(info->enabledExtensionNames[i]);
        const bool known = std::any_of(supported.begin(), supported.end(), [&](const ExtensionInfo& e) { return name == e.name; });
        if (!known) return XR_ERROR_EXTENSION_NOT_PRESENT;
        inst->extensions.emplace(name);
    }
    if (info->enabledApiLayerCount != 0) return XR_ERROR_API_LAYER_NOT_PRESENT;  // the loader strips layers
    inst->applicationName = info->applicationInfo.applicationName;
    inst->log.open(inst->config.eventLog);
    inst->log.line(strCat("instance ", inst->applicationName));
    auto lock = registry().lock();
    *instance = toHandle<XrInstance>(registry().add(std::move(inst), 0));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroyInstance(XrInstance instance) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(instance));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getInstanceProperties(XrInstance instance, XrInstanceProperties* props) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (props == nullptr || props->type != XR_TYPE_INSTANCE_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    props->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
    std::snprintf(props->runtimeName, sizeof(props->runtimeName), "%s", "MentorXR headless runtime");
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL pollEvent(XrInstance instance, XrEventDataBuffer* event) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (event == nullptr || event->type != XR_TYPE_EVENT_DATA_BUFFER) return XR_ERROR_VALIDATION_FAILURE;
    // A runtime that crashed or restarted: no loss-pending event first, so
    // an application only notices here (also while its session is idle).
    const std::int64_t lossAfter = inst->config.instanceLossAfterPolls;
    if (lossAfter >= 0 && inst->polls++ >= lossAfter) {
        if (!inst->lost) inst->log.line(strCat("instance lost after ", lossAfter, " polls"));
        inst->lost = true;
        return XR_ERROR_INSTANCE_LOST;
    }
    if (inst->lostEvents > 0) {
        auto* lost = reinterpret_cast<XrEventDataEventsLost*>(event);
        lost->type = XR_TYPE_EVENT_DATA_EVENTS_LOST;
        lost->next = nullptr;
        lost->lostEventCount = inst->lostEvents;
        inst->lostEvents = 0;
        return XR_SUCCESS;
    }
    if (inst->events.empty()) return XR_EVENT_UNAVAILABLE;
    *event = inst->events.front();
    inst->events.pop_front();
    return XR_SUCCESS;
}

#define MXR_RESULT_CASE(name, value) \
    case name:                       \
        text = #name;                \
        break;
XRAPI_ATTR XrResult XRAPI_CALL resultToString(XrInstance instance, XrResult value, char buffer[XR_MAX_RESULT_STRING_SIZE]) {
    {
        auto lock = registry().lock();
        if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    }
    std::string text = strCat(value < 0 ? "XR_UNKNOWN_FAILURE_" : "XR_UNKNOWN_SUCCESS_", static_cast<int>(value));
    switch (value) {
        XR_LIST_ENUM_XrResult(MXR_RESULT_CASE);
        default: break;
    }
    std::snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "%s", text.c_str());
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL structureTypeToString(XrInstance instance, XrStructureType value,
                                                     char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
    {
        auto lock = registry().lock();
        if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    }
    std::string text = strCat("XR_UNKNOWN_STRUCTURE_TYPE_", static_cast<int>(value));
    switch (value) {
        XR_LIST_ENUM_XrStructureType(MXR_RESULT_CASE);
        default: break;
    }
    std::snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "%s", text.c_str());
    return XR_SUCCESS;
}
#undef MXR_RESULT_CASE

// Path grammar of spec 6.1: "/"-separated components of [a-z0-9-_.], no
// empty, "." or ".." component, no trailing slash.
bool wellFormedPath(std::string_view s) {
    if (s.size() < 2 || s.size() >= XR_MAX_PATH_LENGTH || s.front() != '/' || s.back() == '/') return false;
    std::size_t start = 1;
    while (start <= s.size()) {
        std::size_t end = s.find('/', start);
        if (end == std::string_view::npos) end = s.size();
        const std::string_view c = s.substr(start, end - start);
        if (c.empty() || c == "." || c == "..") return false;
        for (char ch : c) {
            const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
            if (!ok) return false;
        }
        start = end + 1;
    }
    return true;
}

XRAPI_ATTR XrResult XRAPI_CALL stringToPath(XrInstance instance, const char* pathString, XrPath* path) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (pathString == nullptr || path == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (!wellFormedPath(pathString)) return XR_ERROR_PATH_FORMAT_INVALID;
    *path = inst->path(pathString);
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL pathToString(XrInstance instance, XrPath path, uint32_t capacity, uint32_t* count, char* buffer) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    const std::string* s = inst->pathString(path);
    if (s == nullptr) return XR_ERROR_PATH_INVALID;
    return fillString(capacity, count, buffer, *s);
}

XRAPI_ATTR XrResult XRAPI_CALL getSystem(XrInstance instance, const XrSystemGetInfo* info, XrSystemId* systemId) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (info == nullptr || systemId == nullptr || info->type != XR_TYPE_SYSTEM_GET_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY && info->formFactor != XR_FORM_FACTOR_HANDHELD_DISPLAY) {
        return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
    }
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY || !inst->config.headsetPresent) {
        return XR_ERROR_FORM_FACTOR_UNAVAILABLE;
    }
    if (inst->systemAwayPolls > 0) {  // the headset is unplugged after a session loss
        --inst->systemAwayPolls;
        inst->log.line("system unavailable");
        return XR_ERROR_FORM_FACTOR_UNAVAILABLE;
    }
    if (!inst->systemValid) inst->log.line("system back");
    inst->systemValid = true;
    *systemId = kSystemId;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL getSystemProperties(XrInstance instance, XrSystemId systemId, XrSystemProperties* props) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    if (props == nullptr || props->type != XR_TYPE_SYSTEM_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    props->systemId = kSystemId;
    props->vendorId = 0x4d58;  // "MX"
    std::snprintf(props->systemName, sizeof(props->systemName), "%s", inst->config.systemName.c_str());
    props->graphicsProperties.maxSwapchainImageWidth = std::max<uint32_t>(4096, inst->config.viewWidth * 2);
    props->graphicsProperties.maxSwapchainImageHeight = std::max<uint32_t>(4096, inst->config.viewHeight * 2);
    props->graphicsProperties.maxLayerCount = kMaxLayers;
    props->trackingProperties.orientationTracking = XR_TRUE;
    props->trackingProperties.positionTracking = XR_TRUE;
    for (auto* next = static_cast<XrBaseOutStructure*>(props->next); next != nullptr; next = next->next) {
        if (next->type == XR_TYPE_SYSTEM_HAND_TRACKING_PROPERTIES_EXT) {
            reinterpret_cast<XrSystemHandTrackingPropertiesEXT*>(next)->supportsHandTracking =
                inst->config.handTracking && inst->has(XR_EXT_HAND_TRACKING_EXTENSION_NAME) ? XR_TRUE : XR_FALSE;
        }
        if (next->type == XR_TYPE_SYSTEM_PASSTHROUGH_PROPERTIES_FB) {
            reinterpret_cast<XrSystemPassthroughPropertiesFB*>(next)->supportsPassthrough =
                inst->has(XR_FB_PASSTHROUGH_EXTENSION_NAME) ? XR_TRUE : XR_FALSE;
        }
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateViewConfigurations(XrInstance instance, XrSystemId systemId, uint32_t capacity,
                                                           uint32_t* count, XrViewConfigurationType* types) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    return fillArray<XrViewConfigurationType>(capacity, count, types, {XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO});
}

XRAPI_ATTR XrResult XRAPI_CALL getViewConfigurationProperties(XrInstance instance, XrSystemId systemId,
                                                              XrViewConfigurationType type,
                                                              XrViewConfigurationProperties* props) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    if (props == nullptr || props->type != XR_TYPE_VIEW_CONFIGURATION_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    props->viewConfigurationType = type;
    props->fovMutable = XR_FALSE;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateViewConfigurationViews(XrInstance instance, XrSystemId systemId,
                                                               XrViewConfigurationType type, uint32_t capacity,
                                                               uint32_t* count, XrViewConfigurationView* views) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (count == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *count = kViewCount;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < kViewCount || views == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    const Config& c = inst->config;
    for (uint32_t i = 0; i < kViewCount; ++i) {
        if (views[i].type != XR_TYPE_VIEW_CONFIGURATION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
        views[i].recommendedImageRectWidth = c.viewWidth;
        views[i].recommendedImageRectHeight = c.viewHeight;
        views[i].maxImageRectWidth = std::max<uint32_t>(4096, c.viewWidth * 2);
        views[i].maxImageRectHeight = std::max<uint32_t>(4096, c.viewHeight * 2);
        views[i].recommendedSwapchainSampleCount = 1;
        views[i].maxSwapchainSampleCount = c.maxSwapchainSamples;
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateEnvironmentBlendModes(XrInstance instance, XrSystemId systemId,
                                                              XrViewConfigurationType type, uint32_t capacity,
                                                              uint32_t* count, XrEnvironmentBlendMode* modes) {
    auto lock = registry().lock();
    Instance* inst = registry().get<Instance>(instance);
    if (inst == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (systemId != kSystemId) return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    std::vector<XrEnvironmentBlendMode> out;
    for (const std::string& m : inst->config.blendModes) {
        out.push_back(m == "opaque"     ? XR_ENVIRONMENT_BLEND_MODE_OPAQUE
                      : m == "additive" ? XR_ENVIRONMENT_BLEND_MODE_ADDITIVE
                                        : XR_ENVIRONMENT_BLEND_MODE_ALPHA_BLEND);
    }
    return fillArray(capacity, count, modes, out);
}

XRAPI_ATTR XrResult XRAPI_CALL convertTimespecTimeToTime(XrInstance instance, const timespec* ts, XrTime* time) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (ts == nullptr || time == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *time = static_cast<XrTime>(ts->tv_sec) * 1000000000LL + ts->tv_nsec;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL convertTimeToTimespecTime(XrInstance instance, XrTime time, timespec* ts) {
    auto lock = registry().lock();
    if (registry().get<Instance>(instance) == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (ts == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    ts->tv_sec = static_cast<time_t>(time / 1000000000LL);
    ts->tv_nsec = static_cast<long>(time % 1000000000LL);
    return XR_SUCCESS;
}

}  // namespace

PFN_xrGetInstanceProcAddr instanceProcAddr() { return &getInstanceProcAddr; }

void addInstanceProcs(std::vector<ProcEntry>& t) {
    t.push_back({"xrEnumerateApiLayerProperties", MXR_XR_FN(enumerateApiLayerProperties), nullptr});
    t.push_back({"xrEnumerateInstanceExtensionProperties", MXR_XR_FN(enumerateInstanceExtensionProperties), nullptr});
    t.push_back({"xrCreateInstance", MXR_XR_FN(createInstance), nullptr});
    t.push_back({"xrDestroyInstance", MXR_XR_FN(destroyInstance), nullptr});
    t.push_back({"xrGetInstanceProperties", MXR_XR_FN(getInstanceProperties), nullptr});
    t.push_back({"xrPollEvent", MXR_XR_FN(pollEvent), nullptr});
    t.push_back({"xrResultToString", MXR_XR_FN(resultToString), nullptr});
    t.push_back({"xrStructureTypeToString", MXR_XR_FN(structureTypeToString), nullptr});
    t.push_back({"xrStringToPath", MXR_XR_FN(stringToPath), nullptr});
    t.push_back({"xrPathToString", MXR_XR_FN(pathToString), nullptr});
    t.push_back({"xrGetSystem", MXR_XR_FN(getSystem), nullptr});
    t.push_back({"xrGetSystemProperties", MXR_XR_FN(getSystemProperties), nullptr});
    t.push_back({"xrEnumerateViewConfigurations", MXR_XR_FN(enumerateViewConfigurations), nullptr});
    t.push_back({"xrGetViewConfigurationProperties", MXR_XR_FN(getViewConfigurationProperties), nullptr});
    t.push_back({"xrEnumerateViewConfigurationViews", MXR_XR_FN(enumerateViewConfigurationViews), nullptr});
    t.push_back({"xrEnumerateEnvironmentBlendModes", MXR_XR_FN(enumerateEnvironmentBlendModes), nullptr});
    t.push_back({"xrConvertTimespecTimeToTimeKHR", MXR_XR_FN(convertTimespecTimeToTime),
                 XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME});
    t.push_back({"xrConvertTimeToTimespecTimeKHR", MXR_XR_FN(convertTimeToTimespecTime),
                 XR_KHR_CONVERT_TIMESPEC_TIME_EXTENSION_NAME});
}

}  // namespace mxr::xrrt

extern "C" XrResult XRAPI_CALL xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo* loaderInfo,
                                                                 XrNegotiateRuntimeRequest* runtimeRequest) {
    using namespace mxr::xrrt;
    if (loaderInfo == nullptr || runtimeRequest == nullptr ||
        loaderInfo->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO ||
        loaderInfo->structVersion != kLoaderInfoStructVersion || loaderInfo->structSize != sizeof(XrNegotiateLoaderInfo) ||
        runtimeRequest->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST ||
        runtimeRequest->structVersion != kRuntimeInfoStructVersion ||
        runtimeRequest->structSize != sizeof(XrNegotiateRuntimeRequest)) {
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    if (loaderInfo->minInterfaceVersion > kRuntimeInterfaceVersion || loaderInfo->maxInterfaceVersion < kRuntimeInterfaceVersion ||
        XR_VERSION_MAJOR(loaderInfo->minApiVersion) > 1 || XR_VERSION_MAJOR(loaderInfo->maxApiVersion) < 1) {
        return XR_ERROR_INITIALIZATION_FAILED;
    }
    runtimeRequest->runtimeInterfaceVersion = kRuntimeInterfaceVersion;
    runtimeRequest->runtimeApiVersion = XR_CURRENT_API_VERSION;
    runtimeRequest->getInstanceProcAddr = instanceProcAddr();
    return XR_SUCCESS;
}
