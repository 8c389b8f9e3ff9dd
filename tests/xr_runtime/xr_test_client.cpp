#include "xr_test_client.h"

#include <gtest/gtest.h>
#include <stb_image.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mxr::xrrt::test {

std::string tempDir() {
    static const std::string dir = [] {
        std::string templ = (std::filesystem::temp_directory_path() / "mxr_xrrt_XXXXXX").string();
        const char* made = mkdtemp(templ.data());
        return made != nullptr ? std::string(made) : std::string("/tmp");
    }();
    return dir;
}

namespace {
// Removes the test's temporary folder (configs, captures, event log) after a
// passing run; a failing run keeps it and says where, for inspection.
class TempDirCleanup final : public testing::Environment {
public:
    void TearDown() override {
        const auto* unit = testing::UnitTest::GetInstance();
        if (unit->Failed()) {
            std::fprintf(stderr, "test files kept in %s\n", tempDir().c_str());
        } else {
            std::error_code ec;
            std::filesystem::remove_all(tempDir(), ec);
        }
    }
};
[[maybe_unused]] testing::Environment* const kCleanup = testing::AddGlobalTestEnvironment(new TempDirCleanup);
}  // namespace

std::string useConfig(const std::string& name, const std::string& json) {
    const std::string path = (std::filesystem::path(tempDir()) / name).string();
    std::ofstream(path) << json;
    setenv("MXR_XRRT_CONFIG", path.c_str(), 1);
    return path;
}

std::string readText(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool loadPng(const std::string& path, Image& out) {
    int channels = 0;
    unsigned char* data = stbi_load(path.c_str(), &out.width, &out.height, &channels, 4);
    if (data == nullptr) return false;
    out.rgba.assign(data, data + static_cast<std::size_t>(out.width) * out.height * 4);
    stbi_image_free(data);
    return true;
}

namespace {

VKAPI_ATTR VkBool32 VKAPI_CALL onValidation(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                            VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                            const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        static_cast<std::vector<std::string>*>(user)->push_back(data->pMessage != nullptr ? data->pMessage : "?");
    }
    return VK_FALSE;
}

bool hasLayer(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& l : layers) {
        if (std::strcmp(l.layerName, name) == 0) return true;
    }
    return false;
}

}  // namespace

Client::~Client() {
    for (XrSwapchain s : m_swapchains) xrDestroySwapchain(s);
    if (stage != XR_NULL_HANDLE) xrDestroySpace(stage);
    if (local != XR_NULL_HANDLE) xrDestroySpace(local);
    if (session != XR_NULL_HANDLE) xrDestroySession(session);
    if (pool != VK_NULL_HANDLE) vkDestroyCommandPool(device, pool, nullptr);
    if (device != VK_NULL_HANDLE) vkDestroyDevice(device, nullptr);
    if (messenger != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(vkInstance, "vkDestroyDebugUtilsMessengerEXT"));
        destroy(vkInstance, messenger, nullptr);
    }
    if (vkInstance != VK_NULL_HANDLE) vkDestroyInstance(vkInstance, nullptr);
    if (instance != XR_NULL_HANDLE) xrDestroyInstance(instance);
}

XrResult Client::createInstance(std::vector<const char*> extensions) {
    XrInstanceCreateInfo info{};
    info.type = XR_TYPE_INSTANCE_CREATE_INFO;
    std::snprintf(info.applicationInfo.applicationName, sizeof(info.applicationInfo.applicationName), "mxr_xr_runtime_test");
    info.applicationInfo.apiVersion = XR_CURRENT_API_VERSION;
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.enabledExtensionNames = extensions.data();
    return xrCreateInstance(&info, &instance);
}

XrResult Client::getSystem() {
    XrSystemGetInfo info{};
    info.type = XR_TYPE_SYSTEM_GET_INFO;
    info.formFactor = XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY;
    XrResult r = xrGetSystem(instance, &info, &systemId);
    if (r != XR_SUCCESS) return r;
    uint32_t count = 0;
    xrEnumerateViewConfigurationViews(instance, systemId, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, 0, &count, nullptr);
    std::vector<XrViewConfigurationView> views(count, XrViewConfigurationView{XR_TYPE_VIEW_CONFIGURATION_VIEW, nullptr, 0, 0, 0, 0, 0, 0});
    r = xrEnumerateViewConfigurationViews(instance, systemId, XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO, count, &count,
                                          views.data());
    if (r == XR_SUCCESS && !views.empty()) {
        viewWidth = views[0].recommendedImageRectWidth;
        viewHeight = views[0].recommendedImageRectHeight;
    }
    return r;
}

void Client::createVulkan() {
    auto requirements = proc<PFN_xrGetVulkanGraphicsRequirements2KHR>("xrGetVulkanGraphicsRequirements2KHR");
    auto createInstance = proc<PFN_xrCreateVulkanInstanceKHR>("xrCreateVulkanInstanceKHR");
    auto graphicsDevice = proc<PFN_xrGetVulkanGraphicsDevice2KHR>("xrGetVulkanGraphicsDevice2KHR");
    auto createDevice = proc<PFN_xrCreateVulkanDeviceKHR>("xrCreateVulkanDeviceKHR");
    ASSERT_TRUE(requirements && createInstance && graphicsDevice && createDevice);
    XrGraphicsRequirementsVulkan2KHR req{};
    req.type = XR_TYPE_GRAPHICS_REQUIREMENTS_VULKAN2_KHR;
    ASSERT_EQ(requirements(instance, systemId, &req), XR_SUCCESS);
    ASSERT_LE(req.minApiVersionSupported, XR_MAKE_VERSION(1, 3, 0));

    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "mxr_xr_runtime_test";
    app.apiVersion = VK_API_VERSION_1_3;
    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    validationEnabled = hasLayer("VK_LAYER_KHRONOS_validation");
    if (validationEnabled) {
        layers.push_back("VK_LAYER_KHRONOS_validation");
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    }
    VkDebugUtilsMessengerCreateInfoEXT dbg{};
    dbg.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    dbg.pfnUserCallback = &onValidation;
    dbg.pUserData = &validationMessages;
    VkInstanceCreateInfo ici{};
    ici.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    ici.pNext = validationEnabled ? &dbg : nullptr;
    ici.pApplicationInfo = &app;
    ici.enabledLayerCount = static_cast<uint32_t>(layers.size());
    ici.ppEnabledLayerNames = layers.data();
    ici.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    ici.ppEnabledExtensionNames = extensions.data();
    XrVulkanInstanceCreateInfoKHR xrIci{};
    xrIci.type = XR_TYPE_VULKAN_INSTANCE_CREATE_INFO_KHR;
    xrIci.systemId = systemId;
    xrIci.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
    xrIci.vulkanCreateInfo = &ici;
    VkResult vr = VK_ERROR_UNKNOWN;
    ASSERT_EQ(createInstance(instance, &xrIci, &vkInstance, &vr), XR_SUCCESS);
    ASSERT_EQ(vr, VK_SUCCESS);
    if (validationEnabled) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(vkInstance, "vkCreateDebugUtilsMessengerEXT"));
        ASSERT_EQ(create(vkInstance, &dbg, nullptr, &messenger), VK_SUCCESS);
    }

    XrVulkanGraphicsDeviceGetInfoKHR getInfo{};
    getInfo.type = XR_TYPE_VULKAN_GRAPHICS_DEVICE_GET_INFO_KHR;
    getInfo.systemId = systemId;
    getInfo.vulkanInstance = vkInstance;
    ASSERT_EQ(graphicsDevice(instance, &getInfo, &physicalDevice), XR_SUCCESS);
    ASSERT_NE(physicalDevice, VK_NULL_HANDLE);

    uint32_t familyCount = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &familyCount, nullptr);
    std::vector<VkQueueFamilyProperties> families(familyCount);
    vkGetPhysicalDeviceQueueFamilyProperties(physicalDevice, &familyCount, families.data());
    for (uint32_t i = 0; i < familyCount; ++i) {
        if (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) {
            queueFamily = i;
            break;
        }
    }
    const float priority = 1.0F;
    VkDeviceQueueCreateInfo qci{};
    qci.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    qci.queueFamilyIndex = queueFamily;
    qci.queueCount = 1;
    qci.pQueuePriorities = &priority;
    VkPhysicalDeviceVulkan11Features v11{};
    v11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
    v11.multiview = VK_TRUE;  // what the MentorXR renderer uses for stereo
    VkDeviceCreateInfo dci{};
    dci.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    dci.pNext = &v11;
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &qci;
    XrVulkanDeviceCreateInfoKHR xrDci{};
    xrDci.type = XR_TYPE_VULKAN_DEVICE_CREATE_INFO_KHR;
    xrDci.systemId = systemId;
    xrDci.pfnGetInstanceProcAddr = &vkGetInstanceProcAddr;
    xrDci.vulkanPhysicalDevice = physicalDevice;
    xrDci.vulkanCreateInfo = &dci;
    ASSERT_EQ(createDevice(instance, &xrDci, &device, &vr), XR_SUCCESS);
    ASSERT_EQ(vr, VK_SUCCESS);
    vkGetDeviceQueue(device, queueFamily, 0, &queue);
    VkCommandPoolCreateInfo pci{};
    pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = queueFamily;
    ASSERT_EQ(vkCreateCommandPool(device, &pci, nullptr, &pool), VK_SUCCESS);
}

XrResult Client::createSession() {
    XrGraphicsBindingVulkan2KHR binding{};
    binding.type = XR_TYPE_GRAPHICS_BINDING_VULKAN2_KHR;
    binding.instance = vkInstance;
    binding.physicalDevice = physicalDevice;
    binding.device = device;
    binding.queueFamilyIndex = queueFamily;
    binding.queueIndex = 0;
    XrSessionCreateInfo info{};
    info.type = XR_TYPE_SESSION_CREATE_INFO;
    info.next = &binding;
    info.systemId = systemId;
    state = XR_SESSION_STATE_UNKNOWN;
    running = false;
    return xrCreateSession(instance, &info, &session);
}

void Client::destroySession() {
    for (XrSwapchain s : m_swapchains) xrDestroySwapchain(s);
    m_swapchains.clear();
    if (stage != XR_NULL_HANDLE) xrDestroySpace(stage);
    if (local != XR_NULL_HANDLE) xrDestroySpace(local);
    stage = local = XR_NULL_HANDLE;
    if (session != XR_NULL_HANDLE) xrDestroySession(session);
    session = XR_NULL_HANDLE;
    running = false;
}

void startSession(Client& c, std::vector<const char*> extensions) {
    ASSERT_EQ(c.createInstance(std::move(extensions)), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(c.createVulkan());
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);
}

XrResult Client::createSpaces() {
    XrReferenceSpaceCreateInfo info{};
    info.type = XR_TYPE_REFERENCE_SPACE_CREATE_INFO;
    info.poseInReferenceSpace.orientation.w = 1.0F;
    info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_STAGE;
    XrResult r = xrCreateReferenceSpace(session, &info, &stage);
    if (r != XR_SUCCESS) return r;
    info.referenceSpaceType = XR_REFERENCE_SPACE_TYPE_LOCAL;
    return xrCreateReferenceSpace(session, &info, &local);
}

std::vector<XrSessionState> Client::pollEvents() {
    std::vector<XrSessionState> seen;
    for (;;) {
        XrEventDataBuffer e{};
        e.type = XR_TYPE_EVENT_DATA_BUFFER;
        if (xrPollEvent(instance, &e) != XR_SUCCESS) break;
        if (e.type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
            const auto& s = reinterpret_cast<const XrEventDataSessionStateChanged&>(e);
            EXPECT_EQ(s.session, session);
            EXPECT_GT(s.time, 0);
            state = s.state;
            seen.push_back(s.state);
            statesSeen.push_back(s.state);
        }
    }
    return seen;
}

XrResult Client::runFrame(const RenderFn& render) {
    pollEvents();
    if (state == XR_SESSION_STATE_READY && !running) {
        XrSessionBeginInfo begin{};
        begin.type = XR_TYPE_SESSION_BEGIN_INFO;
        begin.primaryViewConfigurationType = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
        if (XrResult r = xrBeginSession(session, &begin); r != XR_SUCCESS) return r;
        running = true;
    }
    if (state == XR_SESSION_STATE_STOPPING && running) {
        running = false;
        return xrEndSession(session);
    }
    if (!running) return XR_SUCCESS;
    XrFrameState fs{};
    fs.type = XR_TYPE_FRAME_STATE;
    if (XrResult r = xrWaitFrame(session, nullptr, &fs); r != XR_SUCCESS) return r;
    if (XrResult r = xrBeginFrame(session, nullptr); r != XR_SUCCESS) return r;
    std::vector<const XrCompositionLayerBaseHeader*> layers;
    if (fs.shouldRender && render) render(fs, layers);
    XrFrameEndInfo end{};
    end.type = XR_TYPE_FRAME_END_INFO;
    end.displayTime = fs.predictedDisplayTime;
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    end.layerCount = static_cast<uint32_t>(layers.size());
    end.layers = layers.data();
    const XrResult r = xrEndFrame(session, &end);
    ++framesRendered;
    return r;
}

XrResult Client::createColorSwapchain(std::int64_t format, std::uint32_t arraySize, XrSwapchain& out) {
    XrSwapchainCreateInfo info{};
    info.type = XR_TYPE_SWAPCHAIN_CREATE_INFO;
    info.usageFlags = XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT | XR_SWAPCHAIN_USAGE_TRANSFER_DST_BIT;
    info.format = format;
    info.sampleCount = 1;
    info.width = viewWidth;
    info.height = viewHeight;
    info.faceCount = 1;
    info.arraySize = arraySize;
    info.mipCount = 1;
    const XrResult r = xrCreateSwapchain(session, &info, &out);
    if (r == XR_SUCCESS) m_swapchains.push_back(out);
    return r;
}

std::vector<VkImage> Client::swapchainImages(XrSwapchain swapchain) {
    uint32_t count = 0;
    EXPECT_EQ(xrEnumerateSwapchainImages(swapchain, 0, &count, nullptr), XR_SUCCESS);
    std::vector<XrSwapchainImageVulkan2KHR> images(count);
    for (auto& i : images) {
        i.type = XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR;
        i.next = nullptr;
    }
    EXPECT_EQ(xrEnumerateSwapchainImages(swapchain, count, &count, reinterpret_cast<XrSwapchainImageBaseHeader*>(images.data())),
              XR_SUCCESS);
    std::vector<VkImage> out;
    for (const auto& i : images) out.push_back(i.image);
    return out;
}

void Client::clearLayers(VkImage image, const std::vector<VkClearColorValue>& colors) {
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateCommandBuffers(device, &alloc, &cmd), VK_SUCCESS);
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vkBeginCommandBuffer(cmd, &begin);
    const auto layers = static_cast<uint32_t>(colors.size());
    // Acquired images are in COLOR_ATTACHMENT_OPTIMAL (XR_KHR_vulkan_enable2)
    // and must be handed back in it.
    VkImageMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
    b.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    b.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    b.srcQueueFamilyIndex = b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = image;
    b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, layers};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                         nullptr, 1, &b);
    for (uint32_t i = 0; i < layers; ++i) {
        const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, i, 1};
        vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &colors[i], 1, &range);
    }
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    b.newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, 0, 0, nullptr, 0,
                         nullptr, 1, &b);
    vkEndCommandBuffer(cmd);
    VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    ASSERT_EQ(vkQueueSubmit(queue, 1, &submit, VK_NULL_HANDLE), VK_SUCCESS);
    vkQueueWaitIdle(queue);
    vkFreeCommandBuffers(device, pool, 1, &cmd);
}

}  // namespace mxr::xrrt::test
