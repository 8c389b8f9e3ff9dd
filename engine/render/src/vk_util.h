#pragma once
// Small Vulkan helpers private to the renderer.
#include <vulkan/vulkan.h>

#include <functional>

#include "engine/core/result.h"

namespace mxr::engine {

// Records, submits and waits for a one-off command buffer.
Result<void> immediate(VkDevice device, VkQueue queue, VkCommandPool pool,
                       const std::function<void(VkCommandBuffer)>& record);

// A layout transition of every layer of a colour image (synchronization2).
// Conservative stages by default; pass precise ones on hot paths.
void imageBarrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to, std::uint32_t layers,
                  VkPipelineStageFlags2 srcStage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                  VkAccessFlags2 srcAccess = VK_ACCESS_2_MEMORY_WRITE_BIT,
                  VkPipelineStageFlags2 dstStage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                  VkAccessFlags2 dstAccess = VK_ACCESS_2_MEMORY_READ_BIT | VK_ACCESS_2_MEMORY_WRITE_BIT,
                  VkImageAspectFlags aspect = VK_IMAGE_ASPECT_COLOR_BIT);

}  // namespace mxr::engine
