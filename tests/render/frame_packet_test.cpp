// The CPU half of a frame without a GPU: draw order and runs, arrowheads,
// labels facing the viewer, lights and the VR panel's quad.
#include "frame_packet.h"

#include <gtest/gtest.h>

namespace {

using namespace mxr;
using namespace mxr::engine;

Instance inst(std::uint32_t mesh, float scale, float alpha = 1.0f) {
    Instance i;
    i.mesh = MeshHandle{mesh};
    i.transform = Mat4(1.0f);
    i.transform[0][0] = i.transform[1][1] = i.transform[2][2] = scale;
    i.color = Vec4(1.0f, 1.0f, 1.0f, alpha);
    return i;
}

struct Packet : ::testing::Test {
    TextAtlas atlas;
    FramePacket packet;
    std::vector<ViewInfo> one{ViewInfo{Pose{Vec3(0, 0, 5), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)}};
    void SetUp() override { ASSERT_TRUE(atlas.load(text::debianFontFiles(), Logger())); }
};

TEST_F(Packet, OpaqueBeforeBlendedRoomSizedLastThenByMeshInRuns) {
    FrameScene scene;
    scene.instances = {inst(2, 1.0f, 0.5f), inst(1, 10.0f), inst(2, 1.0f), inst(1, 1.0f), inst(2, 1.0f),
                       inst(3, 1.0f, 0.5f)};
    buildFramePacket(scene, one, atlas, false, packet);
    ASSERT_EQ(packet.instances.size(), 6u);
    // Small opaque by mesh (1, then 2 twice), the room-sized one, then blended.
    ASSERT_EQ(packet.runs.size(), 5u);
    EXPECT_EQ(packet.runs[0].mesh, 1u);
    EXPECT_EQ(packet.runs[0].count, 1u);
    EXPECT_EQ(packet.runs[1].mesh, 2u);
    EXPECT_EQ(packet.runs[1].count, 2u);
    EXPECT_EQ(packet.runs[2].mesh, 1u);
    EXPECT_FLOAT_EQ(packet.instances[packet.runs[2].first].model[0][0], 10.0f) << "the room-sized box is drawn last";
    EXPECT_TRUE(packet.runs[3].blended);
    EXPECT_TRUE(packet.runs[4].blended);
    EXPECT_FALSE(packet.runs[2].blended);
    std::uint32_t next = 0;
    for (const auto& r : packet.runs) {
        EXPECT_EQ(r.first, next);
        next += r.count;
    }
    EXPECT_EQ(next, 6u);
}

TEST_F(Packet, ArrowsGetTwoBarbsAndLinesOneSegment) {
    FrameScene scene;
    scene.lines.push_back(Line{Vec3(0), Vec3(1, 0, 0), 0.01f, Vec4(1), false});
    scene.lines.push_back(Line{Vec3(0), Vec3(0, 0, -1), 0.01f, Vec4(1), true});
    buildFramePacket(scene, one, atlas, false, packet);
    ASSERT_EQ(packet.lines.size(), 4u);
    // The barbs start at the tip and end behind it.
    EXPECT_FLOAT_EQ(packet.lines[2].from.z, -1.0f);
    EXPECT_GT(packet.lines[2].to.z, -1.0f);
}

TEST_F(Packet, LabelsFaceTheHeadBetweenTheEyes) {
    FrameScene scene;
    Label l;
    l.text = "Ana";
    l.anchor = Vec3(0.0f, 0.0f, 0.0f);
    scene.labels.push_back(l);
    // Two eyes on the x axis looking at the label from +x: the label's
    // quads lie in the plane x = 0 (facing the head between the eyes).
    std::vector<ViewInfo> two{ViewInfo{Pose{Vec3(5, 0, -0.03f), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)},
                              ViewInfo{Pose{Vec3(5, 0, 0.03f), Quat(1, 0, 0, 0)}, Fov::symmetric(1.0f, 1.0f)}};
    buildFramePacket(scene, two, atlas, false, packet);
    ASSERT_GE(packet.text.size(), 6u * 4u) << "a plate and three glyphs";
    EXPECT_EQ(packet.text.size() % 6, 0u);
    for (const auto& v : packet.text) EXPECT_NEAR(v.position.x, 0.0f, 1e-4f);
}

TEST_F(Packet, LightsAreCappedAndTheViewsProjected) {
    FrameScene scene;
    scene.lights.resize(kMaxLights + 3);
    scene.ambient = Vec3(0.2f);
    buildFramePacket(scene, one, atlas, false, packet);
    EXPECT_EQ(packet.uniforms.counts.x, int(kMaxLights));
    EXPECT_FLOAT_EQ(packet.uniforms.ambient.x, 0.2f);
    // One view fills both slots; a point in front lands inside the clip volume.
    const Vec4 clip = packet.uniforms.viewProj[1] * Vec4(0, 0, 0, 1);
    EXPECT_LT(std::abs(clip.x / clip.w), 1e-4f);
    EXPECT_GT(clip.z / clip.w, 0.0f);
    EXPECT_LT(clip.z / clip.w, 1.0f);
}

TEST_F(Packet, OverlayQuadOnlyWhenDrawnInTheWorld) {
    FrameScene scene;
    scene.overlayQuad = Mat4(1.0f);
    buildFramePacket(scene, one, atlas, false, packet);
    EXPECT_FALSE(packet.overlayQuad);
    buildFramePacket(scene, one, atlas, true, packet);
    ASSERT_TRUE(packet.overlayQuad);
    EXPECT_FLOAT_EQ(packet.quadVertices[0].position.x, -0.5f);
    EXPECT_FLOAT_EQ(packet.quadVertices[0].uv.y, 0.0f) << "image top at +y";
}

TEST(OverlayArea, ScaledOutwardsAndClipped) {
    auto eq = [](PixelRect a, PixelRect b) {
        return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
    };
    // Same size: unchanged; clipped to the image.
    EXPECT_TRUE(eq(scaleRect({10, 20, 30, 40}, 100, 100, 100, 100), {10, 20, 30, 40}));
    EXPECT_TRUE(eq(scaleRect({90, 90, 30, 40}, 100, 100, 100, 100), {90, 90, 10, 10}));
    // Twice the size: doubled. A third: rounded outwards, never losing a pixel.
    EXPECT_TRUE(eq(scaleRect({10, 20, 30, 40}, 100, 100, 200, 200), {20, 40, 60, 80}));
    EXPECT_TRUE(eq(scaleRect({10, 20, 31, 41}, 99, 99, 33, 33), {3, 6, 11, 15}));
    // Nothing stays nothing.
    EXPECT_TRUE(scaleRect({10, 20, 0, 40}, 100, 100, 200, 200).empty());
    EXPECT_TRUE(scaleRect({200, 20, 10, 40}, 100, 100, 100, 100).empty());
    EXPECT_TRUE(scaleRect({10, 20, 30, 40}, 0, 100, 100, 100).empty());
}

}  // namespace
