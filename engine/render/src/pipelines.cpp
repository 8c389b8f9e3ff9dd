// Pipeline creation: one set per (colour format, view mask), made on first
// use, and in it the mesh pipelines per light count (a specialisation
// constant of mesh.frag), each made the first time a scene has that many
// lights. All use dynamic rendering with a multiview view mask.
#include <cstring>

#include "renderer_impl.h"

namespace mxr::engine {

Result<VkShaderModule> VulkanRenderer::Impl::shaderModule(std::string_view name) {
    auto bytes = shaders::embeddedFile(name);
    if (bytes.empty() || bytes.size() % 4 != 0) {
        return makeError(ErrorCode::kNotFound, strCat("shader ", name, " is not embedded in this build"));
    }
    std::vector<std::uint32_t> words(bytes.size() / 4);
    std::memcpy(words.data(), bytes.data(), bytes.size());
    VkShaderModuleCreateInfo ci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    ci.codeSize = bytes.size();
    ci.pCode = words.data();
    VkShaderModule module = VK_NULL_HANDLE;
    MXR_TRY_VK(vkCreateShaderModule(device, &ci, nullptr, &module));
    return module;
}

struct PipelineDesc {
    const char* vert;
    const char* frag;
    std::vector<VkVertexInputBindingDescription> bindings;
    std::vector<VkVertexInputAttributeDescription> attributes;
    bool blend = false;
    bool premultiplied = false;
    bool depthWrite = true;
    bool depthTest = true;
    VkCullModeFlags cull = VK_CULL_MODE_NONE;
};

namespace {

bool isSrgbFormat(VkFormat f) {
    switch (f) {
        case VK_FORMAT_R8G8B8A8_SRGB:
        case VK_FORMAT_B8G8R8A8_SRGB:
        case VK_FORMAT_A8B8G8R8_SRGB_PACK32:
        case VK_FORMAT_R8G8B8_SRGB:
        case VK_FORMAT_B8G8R8_SRGB:
            return true;
        default:
            return false;
    }
}

PipelineDesc meshDesc(bool blended) {
    PipelineDesc mesh{"mesh.vert.spv", "mesh.frag.spv", {}, {}};
    mesh.bindings = {{0, sizeof(Vertex), VK_VERTEX_INPUT_RATE_VERTEX},
                     {1, sizeof(InstanceGpu), VK_VERTEX_INPUT_RATE_INSTANCE}};
    mesh.attributes = {
        {0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, position)},
        {1, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(Vertex, normal)},
        {2, 1, VK_FORMAT_R32G32B32A32_SFLOAT, 0},
        {3, 1, VK_FORMAT_R32G32B32A32_SFLOAT, 16},
        {4, 1, VK_FORMAT_R32G32B32A32_SFLOAT, 32},
        {5, 1, VK_FORMAT_R32G32B32A32_SFLOAT, 48},
        {6, 1, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(InstanceGpu, color)},
    };
    mesh.cull = VK_CULL_MODE_BACK_BIT;
    if (blended) {
        mesh.blend = true;
        mesh.depthWrite = false;
    }
    return mesh;
}

}  // namespace

Result<VkPipeline> VulkanRenderer::Impl::makePipeline(const PipelineDesc& d, VkFormat format, std::uint32_t viewMask,
                                                      const VkSpecializationInfo* fragmentConstants) {
    MXR_TRY_ASSIGN(VkShaderModule vs, shaderModule(d.vert));
    auto fsr = shaderModule(d.frag);
    if (!fsr) {
        vkDestroyShaderModule(device, vs, nullptr);
        return tl::unexpected(fsr.error());
    }
    VkShaderModule fs = *fsr;
    VkPipelineShaderStageCreateInfo stages[2]{};
    stages[0] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_VERTEX_BIT, vs,
                 "main", nullptr};
    stages[1] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_FRAGMENT_BIT, fs,
                 "main", fragmentConstants};
    VkPipelineVertexInputStateCreateInfo vi{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    vi.vertexBindingDescriptionCount = static_cast<std::uint32_t>(d.bindings.size());
    vi.pVertexBindingDescriptions = d.bindings.data();
    vi.vertexAttributeDescriptionCount = static_cast<std::uint32_t>(d.attributes.size());
    vi.pVertexAttributeDescriptions = d.attributes.data();
    VkPipelineInputAssemblyStateCreateInfo ia{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
    ia.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
    VkPipelineViewportStateCreateInfo vp{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
    vp.viewportCount = 1;
    vp.scissorCount = 1;
    VkPipelineRasterizationStateCreateInfo rs{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
    rs.polygonMode = VK_POLYGON_MODE_FILL;
    rs.cullMode = d.cull;
    // The projection flips Y for Vulkan, so counter-clockwise stays front.
    rs.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
    rs.lineWidth = 1.0f;
    VkPipelineMultisampleStateCreateInfo ms{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
    ms.rasterizationSamples = options.msaa;
    VkPipelineDepthStencilStateCreateInfo ds{VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
    ds.depthTestEnable = d.depthTest;
    ds.depthWriteEnable = d.depthWrite;
    ds.depthCompareOp = VK_COMPARE_OP_LESS_OR_EQUAL;
    VkPipelineColorBlendAttachmentState att{};
    att.colorWriteMask = 0xF;
    if (d.blend) {
        att.blendEnable = VK_TRUE;
        att.srcColorBlendFactor = d.premultiplied ? VK_BLEND_FACTOR_ONE : VK_BLEND_FACTOR_SRC_ALPHA;
        att.dstColorBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA;
        att.colorBlendOp = VK_BLEND_OP_ADD;
        att.srcAlphaBlendFactor = VK_BLEND_FACTOR_ONE;
        att.dstAlphaBlendFactor = VK_BLEND_FACTOR_ONE_MINUS_SRC_ALPHA;
        att.alphaBlendOp = VK_BLEND_OP_ADD;
    }
    VkPipelineColorBlendStateCreateInfo cb{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
    cb.attachmentCount = 1;
    cb.pAttachments = &att;
    const VkDynamicState dyn[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dy{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
    dy.dynamicStateCount = 2;
    dy.pDynamicStates = dyn;
    VkPipelineRenderingCreateInfo rendering{VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO};
    rendering.viewMask = viewMask;
    rendering.colorAttachmentCount = 1;
    rendering.pColorAttachmentFormats = &format;
    rendering.depthAttachmentFormat = kDepthFormat;
    VkGraphicsPipelineCreateInfo ci{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
    ci.pNext = &rendering;
    ci.stageCount = 2;
    ci.pStages = stages;
    ci.pVertexInputState = &vi;
    ci.pInputAssemblyState = &ia;
    ci.pViewportState = &vp;
    ci.pRasterizationState = &rs;
    ci.pMultisampleState = &ms;
    ci.pDepthStencilState = &ds;
    ci.pColorBlendState = &cb;
    ci.pDynamicState = &dy;
    ci.layout = pipelineLayout;
    VkPipeline pipeline = VK_NULL_HANDLE;
    const VkResult r = vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &ci, nullptr, &pipeline);
    vkDestroyShaderModule(device, vs, nullptr);
    vkDestroyShaderModule(device, fs, nullptr);
    MXR_TRY_VK(r);
    return pipeline;
}

Result<PipelineSet*> VulkanRenderer::Impl::pipelinesFor(VkFormat format, std::uint32_t viewMask,
                                                        std::uint32_t lightCount) {
    MXR_TRY_ASSIGN(PipelineSet * set, basePipelinesFor(format, viewMask));
    lightCount = std::min(lightCount, kMaxLights);
    if (set->meshOpaque[lightCount]) return set;
    // The light loop's trip count is a constant of the pipeline: a software
    // rasterizer otherwise runs all kMaxLights iterations masked, and GPUs
    // unroll it too.
    const auto count = static_cast<std::int32_t>(lightCount);
    const VkSpecializationMapEntry entry{0, 0, sizeof(count)};
    const VkSpecializationInfo constants{1, &entry, sizeof(count), &count};
    MXR_TRY_ASSIGN(set->meshOpaque[lightCount], makePipeline(meshDesc(false), format, viewMask, &constants));
    MXR_TRY_ASSIGN(set->meshBlend[lightCount], makePipeline(meshDesc(true), format, viewMask, &constants));
    return set;
}

Result<PipelineSet*> VulkanRenderer::Impl::basePipelinesFor(VkFormat format, std::uint32_t viewMask) {
    const auto key = std::make_pair(format, viewMask);
    if (auto it = pipelines.find(key); it != pipelines.end()) return &it->second;

    PipelineDesc line{"line.vert.spv", "color.frag.spv", {{0, sizeof(LineGpu), VK_VERTEX_INPUT_RATE_INSTANCE}}, {}};
    line.attributes = {{0, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(LineGpu, from)},
                       {1, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(LineGpu, to)},
                       {2, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(LineGpu, color)}};
    line.blend = true;

    PipelineDesc text{"text.vert.spv", "text.frag.spv", {{0, sizeof(TextVertex), VK_VERTEX_INPUT_RATE_VERTEX}}, {}};
    text.attributes = {{0, 0, VK_FORMAT_R32G32B32_SFLOAT, offsetof(TextVertex, position)},
                       {1, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(TextVertex, uv)},
                       {2, 0, VK_FORMAT_R32G32B32A32_SFLOAT, offsetof(TextVertex, color)}};
    text.blend = true;
    text.depthWrite = false;

    PipelineDesc overlay{"overlay.vert.spv", "overlay.frag.spv", {}, {}};
    overlay.blend = true;
    overlay.premultiplied = true;
    overlay.depthTest = false;
    overlay.depthWrite = false;

    // The overlay on a world quad: six text-layout vertices, premultiplied.
    PipelineDesc overlayQuad = text;
    overlayQuad.frag = "overlay_quad.frag.spv";
    overlayQuad.premultiplied = true;
    overlayQuad.depthWrite = true;

    // The UI image is sRGB-encoded; an sRGB target would encode it again, so
    // the overlay shaders decode it first (overlay_decode.glsl).
    const VkBool32 targetIsSrgb = isSrgbFormat(format) ? VK_TRUE : VK_FALSE;
    const VkSpecializationMapEntry srgbEntry{0, 0, sizeof(targetIsSrgb)};
    const VkSpecializationInfo srgbConstant{1, &srgbEntry, sizeof(targetIsSrgb), &targetIsSrgb};

    PipelineSet set;
    MXR_TRY_ASSIGN(set.line, makePipeline(line, format, viewMask, nullptr));
    MXR_TRY_ASSIGN(set.text, makePipeline(text, format, viewMask, nullptr));
    MXR_TRY_ASSIGN(set.overlay, makePipeline(overlay, format, viewMask, &srgbConstant));
    MXR_TRY_ASSIGN(set.overlayQuad, makePipeline(overlayQuad, format, viewMask, &srgbConstant));
    return &(pipelines[key] = set);
}

}  // namespace mxr::engine
