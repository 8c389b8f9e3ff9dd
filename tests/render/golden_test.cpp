// Golden images of what a user sees, on lavapipe with validation on, plus
// probes of meaning: each avatar's colour at its projected head, a label
// over the avatar, two different eyes in a stereo frame.
#include "golden.h"
#include "render_fixture.h"

namespace mxr::test {
namespace {

using engine::Image;

class Golden : public RenderFixture {
protected:
    Image render(const engine::FrameScene& scene, const std::vector<engine::ViewInfo>& views, std::uint32_t w,
                 std::uint32_t h) {
        auto target = m_renderer->createOffscreenTarget({w, h}, static_cast<std::uint32_t>(views.size()));
        EXPECT_TRUE(target) << target.error().message;
        auto d = m_renderer->drawFrame(scene, views, *target);
        EXPECT_TRUE(d) << d.error().message;
        auto img = m_renderer->readback(*target, 0);
        EXPECT_TRUE(img) << img.error().message;
        return img ? *img : Image{};
    }

    void expectHeadsColoured(const Image& img, const engine::ViewInfo& view, std::size_t people) {
        const auto ps = scenes::demoParticipants(m_room, people, 0.0);
        for (std::size_t i = 0; i < ps.size(); ++i) {
            // Above the visor, which is dark whichever way the head turns.
            const Vec3 centre = ps[i].head.transformPoint(Vec3(0.0f, 0.08f, 0.03f));
            const Vec2 px = project(view, centre, img.width, img.height);
            ASSERT_TRUE(px.x >= 0 && px.y >= 0 && px.x < img.width && px.y < img.height) << ps[i].name;
            const Vec4 c = engine::pixelAt(img, std::uint32_t(px.x), std::uint32_t(px.y));
            EXPECT_EQ(nearestPerson(c, people), i)
                << ps[i].name << "'s head at (" << px.x << ", " << px.y << ") shows " << c.r << "," << c.g << "," << c.b;
        }
    }
};

TEST_F(Golden, RoomOverviewCamera) {
    const auto views = camera("overview").views(1, 480.0f / 270.0f);
    const Image img = render(demoScene(), views, 480, 270);
    EXPECT_TRUE(matchesGolden(img, "room_overview"));
    // Heads are probed without labels: a near label may hide a far head.
    engine::FrameScene unlabeled = demoScene();
    unlabeled.labels.clear();
    expectHeadsColoured(render(unlabeled, views, 480, 270), views[0], 4);
}

TEST_F(Golden, RoomTableCamera) {
    const auto views = camera("table").views(1, 480.0f / 270.0f);
    const Image img = render(demoScene(), views, 480, 270);
    EXPECT_TRUE(matchesGolden(img, "room_table"));
    // The whiteboard behind the table is light: its centre is bright.
    const Vec2 board = project(views[0], Vec3(-0.75f, 1.2f, -2.88f), 480, 270);
    const Vec4 c = engine::pixelAt(img, std::uint32_t(board.x), std::uint32_t(board.y));
    EXPECT_GT(c.r + c.g + c.b, 2.0f) << "whiteboard not visible";
}

TEST_F(Golden, AvatarCloseupWithLabel) {
    const auto views = camera("closeup").views(1, 1.0f);
    const Image img = render(demoScene(), views, 320, 320);
    EXPECT_TRUE(matchesGolden(img, "avatar_closeup"));
    const auto mentor = scenes::demoParticipants(m_room, 4, 0.0)[0];
    // The head fills the middle of the frame in the mentor's colour (probed
    // on the forehead, above the visor).
    const Vec2 head = project(views[0], mentor.head.transformPoint(Vec3(0, 0.07f, 0.0f)), 320, 320);
    EXPECT_EQ(nearestPerson(engine::pixelAt(img, std::uint32_t(head.x), std::uint32_t(head.y)), 4), 0u);
    // The name label above it: against the same frame without labels, a
    // darker plate with bright glyphs on it.
    engine::FrameScene unlabeled = demoScene();
    unlabeled.labels.clear();
    const Image bare = render(unlabeled, views, 320, 320);
    const Vec2 label = project(views[0], scenes::labelAnchor(mentor), 320, 320);
    int bright = 0, dark = 0;
    for (int dy = -8; dy <= 8; ++dy) {
        for (int dx = -60; dx <= 60; ++dx) {
            const auto x = std::uint32_t(label.x + dx), y = std::uint32_t(label.y + dy);
            const Vec4 with = engine::pixelAt(img, x, y), without = engine::pixelAt(bare, x, y);
            const float lw = with.r + with.g + with.b, lo = without.r + without.g + without.b;
            if (with.r > 0.9f && with.g > 0.9f && with.b > 0.9f && lo < 2.7f) ++bright;
            if (lw < lo - 0.3f) ++dark;
        }
    }
    EXPECT_GT(bright, 40) << "no text in the label";
    EXPECT_GT(dark, 200) << "no plate behind the label";
}

TEST_F(Golden, StereoMultiviewEyesDiffer) {
    const auto views = camera("table").views(2, 1.0f);
    auto target = m_renderer->createOffscreenTarget({320, 320}, 2);
    ASSERT_TRUE(target);
    ASSERT_TRUE(m_renderer->drawFrame(demoScene(), views, *target));
    auto left = m_renderer->readback(*target, 0);
    auto right = m_renderer->readback(*target, 1);
    ASSERT_TRUE(left && right);
    EXPECT_TRUE(matchesGolden(*left, "stereo_left"));
    EXPECT_TRUE(matchesGolden(*right, "stereo_right"));
    const auto d = engine::compareImages(*left, *right, 8);
    EXPECT_GT(d.fraction(), 0.01) << "the two eyes saw the same image";
    // Near objects shift between the eyes: the mentee's head (close) sits
    // further left in the right eye.
    const auto mentee = scenes::demoParticipants(m_room, 4, 0.0)[1];
    const Vec3 c = mentee.head.transformPoint(Vec3(0, 0, 0.05f));
    EXPECT_GT(project(views[0], c, 320, 320).x, project(views[1], c, 320, 320).x);
}

TEST_F(Golden, EachEyeOfAStereoFrameMatchesAMonoFrameFromThatEye) {
    // What each eye sees must not depend on the other eye: labels included
    // (lavapipe's single-pass multiview ghosts the right eye's text into the
    // left; the default path must not).
    const auto views = camera("closeup").views(2, 1.0f);
    engine::FrameScene scene = demoScene();
    // Billboards face the viewer's head; fix them so both frames agree.
    const Vec3 head = 0.5f * (views[0].pose.position + views[1].pose.position);
    for (auto& l : scene.labels) {
        if (glm::length(l.facing) == 0.0f) l.facing = glm::normalize(head - l.anchor);
    }
    auto stereo = m_renderer->createOffscreenTarget({384, 384}, 2);
    ASSERT_TRUE(stereo);
    ASSERT_TRUE(m_renderer->drawFrame(scene, views, *stereo));
    for (std::uint32_t eye = 0; eye < 2; ++eye) {
        auto fromStereo = m_renderer->readback(*stereo, eye);
        ASSERT_TRUE(fromStereo);
        const Image mono = render(scene, {views[eye]}, 384, 384);
        const auto d = engine::compareImages(mono, *fromStereo, 8);
        EXPECT_LE(d.differing, 0u) << "eye " << eye << ": " << d.differing << " pixels differ";
    }
}

TEST_F(Golden, SinglePassMultiviewMatchesPassPerView) {
    // The single multiview pass is what GPUs run. Mesa 22.3's lavapipe draws
    // the first primitives of the second view into the first view's layer
    // (text and meshes alike; EachEyeOfAStereoFrameMatchesAMonoFrameFromThatEye
    // shows it when forced), so there the pass-per-view path is the one in use
    // and this comparison only means something on other drivers.
    if (std::string(m_gpu->properties().deviceName).find("llvmpipe") != std::string::npos) {
        GTEST_SKIP() << "lavapipe's single-pass multiview is known to misplace second-view primitives";
    }
    engine::VulkanRenderer::Options single;
    single.stereo = engine::StereoPath::kMultiview;
    auto r = engine::VulkanRenderer::create(*m_gpu, single, Logger(m_sink, "render"));
    ASSERT_TRUE(r) << r.error().message;
    auto meshes = scenes::uploadSceneMeshes(**r);
    ASSERT_TRUE(meshes);
    engine::FrameScene a;
    scenes::appendRoom(m_room, *meshes, a);
    for (const auto& p : scenes::demoParticipants(m_room, 4, 0.0)) scenes::appendAvatar(p, *meshes, a);
    engine::FrameScene b = demoScene();
    const auto views = camera("table").views(2, 1.0f);
    auto ta = (*r)->createOffscreenTarget({256, 256}, 2);
    auto tb = m_renderer->createOffscreenTarget({256, 256}, 2);
    ASSERT_TRUE(ta && tb);
    ASSERT_TRUE((*r)->drawFrame(a, views, *ta));
    ASSERT_TRUE(m_renderer->drawFrame(b, views, *tb));
    for (std::uint32_t layer = 0; layer < 2; ++layer) {
        auto ia = (*r)->readback(*ta, layer);
        auto ib = m_renderer->readback(*tb, layer);
        ASSERT_TRUE(ia && ib);
        const auto d = engine::compareImages(*ib, *ia, 8);
        EXPECT_LE(d.fraction(), 0.005) << "layer " << layer << ": " << d.differing << " pixels differ";
    }
    (void)(*r)->waitIdle();
}

TEST_F(Golden, AnnotationLinesAndArrows) {
    engine::FrameScene scene = demoScene(0);
    scene.lines.push_back({Vec3(-0.6f, 0.8f, 0.0f), Vec3(0.4f, 0.8f, 0.0f), 0.02f, Vec4(1, 0.1f, 0.1f, 1), true});
    scene.lines.push_back({Vec3(-0.6f, 0.8f, 0.3f), Vec3(-0.6f, 1.4f, 0.3f), 0.01f, Vec4(0.1f, 0.9f, 0.2f, 1), false});
    const auto views = camera("table").views(1, 1.0f);
    const Image img = render(scene, views, 320, 320);
    EXPECT_TRUE(matchesGolden(img, "annotation_lines"));
    const Vec2 mid = project(views[0], Vec3(-0.1f, 0.8f, 0.0f), 320, 320);
    const Vec4 c = engine::pixelAt(img, std::uint32_t(mid.x), std::uint32_t(mid.y));
    EXPECT_GT(c.r, 0.7f);
    EXPECT_LT(c.g, 0.4f);
}

// The light count is a constant of the mesh pipelines (one per count, made on
// first use): scenes whose light count changes from frame to frame light
// each frame with its own lights, and lights beyond kMaxLights are ignored.
TEST_F(Golden, EachFrameIsLitByItsOwnLightCount) {
    const auto views = camera("overview").views(1, 480.0f / 270.0f);
    const engine::FrameScene room = demoScene();
    ASSERT_EQ(room.lights.size(), 3u);
    engine::FrameScene redLamp = room;  // a fourth, red light low over the floor
    redLamp.lights.push_back({Vec3(0.0f, 0.6f, 1.2f), Vec3(1.0f, 0.0f, 0.0f), 2.0f, 3.0f});
    engine::FrameScene dark = room;
    dark.lights.clear();
    engine::FrameScene full = room;  // eight lights, then one too many
    while (full.lights.size() < engine::kMaxLights) full.lights.push_back({Vec3(0.0f, 2.5f, 0.0f), Vec3(0.1f), 1.0f, 8.0f});
    engine::FrameScene tooMany = full;
    tooMany.lights.push_back({Vec3(0.0f, 0.6f, 1.2f), Vec3(0.0f, 0.0f, 1.0f), 5.0f, 5.0f});

    const Image lit = render(room, views, 480, 270);
    const Image red = render(redLamp, views, 480, 270);
    const Image again = render(room, views, 480, 270);
    const Image unlit = render(dark, views, 480, 270);
    const Image eight = render(full, views, 480, 270);
    const Image nine = render(tooMany, views, 480, 270);

    EXPECT_EQ(engine::compareImages(lit, again, 0).differing, 0u) << "back to three lights, the frame is as before";
    EXPECT_EQ(engine::compareImages(eight, nine, 0).differing, 0u) << "a ninth light is ignored";
    const Vec2 floor = project(views[0], Vec3(0.0f, 0.0f, 1.2f), 480, 270);
    const Vec4 under = engine::pixelAt(red, std::uint32_t(floor.x), std::uint32_t(floor.y));
    const Vec4 before = engine::pixelAt(lit, std::uint32_t(floor.x), std::uint32_t(floor.y));
    EXPECT_GT(under.r, before.r + 0.2f) << "the red lamp reddens the floor under it";
    EXPECT_NEAR(under.b, before.b, 0.02f);
    auto sum = [](const Image& img) {
        double s = 0.0;
        for (std::size_t i = 0; i < img.rgba.size(); i += 4) s += img.rgba[i] + img.rgba[i + 1] + img.rgba[i + 2];
        return s;
    };
    EXPECT_LT(sum(unlit), 0.8 * sum(lit)) << "without its lights the room is darker (ambient only)";
    EXPECT_GT(sum(eight), sum(lit)) << "five more lights brighten it";
}

}  // namespace
}  // namespace mxr::test
