// Recording and submitting one frame; reading targets back.
#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstring>

#include "renderer_impl.h"

namespace mxr::engine {
namespace {

// Bump allocation inside one frame slot's host-visible buffer.
struct FrameArena {
    char* base;
    VkDeviceSize size;
    VkDeviceSize used;
    template <typename T>
    Result<VkDeviceSize> push(std::span<const T> items) {
        const VkDeviceSize bytes = items.size_bytes();
        const VkDeviceSize offset = (used + 255) & ~VkDeviceSize(255);
        if (offset + bytes > size) {
            return makeError(ErrorCode::kLimit, strCat("frame data exceeds ", size >> 20, " MiB"));
        }
        if (bytes) std::memcpy(base + offset, items.data(), bytes);
        used = offset + bytes;
        return offset;
    }
};

}  // namespace

Result<void> VulkanRenderer::drawFrame(const FrameScene& scene, std::span<const ViewInfo> views, TargetHandle handle) {
    auto& d = *m_impl;
    auto it = d.targets.find(handle.id);
    assert(it != d.targets.end() && "drawFrame: unknown target");
    Target& target = it->second;
    if (views.empty() || views.size() != target.desc.layers) {
        return makeError(ErrorCode::kInvalidArgument,
                         strCat("drawFrame: ", views.size(), " views for a target of ", target.desc.layers, " layers"));
    }
    FrameSlot& slot = d.slots[d.frameCounter % kFramesInFlight];
    MXR_TRY_VK(vkWaitForFences(d.device, 1, &slot.fence, VK_TRUE, UINT64_MAX));
    if (slot.submitted && slot.timed && slot.timestamps) {
        std::uint64_t ts[2] = {0, 0};
        if (vkGetQueryPoolResults(d.device, slot.timestamps, 0, 2, sizeof(ts), ts, sizeof(std::uint64_t),
                                  VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
            d.gpuMs = static_cast<double>(ts[1] - ts[0]) * d.timestampPeriod * 1e-6;
        }
    }
    const auto cpuStart = std::chrono::steady_clock::now();
    MXR_TRY_VK(vkResetFences(d.device, 1, &slot.fence));
    MXR_TRY_VK(vkResetCommandBuffer(slot.cmd, 0));
    MXR_TRY(d.record(slot, scene, views, target));

    VkCommandBufferSubmitInfo cbi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO};
    cbi.commandBuffer = slot.cmd;
    VkSemaphoreSubmitInfo waitInfo{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    waitInfo.semaphore = d.nextSync.wait;
    waitInfo.stageMask = VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT;
    VkSemaphoreSubmitInfo signalInfo{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
    signalInfo.semaphore = d.nextSync.signal;
    signalInfo.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    VkSubmitInfo2 si{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
    si.waitSemaphoreInfoCount = d.nextSync.wait ? 1 : 0;
    si.pWaitSemaphoreInfos = &waitInfo;
    si.signalSemaphoreInfoCount = d.nextSync.signal ? 1 : 0;
    si.pSignalSemaphoreInfos = &signalInfo;
    si.commandBufferInfoCount = 1;
    si.pCommandBufferInfos = &cbi;
    d.nextSync = FrameSync{};
    MXR_TRY_VK(vkQueueSubmit2(d.gpu->queue(), 1, &si, slot.fence));
    d.cpuSubmitMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cpuStart).count();
    slot.submitted = true;
    slot.targetId = handle.id;
    target.drawn = true;
    ++d.frameCounter;
    return {};
}

Result<void> VulkanRenderer::Impl::record(FrameSlot& slot, const FrameScene& scene, std::span<const ViewInfo> views,
                                          Target& target) {
    const auto viewCount = static_cast<std::uint32_t>(views.size());
    const VkExtent2D extent = target.desc.extent;
    // One multiview pass for all views, or one pass per view where the
    // driver's multiview misplaces primitives (see splitViews in init()).
    std::uint32_t masks[kMaxViews] = {(1u << viewCount) - 1u, 0u};
    std::uint32_t passCount = 1;
    if (splitViews && viewCount > 1) {
        for (std::uint32_t v = 0; v < viewCount; ++v) masks[v] = 1u << v;
        passCount = viewCount;
    }
    const auto lightCount = static_cast<std::uint32_t>(std::min<std::size_t>(scene.lights.size(), kMaxLights));
    PipelineSet* passPipes[kMaxViews] = {};
    for (std::uint32_t p = 0; p < passCount; ++p) {
        MXR_TRY_ASSIGN(passPipes[p], pipelinesFor(target.desc.format, masks[p], lightCount));
    }
    MXR_TRY_ASSIGN(Attachments * att, attachmentsFor(extent, viewCount, target.desc.format));

    // ---- per-frame data: built on the CPU (frame_packet.h), then copied in
    const bool overlayAvailable = scene.drawOverlay && overlaySource && overlayPass;
    const bool overlayInWorld = overlayAvailable && scene.overlayQuad.has_value();
    atlas.beginFrame();
    buildFramePacket(scene, views, atlas, overlayInWorld, packet);
    FrameArena arena{static_cast<char*>(slot.data.memory.mapped), kFrameDataBytes, 0};
    MXR_TRY_ASSIGN(const VkDeviceSize uboOffset, arena.push(std::span<const FrameUniforms>(&packet.uniforms, 1)));
    assert(uboOffset == 0);
    (void)uboOffset;
    // Glyphs drawn for the first time: their pixels ride in this frame's
    // buffer and are copied into the atlas before the passes.
    text::GlyphAtlas& glyphs = atlas.glyphs();
    glyphCopies.clear();
    if (!glyphs.uploads().empty()) {
        MXR_TRY_ASSIGN(const VkDeviceSize pixelOffset, arena.push(glyphs.uploadPixels()));
        for (const auto& u : glyphs.uploads()) {
            VkBufferImageCopy c{};
            c.bufferOffset = pixelOffset + u.offset;
            c.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            c.imageOffset = {std::int32_t(u.x), std::int32_t(u.y), 0};
            c.imageExtent = {u.width, u.height, 1};
            glyphCopies.push_back(c);
        }
        glyphs.clearUploads();
    }
    const VkDeviceSize instOffset = (arena.used + 255) & ~VkDeviceSize(255);
    if (instOffset + packet.instances.size() * sizeof(InstanceGpu) > kFrameDataBytes) {
        return makeError(ErrorCode::kLimit, "too many instances for one frame");
    }
    MXR_TRY(arena.push(std::span<const InstanceGpu>(packet.instances)));
    MXR_TRY_ASSIGN(const VkDeviceSize lineOffset, arena.push(std::span<const LineGpu>(packet.lines)));
    MXR_TRY_ASSIGN(const VkDeviceSize textOffset, arena.push(std::span<const TextVertex>(packet.text)));
    VkDeviceSize quadOffset = 0;
    if (packet.overlayQuad) {
        MXR_TRY_ASSIGN(quadOffset, arena.push(std::span<const TextVertex>(packet.quadVertices)));
    }

    // ---- commands
    VkCommandBuffer cmd = slot.cmd;
    VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    MXR_TRY_VK(vkBeginCommandBuffer(cmd, &bi));
    slot.timed = slot.timestamps != VK_NULL_HANDLE;
    if (slot.timed) {
        vkCmdResetQueryPool(cmd, slot.timestamps, 0, 2);
        vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_TOP_OF_PIPE_BIT, slot.timestamps, 0);
    }

    if (!glyphCopies.empty()) {
        // After earlier frames' reads of the atlas (queue order), before
        // this frame's.
        imageBarrier(cmd, atlasImage.image, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                     1, VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT, 0, VK_PIPELINE_STAGE_2_COPY_BIT,
                     VK_ACCESS_2_TRANSFER_WRITE_BIT);
        vkCmdCopyBufferToImage(cmd, slot.data.buffer, atlasImage.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                               std::uint32_t(glyphCopies.size()), glyphCopies.data());
        imageBarrier(cmd, atlasImage.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
                     1, VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                     VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT, VK_ACCESS_2_SHADER_SAMPLED_READ_BIT);
    }

    // Over the view, the overlay is drawn and composited only where the UI
    // drew something (the rest of its image is transparent).
    bool overlay = overlayAvailable && !overlayInWorld && viewCount == 1;
    PixelRect overlayArea{0, 0, options.overlayExtent.width, options.overlayExtent.height};
    if (overlay) {
        if (const auto drawn = overlaySource->overlayArea()) {
            overlayArea = scaleRect(*drawn, options.overlayExtent.width, options.overlayExtent.height,
                                    options.overlayExtent.width, options.overlayExtent.height);
        }
        overlay = !overlayArea.empty();
    }
    if (overlay || overlayInWorld) recordOverlayPass(slot, cmd, overlayArea);
    const PixelRect composite = scaleRect(overlayArea, options.overlayExtent.width, options.overlayExtent.height,
                                          extent.width, extent.height);

    const VkImageView targetView = target.view ? target.view : target.owned.view;
    // The whole target is overwritten by the resolve: its old contents are
    // discarded (UNDEFINED), which also covers a fresh swapchain image.
    imageBarrier(cmd, target.desc.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, viewCount,
                 VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, 0, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                 VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT);
    imageBarrier(cmd, att->color.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, viewCount,
                 VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT,
                 VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                 VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_COLOR_ATTACHMENT_READ_BIT);
    imageBarrier(cmd, att->depth.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL, viewCount,
                 VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT, VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
                 VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                 VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT,
                 VK_IMAGE_ASPECT_DEPTH_BIT);

    // A borrowed depth target (OpenXR depth swapchain): overwritten too.
    const bool depthOut = target.depthView != VK_NULL_HANDLE;
    if (depthOut) {
        imageBarrier(cmd, target.desc.depthImage, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                     viewCount, VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT, 0,
                     VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
                     VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT,
                     VK_IMAGE_ASPECT_DEPTH_BIT);
    }

    for (std::uint32_t pass = 0; pass < passCount; ++pass) {
    PipelineSet* pipes = passPipes[pass];
        VkRenderingAttachmentInfo color{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        color.imageView = att->color.view;
        color.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        color.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
        color.clearValue.color = {{scene.clearColor.r, scene.clearColor.g, scene.clearColor.b, scene.clearColor.a}};
        if (options.msaa != VK_SAMPLE_COUNT_1_BIT) {
            color.resolveMode = VK_RESOLVE_MODE_AVERAGE_BIT;
            color.resolveImageView = targetView;
            color.resolveImageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
        } else {
            color.imageView = targetView;
            color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
        }
        VkRenderingAttachmentInfo depth{VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO};
        depth.imageView = att->depth.view;
        depth.imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL;
        depth.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
        depth.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
        depth.clearValue.depthStencil = {1.0f, 0};
        if (depthOut && options.msaa != VK_SAMPLE_COUNT_1_BIT) {
            // Sample zero: a depth average would invent surfaces at edges.
            depth.resolveMode = VK_RESOLVE_MODE_SAMPLE_ZERO_BIT;
            depth.resolveImageView = target.depthView;
            depth.resolveImageLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
        } else if (depthOut) {
            depth.imageView = target.depthView;
            depth.imageLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
            depth.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
        }
        VkRenderingInfo ri{VK_STRUCTURE_TYPE_RENDERING_INFO};
        ri.renderArea = {{0, 0}, extent};
        ri.layerCount = 1;  // ignored with multiview
        ri.viewMask = masks[pass];
        ri.colorAttachmentCount = 1;
        ri.pColorAttachments = &color;
        ri.pDepthAttachment = &depth;
        vkCmdBeginRendering(cmd, &ri);

        VkViewport viewport{0, 0, float(extent.width), float(extent.height), 0.0f, 1.0f};
        VkRect2D scissor{{0, 0}, extent};
        vkCmdSetViewport(cmd, 0, 1, &viewport);
        vkCmdSetScissor(cmd, 0, 1, &scissor);
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelineLayout, 0, 1, &slot.descriptors, 0, nullptr);

        // Opaque then blended instances, one draw per run of the same mesh.
        VkPipeline bound = VK_NULL_HANDLE;
        for (const DrawRun& run : packet.runs) {
            auto mesh = meshes.find(run.mesh);
            if (mesh == meshes.end()) continue;
            VkPipeline want = run.blended ? pipes->meshBlend[lightCount] : pipes->meshOpaque[lightCount];
            if (want != bound) {
                vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, want);
                bound = want;
            }
            const VkBuffer vbs[2] = {mesh->second.vertices.buffer, slot.data.buffer};
            const VkDeviceSize offs[2] = {0, instOffset + run.first * sizeof(InstanceGpu)};
            vkCmdBindVertexBuffers(cmd, 0, 2, vbs, offs);
            vkCmdBindIndexBuffer(cmd, mesh->second.indices.buffer, 0, VK_INDEX_TYPE_UINT32);
            vkCmdDrawIndexed(cmd, mesh->second.indexCount, run.count, 0, 0, 0);
        }
        if (overlayInWorld) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->overlayQuad);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &quadOffset);
            vkCmdDraw(cmd, 6, 1, 0, 0);
        }
        if (!packet.lines.empty()) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->line);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &lineOffset);
            vkCmdDraw(cmd, 6, static_cast<std::uint32_t>(packet.lines.size()), 0, 0);
        }
        if (!packet.text.empty()) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->text);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &textOffset);
            vkCmdDraw(cmd, static_cast<std::uint32_t>(packet.text.size()), 1, 0, 0);
        }
        if (overlay) {
            const VkRect2D area{{std::int32_t(composite.x), std::int32_t(composite.y)},
                                {composite.width, composite.height}};
            vkCmdSetScissor(cmd, 0, 1, &area);
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->overlay);
            vkCmdDraw(cmd, 3, 1, 0, 0);
        }
        vkCmdEndRendering(cmd);
    }

    const VkImageLayout finalLayout = target.desc.finalLayout;
    VkAccessFlags2 dstAccess = VK_ACCESS_2_MEMORY_READ_BIT;
    VkPipelineStageFlags2 dstStage = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
    if (finalLayout == VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL) {
        dstAccess = VK_ACCESS_2_TRANSFER_READ_BIT;
        dstStage = VK_PIPELINE_STAGE_2_COPY_BIT;
    } else if (finalLayout == VK_IMAGE_LAYOUT_PRESENT_SRC_KHR) {
        dstAccess = 0;
        dstStage = VK_PIPELINE_STAGE_2_NONE;
    }
    if (finalLayout != VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL) {
        imageBarrier(cmd, target.desc.image, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, finalLayout, viewCount,
                     VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT, VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, dstStage,
                     dstAccess);
    }
    if (depthOut) {
        // Make the depth writes visible to whoever reads the image next
        // (the XR compositor), in the layout OpenXR expects back.
        imageBarrier(cmd, target.desc.depthImage, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL,
                     VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL, viewCount,
                     VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                     VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                     VK_ACCESS_2_MEMORY_READ_BIT, VK_IMAGE_ASPECT_DEPTH_BIT);
    }
    if (slot.timed) vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_BOTTOM_OF_PIPE_BIT, slot.timestamps, 1);
    MXR_TRY_VK(vkEndCommandBuffer(cmd));
    return {};
}

Result<Image> VulkanRenderer::readback(TargetHandle handle, std::uint32_t layer) {
    auto& d = *m_impl;
    auto it = d.targets.find(handle.id);
    if (it == d.targets.end()) return makeError(ErrorCode::kInvalidArgument, "readback: unknown target");
    Target& t = it->second;
    if (!t.drawn) return makeError(ErrorCode::kInvalidArgument, "readback: the target was never drawn");
    if (!t.desc.transferSrc) return makeError(ErrorCode::kInvalidArgument, "readback: target lacks TRANSFER_SRC usage");
    if (layer >= t.desc.layers) return makeError(ErrorCode::kInvalidArgument, "readback: no such layer");
    // The last frame that drew this target must be done.
    for (auto& slot : d.slots) {
        if (slot.submitted && slot.targetId == handle.id) {
            MXR_TRY_VK(vkWaitForFences(d.device, 1, &slot.fence, VK_TRUE, UINT64_MAX));
        }
    }
    const VkExtent2D e = t.desc.extent;
    const VkDeviceSize bytes = VkDeviceSize(e.width) * e.height * 4;
    MXR_TRY_ASSIGN(OwnedBuffer buf, d.allocator->createBuffer(bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, true));
    const VkImageLayout layout = t.desc.finalLayout;
    auto r = immediate(d.device, d.gpu->queue(), d.pool, [&](VkCommandBuffer cmd) {
        if (layout != VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL) {
            imageBarrier(cmd, t.desc.image, layout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, t.desc.layers);
        }
        VkBufferImageCopy region{};
        region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, layer, 1};
        region.imageExtent = {e.width, e.height, 1};
        vkCmdCopyImageToBuffer(cmd, t.desc.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, buf.buffer, 1, &region);
        if (layout != VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL) {
            imageBarrier(cmd, t.desc.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, layout, t.desc.layers);
        }
    });
    if (!r) {
        d.allocator->destroy(buf);
        return tl::unexpected(r.error());
    }
    Image img;
    img.width = e.width;
    img.height = e.height;
    img.rgba.resize(bytes);
    std::memcpy(img.rgba.data(), buf.memory.mapped, bytes);
    d.allocator->destroy(buf);
    const VkFormat f = t.desc.format;
    if (f == VK_FORMAT_B8G8R8A8_SRGB || f == VK_FORMAT_B8G8R8A8_UNORM) {
        for (std::size_t i = 0; i < img.rgba.size(); i += 4) std::swap(img.rgba[i], img.rgba[i + 2]);
    }
    return img;
}

}  // namespace mxr::engine
