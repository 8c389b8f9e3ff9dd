// The runtime is as strict as a real one where an application might lean
// on the test runtime's generosity (issue 16, point 8): xrEndFrame takes
// only a display time xrWaitFrame predicted, and swapchain images carry
// exactly the usage the application asked for (transfer-source is added
// only while a capture is configured), so the Vulkan validation layer
// catches an application that relies on more.
#include "xr_test_client.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mxr::xrrt::test {
namespace {

void startFocused(Client& c) {
    ASSERT_EQ(c.createInstance(), XR_SUCCESS);
    ASSERT_EQ(c.getSystem(), XR_SUCCESS);
    ASSERT_NO_FATAL_FAILURE(c.createVulkan());
    ASSERT_EQ(c.createSession(), XR_SUCCESS);
    ASSERT_EQ(c.createSpaces(), XR_SUCCESS);
    for (int i = 0; i < kMaxFrames && c.state != XR_SESSION_STATE_FOCUSED; ++i) ASSERT_EQ(c.runFrame(nullptr), XR_SUCCESS);
    ASSERT_EQ(c.state, XR_SESSION_STATE_FOCUSED);
}

TEST(XrRuntimeStrict, EndFrameTakesOnlyAPredictedDisplayTime) {
    useConfig("strict_time.json", R"({"frame_rate_hz": 0, "view_size": [32, 32], "event_log": "strict_time.log"})");
    Client c;
    ASSERT_NO_FATAL_FAILURE(startFocused(c));
    XrFrameState fs{XR_TYPE_FRAME_STATE, nullptr, 0, 0, XR_FALSE};
    ASSERT_EQ(xrWaitFrame(c.session, nullptr, &fs), XR_SUCCESS);
    ASSERT_EQ(xrBeginFrame(c.session, nullptr), XR_SUCCESS);
    XrFrameEndInfo end{XR_TYPE_FRAME_END_INFO};
    end.displayTime = fs.predictedDisplayTime + 1;  // made up
    end.environmentBlendMode = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_ERROR_TIME_INVALID);
    end.displayTime = fs.predictedDisplayTime;
    EXPECT_EQ(xrEndFrame(c.session, &end), XR_SUCCESS);
    const std::string log = readText(tempDir() + "/strict_time.log");
    EXPECT_NE(log.find("was never predicted"), std::string::npos) << log;
}

// Copies a swapchain image (created without transfer-source usage) into
// a buffer: only the validation layer can object, and it must.
void copyOut(Client& c, VkImage image) {
    VkBufferCreateInfo bci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    bci.size = VkDeviceSize(c.viewWidth) * c.viewHeight * 4;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    ASSERT_EQ(vkCreateBuffer(c.device, &bci, nullptr, &buffer), VK_SUCCESS);
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(c.device, buffer, &req);
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = static_cast<std::uint32_t>(__builtin_ctz(req.memoryTypeBits));
    VkDeviceMemory memory = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateMemory(c.device, &mai, nullptr, &memory), VK_SUCCESS);
    ASSERT_EQ(vkBindBufferMemory(c.device, buffer, memory, 0), VK_SUCCESS);
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = c.pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    ASSERT_EQ(vkAllocateCommandBuffers(c.device, &alloc, &cmd), VK_SUCCESS);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    vkBeginCommandBuffer(cmd, &begin);
    VkImageMemoryBarrier b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    b.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    b.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    b.srcQueueFamilyIndex = b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.image = image;
    b.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                         nullptr, 0, nullptr, 1, &b);
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = {c.viewWidth, c.viewHeight, 1};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &copy);
    vkEndCommandBuffer(cmd);
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    vkQueueSubmit(c.queue, 1, &submit, VK_NULL_HANDLE);
    vkQueueWaitIdle(c.queue);
    vkFreeCommandBuffers(c.device, c.pool, 1, &cmd);
    vkDestroyBuffer(c.device, buffer, nullptr);
    vkFreeMemory(c.device, memory, nullptr);
}

TEST(XrRuntimeStrict, SwapchainImagesHaveOnlyTheUsageAsked) {
    useConfig("strict_usage.json", R"({"frame_rate_hz": 0, "view_size": [32, 32]})");
    Client c;
    ASSERT_NO_FATAL_FAILURE(startFocused(c));
    if (!c.validationEnabled) GTEST_SKIP() << "no Vulkan validation layer";
    XrSwapchain sc = XR_NULL_HANDLE;
    ASSERT_EQ(c.createColorSwapchain(VK_FORMAT_R8G8B8A8_SRGB, 1, sc), XR_SUCCESS);  // colour attachment + transfer-dst
    const auto images = c.swapchainImages(sc);
    ASSERT_FALSE(images.empty());
    c.validationMessages.clear();
    ASSERT_NO_FATAL_FAILURE(copyOut(c, images[0]));
    const bool caught = std::any_of(c.validationMessages.begin(), c.validationMessages.end(), [](const std::string& m) {
        return m.find("VUID-vkCmdCopyImageToBuffer-srcImage-00186") != std::string::npos;
    });
    EXPECT_TRUE(caught) << "a transfer from an image asked without transfer-source must be caught";
    c.validationMessages.clear();  // they were provoked on purpose
}

}  // namespace
}  // namespace mxr::xrrt::test
