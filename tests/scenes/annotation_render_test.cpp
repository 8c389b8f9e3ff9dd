// Annotations on screen: an arrow and a marker over a turned workspace are
// drawn in their palette colours where they project, and nowhere once
// deleted (the cached geometry follows the replica's revision).
#include <gtest/gtest.h>

#include <glm/gtc/quaternion.hpp>

#include "engine/render/image_io.h"
#include "net/annotation_replica.h"
#include "render_fixture.h"
#include "scenes/annotation_view.h"

namespace mxr::test {
namespace annotation_render_test {

constexpr std::uint32_t kW = 240, kH = 180;

// How far a pixel is from a palette entry (0..255 per channel, the worst).
int paletteDistance(const engine::Image& img, std::uint32_t x, std::uint32_t y, std::uint8_t index) {
    const auto& p = net::kAnnotationPalette[index];
    const std::uint8_t* px = &img.rgba[(std::size_t(y) * img.width + x) * 4];
    return std::max({std::abs(px[0] - p.r), std::abs(px[1] - p.g), std::abs(px[2] - p.b)});
}

// The best match in the 5 x 5 pixels around `at`.
int nearestMatch(const engine::Image& img, Vec2 at, std::uint8_t index) {
    int best = 255;
    for (int dy = -2; dy <= 2; ++dy) {
        for (int dx = -2; dx <= 2; ++dx) {
            const int x = int(at.x) + dx, y = int(at.y) + dy;
            if (x < 0 || y < 0 || x >= int(img.width) || y >= int(img.height)) continue;
            best = std::min(best, paletteDistance(img, std::uint32_t(x), std::uint32_t(y), index));
        }
    }
    return best;
}

std::size_t pixelsOf(const engine::Image& img, std::uint8_t index) {
    std::size_t n = 0;
    for (std::uint32_t y = 0; y < img.height; ++y) {
        for (std::uint32_t x = 0; x < img.width; ++x) n += paletteDistance(img, x, y, index) <= 12;
    }
    return n;
}

class AnnotationRender : public RenderFixture {
protected:
    engine::Image render(const engine::FrameScene& scene, const engine::ViewInfo& view) {
        auto target = m_renderer->createOffscreenTarget({kW, kH}, 1);
        EXPECT_TRUE(target) << target.error().message;
        const std::vector<engine::ViewInfo> views{view};
        auto d = m_renderer->drawFrame(scene, views, *target);
        EXPECT_TRUE(d) << d.error().message;
        auto img = m_renderer->readback(*target, 0);
        EXPECT_TRUE(img) << img.error().message;
        return img ? *img : engine::Image{};
    }
};

TEST_F(AnnotationRender, PaletteColoursWhereTheyProjectAndNoneOnceDeleted) {
    constexpr std::uint8_t kVermillion = 6, kSkyBlue = 2;
    net::AnnotationReplica replica;
    replica.setSelf(1, true);
    net::AnnotationValues arrow;
    arrow.colour = kVermillion;
    arrow.position = Vec3(-0.25f, 0.9f, 0.0f);
    arrow.end = Vec3(0.05f, 0.9f, 0.0f);
    net::AnnotationValues marker;
    marker.colour = kSkyBlue;
    marker.position = Vec3(0.2f, 0.9f, 0.1f);
    marker.number = 1;
    auto a = replica.create(net::AnnotationKind::kArrow, arrow);
    auto m = replica.create(net::AnnotationKind::kMarker, marker);
    ASSERT_TRUE(a && m);

    // The workspace turned 40 degrees and moved; the eye 1 m in front of it
    // and above, looking down at it.
    const Pose ws{Vec3(1.0f, 0.0f, -2.0f), glm::angleAxis(glm::radians(40.0f), Vec3(0, 1, 0))};
    engine::ViewInfo view;
    view.pose.position = ws.transformPoint(Vec3(0.0f, 1.6f, 0.8f));
    view.pose.orientation = ws.orientation * quatFromYawPitch(0.0f, -0.65f);
    view.fov = Fov::symmetric(0.9f, float(kW) / float(kH));
    // A dark empty scene; full ambient light and no lamps, so the marker's
    // top face shows its colour unchanged.
    engine::FrameScene base;
    base.clearColor = Vec4(0.0f, 0.0f, 0.0f, 1.0f);
    base.ambient = Vec3(1.0f);

    scenes::AnnotationView drawn;
    drawn.update(replica.view(), {replica.revision(), ws, false, 0});
    engine::FrameScene scene = base;
    drawn.append(m_meshes, scene);
    const engine::Image with = render(scene, view);
    const Vec2 shaft = project(view, ws.transformPoint(Vec3(-0.15f, 0.9f, 0.0f)), kW, kH);
    const Vec2 disc = project(view, ws.transformPoint(marker.position + Vec3(0.0f, 0.003f, 0.015f)), kW, kH);
    EXPECT_LE(nearestMatch(with, shaft, kVermillion), 12)
        << "no vermillion at the arrow's shaft " << shaft.x << "," << shaft.y;
    EXPECT_LE(nearestMatch(with, disc, kSkyBlue), 12) << "no sky blue at the marker " << disc.x << "," << disc.y;
    // Elsewhere (a corner) there is none.
    EXPECT_GT(nearestMatch(with, Vec2(4, 4), kVermillion), 100);

    ASSERT_TRUE(replica.remove(*a));
    ASSERT_TRUE(replica.remove(*m));
    drawn.update(replica.view(), {replica.revision(), ws, false, 0});
    scene = base;
    drawn.append(m_meshes, scene);
    const engine::Image without = render(scene, view);
    EXPECT_EQ(pixelsOf(without, kVermillion), 0u);
    EXPECT_EQ(pixelsOf(without, kSkyBlue), 0u);
    EXPECT_GT(pixelsOf(with, kVermillion), 20u);  // the first image had them (the probe works)
    EXPECT_GT(pixelsOf(with, kSkyBlue), 20u);
    if (HasFailure()) {
        (void)engine::writePng("annotation_render_with.png", with);
        (void)engine::writePng("annotation_render_without.png", without);
    }
}

}  // namespace annotation_render_test
}  // namespace mxr::test
