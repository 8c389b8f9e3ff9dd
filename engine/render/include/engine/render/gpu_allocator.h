#pragma once
// Device memory sub-allocation. Drivers may allow as few as 4,096
// VkDeviceMemory objects, so resources share large blocks: each memory type
// has a list of blocks (64 MiB, or one exactly sized block for a resource
// larger than that), carved first-fit with coalescing on free. Buffers and
// optimal-tiling images live in separate blocks so bufferImageGranularity
// never matters.
//
// It also makes the renderer's buffers and images (with their memory and,
// for images, a view) and destroys them again.
//
// Thread: main thread. Lifetime: the allocator outlives every allocation;
// freeing is immediate, so callers defer frees until the GPU is done.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "engine/core/result.h"

namespace mxr::engine {

struct GpuAllocation {
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
    void* mapped = nullptr;  // host-visible memory is persistently mapped
    std::uint32_t block = UINT32_MAX;
    explicit operator bool() const { return memory != VK_NULL_HANDLE; }
};

enum class ResourceKind : std::uint8_t { kBuffer, kImage };

// A buffer and its memory (host-visible ones are mapped: memory.mapped).
struct OwnedBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    GpuAllocation memory;
};

// An image, its memory and a view of all its layers.
struct OwnedImage {
    VkImage image = VK_NULL_HANDLE;
    VkImageView view = VK_NULL_HANDLE;
    GpuAllocation memory;
};

class GpuAllocator {
public:
    static constexpr VkDeviceSize kBlockSize = 64ull << 20;

    GpuAllocator(VkPhysicalDevice physical, VkDevice device);
    ~GpuAllocator();
    GpuAllocator(const GpuAllocator&) = delete;
    GpuAllocator& operator=(const GpuAllocator&) = delete;

    Result<GpuAllocation> allocate(const VkMemoryRequirements& req, VkMemoryPropertyFlags required,
                                   VkMemoryPropertyFlags preferred, ResourceKind kind);
    void free(GpuAllocation& allocation);

    // Convenience: create a buffer or image and bind it to fresh memory.
    Result<GpuAllocation> bindBuffer(VkBuffer buffer, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred);
    Result<GpuAllocation> bindImage(VkImage image, VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred);

    // A buffer bound to device-local memory, or to host-visible, coherent,
    // mapped memory. Errors: kGpu (creation, out of memory); nothing is left.
    Result<OwnedBuffer> createBuffer(VkDeviceSize size, VkBufferUsageFlags usage, bool hostVisible);
    // An image in device-local memory (lazily allocated where the driver
    // offers it, for transient attachments) with a view of `viewType`.
    Result<OwnedImage> createImage(const VkImageCreateInfo& info, VkImageAspectFlags aspect, VkImageViewType viewType);
    // A 2D-array view of `layers` layers of someone else's image.
    Result<VkImageView> createView(VkImage image, VkFormat format, std::uint32_t layers, VkImageAspectFlags aspect);
    // Destroy and free; safe on empty ones; leave them empty.
    void destroy(OwnedBuffer& buffer);
    void destroy(OwnedImage& image);

    std::uint32_t deviceMemoryCount() const;  // live VkDeviceMemory objects
    VkDeviceSize bytesInUse() const { return m_inUse; }

private:
    struct Block {
        VkDeviceMemory memory = VK_NULL_HANDLE;
        VkDeviceSize size = 0;
        std::uint32_t memoryType = 0;
        ResourceKind kind = ResourceKind::kBuffer;
        void* mapped = nullptr;
        std::map<VkDeviceSize, VkDeviceSize> freeRanges;  // offset -> size
        std::uint32_t liveAllocations = 0;
    };
    Result<std::uint32_t> findMemoryType(std::uint32_t bits, VkMemoryPropertyFlags required,
                                         VkMemoryPropertyFlags preferred) const;
    bool carve(Block& b, VkDeviceSize size, VkDeviceSize alignment, VkDeviceSize& offset);

    VkDevice m_device;
    VkPhysicalDeviceMemoryProperties m_props{};
    std::vector<std::unique_ptr<Block>> m_blocks;
    VkDeviceSize m_inUse = 0;
};

}  // namespace mxr::engine
