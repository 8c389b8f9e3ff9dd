// LocalPlayer and WorldPanel without a GPU or runtime: locomotion moves the
// play space the way the wearer expects, and the laser finds the panel.
#include <gtest/gtest.h>

#include <glm/gtc/quaternion.hpp>

#include "scenes/local_player.h"
#include "scenes/world_panel.h"

namespace mxr::scenes {
namespace {

xr::InputState standing(Vec3 head = Vec3(0, 1.6f, 0)) {
    xr::InputState in;
    in.head.position = head;
    for (int h = 0; h < 2; ++h) {
        in.hands[h].tracked = true;
        in.hands[h].grip.position = Vec3(h == 0 ? -0.2f : 0.2f, 1.3f, -0.3f);
        in.hands[h].aim = in.hands[h].grip;
    }
    return in;
}

float yawDegrees(const Pose& p) {
    const Vec3 f = p.orientation * Vec3(0, 0, -1);
    return glm::degrees(std::atan2(-f.x, -f.z));
}

TEST(LocalPlayer, SnapTurnTurnsAboutTheHeadOncePerFlick) {
    LocalPlayer player(Pose{Vec3(1, 0, 2), Quat(1, 0, 0, 0)}, {});
    xr::InputState in = standing(Vec3(0.5f, 1.6f, 0.3f));  // head off the stage origin
    player.update(in);
    const Vec3 headBefore = player.toWorld(in.head).position;
    in.hands[1].thumbstick = Vec2(1.0f, 0.0f);
    for (int i = 0; i < 5; ++i) player.update(in);  // held: one turn only
    EXPECT_EQ(player.snapTurns(), 1);
    EXPECT_NEAR(yawDegrees(player.worldFromStage()), -30.0f, 1e-3f);
    EXPECT_LT(glm::distance(player.toWorld(in.head).position, headBefore), 1e-5f);  // stays put
    in.hands[1].thumbstick = Vec2(0.0f);
    player.update(in);
    in.hands[1].thumbstick = Vec2(-1.0f, 0.0f);
    player.update(in);
    EXPECT_EQ(player.snapTurns(), 2);
    EXPECT_NEAR(yawDegrees(player.worldFromStage()), 0.0f, 1e-3f);
}

// AR: the stick neither turns nor teleports (the real room does not move).
TEST(LocalPlayer, InArTheStickMovesNothing) {
    LocomotionSettings ar;
    ar.enabled = false;
    LocalPlayer player(Pose{Vec3(1, 0, 2), Quat(1, 0, 0, 0)}, ar);
    xr::InputState in = standing(Vec3(0.0f, 1.6f, 0.0f));
    for (const Vec2 stick : {Vec2(1.0f, 0.0f), Vec2(0.0f), Vec2(0.0f, 1.0f), Vec2(0.0f)}) {
        in.hands[1].thumbstick = stick;
        player.update(in);
    }
    EXPECT_EQ(player.snapTurns(), 0);
    EXPECT_EQ(player.teleports(), 0);
    EXPECT_FALSE(player.teleportTarget());
    EXPECT_LT(glm::distance(player.worldFromStage().position, Vec3(1, 0, 2)), 1e-6f);
}

TEST(LocalPlayer, TeleportLandsTheHeadOnTheAimedFloorPoint) {
    LocomotionSettings s;
    s.floorHalfExtent = Vec2(4.0f, 3.0f);
    LocalPlayer player(Pose{Vec3(0, 0, 2), Quat(1, 0, 0, 0)}, s);
    xr::InputState in = standing(Vec3(0.1f, 1.6f, 0.2f));
    in.hands[1].aim.orientation = glm::angleAxis(glm::radians(-45.0f), Vec3(1, 0, 0));  // 45 degrees down
    in.hands[1].thumbstick = Vec2(0.0f, 1.0f);
    player.update(in);
    ASSERT_TRUE(player.teleportTarget());
    EXPECT_TRUE(player.teleportValid());
    const Vec3 expected(0.2f, 0.0f, 2.0f - 0.3f - 1.3f);  // 1.3 m ahead of the hand, on the floor
    EXPECT_LT(glm::distance(*player.teleportTarget(), expected), 1e-4f);
    engine::FrameScene scene;
    player.appendSelf(SceneMeshes{{1}, {2}, {3}}, Vec4(1.0f), scene);
    EXPECT_EQ(scene.lines.size(), 1u);  // the aiming line is shown
    in.hands[1].thumbstick = Vec2(0.0f);
    player.update(in);
    EXPECT_EQ(player.teleports(), 1);
    const Vec3 head = player.toWorld(in.head).position;
    EXPECT_NEAR(head.x, expected.x, 1e-4f);
    EXPECT_NEAR(head.z, expected.z, 1e-4f);
    EXPECT_NEAR(head.y, 1.6f, 1e-5f);  // the floor stays the floor
    EXPECT_FALSE(player.teleportTarget());
}

TEST(LocalPlayer, NoTeleportOutsideTheRoomOrPointingUp) {
    LocomotionSettings s;
    s.floorHalfExtent = Vec2(1.0f, 1.0f);
    LocalPlayer player(Pose{Vec3(0), Quat(1, 0, 0, 0)}, s);
    xr::InputState in = standing();
    in.hands[1].aim.orientation = glm::angleAxis(glm::radians(-20.0f), Vec3(1, 0, 0));  // lands 3.9 m away
    in.hands[1].thumbstick = Vec2(0.0f, 1.0f);
    player.update(in);
    ASSERT_TRUE(player.teleportTarget());
    EXPECT_FALSE(player.teleportValid());
    in.hands[1].thumbstick = Vec2(0.0f);
    player.update(in);
    in.hands[1].aim.orientation = glm::angleAxis(glm::radians(10.0f), Vec3(1, 0, 0));  // up
    in.hands[1].thumbstick = Vec2(0.0f, 1.0f);
    player.update(in);
    in.hands[1].thumbstick = Vec2(0.0f);
    player.update(in);
    EXPECT_EQ(player.teleports(), 0);
    EXPECT_LT(glm::length(player.worldFromStage().position), 1e-6f);
}

TEST(LocalPlayer, AvatarHandsFollowGripsOrThePalmJoint) {
    LocalPlayer player(Pose{Vec3(1, 0, 0), glm::angleAxis(glm::radians(90.0f), Vec3(0, 1, 0))}, {});
    xr::InputState in = standing();
    player.update(in);
    Participant me = player.avatar("me", Vec4(1.0f));
    // Stage (0.2, 1.3, -0.3) turned 90 degrees left: (-0.3, 1.3, -0.2), plus the origin.
    EXPECT_LT(glm::distance(me.hands[1].position, Vec3(0.7f, 1.3f, -0.2f)), 1e-5f);
    in.joints[1].valid = true;
    for (auto& j : in.joints[1].poses) j.position = Vec3(0.25f, 1.2f, -0.35f);
    player.update(in);
    me = player.avatar("me", Vec4(1.0f));
    EXPECT_LT(glm::distance(me.hands[1].position, Vec3(0.65f, 1.2f, -0.25f)), 1e-5f);
    engine::FrameScene scene;
    player.appendSelf(SceneMeshes{{1}, {2}, {3}}, Vec4(1.0f), scene);
    EXPECT_EQ(scene.instances.size(), 1u + xr::kHandJointCount);  // left grip blob, 26 right joints
}

TEST(WorldPanel, TheLaserBecomesAPointerInOverlayPixels) {
    WorldPanel panel;
    const PanelLayout& l = panel.layout();
    const Pose at{Vec3(0, 1.3f, -1.0f), Quat(1, 0, 0, 0)};
    // Aimed at the button's centre from 1 m in front.
    panel.aim(at, Pose{}, false);
    const Vec3 target = panel.buttonCentre();
    const Vec3 from(0.0f, 1.3f, 0.0f);
    const Vec3 d = glm::normalize(target - from);
    const Quat q = glm::angleAxis(std::atan2(-d.x, -d.z), Vec3(0, 1, 0)) * glm::angleAxis(std::asin(d.y), Vec3(1, 0, 0));
    panel.aim(at, Pose{from, q}, true);
    ASSERT_TRUE(panel.pointerPixels());
    EXPECT_LT(glm::distance(*panel.pointerPixels(), l.buttonPos + 0.5f * l.buttonSize), 0.05f);
    engine::FrameScene scene;
    panel.append(scene);
    ASSERT_TRUE(scene.overlayQuad);
    EXPECT_TRUE(scene.drawOverlay);
    ASSERT_EQ(scene.lines.size(), 1u);
    EXPECT_LT(glm::distance(scene.lines[0].to, target), 1e-4f);  // the laser stops on the panel
    // From behind, no pointer.
    panel.aim(Pose{at.position, glm::angleAxis(glm::radians(180.0f), Vec3(0, 1, 0))}, Pose{from, q}, true);
    EXPECT_FALSE(panel.pointerPixels());
    // Hover and click feedback.
    EXPECT_TRUE(panel.uiResult(true, false).hoverEntered);
    EXPECT_FALSE(panel.uiResult(true, false).hoverEntered);
    EXPECT_TRUE(panel.uiResult(true, true).pressed);
    EXPECT_TRUE(panel.toggled());
    EXPECT_EQ(panel.presses(), 1);
    // The menu button hides it: no quad, no laser, no pointer; held, it
    // toggles once.
    panel.menuButton(true);
    panel.menuButton(true);
    EXPECT_FALSE(panel.visible());
    panel.aim(at, Pose{from, q}, true);
    EXPECT_FALSE(panel.pointerPixels());
    engine::FrameScene hidden;
    panel.append(hidden);
    EXPECT_FALSE(hidden.overlayQuad);
    EXPECT_TRUE(hidden.lines.empty());
    panel.menuButton(false);
    panel.menuButton(true);
    EXPECT_TRUE(panel.visible());
}

}  // namespace
}  // namespace mxr::scenes
