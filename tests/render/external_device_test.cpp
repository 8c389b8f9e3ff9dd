// The second way a device comes to be: created outside the renderer from
// the needs it declares (as the OpenXR runtime does with
// XR_KHR_vulkan_enable2), adopted as borrowed handles, and drawn into a
// borrowed two-layer array image like an OpenXR swapchain image.
#include <cstring>

#include "golden.h"
#include "render_fixture.h"

namespace mxr::test {
namespace {

TEST(ExternalDevice, StereoFrameIntoBorrowedArrayImage) {
    auto sink = std::make_shared<StderrSink>(LogLevel::kWarn);
    engine::ValidationReport report;
    report.logger = Logger(sink, "vulkan");
    engine::GpuRequirements needs = engine::VulkanRenderer::requirements();

    // --- the "runtime" side: instance and device from the declared needs
    std::vector<const char*> exts = needs.instanceExtensions;
    exts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    const char* layer = "VK_LAYER_KHRONOS_validation";
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = needs.apiVersion;
    VkDebugUtilsMessengerCreateInfoEXT dbg = engine::ValidationReport::messengerInfo(&report);
    VkInstanceCreateInfo ici{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    ici.pNext = &dbg;
    ici.pApplicationInfo = &app;
    ici.enabledExtensionCount = std::uint32_t(exts.size());
    ici.ppEnabledExtensionNames = exts.data();
    ici.enabledLayerCount = 1;
    ici.ppEnabledLayerNames = &layer;
    VkInstance instance = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateInstance(&ici, nullptr, &instance), VK_SUCCESS);
    std::uint32_t n = 1;
    VkPhysicalDevice physical = VK_NULL_HANDLE;
    ASSERT_GE(vkEnumeratePhysicalDevices(instance, &n, &physical), 0);
    ASSERT_TRUE(needs.checkDevice(physical)) << "first device lacks what the renderer declared";
    const float prio = 1.0f;
    VkDeviceQueueCreateInfo q{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    q.queueFamilyIndex = 0;
    q.queueCount = 1;
    q.pQueuePriorities = &prio;
    VkDeviceCreateInfo dci{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    dci.pNext = needs.featureChain();
    dci.queueCreateInfoCount = 1;
    dci.pQueueCreateInfos = &q;
    dci.enabledExtensionCount = std::uint32_t(needs.deviceExtensions.size());
    dci.ppEnabledExtensionNames = needs.deviceExtensions.data();
    VkDevice device = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateDevice(physical, &dci, nullptr, &device), VK_SUCCESS);

    // The swapchain-like image: two layers, owned by "the runtime".
    VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = VK_FORMAT_R8G8B8A8_SRGB;
    ci.extent = {320, 320, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = 2;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    ci.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    VkImage image = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateImage(device, &ci, nullptr, &image), VK_SUCCESS);
    VkMemoryRequirements mr;
    vkGetImageMemoryRequirements(device, image, &mr);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(physical, &mp);
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = mr.size;
    for (std::uint32_t i = 0; i < mp.memoryTypeCount; ++i) {
        if (mr.memoryTypeBits & (1u << i)) {
            ai.memoryTypeIndex = i;
            break;
        }
    }
    VkDeviceMemory memory = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateMemory(device, &ai, nullptr, &memory), VK_SUCCESS);
    ASSERT_EQ(vkBindImageMemory(device, image, memory, 0), VK_SUCCESS);

    {
        // --- the application side: adopt and draw
        auto gpu = engine::GpuContext::adopt({instance, physical, device, 0, 0}, Logger(sink, "gpu"));
        ASSERT_TRUE(gpu) << gpu.error().message;
        EXPECT_FALSE((*gpu)->owned());
        auto renderer = engine::VulkanRenderer::create(**gpu, {}, Logger(sink, "render"));
        ASSERT_TRUE(renderer) << renderer.error().message;
        auto room = scenes::loadRoom(MXR_DEMO_ROOM);
        ASSERT_TRUE(room);
        auto meshes = scenes::uploadSceneMeshes(**renderer);
        ASSERT_TRUE(meshes);
        engine::FrameScene scene;
        scenes::appendRoom(*room, *meshes, scene);
        for (const auto& p : scenes::demoParticipants(*room, 4, 0.0)) scenes::appendAvatar(p, *meshes, scene);
        xr::CameraRig rig;
        rig.position = room->cameras.at("table").position;
        rig.pitch = room->cameras.at("table").pitchRadians;
        auto target = (*renderer)->registerTarget(
            {image, VK_FORMAT_R8G8B8A8_SRGB, {320, 320}, 2, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, true});
        ASSERT_TRUE(target);
        ASSERT_TRUE((*renderer)->drawFrame(scene, rig.views(2, 1.0f), *target));
        auto left = (*renderer)->readback(*target, 0);
        auto right = (*renderer)->readback(*target, 1);
        ASSERT_TRUE(left && right);
        // Same scene and eyes as the renderer-made device: same references.
        EXPECT_TRUE(matchesGolden(*left, "stereo_left"));
        EXPECT_TRUE(matchesGolden(*right, "stereo_right"));
        (*renderer)->unregisterTarget(*target);
        renderer->reset();
    }
    // The renderer never destroyed what it borrowed: these must still work.
    vkDestroyImage(device, image, nullptr);
    vkFreeMemory(device, memory, nullptr);
    vkDestroyDevice(device, nullptr);
    vkDestroyInstance(instance, nullptr);
    EXPECT_EQ(report.errors.load(), 0u);
    EXPECT_EQ(report.warnings.load(), 0u);
}

}  // namespace
}  // namespace mxr::test
