// mentorxr in AR against the headless OpenXR runtime, as the wearer of a
// see-through headset would meet it: the room is not drawn and the clear is
// transparent (ALPHA_BLEND), labels and panels stay bright on an additive
// display (auto picks AR on a see-through-only headset; LOCAL space when
// the runtime withholds STAGE), passthrough
// (XR_FB_passthrough) shows the camera image under the people, and a
// headset that cannot show the real world refuses --mode ar.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/render/image_io.h"
#include "golden.h"
#include "net/annotations.h"
#include "scenes/avatar.h"
#include "scenes/room.h"
#include "vr_run.h"

namespace mxr::test {
namespace {

using nlohmann::json;

constexpr std::uint32_t kSize = 256;
const std::string kArArgs = "--time 0 --validation --frames 8 ";

json arConfig(const json& blendModes) {
    return {{"view_size", {kSize, kSize}},
            {"frame_rate_hz", 0},
            {"blend_modes", blendModes},
            {"capture", {{"dir", "cap"}, {"frames", {5}}}}};
}

const std::uint8_t* pixel(const engine::Image& img, std::uint32_t x, std::uint32_t y) {
    return &img.rgba[(std::size_t(y) * img.width + x) * 4];
}

// Share of pixels whose alpha is 0 (the world shows through untouched).
double transparentShare(const engine::Image& img) {
    std::size_t n = 0;
    for (std::size_t i = 3; i < img.rgba.size(); i += 4) n += img.rgba[i] == 0 ? 1 : 0;
    return double(n) / double(img.width * img.height);
}

// Share of pixels that are drawn (alpha over half) yet dark: what an
// additive display shows as nothing.
double darkDrawnShare(const engine::Image& img) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < img.rgba.size(); i += 4) {
        const auto* p = &img.rgba[i];
        n += p[3] > 128 && std::max({p[0], p[1], p[2]}) < 48 ? 1 : 0;
    }
    return double(n) / double(img.width * img.height);
}

// Ben (the blue demo participant across the table) where his head projects
// in the left eye.
Vec2 bensHeadInLeftEye() {
    auto room = scenes::loadRoom(MXR_DEMO_ROOM);
    EXPECT_TRUE(room);
    const scenes::Participant ben = scenes::demoParticipants(*room, 4, 0.0)[1];
    return projectToEye(ben.head.transformPoint(Vec3(0.0f, 0.0f, 0.05f)), 0, kSize);
}

void expectBenBlue(const engine::Image& eye) {
    const Vec2 at = bensHeadInLeftEye();
    const Vec3 c = averageRgb(eye, at);
    EXPECT_GT(c.b, c.r + 40.0f) << at.x << "," << at.y << ": " << c.r << " " << c.g << " " << c.b;
    EXPECT_EQ(pixel(eye, std::uint32_t(at.x), std::uint32_t(at.y))[3], 255);
}

TEST(ArClient, AlphaBlendDrawsOnlyPeopleAndPanelsOverATransparentClear) {
    // The runtime prefers opaque; --mode ar takes its see-through mode.
    const VrRun r = runVr("ar_alpha_blend", arConfig({"opaque", "alpha_blend"}), "--mode ar " + kArArgs);
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("AR: alpha_blend environment blend mode"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("mode: ar (alpha_blend)"), std::string::npos) << r.output;
    // Offline, AR shows the demo workspace: its footprint, not its model.
    EXPECT_NE(r.output.find("workspace: Demo workbench"), std::string::npos) << r.output;
    // ... and its procedure on the step card (scenes/workspaces/demo_bench_procedure.json).
    EXPECT_NE(r.output.find("procedure: Replace the bench vice's jaw pads (4 steps)"), std::string::npos) << r.output;
    EXPECT_NE(r.events.find("frame 5 blend alpha_blend layers 1 projection+depth"), std::string::npos) << r.events;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    ASSERT_TRUE(left) << r.events;
    EXPECT_TRUE(matchesGolden(*left, "ar_alpha_blend_left"));
    // No walls, ceiling or floor: the corners and most of the view are
    // fully transparent; the people are drawn, opaque.
    for (auto [x, y] : {std::pair{2u, 2u}, {kSize - 3, 2u}, {2u, kSize - 3}, {kSize / 2, 4u}}) {
        EXPECT_EQ(pixel(*left, x, y)[3], 0) << x << "," << y;
    }
    EXPECT_GT(transparentShare(*left), 0.5);
    expectBenBlue(*left);
}

// Also the LOCAL fallback (a see-through headset without a floor-level
// space, as many are): with the eyes at LOCAL's origin 1.6 m up and the
// stated eye height 1.6 m, the people stand where they do in STAGE.
TEST(ArClient, AutoOnAnAdditiveOnlyHeadsetShowsABrightArViewInLocalSpace) {
    json c = arConfig({"additive"});
    c["withhold_stage"] = true;
    const VrRun r = runVr("ar_additive", c, "--mode auto --eye-height 1.6 " + kArArgs);
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("LOCAL space"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("the headset offers only see-through blend modes"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("mode: ar (additive)"), std::string::npos) << r.output;
    EXPECT_NE(r.events.find("frame 5 blend additive layers 1 projection+depth"), std::string::npos) << r.events;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    ASSERT_TRUE(left) << r.events;
    EXPECT_TRUE(matchesGolden(*left, "ar_additive_left"));
    EXPECT_GT(transparentShare(*left), 0.5);
    expectBenBlue(*left);
    // Name plates and the panel have no dark fills (an additive display
    // would show them as holes): almost nothing drawn is dark.
    EXPECT_LT(darkDrawnShare(*left), 0.005) << darkDrawnShare(*left);
}

TEST(ArClient, PassthroughShowsTheCameraImageUnderThePeople) {
    json c = arConfig({"opaque"});
    c["passthrough"] = true;
    const VrRun r = runVr("ar_passthrough", c, "--mode ar " + kArArgs);
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("AR: passthrough (XR_FB_passthrough)"), std::string::npos) << r.output;
    EXPECT_NE(r.events.find("passthrough created running"), std::string::npos) << r.events;
    // The cameras' layer first, ours over it, in the opaque blend mode.
    EXPECT_NE(r.events.find("frame 5 blend opaque layers 2 passthrough projection+depth"), std::string::npos) << r.events;
    auto left = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    ASSERT_TRUE(left) << r.events;
    EXPECT_TRUE(matchesGolden(*left, "ar_passthrough_left"));
    // Where nothing is drawn the camera's test pattern shows (the third
    // colour bar is cyan), opaque; Ben is drawn over it.
    const std::uint8_t* bar = pixel(*left, kSize * 5 / 16, 4);
    EXPECT_EQ(bar[0], 16);
    EXPECT_EQ(bar[1], 235);
    EXPECT_EQ(bar[2], 235);
    EXPECT_EQ(transparentShare(*left), 0.0);
    expectBenBlue(*left);
}

TEST(ArClient, AHeadsetThatCannotShowTheWorldRefusesArWithExitCode2) {
    const VrRun r = runVr("ar_refused", {{"blend_modes", {"opaque"}}, {"frame_rate_hz", 0}}, "--mode ar --frames 2");
    EXPECT_EQ(r.exitCode, 2) << r.output;
    EXPECT_NE(r.output.find("--mode ar: the headset (MentorXR Headless Runtime) cannot show the real world: it offers "
                            "only the opaque blend mode, no ALPHA_BLEND or ADDITIVE, and no passthrough "
                            "(XR_FB_passthrough); use --mode vr"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.events.find("session"), std::string::npos) << "no session is begun: " << r.events;
}


// ---- the workspace, placed and anchored in the world --------------------

// "anchor persisted|loaded mentorxr-workspace X Y Z" lines of the runtime's
// event log, in order.
std::vector<Vec3> anchorLines(const std::string& events, const std::string& verb) {
    std::vector<Vec3> out;
    const std::string tag = "anchor " + verb + " mentorxr-workspace ";
    for (auto at = events.find(tag); at != std::string::npos; at = events.find(tag, at + 1)) {
        Vec3 p;
        if (std::sscanf(events.c_str() + at + tag.size(), "%f %f %f", &p.x, &p.y, &p.z) == 3) out.push_back(p);
    }
    return out;
}

void expectNear(const Vec3& a, const Vec3& b) {
    EXPECT_NEAR(a.x, b.x, 0.01f);
    EXPECT_NEAR(a.y, b.y, 0.01f);
    EXPECT_NEAR(a.z, b.z, 0.01f);
}

// In AR (additive) the wearer points at the floor, holds the grip and pulls
// the trigger: the workspace is anchored there (XR_MSFT_spatial_anchor) and
// persisted; placed again with a pinch (hand tracking), the anchor moves. The next run (a new instance,
// in VR) finds it in the store and draws the bench's model there.
TEST(ArWorkspace, GripAndTriggerAnchorItAndTheNextRunFindsIt) {
    const auto store = std::filesystem::path(MXR_TEST_OUT) / "xr" / "workspace_anchors.json";
    std::filesystem::remove(store);
    const Vec3 first(-0.5f, 0.0f, -1.2f), second(0.8f, 0.0f, -1.3f);
    auto key = [](int frame, const Vec3& at, bool select) {
        json right = rightAim(aimAt(at));
        right["squeeze"] = 1.0;
        right["select"] = select;
        return json{{"frame", frame}, {"right", right}};
    };
    json c = arConfig({"additive"});
    c["spatial_anchors"] = true;
    c["anchor_store"] = store.string();
    c["interaction_profile"] = "/interaction_profiles/oculus/touch_controller";  // has a grip (squeeze)
    // The second placement is a left pinch (hand tracking: the right pinch
    // draws), pointing the left hand at the floor, not grip + trigger.
    c["hand_tracking"] = true;
    json pinch = key(7, first, false);
    pinch["right"]["squeeze"] = 0.0;
    pinch["left"] = rightAim(aimAt(second));  // from the same place, with the left hand
    pinch["left"]["pinch"] = true;
    c["script"] = {{"keyframes", {key(0, first, false), key(3, first, true), key(5, second, false), pinch}}};
    const VrRun placing = runVr("workspace_place", c, "--mode ar --time 0 --validation --frames 10");
    ASSERT_EQ(placing.exitCode, 0) << placing.output;
    EXPECT_EQ(countOf(placing.output, "workspace: placed at "), 2) << placing.output;
    EXPECT_NE(placing.output.find("world anchor, persisted"), std::string::npos) << placing.output;
    const auto persisted = anchorLines(placing.events, "persisted");
    ASSERT_EQ(persisted.size(), 2u) << placing.events;
    expectNear(persisted[0], first);
    expectNear(persisted[1], second);

    json next = arConfig({"opaque"});
    next["spatial_anchors"] = true;
    next["anchor_store"] = store.string();
    const VrRun found = runVr("workspace_found", next,
                              "--mode vr --time 0 --validation --frames 8 --workspace " MXR_DEMO_WORKSPACE);
    ASSERT_EQ(found.exitCode, 0) << found.output;
    const auto loaded = anchorLines(found.events, "loaded");
    ASSERT_EQ(loaded.size(), 1u) << found.events;
    expectNear(loaded[0], second);
    EXPECT_NE(found.output.find("workspace: world anchor mentorxr-workspace at 0.8"), std::string::npos) << found.output;
    // The bench's red stop button (the model, shown in VR) is drawn where
    // the anchor puts it: the play space starts at the room's "table"
    // preset, (-0.2, 0, 2.2) facing -Z, and the frame faces the head.
    auto left = engine::readPng((found.dir / "cap/frame5_view0.png").string());
    ASSERT_TRUE(left) << found.events;
    const Vec3 toHead = Vec3(0.0f, 1.6f, 0.0f) - second;
    const Pose frame{second + Vec3(-0.2f, 0.0f, 2.2f), glm::angleAxis(std::atan2(toHead.x, toHead.z), Vec3(0, 1, 0))};
    const Vec2 at = projectToEye(frame.transformPoint(Vec3(0.28f, 1.12f, 0.125f)), 0, kSize);
    const Vec3 rgb = averageRgb(*left, at);
    EXPECT_GT(rgb.r, rgb.g + 60.0f) << at.x << "," << at.y << ": " << rgb.r << " " << rgb.g << " " << rgb.b;
}

// ---- annotating the workspace ---------------------------------------------

// Offline in AR, a bench (the demo bench's model, a metre in front of
// the wearer); the wearer points the right controller at a free spot of
// its top and pulls the trigger: an arrow in the default orange points down
// at it. The left trigger, the right ray still on it, deletes it.
TEST(ArAnnotations, TheRightTriggerDrawsAnArrowOnTheBenchAndTheLeftTriggerDeletesIt) {
    constexpr std::uint32_t kBig = 512;                 // the arrow's 12 mm, about 3 pixels wide
    const auto dir = testDir("ar_annotate_workspace");  // runVr empties its own
    const std::string file = (dir / "near_bench.json").string();
    std::ofstream(file) << json{
        {"name", "Near bench"},
        {"model", (std::filesystem::path(MXR_DEMO_WORKSPACE).parent_path() / "demo_bench.gltf").string()},
        {"position",
         {-0.2, 0.0, 1.2}}}.dump();
    // The spot in the room and in the tracking space (the play space starts
    // at the room's "table" preset, (-0.2, 0, 2.2) facing -Z).
    const Vec3 spot = Vec3(-0.2f, 0.0f, 1.2f) + Vec3(0.5f, 0.9f, 0.2f);
    const Vec3 table(-0.2f, 0.0f, 2.2f);
    auto key = [&](int frame, bool right, bool left) {
        json r = rightAim(aimAt(spot - table));
        r["select"] = right;
        return json{{"frame", frame}, {"right", r}, {"left", {{"select", left}}}};
    };
    json c = arConfig({"alpha_blend"});
    c["view_size"] = {kBig, kBig};
    c["capture"] = {{"dir", "cap"}, {"frames", {5, 9}}};
    c["script"] = {
        {"keyframes",
         {key(0, false, false), key(2, true, false), key(3, false, false), key(6, false, true), key(7, false, false)}}};
    const VrRun r = runVr("ar_annotate", c, "--mode ar --time 0 --validation --frames 11 --workspace " + file);
    ASSERT_EQ(r.exitCode, 0) << r.output;
    auto drawn = engine::readPng((r.dir / "cap/frame5_view0.png").string());
    auto deleted = engine::readPng((r.dir / "cap/frame9_view0.png").string());
    ASSERT_TRUE(drawn && deleted) << r.events;
    // The arrow's shaft, halfway up from the spot (kDefaultArrowLength 15 cm).
    const Vec2 at = projectToEye(spot + Vec3(0.0f, 0.08f, 0.0f), 0, kBig);
    const Vec3 was = averageRgb(*drawn, at), now = averageRgb(*deleted, at);
    const auto& orange = net::kAnnotationPalette[net::kDefaultAnnotationColour];
    EXPECT_NEAR(was.r, orange.r, 40.0f) << at.x << "," << at.y << ": " << was.r << " " << was.g << " " << was.b;
    EXPECT_NEAR(was.g, orange.g, 40.0f);
    EXPECT_LT(was.b, 60.0f);
    EXPECT_GT(std::abs(now.r - was.r) + std::abs(now.g - was.g) + std::abs(now.b - was.b), 120.0f)
        << "still there after the delete: " << now.r << " " << now.g << " " << now.b;
    if (HasFailure()) {
        (void)engine::writePng(strCat(MXR_TEST_OUT, "/ar_annotate_drawn.png"), *drawn);
    }
}

}  // namespace
}  // namespace mxr::test
