#pragma once
// The CPU half of a frame, apart from command recording: what goes into the
// frame's buffer (uniforms, instances sorted into draw runs, line segments
// with arrowheads, label quads facing the viewer, the VR panel's quad). No
// GPU and no Vulkan here, so it is unit-tested without a device
// (tests/render/frame_packet_test.cpp); frame.cpp uploads it and records.
//
// Thread: main thread. The packet's vectors are reused frame to frame (no
// allocation once warm).
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/render/renderer.h"
#include "text_atlas.h"

namespace mxr::engine {

// Matches `Frame` in assets/shaders/common.glsl (std140).
struct FrameUniforms {
    Mat4 viewProj[2];
    Vec4 eyePos[2];
    Vec4 lightPos[kMaxLights];
    Vec4 lightColor[kMaxLights];
    Vec4 ambient;
    glm::ivec4 counts;
};

struct InstanceGpu {
    Mat4 model;
    Vec4 color;
};
struct LineGpu {
    Vec4 from;  // w: width
    Vec4 to;
    Vec4 color;
};

// `r` in an image of extent `from`, mapped onto an image of extent `to`
// (rounded outwards, clipped to `to`).
PixelRect scaleRect(const PixelRect& r, std::uint32_t fromWidth, std::uint32_t fromHeight, std::uint32_t toWidth,
                    std::uint32_t toHeight);

// One instanced draw: `count` instances of one mesh from `first` on.
struct DrawRun {
    std::uint32_t mesh = 0;
    std::uint32_t first = 0;
    std::uint32_t count = 0;
    bool blended = false;
};

struct FramePacket {
    FrameUniforms uniforms{};
    std::vector<InstanceGpu> instances;  // in draw order
    std::vector<DrawRun> runs;           // opaque first, then blended
    std::vector<LineGpu> lines;
    std::vector<TextVertex> text;
    bool overlayQuad = false;  // quadVertices hold the VR panel's two triangles
    std::array<TextVertex, 6> quadVertices{};

    // Scratch for the sort.
    std::vector<std::uint32_t> order;
    std::vector<std::uint64_t> sortKeys;
};

// Fills `out` from the scene and the views (1 or 2). Instances: opaque
// before blended; among opaque ones, room-sized objects (floor, walls) last
// so the depth test rejects what furniture and people cover (a software
// rasterizer pays for every shaded fragment); then by mesh, stable. Labels
// face the head (between the eyes with two views). `overlayInWorld`: the
// overlay goes on scene.overlayQuad.
void buildFramePacket(const FrameScene& scene, std::span<const ViewInfo> views, TextAtlas& atlas,
                      bool overlayInWorld, FramePacket& out);

// One line as segments: the shaft, plus two barbs when it has an arrowhead.
void appendArrow(const Line& line, std::vector<LineGpu>& out);

}  // namespace mxr::engine
