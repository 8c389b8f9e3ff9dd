#pragma once
// The job-shadowing workspace's files, read without a GPU (the client's
// WorkspaceComponent, scenes/workspace.h, shows what they describe; the
// fuzzers in tests/net/fuzz read them too).
//
// - Workspace files (scenes/workspaces/*.json): `name`, `model` (a glTF 2.0
//   file relative to the workspace file, optional), `size` [width, depth]
//   metres (the frame's footprint), `position` [x, y, z] and `yaw_deg`: the
//   frame in room coordinates until it is placed in the world;
//   `annotations` (optional): the annotations it ships with, in workspace
//   coordinates (scenes/README.md, "annotation_tools.h"). At most 1 MiB.
// - The model: glTF 2.0 through tinygltf (.gltf with embedded or external
//   buffers, or .glb; triangle primitives with POSITION, optional NORMAL,
//   the material's baseColorFactor; node transforms of the default scene).
//   Every accessor, index and node is checked against what the file holds;
//   at most 256 MiB, kMaxModelParts primitives drawn and kMaxModelVertices
//   vertices in all.
//
// Thread: any (pure functions and plain values). Errors: parse and load
// errors name the file, the field and the problem (kInvalidArgument), or
// the file (kNotFound).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/math.h"
#include "engine/core/mesh_data.h"
#include "engine/core/result.h"
#include "net/annotations.h"

namespace mxr::scenes {

inline constexpr std::size_t kMaxGltfModelBytes = std::size_t(256) << 20;
inline constexpr std::size_t kMaxModelParts = 4096;
inline constexpr std::size_t kMaxModelVertices = std::size_t(4) << 20;

// One drawable piece of a model: its mesh, colour and place in the model.
struct ModelPart {
    engine::MeshData mesh;
    Vec4 color{1.0f};
    Mat4 transform{1.0f};
};

// An annotation the workspace file ships with (workspace coordinates).
struct WorkspaceAnnotation {
    net::AnnotationKind kind = net::AnnotationKind::kArrow;
    net::AnnotationValues values;
};

struct WorkspaceDef {
    std::string name;
    std::string modelPath;  // absolute or relative to the process; "" = none
    Vec2 size{1.2f, 0.8f};
    Pose pose;  // in the room until placed
    // `annotations` [{kind, colour, and the kind's fields}]: loaded into
    // the offline replica (a room keeps its own).
    std::vector<WorkspaceAnnotation> annotations;
};

Result<WorkspaceDef> parseWorkspace(const std::string& jsonText, const std::string& source);
// Annotations in the workspace file's format (its `annotations` array; also
// a procedure step's `annotations`, which the server stores as the client
// writes them): a JSON array of objects, each "kind", "colour" (a palette
// name or index) and the kind's fields in workspace coordinates: arrow
// position/end, label position/text, box position/extents/yaw_deg, sphere
// position/radius, ink points (workspace points), marker position/number.
// Errors name the source and `field[i].name`.
Result<std::vector<WorkspaceAnnotation>> parseAnnotationList(const std::string& jsonText, const std::string& source,
                                                             const std::string& field);
// The kinds as these files name them ("ink", where net's toString says "ink
// stroke" for people): the kind, or nullopt for another name.
std::optional<net::AnnotationKind> annotationKindNamed(std::string_view name);
// The same format written back (palette names; a box's rotation as its yaw).
std::string annotationListJson(const std::vector<WorkspaceAnnotation>& annotations);
Result<WorkspaceDef> loadWorkspace(const std::string& path);
// The default scene's triangle primitives, flattened with their transforms.
Result<std::vector<ModelPart>> loadGltfModel(const std::string& path);
// The same from the file's bytes: `binary` for .glb; external buffers are
// read relative to `baseDir`; `source` names it in errors.
Result<std::vector<ModelPart>> parseGltfModel(const std::string& bytes, bool binary, const std::string& baseDir,
                                              const std::string& source);

}  // namespace mxr::scenes
