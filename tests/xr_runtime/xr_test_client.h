#pragma once
// A minimal OpenXR application for the runtime's tests: it talks to the real
// OpenXR loader (libopenxr_loader), so every call goes through the loader's
// dispatch exactly as the MentorXR client's will.
//
// Thread: one test thread. Ownership: Client owns every handle it creates and
// destroys them in reverse order in its destructor.
#define XR_USE_GRAPHICS_API_VULKAN
#define XR_USE_TIMESPEC
#include <time.h>
#include <vulkan/vulkan.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mxr::xrrt::test {

// Writes `json` to a fresh file in the test's temporary folder, points
// MXR_XRRT_CONFIG at it and returns its path.
std::string useConfig(const std::string& name, const std::string& json);
std::string tempDir();  // per test process, created on first use
std::string readText(const std::string& path);

struct Image {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> rgba;
    const std::uint8_t* at(int x, int y) const { return &rgba[(static_cast<std::size_t>(y) * width + x) * 4]; }
};
bool loadPng(const std::string& path, Image& out);

// Bounds loops that wait for a state (a count of frames, not a timing).
inline constexpr int kMaxFrames = 200;

class Client;
// Instance (with `extensions`), system, Vulkan, session and the reference
// spaces; a failure fails the test (check with ASSERT_NO_FATAL_FAILURE).
void startSession(Client& c, std::vector<const char*> extensions = {XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME});

class Client {
public:
    Client() = default;
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    XrResult createInstance(std::vector<const char*> extensions = {XR_KHR_VULKAN_ENABLE2_EXTENSION_NAME});
    XrResult getSystem();
    // Vulkan instance (with validation when available) and device made
    // through xrCreateVulkanInstanceKHR / xrCreateVulkanDeviceKHR.
    void createVulkan();
    XrResult createSession();
    void destroySession();
    XrResult createSpaces();  // STAGE and LOCAL reference spaces

    // Drains the event queue; returns the session states seen, in order.
    std::vector<XrSessionState> pollEvents();
    // Polls, begins the session on READY, ends it on STOPPING; runs frames
    // with `render` until `done` says so or `maxFrames` frames passed.
    using RenderFn = std::function<void(const XrFrameState&, std::vector<const XrCompositionLayerBaseHeader*>&)>;
    XrResult runFrame(const RenderFn& render);

    // Color swapchain of `arraySize` layers of the recommended view size.
    XrResult createColorSwapchain(std::int64_t format, std::uint32_t arraySize, XrSwapchain& out);
    std::vector<VkImage> swapchainImages(XrSwapchain swapchain);
    // Clears layer i of `image` to colors[i] with vkCmdClearColorImage and waits.
    void clearLayers(VkImage image, const std::vector<VkClearColorValue>& colors);

    template <typename F>
    F proc(const char* name) const {
        PFN_xrVoidFunction f = nullptr;
        xrGetInstanceProcAddr(instance, name, &f);
        return reinterpret_cast<F>(f);
    }

    XrInstance instance = XR_NULL_HANDLE;
    XrSystemId systemId = XR_NULL_SYSTEM_ID;
    XrSession session = XR_NULL_HANDLE;
    XrSpace stage = XR_NULL_HANDLE;
    XrSpace local = XR_NULL_HANDLE;
    XrSessionState state = XR_SESSION_STATE_UNKNOWN;
    bool running = false;
    std::vector<XrSessionState> statesSeen;
    std::uint32_t viewWidth = 0;
    std::uint32_t viewHeight = 0;
    std::int64_t framesRendered = 0;

    VkInstance vkInstance = VK_NULL_HANDLE;
    VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    std::uint32_t queueFamily = 0;
    VkQueue queue = VK_NULL_HANDLE;
    VkCommandPool pool = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
    bool validationEnabled = false;
    std::vector<std::string> validationMessages;  // warnings and errors

private:
    std::vector<XrSwapchain> m_swapchains;
};

}  // namespace mxr::xrrt::test
