#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

#include "renderer_impl.h"

namespace mxr::engine {

GpuRequirements VulkanRenderer::requirements() { return GpuRequirements{}; }

VkSampleCountFlagBits VulkanRenderer::defaultMsaa(const GpuContext& gpu) {
    return gpu.properties().deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? VK_SAMPLE_COUNT_1_BIT : VK_SAMPLE_COUNT_4_BIT;
}

VulkanRenderer::VulkanRenderer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

VulkanRenderer::~VulkanRenderer() {
    if (m_impl) m_impl->destroy();
}

Result<std::unique_ptr<VulkanRenderer>> VulkanRenderer::create(GpuContext& gpu, const Options& options, Logger logger) {
    auto impl = std::make_unique<Impl>();
    impl->gpu = &gpu;
    impl->log = std::move(logger);
    impl->options = options;
    impl->device = gpu.device();
    std::unique_ptr<VulkanRenderer> r(new VulkanRenderer(std::move(impl)));
    MXR_TRY(r->m_impl->init());
    return r;
}

// --------------------------------------------------------------------- init

Result<void> VulkanRenderer::Impl::init() {
    allocator = std::make_unique<GpuAllocator>(gpu->physicalDevice(), device);
    const auto& limits = gpu->properties().limits;
    if (!(limits.framebufferColorSampleCounts & options.msaa) || !(limits.framebufferDepthSampleCounts & options.msaa)) {
        log.warn("requested MSAA sample count unsupported; rendering without MSAA");
        options.msaa = VK_SAMPLE_COUNT_1_BIT;
    }
    timestampPeriod = limits.timestampComputeAndGraphics ? limits.timestampPeriod : 0.0f;
    // Mesa 22.3's lavapipe draws the first primitives of the second view of
    // a multiview draw into the first view's layer (seen as the right eye's
    // text ghosting in the left); there each view gets its own pass.
    const std::string deviceName = gpu->properties().deviceName;
    switch (options.stereo) {
        case StereoPath::kAuto: splitViews = deviceName.find("llvmpipe") != std::string::npos; break;
        case StereoPath::kMultiview: splitViews = false; break;
        case StereoPath::kPassPerView: splitViews = true; break;
    }

    VkCommandPoolCreateInfo pci{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pci.queueFamilyIndex = gpu->queueFamily();
    MXR_TRY_VK(vkCreateCommandPool(device, &pci, nullptr, &pool));

    const VkDescriptorSetLayoutBinding bindings[] = {
        {0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, nullptr},
        {1, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, nullptr},
        {2, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, nullptr},
    };
    VkDescriptorSetLayoutCreateInfo lci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    lci.bindingCount = 3;
    lci.pBindings = bindings;
    MXR_TRY_VK(vkCreateDescriptorSetLayout(device, &lci, nullptr, &setLayout));
    const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, kFramesInFlight},
                                          {VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 2 * kFramesInFlight}};
    VkDescriptorPoolCreateInfo dpi{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpi.maxSets = kFramesInFlight;
    dpi.poolSizeCount = 2;
    dpi.pPoolSizes = sizes;
    MXR_TRY_VK(vkCreateDescriptorPool(device, &dpi, nullptr, &descriptorPool));
    VkPipelineLayoutCreateInfo pli{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    pli.setLayoutCount = 1;
    pli.pSetLayouts = &setLayout;
    MXR_TRY_VK(vkCreatePipelineLayout(device, &pli, nullptr, &pipelineLayout));
    VkSamplerCreateInfo si{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    si.magFilter = VK_FILTER_LINEAR;
    si.minFilter = VK_FILTER_LINEAR;
    si.addressModeU = si.addressModeV = si.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
    MXR_TRY_VK(vkCreateSampler(device, &si, nullptr, &sampler));

    text::FontFiles fonts = options.fonts;
    fonts[std::size_t(text::FontId::kLatin)] = {options.fontPath, 0};
    MXR_TRY(atlas.load(fonts, log.child("text")));
    MXR_TRY(createAtlasTexture());
    if (options.overlayExtent.width > 0) MXR_TRY(createOverlayResources());

    for (auto& slot : slots) {
        VkCommandBufferAllocateInfo ai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        ai.commandPool = pool;
        ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        ai.commandBufferCount = 1;
        MXR_TRY_VK(vkAllocateCommandBuffers(device, &ai, &slot.cmd));
        VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        fi.flags = VK_FENCE_CREATE_SIGNALED_BIT;
        MXR_TRY_VK(vkCreateFence(device, &fi, nullptr, &slot.fence));
        MXR_TRY_ASSIGN(slot.data, allocator->createBuffer(kFrameDataBytes,
                                             VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_VERTEX_BUFFER_BIT |
                                                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT,  // new glyphs
                                             true));
        VkDescriptorSetAllocateInfo dai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
        dai.descriptorPool = descriptorPool;
        dai.descriptorSetCount = 1;
        dai.pSetLayouts = &setLayout;
        MXR_TRY_VK(vkAllocateDescriptorSets(device, &dai, &slot.descriptors));
        if (timestampPeriod > 0.0f) {
            VkQueryPoolCreateInfo qi{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
            qi.queryType = VK_QUERY_TYPE_TIMESTAMP;
            qi.queryCount = 2;
            MXR_TRY_VK(vkCreateQueryPool(device, &qi, nullptr, &slot.timestamps));
        }
        writeDescriptors(slot);
    }
    return {};
}

void VulkanRenderer::Impl::writeDescriptors(FrameSlot& slot) {
    VkDescriptorBufferInfo ubo{slot.data.buffer, 0, sizeof(FrameUniforms)};
    VkDescriptorImageInfo font{sampler, atlasImage.view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    // Without an overlay, binding 2 points at the atlas so the set is complete.
    VkDescriptorImageInfo over{sampler, slot.overlay.view ? slot.overlay.view : atlasImage.view,
                               VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkWriteDescriptorSet w[3]{};
    for (int i = 0; i < 3; ++i) {
        w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        w[i].dstSet = slot.descriptors;
        w[i].dstBinding = static_cast<std::uint32_t>(i);
        w[i].descriptorCount = 1;
    }
    w[0].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER;
    w[0].pBufferInfo = &ubo;
    w[1].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    w[1].pImageInfo = &font;
    w[2].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    w[2].pImageInfo = &over;
    vkUpdateDescriptorSets(device, 3, w, 0, nullptr);
}

Result<void> VulkanRenderer::Impl::createAtlasTexture() {
    VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = VK_FORMAT_R8_UNORM;
    ci.extent = {TextAtlas::kSize, TextAtlas::kSize, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = 1;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    ci.tiling = VK_IMAGE_TILING_OPTIMAL;
    ci.usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    MXR_TRY_ASSIGN(atlasImage, allocator->createImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D));
    const std::vector<std::uint8_t> pixels = atlas.initialPixels();
    MXR_TRY_ASSIGN(OwnedBuffer staging, allocator->createBuffer(pixels.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true));
    std::memcpy(staging.memory.mapped, pixels.data(), pixels.size());
    const VkImage image = atlasImage.image;
    auto r = immediate(device, gpu->queue(), pool, [&](VkCommandBuffer cmd) {
        imageBarrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1);
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {TextAtlas::kSize, TextAtlas::kSize, 1};
        vkCmdCopyBufferToImage(cmd, staging.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        imageBarrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, 1);
    });
    allocator->destroy(staging);
    return r;
}

void VulkanRenderer::Impl::destroy() {
    if (!device) return;
    vkDeviceWaitIdle(device);
    for (auto& [key, set] : pipelines) {
        for (VkPipeline p : {set.line, set.text, set.overlay, set.overlayQuad}) {
            if (p) vkDestroyPipeline(device, p, nullptr);
        }
        for (VkPipeline p : set.meshOpaque) {
            if (p) vkDestroyPipeline(device, p, nullptr);
        }
        for (VkPipeline p : set.meshBlend) {
            if (p) vkDestroyPipeline(device, p, nullptr);
        }
    }
    for (auto& [id, mesh] : meshes) {
        allocator->destroy(mesh.vertices);
        allocator->destroy(mesh.indices);
    }
    for (auto& [id, t] : targets) {
        if (t.view) vkDestroyImageView(device, t.view, nullptr);
        if (t.depthView) vkDestroyImageView(device, t.depthView, nullptr);
        if (t.owned.image) allocator->destroy(t.owned);
    }
    for (auto& a : attachments) {
        allocator->destroy(a.color);
        allocator->destroy(a.depth);
    }
    for (auto& slot : slots) {
        if (slot.fence) vkDestroyFence(device, slot.fence, nullptr);
        if (slot.timestamps) vkDestroyQueryPool(device, slot.timestamps, nullptr);
        if (slot.overlayFramebuffer) vkDestroyFramebuffer(device, slot.overlayFramebuffer, nullptr);
        allocator->destroy(slot.overlay);
        allocator->destroy(slot.data);
    }
    allocator->destroy(atlasImage);
    if (overlayPass) vkDestroyRenderPass(device, overlayPass, nullptr);
    if (sampler) vkDestroySampler(device, sampler, nullptr);
    if (pipelineLayout) vkDestroyPipelineLayout(device, pipelineLayout, nullptr);
    if (descriptorPool) vkDestroyDescriptorPool(device, descriptorPool, nullptr);
    if (setLayout) vkDestroyDescriptorSetLayout(device, setLayout, nullptr);
    if (pool) vkDestroyCommandPool(device, pool, nullptr);
    allocator.reset();
    device = VK_NULL_HANDLE;
}

// ------------------------------------------------------------------- meshes

Result<MeshHandle> VulkanRenderer::upload(const MeshData& mesh) {
    auto& d = *m_impl;
    if (mesh.vertices.empty() || mesh.indices.empty() || mesh.indices.size() % 3 != 0) {
        return makeError(ErrorCode::kInvalidArgument, "mesh needs vertices and whole triangles");
    }
    for (std::uint32_t i : mesh.indices) {
        if (i >= mesh.vertices.size()) return makeError(ErrorCode::kInvalidArgument, "mesh index out of range");
    }
    const VkDeviceSize vbytes = mesh.vertices.size() * sizeof(Vertex);
    const VkDeviceSize ibytes = mesh.indices.size() * sizeof(std::uint32_t);
    GpuMesh gm;
    gm.indexCount = static_cast<std::uint32_t>(mesh.indices.size());
    MXR_TRY_ASSIGN(gm.vertices, d.allocator->createBuffer(vbytes, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false));
    MXR_TRY_ASSIGN(gm.indices, d.allocator->createBuffer(ibytes, VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false));
    MXR_TRY_ASSIGN(OwnedBuffer staging, d.allocator->createBuffer(vbytes + ibytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true));
    std::memcpy(staging.memory.mapped, mesh.vertices.data(), vbytes);
    std::memcpy(static_cast<char*>(staging.memory.mapped) + vbytes, mesh.indices.data(), ibytes);
    auto r = immediate(d.device, d.gpu->queue(), d.pool, [&](VkCommandBuffer cmd) {
        VkBufferCopy v{0, 0, vbytes}, i{vbytes, 0, ibytes};
        vkCmdCopyBuffer(cmd, staging.buffer, gm.vertices.buffer, 1, &v);
        vkCmdCopyBuffer(cmd, staging.buffer, gm.indices.buffer, 1, &i);
    });
    d.allocator->destroy(staging);
    if (!r) {
        d.allocator->destroy(gm.vertices);
        d.allocator->destroy(gm.indices);
        return tl::unexpected(r.error());
    }
    const std::uint32_t id = d.nextMeshId++;
    d.meshes.emplace(id, gm);
    return MeshHandle{id};
}

// ------------------------------------------------------------------ targets

Result<TargetHandle> VulkanRenderer::registerTarget(const TargetDesc& desc) {
    auto& d = *m_impl;
    assert(desc.image && desc.layers >= 1 && desc.layers <= kMaxViews);
    Target t;
    t.desc = desc;
    MXR_TRY_ASSIGN(t.view, d.allocator->createView(desc.image, desc.format, desc.layers, VK_IMAGE_ASPECT_COLOR_BIT));
    if (desc.depthImage) {
        auto dv = d.allocator->createView(desc.depthImage, kDepthFormat, desc.layers, VK_IMAGE_ASPECT_DEPTH_BIT);
        if (!dv) {
            vkDestroyImageView(d.device, t.view, nullptr);
            return tl::unexpected(dv.error());
        }
        t.depthView = *dv;
    }
    const std::uint32_t id = d.nextTargetId++;
    d.targets.emplace(id, std::move(t));
    return TargetHandle{id};
}

void VulkanRenderer::unregisterTarget(TargetHandle handle) {
    auto& d = *m_impl;
    auto it = d.targets.find(handle.id);
    if (it == d.targets.end()) return;
    vkDeviceWaitIdle(d.device);
    if (it->second.view) vkDestroyImageView(d.device, it->second.view, nullptr);
    if (it->second.depthView) vkDestroyImageView(d.device, it->second.depthView, nullptr);
    if (it->second.owned.image) d.allocator->destroy(it->second.owned);
    d.targets.erase(it);
}

Result<TargetHandle> VulkanRenderer::createOffscreenTarget(VkExtent2D extent, std::uint32_t layers, VkFormat format) {
    auto& d = *m_impl;
    if (extent.width == 0 || extent.height == 0 || layers == 0 || layers > kMaxViews) {
        return makeError(ErrorCode::kInvalidArgument, "offscreen target needs a non-zero size and 1 or 2 layers");
    }
    VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = format;
    ci.extent = {extent.width, extent.height, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = layers;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    ci.tiling = VK_IMAGE_TILING_OPTIMAL;
    ci.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    Target t;
    MXR_TRY_ASSIGN(t.owned, d.allocator->createImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
    t.desc = TargetDesc{t.owned.image, format, extent, layers, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, true};
    t.view = VK_NULL_HANDLE;  // the owned image's view is used
    const std::uint32_t id = d.nextTargetId++;
    d.targets.emplace(id, std::move(t));
    return TargetHandle{id};
}

void VulkanRenderer::setNextFrameSync(const FrameSync& sync) { m_impl->nextSync = sync; }
void VulkanRenderer::setOverlaySource(OverlaySource* source) { m_impl->overlaySource = source; }
VkRenderPass VulkanRenderer::overlayRenderPass() const { return m_impl->overlayPass; }
GpuContext& VulkanRenderer::gpu() { return *m_impl->gpu; }
GpuAllocator& VulkanRenderer::allocator() { return *m_impl->allocator; }
std::uint32_t VulkanRenderer::framesInFlight() const { return kFramesInFlight; }
double VulkanRenderer::lastGpuFrameMs() const { return m_impl->gpuMs; }
double VulkanRenderer::lastCpuSubmitMs() const { return m_impl->cpuSubmitMs; }

Result<void> VulkanRenderer::immediateSubmit(const std::function<void(VkCommandBuffer)>& record) {
    return immediate(m_impl->device, m_impl->gpu->queue(), m_impl->pool, record);
}

Result<void> VulkanRenderer::waitIdle() {
    MXR_TRY_VK(vkDeviceWaitIdle(m_impl->device));
    return {};
}

Result<Attachments*> VulkanRenderer::Impl::attachmentsFor(VkExtent2D extent, std::uint32_t layers, VkFormat format) {
    for (auto& a : attachments) {
        if (a.extent.width == extent.width && a.extent.height == extent.height && a.layers == layers && a.format == format)
            return &a;
    }
    // A new size (window resize): drop the attachments of other sizes once
    // the GPU is done with them.
    if (!attachments.empty()) {
        vkDeviceWaitIdle(device);
        for (auto& a : attachments) {
            allocator->destroy(a.color);
            allocator->destroy(a.depth);
        }
        attachments.clear();
    }
    Attachments a;
    a.extent = extent;
    a.layers = layers;
    a.format = format;
    VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = format;
    ci.extent = {extent.width, extent.height, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = layers;
    ci.samples = options.msaa;
    ci.tiling = VK_IMAGE_TILING_OPTIMAL;
    ci.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
    MXR_TRY_ASSIGN(a.color, allocator->createImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
    ci.format = kDepthFormat;
    ci.usage = VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
    MXR_TRY_ASSIGN(a.depth, allocator->createImage(ci, VK_IMAGE_ASPECT_DEPTH_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
    attachments.push_back(std::move(a));
    return &attachments.back();
}

}  // namespace mxr::engine
