// The workspace's glTF model (scenes/workspace_file.h, parseGltfModel).
// Input: [mode u8][file bytes]; mode bit 0 set: a .glb, clear: a .gltf.
// External files are looked for in a folder that does not exist, so only
// the bytes given (and their data: URIs) are read. The reader returns the
// model's parts or an Error for any bytes and never crashes; what it
// returns holds triangles whose indices name its vertices, within the
// header's limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scenes/workspace_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    const bool binary = (data[0] & 1) != 0;
    auto parts = mxr::scenes::parseGltfModel(bytes, binary, "/nonexistent/mxr-fuzz", binary ? "fuzz.glb" : "fuzz.gltf");
    if (!parts) {
        if (parts.error().message.empty()) std::abort();
        return 0;
    }
    if (parts->empty() || parts->size() > mxr::scenes::kMaxModelParts) std::abort();
    std::size_t vertices = 0;
    for (const auto& p : *parts) {
        if (p.mesh.indices.size() % 3 != 0) std::abort();
        for (std::uint32_t i : p.mesh.indices) {
            if (i >= p.mesh.vertices.size()) std::abort();
        }
        vertices += p.mesh.vertices.size();
    }
    if (vertices > mxr::scenes::kMaxModelVertices) std::abort();
    return 0;
}
