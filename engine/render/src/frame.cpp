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

void appendArrow(const Line& l, std::vector<LineGpu>& out) {
    const Vec3 dir = l.to - l.from;
    const float len = glm::length(dir);
    out.push_back({Vec4(l.from, l.width), Vec4(l.to, 0.0f), l.color});
    if (!l.arrow || len < 1e-5f) return;
    const Vec3 d = dir / len;
    // The head lies in the plane of the shaft and the world up (or X when the
    // shaft is vertical); two barbs of 6 widths at 30 degrees.
    Vec3 side = glm::cross(d, std::abs(d.y) > 0.95f ? Vec3(1, 0, 0) : Vec3(0, 1, 0));
    side = glm::normalize(side);
    const float head = std::min(len * 0.5f, l.width * 6.0f);
    for (float s : {1.0f, -1.0f}) {
        const Vec3 barb = l.to - d * (head * 0.866f) + side * (s * head * 0.5f);
        out.push_back({Vec4(l.to, l.width), Vec4(barb, 0.0f), l.color});
    }
}

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
    PipelineSet* passPipes[kMaxViews] = {};
    for (std::uint32_t p = 0; p < passCount; ++p) {
        MXR_TRY_ASSIGN(passPipes[p], pipelinesFor(target.desc.format, masks[p]));
    }
    MXR_TRY_ASSIGN(Attachments * att, attachmentsFor(extent, viewCount, target.desc.format));

    // ---- per-frame data
    FrameArena arena{static_cast<char*>(slot.data.memory.mapped), kFrameDataBytes, 0};
    FrameUniforms u{};
    for (std::uint32_t v = 0; v < kMaxViews; ++v) {
        const ViewInfo& view = views[std::min(v, viewCount - 1)];
        u.viewProj[v] = projectionFromFov(view.fov, kNearZ, kFarZ) * viewFromPose(view.pose);
        u.eyePos[v] = Vec4(view.pose.position, 1.0f);
    }
    const auto lightCount = static_cast<std::uint32_t>(std::min<std::size_t>(scene.lights.size(), kMaxLights));
    for (std::uint32_t i = 0; i < lightCount; ++i) {
        const auto& l = scene.lights[i];
        u.lightPos[i] = Vec4(l.position, std::max(l.range, 0.01f));
        u.lightColor[i] = Vec4(l.color * l.intensity, 0.0f);
    }
    u.ambient = Vec4(scene.ambient, 0.0f);
    u.counts = glm::ivec4(static_cast<int>(lightCount), 0, 0, 0);
    MXR_TRY_ASSIGN(const VkDeviceSize uboOffset, arena.push(std::span<const FrameUniforms>(&u, 1)));
    assert(uboOffset == 0);
    (void)uboOffset;

    // Instances sorted by (blended, mesh) so each run is one instanced draw.
    order.resize(scene.instances.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    // Opaque before blended; among opaque, room-sized objects (floor, walls)
    // last so the depth test rejects what furniture and people cover (a
    // software rasterizer pays for every shaded fragment); then by mesh.
    sortKeys.resize(scene.instances.size());
    for (std::size_t k = 0; k < scene.instances.size(); ++k) {
        const Instance& i = scene.instances[k];
        std::uint64_t pass = 0;
        if (i.color.a < 1.0f) {
            pass = 2;
        } else {
            const Mat4& m = i.transform;
            const float extent =
                std::max({glm::length(Vec3(m[0])), glm::length(Vec3(m[1])), glm::length(Vec3(m[2]))});
            pass = extent > 2.0f ? 1 : 0;
        }
        sortKeys[k] = (pass << 32) | i.mesh.id;
    }
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return sortKeys[a] < sortKeys[b]; });
    const VkDeviceSize instOffset = (arena.used + 255) & ~VkDeviceSize(255);
    if (instOffset + order.size() * sizeof(InstanceGpu) > kFrameDataBytes) {
        return makeError(ErrorCode::kLimit, "too many instances for one frame");
    }
    auto* inst = reinterpret_cast<InstanceGpu*>(arena.base + instOffset);
    for (std::size_t i = 0; i < order.size(); ++i) {
        const auto& s = scene.instances[order[i]];
        inst[i] = InstanceGpu{s.transform, s.color};
    }
    arena.used = instOffset + order.size() * sizeof(InstanceGpu);

    lineScratch.clear();
    for (const auto& l : scene.lines) appendArrow(l, lineScratch);
    MXR_TRY_ASSIGN(const VkDeviceSize lineOffset, arena.push(std::span<const LineGpu>(lineScratch)));

    // Labels face the viewer: with two eyes, the head between them.
    Pose head = views[0].pose;
    if (viewCount == 2) {
        head.position = 0.5f * (views[0].pose.position + views[1].pose.position);
        head.orientation = glm::slerp(views[0].pose.orientation, views[1].pose.orientation, 0.5f);
    }
    textScratch.clear();
    for (const auto& label : scene.labels) {
        const Vec3 toEye = glm::length(label.facing) > 0.0f ? label.facing : head.position - label.anchor;
        Vec3 fwd = glm::length(toEye) > 1e-4f ? glm::normalize(toEye) : Vec3(0, 0, 1);
        Vec3 right = glm::cross(Vec3(0, 1, 0), fwd);
        right = glm::length(right) > 1e-4f ? glm::normalize(right) : head.orientation * Vec3(1, 0, 0);
        const Vec3 up = glm::cross(fwd, right);
        atlas.appendLabel(label, right, up, textScratch);
    }
    MXR_TRY_ASSIGN(const VkDeviceSize textOffset, arena.push(std::span<const TextVertex>(textScratch)));

    // The overlay on a world quad (VR panel): two triangles.
    const bool overlayAvailable = scene.drawOverlay && overlaySource && overlayPass;
    const bool overlayInWorld = overlayAvailable && scene.overlayQuad.has_value();
    VkDeviceSize quadOffset = 0;
    if (overlayInWorld) {
        const Mat4& m = *scene.overlayQuad;
        auto corner = [&](float x, float y) {
            return TextVertex{Vec3(m * Vec4(x, y, 0.0f, 1.0f)), Vec2(x + 0.5f, 0.5f - y), Vec4(1.0f)};
        };
        const TextVertex quad[6] = {corner(-0.5f, 0.5f), corner(-0.5f, -0.5f), corner(0.5f, -0.5f),
                                    corner(-0.5f, 0.5f), corner(0.5f, -0.5f),  corner(0.5f, 0.5f)};
        MXR_TRY_ASSIGN(quadOffset, arena.push(std::span<const TextVertex>(quad, 6)));
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

    const bool overlay = overlayAvailable && !overlayInWorld && viewCount == 1;
    if (overlay || overlayInWorld) {
        VkClearValue clear{};
        VkRenderPassBeginInfo rp{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
        rp.renderPass = overlayPass;
        rp.framebuffer = slot.overlayFramebuffer;
        rp.renderArea = {{0, 0}, options.overlayExtent};
        rp.clearValueCount = 1;
        rp.pClearValues = &clear;
        vkCmdBeginRenderPass(cmd, &rp, VK_SUBPASS_CONTENTS_INLINE);
        overlaySource->recordOverlay(cmd);
        vkCmdEndRenderPass(cmd);
    }

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
        for (std::size_t i = 0; i < order.size();) {
            const auto& first = scene.instances[order[i]];
            std::size_t j = i + 1;
            const bool blended = first.color.a < 1.0f;
            while (j < order.size() && scene.instances[order[j]].mesh.id == first.mesh.id &&
                   (scene.instances[order[j]].color.a < 1.0f) == blended)
                ++j;
            auto mesh = meshes.find(first.mesh.id);
            if (mesh != meshes.end()) {
                VkPipeline want = blended ? pipes->meshBlend : pipes->meshOpaque;
                if (want != bound) {
                    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, want);
                    bound = want;
                }
                const VkBuffer vbs[2] = {mesh->second.vertices.buffer, slot.data.buffer};
                const VkDeviceSize offs[2] = {0, instOffset + i * sizeof(InstanceGpu)};
                vkCmdBindVertexBuffers(cmd, 0, 2, vbs, offs);
                vkCmdBindIndexBuffer(cmd, mesh->second.indices.buffer, 0, VK_INDEX_TYPE_UINT32);
                vkCmdDrawIndexed(cmd, mesh->second.indexCount, static_cast<std::uint32_t>(j - i), 0, 0, 0);
            }
            i = j;
        }
        if (overlayInWorld) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->overlayQuad);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &quadOffset);
            vkCmdDraw(cmd, 6, 1, 0, 0);
        }
        if (!lineScratch.empty()) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->line);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &lineOffset);
            vkCmdDraw(cmd, 6, static_cast<std::uint32_t>(lineScratch.size()), 0, 0);
        }
        if (!textScratch.empty()) {
            vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipes->text);
            vkCmdBindVertexBuffers(cmd, 0, 1, &slot.data.buffer, &textOffset);
            vkCmdDraw(cmd, static_cast<std::uint32_t>(textScratch.size()), 1, 0, 0);
        }
        if (overlay) {
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
    MXR_TRY_ASSIGN(OwnedBuffer buf, d.makeBuffer(bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, true));
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
        d.freeBuffer(buf);
        return tl::unexpected(r.error());
    }
    Image img;
    img.width = e.width;
    img.height = e.height;
    img.rgba.resize(bytes);
    std::memcpy(img.rgba.data(), buf.memory.mapped, bytes);
    d.freeBuffer(buf);
    const VkFormat f = t.desc.format;
    if (f == VK_FORMAT_B8G8R8A8_SRGB || f == VK_FORMAT_B8G8R8A8_UNORM) {
        for (std::size_t i = 0; i < img.rgba.size(); i += 4) std::swap(img.rgba[i], img.rgba[i + 2]);
    }
    return img;
}

}  // namespace mxr::engine
