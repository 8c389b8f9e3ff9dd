#pragma once
// Internal state of the headless OpenXR runtime. The loader reaches the
// runtime only through xrNegotiateLoaderRuntimeInterface and the function
// pointers it hands out; every handle the application sees is a key into the
// one Registry below.
//
// Thread: every entry point takes the registry's mutex for its whole call,
// except xrWaitFrame, which releases it while it sleeps; so applications may
// call from several threads as the OpenXR spec allows.
#define XR_USE_GRAPHICS_API_VULKAN
#define XR_USE_TIMESPEC
#include <time.h>
#include <vulkan/vulkan.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include "runtime_config.h"

#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mxr::xrrt {

constexpr XrSystemId kSystemId = 1;
constexpr std::uint32_t kViewCount = 2;
constexpr std::uint32_t kMaxLayers = 16;
constexpr double kNominalRateHz = 90.0;

// Every runtime object; handle 0 is never used.
struct Object {
    virtual ~Object() = default;
    std::uint64_t handle = 0;
    std::uint64_t parent = 0;  // destroyed with its parent
};

struct Instance;

// Lines like "frame 3 layers projection quad" and "haptic ..." for tests.
class EventLog {
public:
    void open(const std::string& path);
    void line(const std::string& text);

private:
    std::ofstream m_out;
};

struct Instance final : Object {
    Config config;
    std::set<std::string> extensions;
    std::string applicationName;
    std::vector<std::string> pathStrings;  // XrPath n is pathStrings[n - 1]
    std::unordered_map<std::string, XrPath> pathIds;
    std::deque<XrEventDataBuffer> events;
    std::uint32_t lostEvents = 0;  // dropped from a full queue, reported first
    // profile path -> (action, binding path) suggested by the application
    std::map<XrPath, std::vector<std::pair<XrAction, XrPath>>> suggested;
    EventLog log;
    bool graphicsRequirementsQueried = false;
    VkInstance vulkanInstance = VK_NULL_HANDLE;  // from xrGetVulkanGraphicsDevice[2]KHR
    int sessionsCreated = 0;
    std::int64_t polls = 0;  // xrPollEvent calls, for instance_loss_after_polls
    bool sessionLost = false;        // a session of this instance went LOSS_PENDING
    std::int64_t systemAwayPolls = 0;  // xrGetSystem answers FORM_FACTOR_UNAVAILABLE this many more times
    bool systemValid = true;         // false from a loss (system_lost_polls) until xrGetSystem succeeds again
    int physicalDeviceIndex = 0;     // of the device last reported by xrGetVulkanGraphicsDevice[2]KHR
    VkPhysicalDevice reportedDevice = VK_NULL_HANDLE;  // that device (cleared by a loss)
    bool lost = false;       // after that: XR_ERROR_INSTANCE_LOST from session calls too

    bool has(std::string_view ext) const { return extensions.count(std::string(ext)) != 0; }
    XrPath path(const std::string& s);  // interns a well-formed path
    const std::string* pathString(XrPath p) const;
};

struct GraphicsBinding {
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    std::uint32_t queueFamilyIndex = 0;
    std::uint32_t queueIndex = 0;
    VkQueue queue = VK_NULL_HANDLE;
    VkCommandPool pool = VK_NULL_HANDLE;  // the runtime's own, on the app's device
};

struct Session final : Object {
    Instance* instance = nullptr;
    GraphicsBinding gfx;
    XrSessionState state = XR_SESSION_STATE_UNKNOWN;
    bool running = false;
    bool exitRequested = false;
    bool lossPending = false;  // after LOSS_PENDING every call answers SESSION_LOST
    bool losable = false;      // the config's loss applies to this session only
    float localOriginHeight = 1.6F;  // LOCAL's origin above the floor (moved by a recentring)
    bool focusWithheld = false;  // focus_loss_at_frame .. focus_regain_at_frame: VISIBLE, not FOCUSED
    XrViewConfigurationType viewConfiguration = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;

    // Frame loop: frame n is the n-th xrWaitFrame of the session.
    std::int64_t framesWaited = 0;
    std::int64_t waitedFrame = -1;  // frame returned by the last xrWaitFrame, not yet begun
    std::int64_t begunFrame = -1;   // frame between xrBeginFrame and xrEndFrame
    std::int64_t framesEnded = 0;
    XrTime period = 0;
    XrTime lastDisplayTime = 0;
    std::deque<std::pair<XrTime, std::int64_t>> frameTimes;  // display time -> frame

    // Input sampled at the last xrSyncActions.
    std::set<XrActionSet> attachedSets;
    XrPath currentProfile = XR_NULL_PATH;
    bool synced = false;

    ~Session() override;
    double frameAt(XrTime t) const;  // fractional frame index for a time
    XrTime timeOfFrame(std::int64_t frame) const;
};

struct Swapchain final : Object {
    Session* session = nullptr;
    VkDevice device = VK_NULL_HANDLE;
    XrSwapchainCreateInfo info{};
    std::vector<VkImage> images;
    std::vector<VkDeviceMemory> memory;
    std::deque<std::uint32_t> acquired;  // in acquire order; front is next to wait
    bool waited = false;                 // front of `acquired` has been waited
    std::int64_t lastReleased = -1;
    std::uint32_t nextAcquire = 0;
    bool isDepth = false;

    ~Swapchain() override;
};

struct Space final : Object {
    Session* session = nullptr;
    std::optional<XrReferenceSpaceType> reference;
    XrAction action = XR_NULL_HANDLE;
    XrPath subaction = XR_NULL_PATH;
    std::optional<Pose> anchor;  // an XR_MSFT_spatial_anchor space: fixed in STAGE
    Pose offset;
};

struct ActionSet final : Object {
    Instance* instance = nullptr;
    std::string name;
    std::string localizedName;
    std::uint32_t priority = 0;
    bool attached = false;
};

struct ActionState {
    bool boolean = false;
    float value = 0.0F;
    glm::vec2 vector{0.0F};
    bool active = false;
    bool changed = false;
    XrTime lastChange = 0;
};

struct Action final : Object {
    ActionSet* set = nullptr;
    std::string name;
    std::string localizedName;
    XrActionType type = XR_ACTION_TYPE_BOOLEAN_INPUT;
    std::vector<XrPath> subactions;
    // [0] any subaction, [1] left hand, [2] right hand
    ActionState states[3];
    std::vector<XrPath> boundSources;  // full binding paths from the active profile
};

struct HandTracker final : Object {
    Session* session = nullptr;
    XrHandEXT hand = XR_HAND_LEFT_EXT;
};

class Registry {
public:
    Registry() = default;
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;
    std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(m_mutex); }

    template <typename T>
    T* get(std::uint64_t handle) {
        auto it = m_objects.find(handle);
        return it == m_objects.end() ? nullptr : dynamic_cast<T*>(it->second.get());
    }
    template <typename T, typename H>
    T* get(H handle) {
        return get<T>(reinterpret_cast<std::uint64_t>(handle));
    }
    std::uint64_t add(std::unique_ptr<Object> object, std::uint64_t parent);
    void destroy(std::uint64_t handle);  // children first
    template <typename T, typename F>
    void forEach(F f) {
        for (auto& [h, o] : m_objects) {
            if (auto* t = dynamic_cast<T*>(o.get())) f(*t);
        }
    }

private:
    std::mutex m_mutex;
    std::unordered_map<std::uint64_t, std::unique_ptr<Object>> m_objects;
    std::uint64_t m_next = 1;
};

// The loader's C entry points cannot carry a context, so this one registry
// (created on first use, destroyed when the library is unloaded) is the
// runtime's only process-wide state.
Registry& registry();

template <typename H>
H toHandle(std::uint64_t h) {
    return reinterpret_cast<H>(h);
}

XrTime monotonicNow();
void pushEvent(Instance& instance, const XrEventDataBuffer& event);
void setSessionState(Session& session, XrSessionState state);
void writeRuntimeMessage(const std::string& text);  // stderr, prefixed "mxr_xr_runtime: "

template <typename T>
XrResult fillArray(std::uint32_t capacity, std::uint32_t* countOutput, T* out, const std::vector<T>& values) {
    if (countOutput == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *countOutput = static_cast<std::uint32_t>(values.size());
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < values.size() || out == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    for (std::size_t i = 0; i < values.size(); ++i) out[i] = values[i];
    return XR_SUCCESS;
}
XrResult fillString(std::uint32_t capacity, std::uint32_t* countOutput, char* out, const std::string& value);

XrPosef toXr(const Pose& p);
Pose fromXr(const XrPosef& p);
bool isValidPose(const XrPosef& p);

// Current input of the session's script at a time.
InputState inputAt(const Session& session, XrTime time);

PFN_xrGetInstanceProcAddr instanceProcAddr();

struct ProcEntry {
    const char* name;
    PFN_xrVoidFunction function;
    const char* extension;  // nullptr for core functions
};
void addInstanceProcs(std::vector<ProcEntry>& table);
void addVulkanProcs(std::vector<ProcEntry>& table);
void addSessionProcs(std::vector<ProcEntry>& table);
void addSwapchainProcs(std::vector<ProcEntry>& table);
void addInputProcs(std::vector<ProcEntry>& table);

// Implemented in runtime_swapchain.cpp; used by xrEndFrame.
XrResult validateLayer(Session& session, const XrCompositionLayerBaseHeader* layer, std::string& kind);
void captureFrame(Session& session, std::int64_t frame, const XrFrameEndInfo& info);
// Implemented in runtime_input.cpp: the pose of a space in STAGE
// coordinates, or nothing when it is not tracked.
std::optional<Pose> spaceInStage(Session& session, const Space& space, XrTime time, const InputState& in);

}  // namespace mxr::xrrt

#define MXR_XR_FN(name) reinterpret_cast<PFN_xrVoidFunction>(&name)
