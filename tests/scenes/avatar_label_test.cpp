// Name plates: the name in bidi isolates before " (muted)", at most 1.2 m
// wide unless the plate is pointed at.
#include <gtest/gtest.h>

#include <glm/gtc/quaternion.hpp>

#include "scenes/avatar.h"

namespace mxr::test {
namespace {

TEST(NameLabel, NameIsIsolatedFromWhatFollows) {
    scenes::Participant p;
    p.displayName = "محمد";
    p.name = "محمد (muted)";
    EXPECT_EQ(scenes::nameLabelText(p), "\u2068محمد\u2069 (muted)");
    p.displayName.clear();
    p.name = "Anna";
    EXPECT_EQ(scenes::nameLabelText(p), "\u2068Anna\u2069");
}

TEST(NameLabel, CutTo1_2MetresUnlessPointedAt) {
    scenes::Participant p;
    p.name = p.displayName = "Maximiliane Alexandrina Konstantinopoulou-Wittelsbach";
    scenes::SceneMeshes meshes;
    engine::FrameScene scene;
    scenes::appendAvatar(p, meshes, scene);
    ASSERT_EQ(scene.labels.size(), 1u);
    EXPECT_FLOAT_EQ(scene.labels[0].maxWidth, 1.2f);
    p.labelPointed = true;
    scene.labels.clear();
    scenes::appendAvatar(p, meshes, scene);
    EXPECT_EQ(scene.labels[0].maxWidth, 0.0f);  // the whole name
}

TEST(NameLabel, PointedAtWhenTheRayHitsThePlate) {
    const Vec3 anchor(0.0f, 1.9f, -3.0f);
    Pose aim;
    aim.position = Vec3(0.0f, 1.2f, 0.0f);
    auto lookAt = [&](const Vec3& target) {
        aim.orientation = glm::quatLookAt(glm::normalize(target - aim.position), Vec3(0, 1, 0));
    };
    lookAt(anchor);
    EXPECT_TRUE(scenes::labelPointedAt(aim, anchor));
    lookAt(anchor + Vec3(0.5f, 0.0f, 0.0f));  // near the end of a long plate
    EXPECT_TRUE(scenes::labelPointedAt(aim, anchor));
    lookAt(anchor + Vec3(0.0f, 0.2f, 0.0f));  // above it
    EXPECT_FALSE(scenes::labelPointedAt(aim, anchor));
    lookAt(anchor + Vec3(0.9f, 0.0f, 0.0f));  // beside it
    EXPECT_FALSE(scenes::labelPointedAt(aim, anchor));
    lookAt(Vec3(0.0f, 1.9f, 3.0f));  // away from it
    EXPECT_FALSE(scenes::labelPointedAt(aim, anchor));
}

}  // namespace
}  // namespace mxr::test
