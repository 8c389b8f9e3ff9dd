// Swapchains on the application's VkDevice, layer validation and capture of
// submitted projection layers to PNG.
#include "runtime.h"
#include "runtime_passthrough.h"

#include <engine/core/log.h>

#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace mxr::xrrt {

Swapchain::~Swapchain() {
    for (VkImage i : images) vkDestroyImage(device, i, nullptr);
    for (VkDeviceMemory m : memory) vkFreeMemory(device, m, nullptr);
}

namespace {

struct FormatInfo {
    VkFormat format;
    bool depth;
};

// Preference order: sRGB colour first (what a compositor wants), then UNORM,
// then float, then depth.
constexpr FormatInfo kFormats[] = {
    {VK_FORMAT_R8G8B8A8_SRGB, false},      {VK_FORMAT_B8G8R8A8_SRGB, false},  {VK_FORMAT_R8G8B8A8_UNORM, false},
    {VK_FORMAT_B8G8R8A8_UNORM, false},     {VK_FORMAT_R16G16B16A16_SFLOAT, false}, {VK_FORMAT_D32_SFLOAT, true},
    {VK_FORMAT_D24_UNORM_S8_UINT, true},   {VK_FORMAT_D16_UNORM, true},
};

std::vector<int64_t> supportedFormats(VkPhysicalDevice pd) {
    std::vector<int64_t> out;
    for (const FormatInfo& f : kFormats) {
        VkFormatProperties p{};
        vkGetPhysicalDeviceFormatProperties(pd, f.format, &p);
        const VkFormatFeatureFlags need =
            (f.depth ? VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT : VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) |
            VK_FORMAT_FEATURE_TRANSFER_SRC_BIT | VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT;
        if ((p.optimalTilingFeatures & need) == need) out.push_back(f.format);
    }
    return out;
}

bool isDepthFormat(VkFormat f) { return f == VK_FORMAT_D32_SFLOAT || f == VK_FORMAT_D24_UNORM_S8_UINT || f == VK_FORMAT_D16_UNORM; }

VkImageAspectFlags aspectOf(VkFormat f) {
    if (f == VK_FORMAT_D24_UNORM_S8_UINT) return VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
    return isDepthFormat(f) ? VK_IMAGE_ASPECT_DEPTH_BIT : VK_IMAGE_ASPECT_COLOR_BIT;
}

// The layout the spec promises for an acquired image (XR_KHR_vulkan_enable2).
VkImageLayout attachmentLayout(bool depth) {
    return depth ? VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
}

int32_t findMemoryType(VkPhysicalDevice pd, uint32_t bits, VkMemoryPropertyFlags want) {
    VkPhysicalDeviceMemoryProperties props{};
    vkGetPhysicalDeviceMemoryProperties(pd, &props);
    for (uint32_t i = 0; i < props.memoryTypeCount; ++i) {
        if ((bits & (1U << i)) != 0 && (props.memoryTypes[i].propertyFlags & want) == want) return static_cast<int32_t>(i);
    }
    return -1;
}

// Records one command buffer with `record`, submits it on the application's
// queue and waits for it. The application must not use that queue
// concurrently during the calls that do this (spec: xrEndFrame and the
// swapchain image functions), which is the same rule real runtimes rely on.
template <typename F>
VkResult submitAndWait(Session& s, F record) {
    VkCommandBufferAllocateInfo alloc{};
    alloc.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    alloc.commandPool = s.gfx.pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkResult r = vkAllocateCommandBuffers(s.gfx.device, &alloc, &cmd);
    if (r != VK_SUCCESS) return r;
    VkCommandBufferBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    vkBeginCommandBuffer(cmd, &begin);
    record(cmd);
    vkEndCommandBuffer(cmd);
    VkFenceCreateInfo fenceInfo{};
    fenceInfo.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    VkFence fence = VK_NULL_HANDLE;
    r = vkCreateFence(s.gfx.device, &fenceInfo, nullptr, &fence);
    if (r == VK_SUCCESS) {
        VkSubmitInfo submit{};
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &cmd;
        r = vkQueueSubmit(s.gfx.queue, 1, &submit, fence);
        if (r == VK_SUCCESS) r = vkWaitForFences(s.gfx.device, 1, &fence, VK_TRUE, UINT64_MAX);
        vkDestroyFence(s.gfx.device, fence, nullptr);
    }
    vkFreeCommandBuffers(s.gfx.device, s.gfx.pool, 1, &cmd);
    return r;
}

XrResult checkSwapchainSession(Swapchain* sc) {
    if (sc == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (sc->session->lossPending) return XR_ERROR_SESSION_LOST;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateSwapchainFormats(XrSession session, uint32_t capacity, uint32_t* count, int64_t* formats) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    return fillArray(capacity, count, formats, supportedFormats(s->gfx.physicalDevice));
}

XRAPI_ATTR XrResult XRAPI_CALL createSwapchain(XrSession session, const XrSwapchainCreateInfo* info, XrSwapchain* swapchain) {
    auto lock = registry().lock();
    Session* s = registry().get<Session>(session);
    if (s == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (s->lossPending) return XR_ERROR_SESSION_LOST;
    if (info == nullptr || swapchain == nullptr || info->type != XR_TYPE_SWAPCHAIN_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if ((info->createFlags & XR_SWAPCHAIN_CREATE_PROTECTED_CONTENT_BIT) != 0) return XR_ERROR_FEATURE_UNSUPPORTED;
    const auto formats = supportedFormats(s->gfx.physicalDevice);
    if (std::find(formats.begin(), formats.end(), info->format) == formats.end()) return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    const VkFormat format = static_cast<VkFormat>(info->format);
    const bool depth = isDepthFormat(format);
    if (info->faceCount != 1) return XR_ERROR_FEATURE_UNSUPPORTED;  // no cube maps
    if (info->width == 0 || info->height == 0 || info->arraySize == 0 || info->mipCount == 0) return XR_ERROR_VALIDATION_FAILURE;
    const uint32_t maxSide = std::max<uint32_t>(4096, std::max(s->instance->config.viewWidth, s->instance->config.viewHeight) * 2);
    if (info->width > maxSide || info->height > maxSide || info->arraySize > 16) return XR_ERROR_SIZE_INSUFFICIENT;
    const uint32_t maxMips = 1 + static_cast<uint32_t>(std::floor(std::log2(std::max(info->width, info->height))));
    if (info->mipCount > maxMips) return XR_ERROR_VALIDATION_FAILURE;
    const uint32_t samples = info->sampleCount;
    if (samples == 0 || (samples & (samples - 1)) != 0 || samples > s->instance->config.maxSwapchainSamples) {
        return XR_ERROR_FEATURE_UNSUPPORTED;
    }
    if (depth && (info->usageFlags & XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT) != 0) return XR_ERROR_FEATURE_UNSUPPORTED;
    if (!depth && (info->usageFlags & XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT) != 0) return XR_ERROR_FEATURE_UNSUPPORTED;

    // Exactly the usage the application asked for, so the validation layer
    // catches an application that relies on more (a real runtime need not
    // give more); transfer-source is added only while a capture is
    // configured (the runtime reads colour images back then). The images
    // are moved to the attachment layout the spec promises, so an
    // attachment usage must be among them.
    const XrSwapchainUsageFlags u = info->usageFlags;
    const XrSwapchainUsageFlags attachment =
        depth ? XR_SWAPCHAIN_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT : XR_SWAPCHAIN_USAGE_COLOR_ATTACHMENT_BIT;
    if ((u & attachment) == 0) return XR_ERROR_FEATURE_UNSUPPORTED;
    VkImageUsageFlags usage = depth ? VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT : VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
    if (!depth && !s->instance->config.captureDir.empty()) usage |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    if (u & XR_SWAPCHAIN_USAGE_UNORDERED_ACCESS_BIT) usage |= VK_IMAGE_USAGE_STORAGE_BIT;
    if (u & XR_SWAPCHAIN_USAGE_TRANSFER_SRC_BIT) usage |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    if (u & XR_SWAPCHAIN_USAGE_TRANSFER_DST_BIT) usage |= VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    if (u & XR_SWAPCHAIN_USAGE_SAMPLED_BIT) usage |= VK_IMAGE_USAGE_SAMPLED_BIT;
    if (u & XR_SWAPCHAIN_USAGE_INPUT_ATTACHMENT_BIT_KHR) usage |= VK_IMAGE_USAGE_INPUT_ATTACHMENT_BIT;
    if (usage & VK_IMAGE_USAGE_STORAGE_BIT) {
        VkFormatProperties p{};
        vkGetPhysicalDeviceFormatProperties(s->gfx.physicalDevice, format, &p);
        if ((p.optimalTilingFeatures & VK_FORMAT_FEATURE_STORAGE_IMAGE_BIT) == 0) return XR_ERROR_FEATURE_UNSUPPORTED;
    }

    auto sc = std::make_unique<Swapchain>();
    sc->session = s;
    sc->device = s->gfx.device;
    sc->info = *info;
    sc->info.next = nullptr;
    sc->isDepth = depth;
    const uint32_t imageCount = (info->createFlags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT) != 0 ? 1 : 3;
    for (uint32_t i = 0; i < imageCount; ++i) {
        VkImageCreateInfo ici{};
    ici.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
        ici.flags = (u & XR_SWAPCHAIN_USAGE_MUTABLE_FORMAT_BIT) ? VK_IMAGE_CREATE_MUTABLE_FORMAT_BIT : 0;
        ici.imageType = VK_IMAGE_TYPE_2D;
        ici.format = format;
        ici.extent = {info->width, info->height, 1};
        ici.mipLevels = info->mipCount;
        ici.arrayLayers = info->arraySize;
        ici.samples = static_cast<VkSampleCountFlagBits>(samples);
        ici.tiling = VK_IMAGE_TILING_OPTIMAL;
        ici.usage = usage;
        ici.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
        ici.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
        VkImage image = VK_NULL_HANDLE;
        if (vkCreateImage(s->gfx.device, &ici, nullptr, &image) != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
        sc->images.push_back(image);
        VkMemoryRequirements req{};
        vkGetImageMemoryRequirements(s->gfx.device, image, &req);
        const int32_t type = findMemoryType(s->gfx.physicalDevice, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
        if (type < 0) return XR_ERROR_RUNTIME_FAILURE;
        VkMemoryAllocateInfo mai{};
    mai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
        mai.allocationSize = req.size;
        mai.memoryTypeIndex = static_cast<uint32_t>(type);
        VkDeviceMemory mem = VK_NULL_HANDLE;
        if (vkAllocateMemory(s->gfx.device, &mai, nullptr, &mem) != VK_SUCCESS) return XR_ERROR_OUT_OF_MEMORY;
        sc->memory.push_back(mem);
        if (vkBindImageMemory(s->gfx.device, image, mem, 0) != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
    }
    // Images start in the layout an acquired image must have.
    const VkResult vr = submitAndWait(*s, [&](VkCommandBuffer cmd) {
        std::vector<VkImageMemoryBarrier> barriers;
        for (VkImage image : sc->images) {
            VkImageMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
            b.srcAccessMask = 0;
            b.dstAccessMask = depth ? VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT : VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
            b.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
            b.newLayout = attachmentLayout(depth);
            b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            b.image = image;
            b.subresourceRange = {aspectOf(format), 0, info->mipCount, 0, info->arraySize};
            barriers.push_back(b);
        }
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 0, nullptr, 0,
                             nullptr, static_cast<uint32_t>(barriers.size()), barriers.data());
    });
    if (vr != VK_SUCCESS) return XR_ERROR_RUNTIME_FAILURE;
    s->instance->log.line(strCat("swapchain format ", info->format, " size ", info->width, "x", info->height, " layers ",
                                 info->arraySize));
    *swapchain = toHandle<XrSwapchain>(registry().add(std::move(sc), reinterpret_cast<std::uint64_t>(session)));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL destroySwapchain(XrSwapchain swapchain) {
    auto lock = registry().lock();
    if (registry().get<Swapchain>(swapchain) == nullptr) return XR_ERROR_HANDLE_INVALID;
    registry().destroy(reinterpret_cast<std::uint64_t>(swapchain));
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL enumerateSwapchainImages(XrSwapchain swapchain, uint32_t capacity, uint32_t* count,
                                                        XrSwapchainImageBaseHeader* images) {
    auto lock = registry().lock();
    Swapchain* sc = registry().get<Swapchain>(swapchain);
    if (sc == nullptr) return XR_ERROR_HANDLE_INVALID;
    if (count == nullptr) return XR_ERROR_VALIDATION_FAILURE;
    *count = static_cast<uint32_t>(sc->images.size());
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < sc->images.size() || images == nullptr) return XR_ERROR_SIZE_INSUFFICIENT;
    // XR_TYPE_SWAPCHAIN_IMAGE_VULKAN2_KHR is an alias of the enable1 type.
    auto* out = reinterpret_cast<XrSwapchainImageVulkanKHR*>(images);
    for (std::size_t i = 0; i < sc->images.size(); ++i) {
        if (out[i].type != XR_TYPE_SWAPCHAIN_IMAGE_VULKAN_KHR) return XR_ERROR_VALIDATION_FAILURE;
        out[i].image = sc->images[i];
    }
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL acquireSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageAcquireInfo* info,
                                                     uint32_t* index) {
    auto lock = registry().lock();
    Swapchain* sc = registry().get<Swapchain>(swapchain);
    if (XrResult r = checkSwapchainSession(sc); r != XR_SUCCESS) return r;
    if (index == nullptr || (info != nullptr && info->type != XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO)) {
        return XR_ERROR_VALIDATION_FAILURE;
    }
    if (sc->acquired.size() >= sc->images.size()) return XR_ERROR_CALL_ORDER_INVALID;
    const bool isStatic = (sc->info.createFlags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT) != 0;
    if (isStatic && sc->lastReleased >= 0) return XR_ERROR_CALL_ORDER_INVALID;
    *index = sc->nextAcquire;
    sc->acquired.push_back(sc->nextAcquire);
    sc->nextAcquire = (sc->nextAcquire + 1) % static_cast<uint32_t>(sc->images.size());
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL waitSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageWaitInfo* info) {
    auto lock = registry().lock();
    Swapchain* sc = registry().get<Swapchain>(swapchain);
    if (XrResult r = checkSwapchainSession(sc); r != XR_SUCCESS) return r;
    if (info == nullptr || info->type != XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (sc->acquired.empty() || sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
    // The compositor never holds an image, so it is available at once.
    sc->waited = true;
    return XR_SUCCESS;
}

XRAPI_ATTR XrResult XRAPI_CALL releaseSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageReleaseInfo* info) {
    auto lock = registry().lock();
    Swapchain* sc = registry().get<Swapchain>(swapchain);
    if (XrResult r = checkSwapchainSession(sc); r != XR_SUCCESS) return r;
    if (info != nullptr && info->type != XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (sc->acquired.empty() || !sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
    sc->lastReleased = sc->acquired.front();
    sc->acquired.pop_front();
    sc->waited = false;
    return XR_SUCCESS;
}

XrResult validateSubImage(Session& s, const XrSwapchainSubImage& sub, bool wantDepth) {
    Swapchain* sc = registry().get<Swapchain>(sub.swapchain);
    if (sc == nullptr || sc->session != &s) return XR_ERROR_HANDLE_INVALID;
    if (sc->isDepth != wantDepth) return XR_ERROR_LAYER_INVALID;
    if (sc->lastReleased < 0) return XR_ERROR_LAYER_INVALID;  // nothing released yet
    if (sub.imageArrayIndex >= sc->info.arraySize) return XR_ERROR_VALIDATION_FAILURE;
    const XrRect2Di& r = sub.imageRect;
    if (r.offset.x < 0 || r.offset.y < 0 || r.extent.width <= 0 || r.extent.height <= 0 ||
        static_cast<int64_t>(r.offset.x) + r.extent.width > static_cast<int64_t>(sc->info.width) ||
        static_cast<int64_t>(r.offset.y) + r.extent.height > static_cast<int64_t>(sc->info.height)) {
        return XR_ERROR_SWAPCHAIN_RECT_INVALID;
    }
    return XR_SUCCESS;
}

XrResult validateLayerSpace(Session& s, XrSpace space) {
    Space* sp = registry().get<Space>(space);
    return sp == nullptr || sp->session != &s ? XR_ERROR_HANDLE_INVALID : XR_SUCCESS;
}

// ---- capture ----------------------------------------------------------------

float halfToFloat(uint16_t h) {
    const uint32_t sign = (h >> 15) & 1U, exp = (h >> 10) & 0x1FU, mant = h & 0x3FFU;
    float v = 0.0F;
    if (exp == 0) {
        v = std::ldexp(static_cast<float>(mant), -24);
    } else if (exp == 31) {
        v = mant != 0 ? 0.0F : 65504.0F;
    } else {
        v = std::ldexp(static_cast<float>(mant | 0x400U), static_cast<int>(exp) - 25);
    }
    return sign != 0 ? -v : v;
}

uint8_t linearToSrgb8(float v) {
    v = std::clamp(v, 0.0F, 1.0F);
    const float s = v <= 0.0031308F ? v * 12.92F : 1.055F * std::pow(v, 1.0F / 2.4F) - 0.055F;
    return static_cast<uint8_t>(std::lround(s * 255.0F));
}

// Reads one array layer's rect of a released image into tightly packed RGBA8
// (sRGB-encoded, as a PNG viewer expects).
Result<std::vector<uint8_t>> readBack(Session& s, Swapchain& sc, const XrSwapchainSubImage& sub) {
    const VkFormat format = static_cast<VkFormat>(sc.info.format);
    uint32_t texel = 0;
    switch (format) {
        case VK_FORMAT_R8G8B8A8_SRGB:
        case VK_FORMAT_R8G8B8A8_UNORM:
        case VK_FORMAT_B8G8R8A8_SRGB:
        case VK_FORMAT_B8G8R8A8_UNORM: texel = 4; break;
        case VK_FORMAT_R16G16B16A16_SFLOAT: texel = 8; break;
        default: return makeError(ErrorCode::kInvalidArgument, strCat("capture of format ", format, " is not supported"));
    }
    if (sc.info.sampleCount != 1) return makeError(ErrorCode::kInvalidArgument, "capture of multisampled images is not supported");
    const uint32_t w = static_cast<uint32_t>(sub.imageRect.extent.width);
    const uint32_t h = static_cast<uint32_t>(sub.imageRect.extent.height);
    const VkDeviceSize size = static_cast<VkDeviceSize>(w) * h * texel;
    VkDevice dev = s.gfx.device;
    VkBufferCreateInfo bci{};
    bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bci.size = size;
    bci.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    VkBuffer buffer = VK_NULL_HANDLE;
    if (vkCreateBuffer(dev, &bci, nullptr, &buffer) != VK_SUCCESS) return makeError(ErrorCode::kGpu, "vkCreateBuffer failed");
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(dev, buffer, &req);
    const int32_t type = findMemoryType(s.gfx.physicalDevice, req.memoryTypeBits,
                                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkDeviceMemory mem = VK_NULL_HANDLE;
    VkMemoryAllocateInfo mai{};
    mai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = static_cast<uint32_t>(std::max(type, 0));
    if (type < 0 || vkAllocateMemory(dev, &mai, nullptr, &mem) != VK_SUCCESS) {
        vkDestroyBuffer(dev, buffer, nullptr);
        return makeError(ErrorCode::kGpu, "no host-visible memory for capture");
    }
    vkBindBufferMemory(dev, buffer, mem, 0);
    VkImage image = sc.images[static_cast<std::size_t>(sc.lastReleased)];
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, sub.imageArrayIndex, 1};
    const VkResult vr = submitAndWait(s, [&](VkCommandBuffer cmd) {
        VkImageMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER;
        // The application's rendering was submitted before xrReleaseSwapchainImage.
        b.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
        b.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
        b.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        b.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
        b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
        b.image = image;
        b.subresourceRange = range;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0, nullptr,
                             1, &b);
        VkBufferImageCopy copy{};
        copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, sub.imageArrayIndex, 1};
        copy.imageOffset = {sub.imageRect.offset.x, sub.imageRect.offset.y, 0};
        copy.imageExtent = {w, h, 1};
        vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buffer, 1, &copy);
        b.srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
        b.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
        b.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
        b.newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 0, nullptr, 0, nullptr,
                             1, &b);
    });
    std::vector<uint8_t> rgba(static_cast<std::size_t>(w) * h * 4);
    if (vr == VK_SUCCESS) {
        void* mapped = nullptr;
        vkMapMemory(dev, mem, 0, size, 0, &mapped);
        const auto* src = static_cast<const uint8_t*>(mapped);
        const std::size_t n = static_cast<std::size_t>(w) * h;
        for (std::size_t i = 0; i < n; ++i) {
            uint8_t* d = &rgba[i * 4];
            if (format == VK_FORMAT_R16G16B16A16_SFLOAT) {
                uint16_t hv[4];
                std::memcpy(hv, src + i * 8, 8);
                for (int c = 0; c < 3; ++c) d[c] = linearToSrgb8(halfToFloat(hv[c]));
                d[3] = static_cast<uint8_t>(std::lround(std::clamp(halfToFloat(hv[3]), 0.0F, 1.0F) * 255.0F));
            } else if (format == VK_FORMAT_B8G8R8A8_SRGB || format == VK_FORMAT_B8G8R8A8_UNORM) {
                d[0] = src[i * 4 + 2];
                d[1] = src[i * 4 + 1];
                d[2] = src[i * 4 + 0];
                d[3] = src[i * 4 + 3];
            } else {
                std::memcpy(d, src + i * 4, 4);
            }
        }
        vkUnmapMemory(dev, mem);
    }
    vkDestroyBuffer(dev, buffer, nullptr);
    vkFreeMemory(dev, mem, nullptr);
    if (vr != VK_SUCCESS) return makeError(ErrorCode::kGpu, "capture submission failed", vr);
    return rgba;
}

}  // namespace

XrResult validateLayer(Session& s, const XrCompositionLayerBaseHeader* layer, std::string& kind) {
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
        const auto* p = reinterpret_cast<const XrCompositionLayerProjection*>(layer);
        kind = "projection";
        if (XrResult r = validateLayerSpace(s, p->space); r != XR_SUCCESS) return r;
        if (p->viewCount != kViewCount || p->views == nullptr) return XR_ERROR_VALIDATION_FAILURE;
        for (uint32_t v = 0; v < p->viewCount; ++v) {
            const XrCompositionLayerProjectionView& view = p->views[v];
            if (view.type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
            if (!isValidPose(view.pose)) return XR_ERROR_POSE_INVALID;
            if (XrResult r = validateSubImage(s, view.subImage, false); r != XR_SUCCESS) return r;
            for (auto* n = static_cast<const XrBaseInStructure*>(view.next); n != nullptr; n = n->next) {
                if (n->type == XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR &&
                    s.instance->has(XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME)) {
                    const auto* d = reinterpret_cast<const XrCompositionLayerDepthInfoKHR*>(n);
                    if (XrResult r = validateSubImage(s, d->subImage, true); r != XR_SUCCESS) return r;
                    if (d->minDepth < 0.0F || d->maxDepth > 1.0F || d->minDepth > d->maxDepth || d->nearZ == d->farZ) {
                        return XR_ERROR_VALIDATION_FAILURE;
                    }
                    kind = "projection+depth";
                }
            }
        }
        return XR_SUCCESS;
    }
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
        const auto* q = reinterpret_cast<const XrCompositionLayerQuad*>(layer);
        kind = "quad";
        if (XrResult r = validateLayerSpace(s, q->space); r != XR_SUCCESS) return r;
        if (!isValidPose(q->pose)) return XR_ERROR_POSE_INVALID;
        if (q->size.width <= 0.0F || q->size.height <= 0.0F) return XR_ERROR_VALIDATION_FAILURE;
        return validateSubImage(s, q->subImage, false);
    }
    if (layer->type == XR_TYPE_COMPOSITION_LAYER_PASSTHROUGH_FB && s.instance->has(XR_FB_PASSTHROUGH_EXTENSION_NAME)) {
        kind = "passthrough";
        float opacity = 0.0F;
        return validatePassthroughLayer(s, layer, opacity);
    }
    kind = "unknown";
    return XR_ERROR_LAYER_INVALID;
}

void captureFrame(Session& s, std::int64_t frame, const XrFrameEndInfo& info) {
    const std::string& dir = s.instance->config.captureDir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    uint32_t projection = 0;
    float camera = 0.0F;  // how much camera image lies under the next layers (XR_FB_passthrough)
    for (uint32_t i = 0; i < info.layerCount; ++i) {
        if (info.layers[i]->type == XR_TYPE_COMPOSITION_LAYER_PASSTHROUGH_FB) {
            float opacity = 0.0F;
            if (validatePassthroughLayer(s, info.layers[i], opacity) == XR_SUCCESS) camera = std::max(camera, opacity);
            continue;
        }
        if (info.layers[i]->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION) continue;
        const auto* p = reinterpret_cast<const XrCompositionLayerProjection*>(info.layers[i]);
        for (uint32_t v = 0; v < p->viewCount; ++v) {
            const XrSwapchainSubImage& sub = p->views[v].subImage;
            Swapchain* sc = registry().get<Swapchain>(sub.swapchain);
            const std::string name = projection == 0 ? strCat("frame", frame, "_view", v, ".png")
                                                     : strCat("frame", frame, "_layer", projection, "_view", v, ".png");
            const std::string path = (std::filesystem::path(dir) / name).string();
            auto pixels = readBack(s, *sc, sub);
            if (!pixels) {
                writeRuntimeMessage(strCat("capture ", path, ": ", pixels.error().message));
                s.instance->log.line(strCat("capture_failed frame ", frame, " view ", v, " ", pixels.error().message));
                continue;
            }
            const int w = sub.imageRect.extent.width, h = sub.imageRect.extent.height;
            if (camera > 0.0F) {
                compositeOverCamera(*pixels, static_cast<uint32_t>(w), static_cast<uint32_t>(h), camera,
                                    (p->layerFlags & XR_COMPOSITION_LAYER_UNPREMULTIPLIED_ALPHA_BIT) != 0);
            }
            if (stbi_write_png(path.c_str(), w, h, 4, pixels->data(), w * 4) == 0) {
                writeRuntimeMessage(strCat("capture: cannot write ", path));
                continue;
            }
            s.instance->log.line(strCat("capture frame ", frame, " view ", v, " ", path));
        }
        ++projection;
    }
}

void addSwapchainProcs(std::vector<ProcEntry>& t) {
    t.push_back({"xrEnumerateSwapchainFormats", MXR_XR_FN(enumerateSwapchainFormats), nullptr});
    t.push_back({"xrCreateSwapchain", MXR_XR_FN(createSwapchain), nullptr});
    t.push_back({"xrDestroySwapchain", MXR_XR_FN(destroySwapchain), nullptr});
    t.push_back({"xrEnumerateSwapchainImages", MXR_XR_FN(enumerateSwapchainImages), nullptr});
    t.push_back({"xrAcquireSwapchainImage", MXR_XR_FN(acquireSwapchainImage), nullptr});
    t.push_back({"xrWaitSwapchainImage", MXR_XR_FN(waitSwapchainImage), nullptr});
    t.push_back({"xrReleaseSwapchainImage", MXR_XR_FN(releaseSwapchainImage), nullptr});
}

}  // namespace mxr::xrrt
