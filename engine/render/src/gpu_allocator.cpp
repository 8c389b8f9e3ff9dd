#include "engine/render/gpu_allocator.h"

#include <cassert>

#include "engine/render/vulkan_context.h"

namespace mxr::engine {

GpuAllocator::GpuAllocator(VkPhysicalDevice physical, VkDevice device) : m_device(device) {
    vkGetPhysicalDeviceMemoryProperties(physical, &m_props);
}

GpuAllocator::~GpuAllocator() {
    for (auto& b : m_blocks) {
        if (b && b->memory) vkFreeMemory(m_device, b->memory, nullptr);
    }
}

Result<std::uint32_t> GpuAllocator::findMemoryType(std::uint32_t bits, VkMemoryPropertyFlags required,
                                                   VkMemoryPropertyFlags preferred) const {
    for (VkMemoryPropertyFlags want : {required | preferred, required}) {
        for (std::uint32_t i = 0; i < m_props.memoryTypeCount; ++i) {
            if ((bits & (1u << i)) && (m_props.memoryTypes[i].propertyFlags & want) == want) return i;
        }
    }
    return makeError(ErrorCode::kGpu, "no Vulkan memory type with the required properties");
}

bool GpuAllocator::carve(Block& b, VkDeviceSize size, VkDeviceSize alignment, VkDeviceSize& offset) {
    for (auto it = b.freeRanges.begin(); it != b.freeRanges.end(); ++it) {
        const VkDeviceSize start = it->first, len = it->second;
        const VkDeviceSize aligned = (start + alignment - 1) / alignment * alignment;
        if (aligned + size > start + len) continue;
        b.freeRanges.erase(it);
        if (aligned > start) b.freeRanges[start] = aligned - start;
        if (aligned + size < start + len) b.freeRanges[aligned + size] = start + len - (aligned + size);
        offset = aligned;
        return true;
    }
    return false;
}

Result<GpuAllocation> GpuAllocator::allocate(const VkMemoryRequirements& req, VkMemoryPropertyFlags required,
                                             VkMemoryPropertyFlags preferred, ResourceKind kind) {
    MXR_TRY_ASSIGN(const std::uint32_t type, findMemoryType(req.memoryTypeBits, required, preferred));
    const VkDeviceSize alignment = std::max<VkDeviceSize>(req.alignment, 16);
    GpuAllocation out;
    for (std::uint32_t i = 0; i < m_blocks.size(); ++i) {
        Block* b = m_blocks[i].get();
        if (!b || b->memoryType != type || b->kind != kind) continue;
        VkDeviceSize offset = 0;
        if (carve(*b, req.size, alignment, offset)) {
            b->liveAllocations++;
            out = GpuAllocation{b->memory, offset, req.size,
                                b->mapped ? static_cast<char*>(b->mapped) + offset : nullptr, i};
            m_inUse += req.size;
            return out;
        }
    }
    auto block = std::make_unique<Block>();
    block->size = std::max(kBlockSize, req.size);
    block->memoryType = type;
    block->kind = kind;
    VkMemoryAllocateInfo ai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    ai.allocationSize = block->size;
    ai.memoryTypeIndex = type;
    MXR_TRY_VK(vkAllocateMemory(m_device, &ai, nullptr, &block->memory));
    if (m_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        MXR_TRY_VK(vkMapMemory(m_device, block->memory, 0, VK_WHOLE_SIZE, 0, &block->mapped));
    }
    block->freeRanges[0] = block->size;
    std::uint32_t index = 0;
    for (; index < m_blocks.size(); ++index) {
        if (!m_blocks[index]) break;
    }
    if (index == m_blocks.size()) m_blocks.emplace_back();
    m_blocks[index] = std::move(block);
    Block& b = *m_blocks[index];
    VkDeviceSize offset = 0;
    const bool ok = carve(b, req.size, alignment, offset);
    assert(ok);
    (void)ok;
    b.liveAllocations++;
    m_inUse += req.size;
    return GpuAllocation{b.memory, offset, req.size, b.mapped ? static_cast<char*>(b.mapped) + offset : nullptr, index};
}

void GpuAllocator::free(GpuAllocation& a) {
    if (!a) return;
    assert(a.block < m_blocks.size() && m_blocks[a.block]);
    Block& b = *m_blocks[a.block];
    // Insert and coalesce with neighbours.
    auto [it, inserted] = b.freeRanges.emplace(a.offset, a.size);
    assert(inserted);
    (void)inserted;
    auto next = std::next(it);
    if (next != b.freeRanges.end() && it->first + it->second == next->first) {
        it->second += next->second;
        b.freeRanges.erase(next);
    }
    if (it != b.freeRanges.begin()) {
        auto prev = std::prev(it);
        if (prev->first + prev->second == it->first) {
            prev->second += it->second;
            b.freeRanges.erase(it);
        }
    }
    m_inUse -= a.size;
    if (--b.liveAllocations == 0 && b.size > kBlockSize) {
        // Exactly sized blocks for big resources go back at once.
        vkFreeMemory(m_device, b.memory, nullptr);
        m_blocks[a.block].reset();
    }
    a = GpuAllocation{};
}

Result<GpuAllocation> GpuAllocator::bindBuffer(VkBuffer buffer, VkMemoryPropertyFlags required,
                                               VkMemoryPropertyFlags preferred) {
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(m_device, buffer, &req);
    MXR_TRY_ASSIGN(GpuAllocation a, allocate(req, required, preferred, ResourceKind::kBuffer));
    MXR_TRY_VK(vkBindBufferMemory(m_device, buffer, a.memory, a.offset));
    return a;
}

Result<GpuAllocation> GpuAllocator::bindImage(VkImage image, VkMemoryPropertyFlags required,
                                              VkMemoryPropertyFlags preferred) {
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(m_device, image, &req);
    MXR_TRY_ASSIGN(GpuAllocation a, allocate(req, required, preferred, ResourceKind::kImage));
    MXR_TRY_VK(vkBindImageMemory(m_device, image, a.memory, a.offset));
    return a;
}

std::uint32_t GpuAllocator::deviceMemoryCount() const {
    std::uint32_t n = 0;
    for (const auto& b : m_blocks) n += b ? 1 : 0;
    return n;
}

// ------------------------------------------------- buffers and images

Result<OwnedBuffer> GpuAllocator::createBuffer(VkDeviceSize size, VkBufferUsageFlags usage, bool hostVisible) {
    OwnedBuffer b;
    VkBufferCreateInfo ci{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    ci.size = size;
    ci.usage = usage;
    MXR_TRY_VK(vkCreateBuffer(m_device, &ci, nullptr, &b.buffer));
    auto mem = hostVisible ? bindBuffer(b.buffer,
                                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                                   0)
                           : bindBuffer(b.buffer, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, 0);
    if (!mem) {
        vkDestroyBuffer(m_device, b.buffer, nullptr);
        return tl::unexpected(mem.error());
    }
    b.memory = *mem;
    return b;
}

void GpuAllocator::destroy(OwnedBuffer& b) {
    if (b.buffer) vkDestroyBuffer(m_device, b.buffer, nullptr);
    free(b.memory);
    b = OwnedBuffer{};
}

Result<VkImageView> GpuAllocator::createView(VkImage image, VkFormat format, std::uint32_t layers,
                                             VkImageAspectFlags aspect) {
    VkImageViewCreateInfo vi{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    vi.image = image;
    vi.viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY;
    vi.format = format;
    vi.subresourceRange = {aspect, 0, 1, 0, layers};
    VkImageView view = VK_NULL_HANDLE;
    MXR_TRY_VK(vkCreateImageView(m_device, &vi, nullptr, &view));
    return view;
}

Result<OwnedImage> GpuAllocator::createImage(const VkImageCreateInfo& info, VkImageAspectFlags aspect,
                                             VkImageViewType viewType) {
    OwnedImage img;
    MXR_TRY_VK(vkCreateImage(m_device, &info, nullptr, &img.image));
    VkMemoryPropertyFlags preferred = 0;
    if (info.usage & VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT) preferred = VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
    auto mem = bindImage(img.image, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, preferred);
    if (!mem) {
        vkDestroyImage(m_device, img.image, nullptr);
        return tl::unexpected(mem.error());
    }
    img.memory = *mem;
    VkImageViewCreateInfo vi{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    vi.image = img.image;
    vi.viewType = viewType;
    vi.format = info.format;
    vi.subresourceRange = {aspect, 0, 1, 0, info.arrayLayers};
    const VkResult r = vkCreateImageView(m_device, &vi, nullptr, &img.view);
    if (r < 0) {
        destroy(img);
        MXR_TRY_VK(r);
    }
    return img;
}

void GpuAllocator::destroy(OwnedImage& i) {
    if (i.view) vkDestroyImageView(m_device, i.view, nullptr);
    if (i.image) vkDestroyImage(m_device, i.image, nullptr);
    free(i.memory);
    i = OwnedImage{};
}

}  // namespace mxr::engine
