// The job-shadowing files read without a GPU (scenes/workspace_file.h,
// scenes/procedure.h): what the fuzzers in tests/net/fuzz found, kept as
// cases a person could hit with a hand-edited or hostile file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/core/text.h"
#include "scenes/procedure.h"
#include "scenes/workspace_file.h"

namespace {
using namespace mxr;
using namespace mxr::scenes;

std::string sceneFileBytes(const std::string& name) {
    std::ifstream in(std::string(MXR_WORKSPACES_DIR) + "/" + name, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// One triangle: three float positions (36 bytes) and three unsigned short
// indices (6 bytes, padded to 8), as a data: URI. `accessors`,
// `bufferViews` and `nodes` are spliced in so each case changes one thing.
std::string triangleGltf(const std::string& accessors, const std::string& bufferViews,
                         const std::string& nodes = R"([{"mesh": 0}])", const std::string& primitive =
                             R"({"attributes": {"POSITION": 0}, "indices": 1})") {
    return strCat(R"({"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": )", nodes,
                  R"(, "meshes": [{"primitives": [)", primitive, R"(]}], "accessors": )", accessors,
                  R"(, "bufferViews": )", bufferViews,
                  R"(, "buffers": [{"byteLength": 44, "uri": "data:application/octet-stream;base64,)"
                  R"(AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAAAAABAAIAAAA="}]})");
}

const std::string kAccessors =
    R"([{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},)"
    R"( {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"}])";
const std::string kViews =
    R"([{"buffer": 0, "byteOffset": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 6}])";

std::string refusal(const std::string& gltf) {
    auto parts = parseGltfModel(gltf, false, "/nonexistent", "bad.gltf");
    if (parts) return "(read)";
    EXPECT_EQ(parts.error().code, ErrorCode::kInvalidArgument) << parts.error().message;
    return parts.error().message;
}

TEST(SceneFiles, ANumberTooLargeForADoubleIsRefusedNamingTheFile) {
    // nlohmann reports it as out_of_range, not as a syntax error: it used to
    // escape parseProcedure as an exception and end the client.
    auto p = parseProcedure(R"({"title": "Bench", "steps": [{"title": "a", "expected_seconds": 4e22222}]})", "bench.json");
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(p.error().message, "bench.json: number overflow parsing '4e22222'");
    auto syntax = parseProcedure("{\"title\": \n  x}", "bench.json");
    ASSERT_FALSE(syntax);
    EXPECT_NE(syntax.error().message.find("bench.json: line 2, column 3"), std::string::npos) << syntax.error().message;
}

TEST(SceneFiles, TheDemoModelReadsTheSameFromItsBytesAsFromItsFile) {
    auto fromFile = loadGltfModel(std::string(MXR_WORKSPACES_DIR) + "/demo_bench.gltf");
    ASSERT_TRUE(fromFile) << fromFile.error().message;
    auto fromBytes = parseGltfModel(sceneFileBytes("demo_bench.gltf"), false, MXR_WORKSPACES_DIR, "demo_bench.gltf");
    ASSERT_TRUE(fromBytes) << fromBytes.error().message;
    ASSERT_EQ(fromFile->size(), fromBytes->size());
    ASSERT_GE(fromFile->size(), 3u);  // the bench, the machine, its stop button
    for (std::size_t i = 0; i < fromFile->size(); ++i) {
        EXPECT_EQ((*fromFile)[i].mesh.indices, (*fromBytes)[i].mesh.indices);
        EXPECT_EQ((*fromFile)[i].mesh.vertices.size(), (*fromBytes)[i].mesh.vertices.size());
    }
    auto triangle = parseGltfModel(triangleGltf(kAccessors, kViews), false, "/nonexistent", "t.gltf");
    ASSERT_TRUE(triangle) << triangle.error().message;
    ASSERT_EQ(triangle->size(), 1u);
    EXPECT_EQ((*triangle)[0].mesh.indices, (std::vector<std::uint32_t>{0, 1, 2}));
    EXPECT_EQ((*triangle)[0].mesh.vertices[1].position, Vec3(1, 0, 0));
}

TEST(SceneFiles, AModelThatPointsOutsideWhatItHoldsIsRefusedNotRead) {
    // Accessors named by a primitive but not in the file (read before any
    // check used to be).
    EXPECT_NE(refusal(triangleGltf(kAccessors, kViews, R"([{"mesh": 0}])", R"({"attributes": {"POSITION": 7}})"))
                  .find("POSITION names no accessor (7)"),
              std::string::npos);
    EXPECT_NE(refusal(triangleGltf(kAccessors, kViews, R"([{"mesh": 0}])",
                                   R"({"attributes": {"POSITION": 0}, "indices": 9})"))
                  .find("indices"),  // tinygltf's own check comes first: "primitive indices accessor out of bounds"
              std::string::npos);
    // Counts and offsets whose products wrap around 64 bits.
    const std::string hugeCount =
        R"([{"bufferView": 0, "componentType": 5126, "count": 1537228672809129302, "type": "VEC3"},)"
        R"( {"bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR"}])";
    EXPECT_NE(refusal(triangleGltf(hugeCount, kViews)).find("bad.gltf"), std::string::npos);
    const std::string farView =
        R"([{"buffer": 0, "byteOffset": 18446744073709551600, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 6}])";
    EXPECT_NE(refusal(triangleGltf(kAccessors, farView)).find("bad.gltf"), std::string::npos);
    // Indices that are not unsigned integers.
    const std::string floatIndices =
        R"([{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},)"
        R"( {"bufferView": 0, "componentType": 5126, "count": 3, "type": "SCALAR"}])";
    EXPECT_NE(refusal(triangleGltf(floatIndices, kViews)).find("indices must be unsigned"), std::string::npos);
}

TEST(SceneFiles, AModelThatSharesNodesToMultiplyItselfIsRefused) {
    // 40 levels, each node listing the next twice: 2^40 paths through a
    // file of a few kilobytes. With the triangle at the bottom the parts'
    // bound stops it; with the triangle at the top, the nodes' bound.
    const auto chain = [](bool meshAtTheTop) {
        std::string nodes = meshAtTheTop ? R"([{"mesh": 0, "children": [1, 1]},)" : R"([{"children": [1, 1]},)";
        for (int i = 1; i < 40; ++i) nodes += strCat(R"({"children": [)", i + 1, ", ", i + 1, "]},");
        return nodes + (meshAtTheTop ? "{}]" : R"({"mesh": 0}])");
    };
    EXPECT_NE(refusal(triangleGltf(kAccessors, kViews, chain(false))).find("more than 4096 primitives"), std::string::npos);
    EXPECT_NE(refusal(triangleGltf(kAccessors, kViews, chain(true))).find("more than 65536 node visits"), std::string::npos);
}

TEST(SceneFiles, AFileOverItsBoundOrMissingIsRefusedNamingIt) {
    const std::string path = (std::filesystem::temp_directory_path() / "mxr_scene_files_big.json").string();
    {
        std::ofstream out(path, std::ios::binary);
        out << std::string((1u << 20) + 1, ' ');
    }
    auto big = loadWorkspace(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(big.error().message, path + ": larger than 1 MiB");
    auto missing = loadProcedure(path);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(missing.error().message, path + ": cannot open procedure file");
}

TEST(SceneFiles, AnnotationListsWrittenBackReadTheSame) {
    auto def = parseWorkspace(sceneFileBytes("demo_bench.json"), "demo_bench.json");
    ASSERT_TRUE(def) << def.error().message;
    ASSERT_FALSE(def->annotations.empty());
    auto again = parseAnnotationList(annotationListJson(def->annotations), "written", "annotations");
    ASSERT_TRUE(again) << again.error().message;
    ASSERT_EQ(again->size(), def->annotations.size());
    for (std::size_t i = 0; i < again->size(); ++i) {
        EXPECT_EQ((*again)[i].kind, def->annotations[i].kind);
        EXPECT_EQ((*again)[i].values.colour, def->annotations[i].values.colour);
        EXPECT_EQ((*again)[i].values.text, def->annotations[i].values.text);
    }
}

}  // namespace
