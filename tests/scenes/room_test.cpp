// Room files: the demo loads; every kind of bad file is rejected with the
// file, the place and the problem in the message.
#include <gtest/gtest.h>

#include "scenes/avatar.h"
#include "scenes/room.h"

namespace mxr::scenes {
namespace {

TEST(Room, DemoRoomLoadsWithFurnitureSeatsAndCameras) {
    auto room = loadRoom(MXR_DEMO_ROOM);
    ASSERT_TRUE(room) << room.error().message;
    EXPECT_EQ(room->name, "Demo mentoring room");
    EXPECT_GE(room->lights.size(), 2u);
    EXPECT_EQ(room->seats.size(), 4u);
    EXPECT_TRUE(room->cameras.count("overview"));
    int tables = 0, chairs = 0, boards = 0;
    for (const auto& o : room->objects) {
        tables += o.name == "table top";
        chairs += o.name == "chair seat";
        boards += o.name == "whiteboard";
    }
    EXPECT_EQ(tables, 1);
    EXPECT_EQ(chairs, 4);
    EXPECT_EQ(boards, 1);
}

struct BadCase {
    const char* json;
    const char* expected;  // must appear in the message
};

class BadRoom : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadRoom, IsRejectedWithPlaceAndProblem) {
    auto r = parseRoom(GetParam().json, "rooms/bad.json");
    ASSERT_FALSE(r) << GetParam().json;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("rooms/bad.json: "), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(GetParam().expected), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRoom,
    ::testing::Values(
        BadCase{"{\"name\": \"x\",\n \"size\": [8, 3, }", "line 2, column"},
        BadCase{"", "line 1, column 1"},
        BadCase{"[1, 2]", "(top level): expected an object"},
        BadCase{"{}", "missing \"name\""},
        BadCase{"{\"name\": 5}", "name: expected a string"},
        BadCase{"{\"name\": \"x\", \"colour\": 1}", "unknown field \"colour\""},
        BadCase{"{\"name\": \"x\", \"size\": [8, 3]}", "size: expected an array of 3 numbers"},
        BadCase{"{\"name\": \"x\", \"size\": [8, 3, 0]}", "size[2]: must be between 1 and 200"},
        BadCase{"{\"name\": \"x\", \"lights\": [{\"color\": [1,1,1]}]}", "lights[0]: missing \"position\""},
        BadCase{"{\"name\": \"x\", \"lights\": [{\"position\": [0,1,0], \"color\": [2,1,1]}]}",
                "lights[0].color[0]: must be between 0 and 1"},
        BadCase{"{\"name\": \"x\", \"objects\": [{\"shape\": \"cone\", \"position\": [0,0,0]}]}",
                "objects[0].shape: unknown shape \"cone\""},
        BadCase{"{\"name\": \"x\", \"furniture\": [{\"kind\": \"sofa\", \"position\": [0,0,0]}]}",
                "furniture[0].kind: unknown furniture kind \"sofa\""},
        BadCase{"{\"name\": \"x\", \"objects\": [{\"shape\": \"box\", \"position\": [0,1e9,0]}]}",
                "objects[0].position[1]: must be between"},
        BadCase{"{\"name\": \"x\", \"objects\": {}}", "objects: expected an array"},
        // Not a syntax error to nlohmann (out_of_range): it used to escape as an exception.
        BadCase{"{\"name\": \"x\", \"size\": [8, 3, 1e999]}", "number overflow parsing '1e999'"},
        BadCase{"{\"name\": \"x\", \"cameras\": {\"a\": {\"position\": [0,1,0], \"pitch_deg\": 120}}}",
                "cameras.a.pitch_deg: must be between -89 and 89"},
        BadCase{"{\"name\": \"x\", \"labels\": [{\"text\": 3, \"position\": [0,1,0]}]}", "labels[0].text: expected a string"}));

TEST(Room, MissingFileNamesThePath) {
    auto r = loadRoom("/nonexistent/room.json");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_NE(r.error().message.find("/nonexistent/room.json"), std::string::npos);
}

TEST(Avatar, DemoParticipantsSitOnSeatsFacingTheTableAndMove) {
    auto room = loadRoom(MXR_DEMO_ROOM);
    ASSERT_TRUE(room);
    auto a = demoParticipants(*room, 16, 0.0);
    auto b = demoParticipants(*room, 16, 1.0);
    ASSERT_EQ(a.size(), 16u);
    for (std::size_t i = 0; i < 4; ++i) {
        // Seated people look roughly at the table centre.
        const Vec3 toTable = glm::normalize(Vec3(-a[i].head.position.x, 0, -a[i].head.position.z));
        Vec3 fwd = a[i].head.forward();
        fwd.y = 0;
        EXPECT_GT(glm::dot(glm::normalize(fwd), toTable), 0.7f) << a[i].name;
        EXPECT_NEAR(a[i].head.position.y, 1.2f, 0.01f);
    }
    float moved = 0.0f;
    for (std::size_t i = 0; i < 16; ++i) moved += glm::length(a[i].hands[1].position - b[i].hands[1].position);
    EXPECT_GT(moved, 0.1f) << "idle animation should move hands";
    // Everyone has a distinct colour among the first eight.
    for (std::size_t i = 0; i < 8; ++i)
        for (std::size_t j = i + 1; j < 8; ++j) EXPECT_NE(paletteColor(i), paletteColor(j));
}

}  // namespace
}  // namespace mxr::scenes
