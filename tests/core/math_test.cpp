#include "engine/core/math.h"

#include <gtest/gtest.h>

namespace mxr {
namespace {

TEST(Math, ProjectionMapsNearFarToVulkanDepthAndFlipsY) {
    const Fov fov = Fov::symmetric(glm::radians(90.0f), 1.0f);
    const Mat4 p = projectionFromFov(fov, 0.1f, 100.0f);
    Vec4 nearPt = p * Vec4(0, 0, -0.1f, 1);
    Vec4 farPt = p * Vec4(0, 0, -100.0f, 1);
    EXPECT_NEAR(nearPt.z / nearPt.w, 0.0f, 1e-5);
    EXPECT_NEAR(farPt.z / farPt.w, 1.0f, 1e-5);
    // A point above the view axis lands in the upper half: negative clip Y.
    Vec4 up = p * Vec4(0, 0.5f, -1.0f, 1);
    EXPECT_LT(up.y / up.w, 0.0f);
    // The edge of a 90 degree field of view lands on the clip edge.
    Vec4 right = p * Vec4(1.0f, 0, -1.0f, 1);
    EXPECT_NEAR(right.x / right.w, 1.0f, 1e-5);
}

TEST(Math, AsymmetricFovShiftsCentre) {
    Fov fov{-0.9f, 0.7f, 0.8f, -0.8f};
    const Mat4 p = projectionFromFov(fov, 0.1f, 10.0f);
    Vec4 c = p * Vec4(0, 0, -1, 1);
    EXPECT_GT(c.x / c.w, 0.0f);  // more field to the left: the axis sits right of centre
}

TEST(Math, PoseComposesAndViewInverts) {
    Pose parent{Vec3(1, 0, 0), glm::angleAxis(glm::radians(90.0f), Vec3(0, 1, 0))};
    Pose child{Vec3(0, 0, -1), Quat(1, 0, 0, 0)};
    Pose world = parent * child;
    EXPECT_NEAR(world.position.x, 0.0f, 1e-5);
    EXPECT_NEAR(world.position.z, 0.0f, 1e-5);
    Vec4 eyeSpace = viewFromPose(world) * Vec4(world.position, 1);
    EXPECT_NEAR(glm::length(Vec3(eyeSpace)), 0.0f, 1e-5);
    EXPECT_NEAR(Pose{}.forward().z, -1.0f, 1e-6);
}

}  // namespace
}  // namespace mxr
