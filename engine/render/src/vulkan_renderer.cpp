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

// ---------------------------------------------------------------- resources

Result<OwnedBuffer> VulkanRenderer::Impl::makeBuffer(VkDeviceSize size, VkBufferUsageFlags usage, bool hostVisible) {
    OwnedBuffer b;
    VkBufferCreateInfo ci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    ci.size = size;
    ci.usage = usage;
    MXR_TRY_VK(vkCreateBuffer(device, &ci, nullptr, &b.buffer));
    auto mem = hostVisible ? allocator->bindBuffer(b.buffer,
                                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                                   0)
                           : allocator->bindBuffer(b.buffer, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
    if (!mem) {
        vkDestroyBuffer(device, b.buffer, nullptr);
        return tl::unexpected(mem.error());
    }
    b.memory = *mem;
    return b;
}

void VulkanRenderer::Impl::freeBuffer(OwnedBuffer& b) {
    if (b.buffer) vkDestroyBuffer(device, b.buffer, nullptr);
    allocator->free(b.memory);
    b = OwnedBuffer{};
}

Result<VkImageView> VulkanRenderer::Impl::makeView(VkImage image, VkFormat format, std::uint32_t layers,
                                                   VkImageAspectFlags aspect) {
    VkImageViewCreateInfo vi{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    vi.image = image;
    vi.viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY;
    vi.format = format;
    vi.subresourceRange = {aspect, 0, 1, 0, layers};
    VkImageView view = VK_NULL_HANDLE;
    MXR_TRY_VK(vkCreateImageView(device, &vi, nullptr, &view));
    return view;
}

Result<OwnedImage> VulkanRenderer::Impl::makeImage(const VkImageCreateInfo& info, VkImageAspectFlags aspect,
                                                   VkImageViewType viewType) {
    OwnedImage img;
    MXR_TRY_VK(vkCreateImage(device, &info, nullptr, &img.image));
    VkMemoryPropertyFlags preferred = 0;
    if (info.usage & VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT) preferred = VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
    auto mem = allocator->bindImage(img.image, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, preferred);
    if (!mem) {
        vkDestroyImage(device, img.image, nullptr);
        return tl::unexpected(mem.error());
    }
    img.memory = *mem;
    VkImageViewCreateInfo vi{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    vi.image = img.image;
    vi.viewType = viewType;
    vi.format = info.format;
    vi.subresourceRange = {aspect, 0, 1, 0, info.arrayLayers};
    const VkResult r = vkCreateImageView(device, &vi, nullptr, &img.view);
    if (r < 0) {
        freeImage(img);
        MXR_TRY_VK(r);
    }
    return img;
}

void VulkanRenderer::Impl::freeImage(OwnedImage& i) {
    if (i.view) vkDestroyImageView(device, i.view, nullptr);
    if (i.image) vkDestroyImage(device, i.image, nullptr);
    allocator->free(i.memory);
    i = OwnedImage{};
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

    MXR_TRY(atlas.load(options.fontPath));
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
        MXR_TRY_ASSIGN(slot.data, makeBuffer(kFrameDataBytes,
                                             VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
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
    MXR_TRY_ASSIGN(atlasImage, makeImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D));
    MXR_TRY_ASSIGN(OwnedBuffer staging, makeBuffer(atlas.pixels().size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true));
    std::memcpy(staging.memory.mapped, atlas.pixels().data(), atlas.pixels().size());
    const VkImage image = atlasImage.image;
    auto r = immediate(device, gpu->queue(), pool, [&](VkCommandBuffer cmd) {
        imageBarrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1);
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        region.imageExtent = {TextAtlas::kSize, TextAtlas::kSize, 1};
        vkCmdCopyBufferToImage(cmd, staging.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
        imageBarrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, 1);
    });
    freeBuffer(staging);
    return r;
}

Result<void> VulkanRenderer::Impl::createOverlayResources() {
    VkAttachmentDescription color{};
    color.format = VK_FORMAT_R8G8B8A8_UNORM;
    color.samples = VK_SAMPLE_COUNT_1_BIT;
    color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
    color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    color.finalLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
    VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription sub{};
    sub.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    sub.colorAttachmentCount = 1;
    sub.pColorAttachments = &ref;
    VkSubpassDependency deps[2]{};
    deps[0].srcSubpass = VK_SUBPASS_EXTERNAL;
    deps[0].dstSubpass = 0;
    deps[0].srcStageMask = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
    deps[0].dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    deps[0].srcAccessMask = VK_ACCESS_SHADER_READ_BIT;
    deps[0].dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    deps[1].srcSubpass = 0;
    deps[1].dstSubpass = VK_SUBPASS_EXTERNAL;
    deps[1].srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    deps[1].dstStageMask = VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT;
    deps[1].srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    deps[1].dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    VkRenderPassCreateInfo rp{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
    rp.attachmentCount = 1;
    rp.pAttachments = &color;
    rp.subpassCount = 1;
    rp.pSubpasses = &sub;
    rp.dependencyCount = 2;
    rp.pDependencies = deps;
    MXR_TRY_VK(vkCreateRenderPass(device, &rp, nullptr, &overlayPass));
    for (auto& slot : slots) {
        VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
        ci.imageType = VK_IMAGE_TYPE_2D;
        ci.format = VK_FORMAT_R8G8B8A8_UNORM;
        ci.extent = {options.overlayExtent.width, options.overlayExtent.height, 1};
        ci.mipLevels = 1;
        ci.arrayLayers = 1;
        ci.samples = VK_SAMPLE_COUNT_1_BIT;
        ci.tiling = VK_IMAGE_TILING_OPTIMAL;
        ci.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
        MXR_TRY_ASSIGN(slot.overlay, makeImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D));
        VkFramebufferCreateInfo fi{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
        fi.renderPass = overlayPass;
        fi.attachmentCount = 1;
        fi.pAttachments = &slot.overlay.view;
        fi.width = options.overlayExtent.width;
        fi.height = options.overlayExtent.height;
        fi.layers = 1;
        MXR_TRY_VK(vkCreateFramebuffer(device, &fi, nullptr, &slot.overlayFramebuffer));
        // Until the first UI frame the image must be in a sampled layout.
        const VkImage image = slot.overlay.image;
        MXR_TRY(immediate(device, gpu->queue(), pool, [&](VkCommandBuffer cmd) {
            VkClearColorValue clear{};
            imageBarrier(cmd, image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1);
            VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &clear, 1, &range);
            imageBarrier(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, 1);
        }));
    }
    return {};
}

void VulkanRenderer::Impl::destroy() {
    if (!device) return;
    vkDeviceWaitIdle(device);
    for (auto& [key, set] : pipelines) {
        for (VkPipeline p : {set.meshOpaque, set.meshBlend, set.line, set.text, set.overlay, set.overlayQuad}) {
            if (p) vkDestroyPipeline(device, p, nullptr);
        }
    }
    for (auto& [id, mesh] : meshes) {
        freeBuffer(mesh.vertices);
        freeBuffer(mesh.indices);
    }
    for (auto& [id, t] : targets) {
        if (t.view) vkDestroyImageView(device, t.view, nullptr);
        if (t.depthView) vkDestroyImageView(device, t.depthView, nullptr);
        if (t.owned.image) freeImage(t.owned);
    }
    for (auto& a : attachments) {
        freeImage(a.color);
        freeImage(a.depth);
    }
    for (auto& slot : slots) {
        if (slot.fence) vkDestroyFence(device, slot.fence, nullptr);
        if (slot.timestamps) vkDestroyQueryPool(device, slot.timestamps, nullptr);
        if (slot.overlayFramebuffer) vkDestroyFramebuffer(device, slot.overlayFramebuffer, nullptr);
        freeImage(slot.overlay);
        freeBuffer(slot.data);
    }
    freeImage(atlasImage);
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
    MXR_TRY_ASSIGN(gm.vertices, d.makeBuffer(vbytes, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false));
    MXR_TRY_ASSIGN(gm.indices, d.makeBuffer(ibytes, VK_BUFFER_USAGE_INDEX_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, false));
    MXR_TRY_ASSIGN(OwnedBuffer staging, d.makeBuffer(vbytes + ibytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true));
    std::memcpy(staging.memory.mapped, mesh.vertices.data(), vbytes);
    std::memcpy(static_cast<char*>(staging.memory.mapped) + vbytes, mesh.indices.data(), ibytes);
    auto r = immediate(d.device, d.gpu->queue(), d.pool, [&](VkCommandBuffer cmd) {
        VkBufferCopy v{0, 0, vbytes}, i{vbytes, 0, ibytes};
        vkCmdCopyBuffer(cmd, staging.buffer, gm.vertices.buffer, 1, &v);
        vkCmdCopyBuffer(cmd, staging.buffer, gm.indices.buffer, 1, &i);
    });
    d.freeBuffer(staging);
    if (!r) {
        d.freeBuffer(gm.vertices);
        d.freeBuffer(gm.indices);
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
    MXR_TRY_ASSIGN(t.view, d.makeView(desc.image, desc.format, desc.layers, VK_IMAGE_ASPECT_COLOR_BIT));
    if (desc.depthImage) {
        auto dv = d.makeView(desc.depthImage, kDepthFormat, desc.layers, VK_IMAGE_ASPECT_DEPTH_BIT);
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
    if (it->second.owned.image) d.freeImage(it->second.owned);
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
    MXR_TRY_ASSIGN(t.owned, d.makeImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
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
            freeImage(a.color);
            freeImage(a.depth);
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
    MXR_TRY_ASSIGN(a.color, makeImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
    ci.format = kDepthFormat;
    ci.usage = VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
    MXR_TRY_ASSIGN(a.depth, makeImage(ci, VK_IMAGE_ASPECT_DEPTH_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY));
    attachments.push_back(std::move(a));
    return &attachments.back();
}

}  // namespace mxr::engine
