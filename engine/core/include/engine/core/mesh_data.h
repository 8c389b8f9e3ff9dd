#pragma once
// Triangle meshes as plain data: what the renderer uploads (renderer.h) and
// what file readers without a GPU produce (the workspace's glTF model,
// scenes/workspace_file.h). Thread: any (plain values).
#include <cstdint>
#include <vector>

#include "engine/core/math.h"

namespace mxr::engine {

struct Vertex {
    Vec3 position;
    Vec3 normal;
};

struct MeshData {
    std::vector<Vertex> vertices;
    std::vector<std::uint32_t> indices;  // triangles, counter-clockwise front faces
};

}  // namespace mxr::engine
