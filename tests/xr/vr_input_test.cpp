// Scripted controllers and hands (tests/xr_runtime keyframes) driving the
// wearer in mentorxr --mode vr: teleport and snap turn move the play space
// and what the eyes see, the local avatar's hands end where the script put
// them, hand tracking drives 26 joints, and the world panel answers the
// laser with haptic pulses.
#include <gtest/gtest.h>

#include <glm/gtc/quaternion.hpp>

#include "engine/render/image_io.h"
#include "scenes/world_panel.h"
#include "vr_run.h"

namespace mxr::test {
namespace {

using nlohmann::json;

// The default VR start in the demo room (its "table" preset).
const Vec3 kStartOrigin(-0.2f, 0.0f, 2.2f);
// Right aim: turned 35 degrees right and 35 degrees down, from the grip
// (the ray meets the floor about 1.9 m ahead, in view).
const Vec3 kAimPos = kRightAimFrom;
const Quat kAimRot = glm::angleAxis(glm::radians(-35.0f), Vec3(0, 1, 0)) *
                     glm::angleAxis(glm::radians(-35.0f), Vec3(1, 0, 0));

json withThumbstick(json hand, float x, float y) {
    hand["thumbstick"] = {x, y};
    return hand;
}
Vec3 vec3(const json& j) { return Vec3(j[0].get<float>(), j[1].get<float>(), j[2].get<float>()); }

// Pixels that are clearly the teleport line's green.
int greenPixels(const engine::Image& img) {
    int n = 0;
    for (std::size_t i = 0; i < img.rgba.size(); i += 4) {
        const int r = img.rgba[i], g = img.rgba[i + 1], b = img.rgba[i + 2];
        if (g > 200 && g > r + 60 && g > b + 40) ++n;
    }
    return n;
}

TEST(VrInput, TeleportAndSnapTurnMoveThePlaySpaceAndTheLocalAvatar) {
    const json script = {{"keyframes",
                          {{{"frame", 0},
                            {"right", withThumbstick(rightAim(kAimRot), 0, 0)}},
                           {{"frame", 5}, {"right", {{"thumbstick", {0, 1}}}}},
                           {{"frame", 9}, {"right", {{"thumbstick", {0, 1}}}}},
                           {{"frame", 10}, {"right", {{"thumbstick", {0, 0}}}}},
                           {{"frame", 20}, {"right", {{"thumbstick", {1, 0}}}}},
                           {{"frame", 22}, {"right", {{"thumbstick", {1, 0}}}}},
                           {{"frame", 23},
                            {"right", {{"thumbstick", {0, 0}}}},
                            {"left", {{"grip", {{"position", {-0.3, 1.0, -0.2}}}}}}},
                           {{"frame", 28}, {"right", {{"grip", {{"position", {0.3, 1.1, -0.4}}}}}}}}}};
    const json config = {{"view_size", {128, 128}},
                         {"frame_rate_hz", 0},
                         {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
                         {"capture", {{"dir", "cap"}, {"frames", {3, 7, 30}}}},
                         {"script", script}};
    const VrRun r = runVr("teleport", config, "--mode vr --time 0 --validation --frames 32 --dump-state state.json");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    const json state = readJson(r.dir / "state.json");
    ASSERT_FALSE(state.is_discarded()) << readText(r.dir / "state.json");
    EXPECT_EQ(state["teleports"], 1);
    EXPECT_EQ(state["snap_turns"], 1);

    // The teleport lands the head where the aim ray meets the floor.
    const Vec3 dir = kAimRot * Vec3(0, 0, -1);
    const Vec3 hit = kAimPos + dir * (-kAimPos.y / dir.y);
    const Vec3 origin = kStartOrigin + Vec3(hit.x, 0.0f, hit.z);  // head was over the stage origin
    const Vec3 gotOrigin = vec3(state["play_space"]["position"]);
    EXPECT_LT(glm::distance(gotOrigin, origin), 0.01f) << gotOrigin.x << " " << gotOrigin.z;
    // One flick right: 30 degrees clockwise, about the head.
    EXPECT_NEAR(state["play_space"]["yaw_deg"].get<float>(), -30.0f, 0.5f);
    const Pose worldFromStage{origin, glm::angleAxis(glm::radians(-30.0f), Vec3(0, 1, 0))};
    const auto& avatar = state["local_avatar"];
    EXPECT_LT(glm::distance(vec3(avatar["head"]["position"]), worldFromStage.transformPoint(Vec3(0, 1.6f, 0))), 0.01f);
    EXPECT_LT(glm::distance(vec3(avatar["hands"][0]["position"]), worldFromStage.transformPoint(Vec3(-0.3f, 1.0f, -0.2f))),
              0.01f);
    EXPECT_LT(glm::distance(vec3(avatar["hands"][1]["position"]), worldFromStage.transformPoint(Vec3(0.3f, 1.1f, -0.4f))),
              0.01f);

    // What the wearer saw: the green teleport line while aiming, and a
    // different view of the room afterwards.
    auto before = engine::readPng((r.dir / "cap/frame3_view0.png").string());
    auto aiming = engine::readPng((r.dir / "cap/frame7_view0.png").string());
    auto after = engine::readPng((r.dir / "cap/frame30_view0.png").string());
    ASSERT_TRUE(before && aiming && after) << r.events;
    EXPECT_GT(greenPixels(*aiming), greenPixels(*before) + 30);
    EXPECT_GT(engine::compareImages(*before, *after, 8).fraction(), 0.3);
}

// A system menu takes focus (focus_loss_at_frame) while a teleport is
// aimed and the trigger is held: nothing of the controllers acts on, the
// hands and joints are not drawn or sent, the avatar is sent paused, and
// it all comes back with focus.
TEST(VrInput, FocusLossQuietsTheControllersAndPausesTheAvatar) {
    const json script = {{"keyframes",
                          {{{"frame", 0}, {"right", withThumbstick(rightAim(kAimRot), 0, 0)}},
                           {{"frame", 4}, {"right", {{"thumbstick", {0, 1}}, {"select", true}}}},
                           {{"frame", 13}, {"right", {{"thumbstick", {0, 1}}}}},
                           {{"frame", 14}, {"right", {{"thumbstick", {0, 0}}}}}}}};
    json config = {{"view_size", {64, 64}},
                   {"frame_rate_hz", 0},
                   {"hand_tracking", true},
                   {"interaction_profile", "/interaction_profiles/oculus/touch_controller"},
                   {"focus_loss_at_frame", 8},
                   {"script", script}};
    // Ends while the menu is still open: the state dumped is the unfocused one.
    const VrRun away = runVr("focus_loss", config, "--mode vr --time 0 --frames 18 --dump-state state.json -v");
    ASSERT_EQ(away.exitCode, 0) << away.output;
    ASSERT_NE(away.events.find("session focus_lost frame 8"), std::string::npos) << away.events;
    json state = readJson(away.dir / "state.json");
    ASSERT_FALSE(state.is_discarded()) << readText(away.dir / "state.json");
    EXPECT_EQ(state["teleports"], 0) << "the aimed teleport does not fire when the stick reads zero";
    EXPECT_TRUE(state["paused"].get<bool>());
    EXPECT_TRUE(state["local_avatar"]["hand_joints"][0].empty()) << "no frozen joints";
    EXPECT_TRUE(state["local_avatar"]["hand_joints"][1].empty()) << "no frozen joints";
    // The hands stay where they were (others see them paused in place).
    EXPECT_LT(glm::distance(vec3(state["local_avatar"]["hands"][1]["position"]), kStartOrigin + kRightAimFrom), 0.05f);

    // Focus comes back: hands, joints and the avatar are live again, and
    // the stick released while the menu was open fired nothing.
    config["focus_regain_at_frame"] = 16;
    const VrRun back = runVr("focus_regain", config, "--mode vr --time 0 --frames 24 --dump-state state.json");
    ASSERT_EQ(back.exitCode, 0) << back.output;
    ASSERT_NE(back.events.find("session focus_regained frame 16"), std::string::npos) << back.events;
    state = readJson(back.dir / "state.json");
    EXPECT_EQ(state["teleports"], 0);
    EXPECT_FALSE(state["paused"].get<bool>());
    EXPECT_EQ(state["local_avatar"]["hand_joints"][1].size(), 26u);
}

TEST(VrInput, HandTrackingDrivesTheAvatarsHandJoints) {
    json config = {{"view_size", {128, 128}},
                   {"frame_rate_hz", 0},
                   {"hand_tracking", true},
                   {"capture", {{"dir", "cap"}, {"frames", {3}}}}};
    const VrRun r = runVr("hand_tracking", config, "--mode vr --time 0 --validation --frames 5 --dump-state state.json");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    EXPECT_NE(r.output.find("; hand tracking"), std::string::npos) << r.output;
    const json state = readJson(r.dir / "state.json");
    const auto& avatar = state["local_avatar"];
    const Vec3 grips[2] = {kStartOrigin + Vec3(-0.2f, 1.3f, -0.3f), kStartOrigin + Vec3(0.2f, 1.3f, -0.3f)};
    for (int h = 0; h < 2; ++h) {
        const auto& joints = avatar["hand_joints"][h];
        ASSERT_EQ(joints.size(), 26u) << h;
        // The avatar's hand is the palm joint, on the tracked hand.
        const Vec3 palm = vec3(joints[0]);
        EXPECT_LT(glm::distance(vec3(avatar["hands"][h]["position"]), palm), 1e-4f);
        EXPECT_LT(glm::distance(palm, grips[h]), 0.05f);
        // A hand-sized spread of joints, not 26 copies of one point.
        float spread = 0.0f;
        for (const auto& j : joints) spread = std::max(spread, glm::distance(vec3(j), palm));
        EXPECT_GT(spread, 0.05f) << h;
        EXPECT_LT(spread, 0.25f) << h;
    }
    // The joints are drawn: the same frame without hand tracking differs.
    config["hand_tracking"] = false;
    const VrRun plain = runVr("hand_tracking_off", config, "--mode vr --time 0 --frames 5");
    ASSERT_EQ(plain.exitCode, 0) << plain.output;
    auto with = engine::readPng((r.dir / "cap/frame3_view0.png").string());
    auto without = engine::readPng((plain.dir / "cap/frame3_view0.png").string());
    ASSERT_TRUE(with && without);
    EXPECT_GT(engine::compareImages(*with, *without, 8).fraction(), 0.002);
}

TEST(VrInput, PanelHoverAndSelectPulseTheRightController) {
    // Aim the right controller at the panel's button, where the panel's
    // layout puts it in stage space (the play space starts unturned).
    scenes::WorldPanel probe;
    probe.aim(probe.layout().inStage, Pose{}, false);
    const Vec3 button = probe.buttonCentre();
    ASSERT_LT(glm::distance(button, Vec3(-0.32f, 1.214f, -0.7f)), 0.01f);
    // A point inside the button, left of its label.
    const auto& layout = probe.layout();
    const Vec3 buttonEdge =
        probe.pixelToWorld(layout.buttonPos + Vec2(14.0f, 0.5f * layout.buttonSize.y)) + kStartOrigin;
    // Straight ahead (past the panel) until frame 3, on the button from 4.
    const json script = {{"keyframes",
                          {{{"frame", 0}, {"right", rightAim(Quat(1, 0, 0, 0))}},
                           {{"frame", 3}, {"right", rightAim(Quat(1, 0, 0, 0))}},
                           {{"frame", 4}, {"right", rightAim(aimAt(button))}},
                           {{"frame", 10}, {"right", {{"select", true}}}},
                           {{"frame", 14}, {"right", {{"select", false}}}}}}};
    constexpr std::uint32_t kSize = 256;
    const json config = {{"view_size", {kSize, kSize}},
                         {"frame_rate_hz", 0},
                         {"capture", {{"dir", "cap"}, {"frames", {2, 8}}}},
                         {"script", script}};
    const VrRun r = runVr("panel", config, "--mode vr --time 0 --validation --frames 20 --dump-state state.json");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    // One short pulse on hover, one strong one on the click, both right.
    EXPECT_EQ(countOf(r.events, "haptic right"), 2) << r.events;
    EXPECT_EQ(countOf(r.events, "haptic left"), 0) << r.events;
    const auto hover = r.events.find("haptic right action haptic duration_ns 20000000");
    const auto press = r.events.find("haptic right action haptic duration_ns 60000000");
    ASSERT_NE(hover, std::string::npos) << r.events;
    ASSERT_NE(press, std::string::npos) << r.events;
    // Hover when the laser arrived (frame 4) ...
    EXPECT_GT(hover, r.events.find("frame 3 "));
    EXPECT_LT(hover, r.events.find("frame 4 "));
    // ... and the click when select was let go on the button (frame 14), as
    // a mouse click does, not when it went down.
    EXPECT_GT(press, r.events.find("frame 13 "));
    EXPECT_LT(press, r.events.find("frame 14 "));
    const json state = readJson(r.dir / "state.json");
    EXPECT_EQ(state["panel"]["presses"], 1);
    EXPECT_EQ(state["panel"]["toggled"], true);
    EXPECT_EQ(state["panel"]["hovered"], true);
    // What the wearer saw: the button lights up (ImGui's hovered colour,
    // opaque blue) once the laser is on it.
    auto before = engine::readPng((r.dir / "cap/frame2_view0.png").string());
    auto hovered = engine::readPng((r.dir / "cap/frame8_view0.png").string());
    ASSERT_TRUE(before && hovered);
    const Vec2 at = projectToEye(buttonEdge, 0, kSize);
    const Vec3 off = averageRgb(*before, at), on = averageRgb(*hovered, at);
    EXPECT_GT(on.b, 200.0f) << at.x << "," << at.y << ": " << on.r << " " << on.g << " " << on.b;
    EXPECT_GT(on.b, on.r + 80.0f);
    EXPECT_GT(on.b, off.b + 40.0f) << off.r << " " << off.g << " " << off.b;
    // And the colour is the UI's own, not encoded twice on the way to the
    // sRGB swapchain (issue 16 point 4): ImGui's dark style draws a
    // hovered button opaque in (0.26, 0.59, 0.98), stored as sRGB bytes
    // (66, 150, 250). Double encoding shows (138, 201, 253), washed out.
    const Vec3 kHoveredButton(66.0f, 150.0f, 250.0f);
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(on[c], kHoveredButton[c], 8.0f) << "channel " << c << " at " << at.x << "," << at.y;
    }
}

TEST(VrInput, MenuButtonHidesAndShowsThePanel) {
    // Left menu pressed at frames 5 and 12 (khr/simple_controller menu/click).
    const json script = {{"keyframes",
                          {{{"frame", 5}, {"left", {{"menu", true}}}},
                           {{"frame", 7}, {"left", {{"menu", false}}}},
                           {{"frame", 12}, {"left", {{"menu", true}}}},
                           {{"frame", 14}, {"left", {{"menu", false}}}}}}};
    constexpr std::uint32_t kSize = 128;
    const json config = {{"view_size", {kSize, kSize}},
                         {"frame_rate_hz", 0},
                         {"capture", {{"dir", "cap"}, {"frames", {3, 9, 16}}}},
                         {"script", script}};
    const VrRun r = runVr("menu", config, "--mode vr --time 0 --validation --frames 18 --dump-state state.json");
    ASSERT_EQ(r.exitCode, 0) << r.output;
    auto shown = engine::readPng((r.dir / "cap/frame3_view0.png").string());
    auto hidden = engine::readPng((r.dir / "cap/frame9_view0.png").string());
    auto again = engine::readPng((r.dir / "cap/frame16_view0.png").string());
    ASSERT_TRUE(shown && hidden && again);
    // Where the panel's (blue) button projects, the hidden frame shows the room.
    scenes::WorldPanel probe;
    probe.aim(probe.layout().inStage, Pose{}, false);
    const auto& l = probe.layout();
    const Vec3 buttonEdge = probe.pixelToWorld(l.buttonPos + Vec2(14.0f, 0.5f * l.buttonSize.y)) + kStartOrigin;
    const Vec2 at = projectToEye(buttonEdge, 0, kSize);
    EXPECT_GT(glm::distance(averageRgb(*shown, at), averageRgb(*hidden, at)), 30.0f) << at.x << "," << at.y;
    EXPECT_GT(engine::compareImages(*shown, *hidden, 8).fraction(), 0.02);
    // Shown again: the same frame as before it was hidden.
    EXPECT_LT(engine::compareImages(*shown, *again, 8).fraction(), 0.001);
    EXPECT_EQ(readJson(r.dir / "state.json")["panel"]["visible"], true);
}

// On the Vive wand the "stick" is a trackpad: a thumb resting near its
// edge (touch, no click) neither turns nor teleports; pressed, it does.
TEST(VrInput, AViveTrackpadMovesOnlyWhilePressed) {
    auto run = [](const std::string& name, bool click) {
        const json script = {{"keyframes",
                              {{{"frame", 0}, {"right", withThumbstick(rightAim(kAimRot), 0, 0)}},
                               {{"frame", 3}, {"right", {{"thumbstick", {0.95, 0}}, {"click", click}}}},
                               {{"frame", 5}, {"right", {{"thumbstick", {0, 0}}, {"click", false}}}},
                               {{"frame", 7}, {"right", {{"thumbstick", {0, 0.95}}, {"click", click}}}},
                               {{"frame", 11}, {"right", {{"thumbstick", {0, 0}}, {"click", false}}}}}}};
        const json config = {{"view_size", {32, 32}},
                             {"frame_rate_hz", 0},
                             {"interaction_profile", "/interaction_profiles/htc/vive_controller"},
                             {"script", script}};
        return runVr(name, config, "--mode vr --time 0 --frames 16 --dump-state state.json");
    };
    const VrRun resting = run("vive_touch", false);
    ASSERT_EQ(resting.exitCode, 0) << resting.output;
    json state = readJson(resting.dir / "state.json");
    EXPECT_EQ(state["snap_turns"], 0);
    EXPECT_EQ(state["teleports"], 0);
    const VrRun pressed = run("vive_click", true);
    ASSERT_EQ(pressed.exitCode, 0) << pressed.output;
    state = readJson(pressed.dir / "state.json");
    EXPECT_EQ(state["snap_turns"], 1);
    EXPECT_EQ(state["teleports"], 1);
}

TEST(VrInput, EveryControllerProfileSelectsAndTurns) {
    // The same script on each interaction profile the client suggests
    // bindings for: select clicks the panel's button (trigger, select or
    // a/x per profile), the thumbstick (a trackpad on the Vive wand) snap
    // turns; the simple controller has no stick.
    scenes::WorldPanel panel;
    panel.aim(panel.layout().inStage, Pose{}, false);
    json right = rightAim(aimAt(panel.buttonCentre()));
    right["thumbstick"] = {0, 0};
    const json script = {{"keyframes",
                          {{{"frame", 0}, {"right", right}},
                           {{"frame", 3}, {"right", {{"select", true}}}},
                           {{"frame", 5}, {"right", {{"select", false}}}},
                           {{"frame", 8}, {"right", {{"thumbstick", {1, 0}}, {"click", true}}}},
                           {{"frame", 9}, {"right", {{"thumbstick", {1, 0}}}}},
                           {{"frame", 10}, {"right", {{"thumbstick", {0, 0}}, {"click", false}}}}}}};
    for (const std::string profile : {"khr/simple_controller", "oculus/touch_controller", "valve/index_controller",
                                      "htc/vive_controller", "microsoft/motion_controller"}) {
        SCOPED_TRACE(profile);
        const json config = {{"view_size", {32, 32}},
                             {"frame_rate_hz", 0},
                             {"interaction_profile", "/interaction_profiles/" + profile},
                             {"script", script}};
        const std::string name = "profile_" + profile.substr(0, profile.find('/'));
        const VrRun r = runVr(name, config, "--mode vr --time 0 --frames 14 --dump-state state.json");
        ASSERT_EQ(r.exitCode, 0) << r.output;
        EXPECT_NE(r.events.find("actions attached profile /interaction_profiles/" + profile), std::string::npos)
            << r.events;
        const json state = readJson(r.dir / "state.json");
        EXPECT_EQ(state["panel"]["presses"], 1) << r.events;
        EXPECT_EQ(countOf(r.events, "haptic right action haptic duration_ns 60000000"), 1) << r.events;
        EXPECT_EQ(state["snap_turns"], profile == "khr/simple_controller" ? 0 : 1);
    }
}

}  // namespace
}  // namespace mxr::test
