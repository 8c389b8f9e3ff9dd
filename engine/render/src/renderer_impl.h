#pragma once
// Private state of VulkanRenderer, shared by its source files.
#include <array>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/render/vulkan_renderer.h"
#include "frame_packet.h"
#include "text_atlas.h"
#include "vk_util.h"

namespace mxr::engine {

namespace shaders {
std::span<const unsigned char> embeddedFile(std::string_view name);
}

constexpr std::uint32_t kFramesInFlight = 2;
constexpr VkDeviceSize kFrameDataBytes = 8ull << 20;
constexpr VkFormat kDepthFormat = VK_FORMAT_D32_SFLOAT;

struct GpuMesh {
    OwnedBuffer vertices;
    OwnedBuffer indices;
    std::uint32_t indexCount = 0;
};

struct Target {
    TargetDesc desc;
    VkImageView view = VK_NULL_HANDLE;  // 2D array view over all layers
    VkImageView depthView = VK_NULL_HANDLE;  // over desc.depthImage, when given
    OwnedImage owned;                    // set for offscreen targets only
    bool drawn = false;
};

// MSAA colour and depth for one (extent, layers, format) combination.
struct Attachments {
    VkExtent2D extent{};
    std::uint32_t layers = 0;
    VkFormat format = VK_FORMAT_UNDEFINED;
    OwnedImage color;
    OwnedImage depth;
};

struct PipelineDesc;  // pipelines.cpp

struct PipelineSet {
    // By light count (0..kMaxLights), made on first use.
    std::array<VkPipeline, kMaxLights + 1> meshOpaque{};
    std::array<VkPipeline, kMaxLights + 1> meshBlend{};
    VkPipeline line = VK_NULL_HANDLE;
    VkPipeline text = VK_NULL_HANDLE;
    VkPipeline overlay = VK_NULL_HANDLE;
    VkPipeline overlayQuad = VK_NULL_HANDLE;  // text.vert + overlay_quad.frag
};

struct FrameSlot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    OwnedBuffer data;  // uniforms + instances + lines + text vertices
    VkDescriptorSet descriptors = VK_NULL_HANDLE;
    OwnedImage overlay;
    VkFramebuffer overlayFramebuffer = VK_NULL_HANDLE;
    VkQueryPool timestamps = VK_NULL_HANDLE;
    bool submitted = false;
    bool timed = false;
    std::uint32_t targetId = 0;
};

struct VulkanRenderer::Impl {
    GpuContext* gpu = nullptr;
    Logger log;
    Options options;
    std::unique_ptr<GpuAllocator> allocator;
    VkDevice device = VK_NULL_HANDLE;
    VkCommandPool pool = VK_NULL_HANDLE;
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
    VkDescriptorPool descriptorPool = VK_NULL_HANDLE;
    VkPipelineLayout pipelineLayout = VK_NULL_HANDLE;
    VkSampler sampler = VK_NULL_HANDLE;
    VkRenderPass overlayPass = VK_NULL_HANDLE;
    std::array<FrameSlot, kFramesInFlight> slots;
    std::uint64_t frameCounter = 0;
    FrameSync nextSync;
    OverlaySource* overlaySource = nullptr;
    double gpuMs = 0.0;
    double cpuSubmitMs = 0.0;
    bool splitViews = false;  // one pass per view (software rasterizer workaround)
    float timestampPeriod = 0.0f;

    TextAtlas atlas;
    OwnedImage atlasImage;
    std::vector<VkBufferImageCopy> glyphCopies;  // reused

    std::unordered_map<std::uint32_t, GpuMesh> meshes;
    std::uint32_t nextMeshId = 1;
    std::unordered_map<std::uint32_t, Target> targets;
    std::uint32_t nextTargetId = 1;
    std::vector<Attachments> attachments;
    std::map<std::pair<VkFormat, std::uint32_t>, PipelineSet> pipelines;

    // The CPU half of the frame, reused across frames (no per-frame
    // allocation once warm).
    FramePacket packet;

    Result<void> init();
    void destroy();
    Result<VkShaderModule> shaderModule(std::string_view name);
    // The set for this target format and view mask, with the mesh pipelines
    // for `lightCount` lights made.
    Result<PipelineSet*> pipelinesFor(VkFormat format, std::uint32_t viewMask, std::uint32_t lightCount);
    Result<PipelineSet*> basePipelinesFor(VkFormat format, std::uint32_t viewMask);
    Result<VkPipeline> makePipeline(const PipelineDesc& d, VkFormat format, std::uint32_t viewMask,
                                    const VkSpecializationInfo* fragmentConstants);
    Result<Attachments*> attachmentsFor(VkExtent2D extent, std::uint32_t layers, VkFormat format);
    Result<void> createOverlayResources();  // overlay_pass.cpp
    // Records the UI layer's pass into `area` of this slot's overlay image.
    void recordOverlayPass(FrameSlot& slot, VkCommandBuffer cmd, const PixelRect& area);  // overlay_pass.cpp
    Result<void> createAtlasTexture();
    void writeDescriptors(FrameSlot& slot);
    Result<void> record(FrameSlot& slot, const FrameScene& scene, std::span<const ViewInfo> views, Target& target);
};

}  // namespace mxr::engine
