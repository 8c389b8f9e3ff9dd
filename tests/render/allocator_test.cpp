// Memory is sub-allocated: many resources share few VkDeviceMemory objects.
#include <algorithm>

#include "engine/render/gpu_allocator.h"
#include "engine/render/mesh_builder.h"
#include "render_fixture.h"

namespace mxr::test {
namespace {

using AllocatorTest = RenderFixture;

TEST_F(AllocatorTest, ManyBuffersShareOneBlockWithoutOverlap) {
    engine::GpuAllocator alloc(m_gpu->physicalDevice(), m_gpu->device());
    VkMemoryRequirements req{};
    req.size = 64 * 1024;
    req.alignment = 256;
    req.memoryTypeBits = ~0u;
    std::vector<engine::GpuAllocation> live;
    for (int i = 0; i < 500; ++i) {
        auto a = alloc.allocate(req, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, 0, engine::ResourceKind::kBuffer);
        ASSERT_TRUE(a) << a.error().message;
        EXPECT_EQ(a->offset % 256, 0u);
        live.push_back(*a);
    }
    EXPECT_EQ(alloc.deviceMemoryCount(), 1u) << "500 x 64 KiB must fit one 64 MiB block";
    std::sort(live.begin(), live.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
    for (std::size_t i = 1; i < live.size(); ++i) EXPECT_GE(live[i].offset, live[i - 1].offset + live[i - 1].size);
    // Free every other one, then fill the holes again: still one block.
    for (std::size_t i = 0; i < live.size(); i += 2) alloc.free(live[i]);
    for (int i = 0; i < 250; ++i) {
        ASSERT_TRUE(alloc.allocate(req, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, 0, engine::ResourceKind::kBuffer));
    }
    EXPECT_EQ(alloc.deviceMemoryCount(), 1u);
    // A resource larger than a block gets its own, returned when freed.
    VkMemoryRequirements big = req;
    big.size = engine::GpuAllocator::kBlockSize + 4096;
    auto b = alloc.allocate(big, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, 0, engine::ResourceKind::kBuffer);
    ASSERT_TRUE(b);
    EXPECT_EQ(alloc.deviceMemoryCount(), 2u);
    alloc.free(*b);
    EXPECT_EQ(alloc.deviceMemoryCount(), 1u);
}

// The allocator makes buffers and images with their memory: a mapped
// buffer holds what is written to it, images get a view, and destroying
// gives the memory back (the block is reused, not grown).
TEST_F(AllocatorTest, BuffersAndImagesAreMadeAndGivenBack) {
    engine::GpuAllocator alloc(m_gpu->physicalDevice(), m_gpu->device());
    auto staging = alloc.createBuffer(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, true);
    ASSERT_TRUE(staging) << staging.error().message;
    ASSERT_NE(staging->memory.mapped, nullptr);
    static_cast<std::uint8_t*>(staging->memory.mapped)[4095] = 0x5a;
    EXPECT_EQ(static_cast<std::uint8_t*>(staging->memory.mapped)[4095], 0x5a);
    auto local = alloc.createBuffer(1 << 20, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, false);
    ASSERT_TRUE(local);  // device-local (mapped too where that memory is host-visible, as on lavapipe)
    VkImageCreateInfo ci{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ci.imageType = VK_IMAGE_TYPE_2D;
    ci.format = VK_FORMAT_R8G8B8A8_UNORM;
    ci.extent = {64, 64, 1};
    ci.mipLevels = 1;
    ci.arrayLayers = 2;
    ci.samples = VK_SAMPLE_COUNT_1_BIT;
    ci.usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    auto image = alloc.createImage(ci, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_VIEW_TYPE_2D_ARRAY);
    ASSERT_TRUE(image) << image.error().message;
    EXPECT_NE(image->view, VkImageView(VK_NULL_HANDLE));
    auto view = alloc.createView(image->image, ci.format, 1, VK_IMAGE_ASPECT_COLOR_BIT);
    ASSERT_TRUE(view);
    vkDestroyImageView(m_gpu->device(), *view, nullptr);
    const VkDeviceSize used = alloc.bytesInUse();
    EXPECT_GE(used, 4096u + (1u << 20) + 64u * 64u * 4u * 2u);
    const std::uint32_t blocks = alloc.deviceMemoryCount();
    alloc.destroy(*staging);
    alloc.destroy(*local);
    alloc.destroy(*image);
    EXPECT_EQ(staging->buffer, VkBuffer(VK_NULL_HANDLE));
    EXPECT_EQ(image->image, VkImage(VK_NULL_HANDLE));
    EXPECT_EQ(alloc.bytesInUse(), 0u);
    alloc.destroy(*staging);  // again: a no-op
    auto again = alloc.createBuffer(1 << 20, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, false);
    ASSERT_TRUE(again);
    EXPECT_LE(alloc.deviceMemoryCount(), blocks);
    alloc.destroy(*again);
}

TEST_F(AllocatorTest, RendererUsesFewAllocationsForManyMeshes) {
    const std::uint32_t before = m_renderer->allocator().deviceMemoryCount();
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(m_renderer->upload(engine::makeBox()));
    EXPECT_LE(m_renderer->allocator().deviceMemoryCount(), before + 2) << "one VkDeviceMemory per mesh?";
}

TEST_F(AllocatorTest, BadMeshIsRejected) {
    engine::MeshData bad = engine::makeBox();
    bad.indices.push_back(9999);
    bad.indices.push_back(0);
    bad.indices.push_back(1);
    auto r = m_renderer->upload(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace mxr::test

namespace mxr::test {
namespace {

TEST(RendererAssets, MissingFontNamesTheFileAndThePackage) {
    engine::GpuCreateInfo info;
    auto gpu = engine::GpuContext::create(engine::VulkanRenderer::requirements(), info, Logger());
    ASSERT_TRUE(gpu) << gpu.error().message;
    engine::VulkanRenderer::Options o;
    o.fontPath = "/nonexistent/fonts/Missing.ttf";
    auto r = engine::VulkanRenderer::create(**gpu, o, Logger());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_NE(r.error().message.find("/nonexistent/fonts/Missing.ttf"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("fonts-dejavu-core"), std::string::npos) << r.error().message;
    o.fontPath = MXR_DEMO_ROOM;  // a file, but not a font
    auto r2 = engine::VulkanRenderer::create(**gpu, o, Logger());
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().message.find("not a TrueType or OpenType font"), std::string::npos) << r2.error().message;
}

}  // namespace
}  // namespace mxr::test
